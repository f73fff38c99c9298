package ir

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/emberml/ember/tensor"
)

// Kind is the kind of a Type.
type Kind uint8

// The kinds of IR types. KindInvalid is the zero Kind: a value whose type has
// it has no type yet, which Verify reports.
const (
	KindInvalid Kind = iota
	KindTensor       // a tensor: dtype, shape, optional quantization
	KindInt          // a Go int (int64 in attributes)
	KindFloat        // a Go float64
	KindBool         // a Go bool
	KindString       // a Go string
	KindNone         // the type of none
	KindList         // a list of Elem
)

var kindNames = [...]string{"invalid", "tensor", "int", "float", "bool", "str", "none", "list"}

// String returns the kind's name as the text form spells scalar types
// ("int", "float", "bool", "str", "none"), or "tensor", "list", "invalid".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// UnknownDType is the DType of a tensor type whose element type is not known
// (printed "tensor[...]"). It is not a dtype package tensor knows.
const UnknownDType tensor.DType = -1

// Dim is one dimension of a tensor type: a fixed size, a named symbolic size
// (the same name means the same size within a method) or an unknown size.
// The zero Dim is the fixed size 0. Dims are comparable with ==.
type Dim struct {
	// Size is the size of a fixed dim (Name empty); 0 otherwise.
	Size int
	// Name is the symbol of a symbolic dim ("N"), "?" for an unknown dim,
	// or empty for a fixed dim.
	Name string
}

// FixedDim returns the fixed dim n.
func FixedDim(n int) Dim { return Dim{Size: n} }

// SymDim returns the symbolic dim named name (an identifier such as "N").
func SymDim(name string) Dim { return Dim{Name: name} }

// UnknownDim returns the unknown dim "?".
func UnknownDim() Dim { return Dim{Name: "?"} }

// IsFixed reports whether d is a fixed size.
func (d Dim) IsFixed() bool { return d.Name == "" }

// IsSymbolic reports whether d is a named symbolic size.
func (d Dim) IsSymbolic() bool { return d.Name != "" && d.Name != "?" }

// IsUnknown reports whether d is the unknown dim "?".
func (d Dim) IsUnknown() bool { return d.Name == "?" }

// String returns the text form: "16", "N" or "?".
func (d Dim) String() string {
	if d.Name != "" {
		return d.Name
	}
	return strconv.Itoa(d.Size)
}

// Dims returns fixed dims for the sizes in shape.
func Dims(shape ...int) []Dim {
	ds := make([]Dim, len(shape))
	for i, n := range shape {
		ds[i] = FixedDim(n)
	}
	return ds
}

// QuantScheme says how a quantized tensor's scales and zero points apply.
type QuantScheme uint8

// The quantization schemes.
const (
	// PerTensor: one scale and one zero point for the whole tensor.
	PerTensor QuantScheme = iota
	// PerChannel: one scale and zero point per index along Axis.
	PerChannel
)

// String returns "per_tensor" or "per_channel".
func (s QuantScheme) String() string {
	switch s {
	case PerTensor:
		return "per_tensor"
	case PerChannel:
		return "per_channel"
	}
	return fmt.Sprintf("QuantScheme(%d)", int(s))
}

// QuantParams are the affine quantization parameters of a quantized tensor
// type: real = (stored - zero_point) * scale. The Type's DType is the real
// (expressed) dtype, float32 usually; StorageDType is the stored integer
// type.
type QuantParams struct {
	Scheme       QuantScheme
	Axis         int       // the channel axis (PerChannel only; 0 for PerTensor)
	Scales       []float64 // one per channel, or one
	ZeroPoints   []int64   // one per channel, or one
	StorageDType tensor.DType
}

// Equal reports whether q and p are the same parameters (scales compared
// bit for bit). Two nil params are equal.
func (q *QuantParams) Equal(p *QuantParams) bool {
	if q == nil || p == nil {
		return q == p
	}
	if q.Scheme != p.Scheme || q.Axis != p.Axis || q.StorageDType != p.StorageDType ||
		len(q.Scales) != len(p.Scales) || !slices.Equal(q.ZeroPoints, p.ZeroPoints) {
		return false
	}
	for i := range q.Scales {
		if math.Float64bits(q.Scales[i]) != math.Float64bits(p.Scales[i]) {
			return false
		}
	}
	return true
}

func (q *QuantParams) clone() *QuantParams {
	if q == nil {
		return nil
	}
	c := *q
	c.Scales = slices.Clone(q.Scales)
	c.ZeroPoints = slices.Clone(q.ZeroPoints)
	return &c
}

// Type is the type of an IR value: a tensor (dtype, shape, optional
// quantization), a scalar (int, float, bool, str), none, or a list.
//
// For tensors a nil Shape means the rank is unknown ("float32[...]") and an
// empty non-nil Shape means rank 0 ("float32[]"); DType may be UnknownDType
// ("tensor[...]"). Types hold slices: compare them with Equal, not ==.
type Type struct {
	Kind  Kind
	DType tensor.DType // tensors: the element (or, quantized, real) dtype
	Shape []Dim        // tensors: the dims; nil: unknown rank
	Quant *QuantParams // tensors: non-nil for quantized tensors
	Elem  *Type        // lists: the element type
}

// IntType returns the type int.
func IntType() Type { return Type{Kind: KindInt} }

// FloatType returns the type float.
func FloatType() Type { return Type{Kind: KindFloat} }

// BoolType returns the type bool.
func BoolType() Type { return Type{Kind: KindBool} }

// StrType returns the type str.
func StrType() Type { return Type{Kind: KindString} }

// NoneType returns the type none.
func NoneType() Type { return Type{Kind: KindNone} }

// ListType returns the type list<elem>.
func ListType(elem Type) Type { e := elem.Clone(); return Type{Kind: KindList, Elem: &e} }

// TensorType returns the type of a tensor of dtype dt with the given dims
// (none: rank 0).
func TensorType(dt tensor.DType, dims ...Dim) Type {
	return Type{Kind: KindTensor, DType: dt, Shape: append([]Dim{}, dims...)}
}

// UnrankedTensorType returns the type of a tensor of dtype dt whose rank is
// unknown ("float32[...]"; dt may be UnknownDType: "tensor[...]").
func UnrankedTensorType(dt tensor.DType) Type { return Type{Kind: KindTensor, DType: dt} }

// TypeOf returns the concrete type of t: its dtype and fixed dims.
func TypeOf(t *tensor.Tensor) Type { return TensorType(t.DType(), Dims(t.Shape()...)...) }

// Rank returns the number of dims of a tensor type, or -1 when unknown.
func (t Type) Rank() int {
	if t.Shape == nil {
		return -1
	}
	return len(t.Shape)
}

// IsConcrete reports whether t is a tensor type with a known dtype and only
// fixed dims, or a scalar type.
func (t Type) IsConcrete() bool {
	switch t.Kind {
	case KindTensor:
		if t.DType == UnknownDType || t.Shape == nil {
			return false
		}
		for _, d := range t.Shape {
			if !d.IsFixed() {
				return false
			}
		}
		return true
	case KindList:
		return t.Elem != nil && t.Elem.IsConcrete()
	case KindInvalid:
		return false
	}
	return true
}

// Clone returns a deep copy of t.
func (t Type) Clone() Type {
	c := t
	if t.Shape != nil {
		c.Shape = slices.Clone(t.Shape)
	}
	c.Quant = t.Quant.clone()
	if t.Elem != nil {
		e := t.Elem.Clone()
		c.Elem = &e
	}
	return c
}

// Equal reports whether t and u are the same type (a nil and an empty shape
// differ: unknown rank versus rank 0).
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case KindTensor:
		return t.DType == u.DType && (t.Shape == nil) == (u.Shape == nil) &&
			slices.Equal(t.Shape, u.Shape) && t.Quant.Equal(u.Quant)
	case KindList:
		if t.Elem == nil || u.Elem == nil {
			return t.Elem == u.Elem
		}
		return t.Elem.Equal(*u.Elem)
	}
	return true
}

// AssignableTo reports whether a value of type t may flow where type u is
// declared: the same kind, and for tensors u is t or more general (u's dtype
// unknown or equal; u's rank unknown, or equal ranks with each of u's dims
// unknown or equal to t's), with equal quantization.
func (t Type) AssignableTo(u Type) bool {
	if t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case KindTensor:
		if u.DType != UnknownDType && u.DType != t.DType {
			return false
		}
		if !t.Quant.Equal(u.Quant) {
			return false
		}
		if u.Shape == nil {
			return true
		}
		if t.Shape == nil || len(t.Shape) != len(u.Shape) {
			return false
		}
		for i, d := range u.Shape {
			if !d.IsUnknown() && d != t.Shape[i] {
				return false
			}
		}
		return true
	case KindList:
		if t.Elem == nil || u.Elem == nil {
			return t.Elem == u.Elem
		}
		return t.Elem.AssignableTo(*u.Elem)
	}
	return true
}

// String returns the type's text form, e.g. "float32[N, 3, 224, 224]",
// "tensor[...]", "int", "list<int>",
// "float32[4] quant<uint8, per_tensor, scales=[0.1], zero_points=[128]>".
func (t Type) String() string {
	var sb strings.Builder
	writeType(&sb, t)
	return sb.String()
}

func writeType(sb *strings.Builder, t Type) {
	switch t.Kind {
	case KindTensor:
		if t.DType == UnknownDType {
			sb.WriteString("tensor")
		} else {
			sb.WriteString(t.DType.String())
		}
		sb.WriteByte('[')
		if t.Shape == nil {
			sb.WriteString("...")
		}
		for i, d := range t.Shape {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(d.String())
		}
		sb.WriteByte(']')
		if q := t.Quant; q != nil {
			sb.WriteString(" quant<")
			sb.WriteString(q.StorageDType.String())
			sb.WriteString(", ")
			sb.WriteString(q.Scheme.String())
			if q.Scheme != PerTensor || q.Axis != 0 {
				sb.WriteString(", axis=")
				sb.WriteString(strconv.Itoa(q.Axis))
			}
			sb.WriteString(", scales=")
			writeAttr(sb, q.Scales)
			sb.WriteString(", zero_points=")
			writeAttr(sb, q.ZeroPoints)
			sb.WriteByte('>')
		}
	case KindList:
		sb.WriteString("list<")
		if t.Elem == nil {
			sb.WriteString("invalid")
		} else {
			writeType(sb, *t.Elem)
		}
		sb.WriteByte('>')
	default:
		sb.WriteString(t.Kind.String())
	}
}

// ParseType parses a type in its text form, as Type.String prints it.
func ParseType(s string) (Type, error) {
	p := newParser(s)
	t, err := p.parseTypeOnly()
	if err != nil {
		return Type{}, err
	}
	return t, nil
}
