package format

import (
	"fmt"
	"math"
)

// FormatVersion is the version of the file format this package writes and
// the newest it reads. Encode writes it into a Model whose FormatVersion is
// zero; Decode refuses files of a newer version.
const FormatVersion = 1

// Identifier is the FlatBuffers file identifier of a .ember file: bytes 4
// to 8 of the file.
const Identifier = "EMBR"

// SegmentAlign is the alignment, in bytes from the start of the file, of
// every constant segment. Encode also starts each constant's data at a
// multiple of it within its segment.
const SegmentAlign = 64

// Limits on what a file may declare, so that a hostile file cannot make a
// reader allocate or loop without bound. Decode and Encode refuse files
// beyond them.
const (
	// MaxRank is the largest number of dimensions of a tensor.
	MaxRank = 16
	// MaxElements is the largest number of elements of a tensor.
	MaxElements = 1 << 40
	// MaxArenaSize is the largest arena a method may declare, in bytes.
	MaxArenaSize = 1 << 46
)

// DType is the element type of a tensor. Its values are those of the
// schema's DType enum (fb.DType).
type DType uint8

// The element types, as in the schema.
const (
	Float32 DType = iota
	Float64
	Float16
	Int64
	Int32
	Int8
	UInt8
	Bool
	numDTypes
)

var dtypeNames = [...]string{"float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"}
var dtypeSizes = [...]int{4, 8, 2, 8, 4, 1, 1, 1}

// String returns the dtype's name as package tensor spells it ("float32",
// "int64", ...).
func (d DType) String() string {
	if d < numDTypes {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Size returns the size of one element in bytes (0 for an unknown dtype).
// Bool elements are one byte, 0 or 1.
func (d DType) Size() int {
	if d < numDTypes {
		return dtypeSizes[d]
	}
	return 0
}

// Valid reports whether d is a dtype of the schema.
func (d DType) Valid() bool { return d < numDTypes }

// ParseDType returns the dtype named name (as String spells it).
func ParseDType(name string) (DType, bool) {
	for i, n := range dtypeNames {
		if n == name {
			return DType(i), true
		}
	}
	return 0, false
}

// QuantScheme says how a quantized tensor's scales and zero points apply.
type QuantScheme uint8

// The quantization schemes, as in the schema.
const (
	QuantNone QuantScheme = iota
	QuantPerTensor
	QuantPerChannel
)

// Quant holds the quantization parameters of an int8 or uint8 tensor:
// real = scale * (q - zero_point), one scale for the whole tensor
// (QuantPerTensor) or one per index along Axis (QuantPerChannel).
// ZeroPoints may be empty (all zero) or have one entry per scale.
type Quant struct {
	Scheme     QuantScheme
	Axis       int
	Scales     []float32
	ZeroPoints []int64
}

// SparseFormat is the layout of a sparse constant.
type SparseFormat uint8

// The sparse formats, as in the schema.
const (
	SparseDense SparseFormat = iota
	SparseCSR
	SparseBlockCSR
)

// Sparse describes a sparse constant: its Data are the stored values, and
// the row pointers and column indices are other constants (indices into
// Model.Constants, -1 for none). Block is the block shape of BlockCSR.
type Sparse struct {
	Format  SparseFormat
	Block   []int
	Indptr  int
	Indices int
}

// Packing says how a constant's data is laid out.
type Packing uint8

// The packings, as in the schema.
const (
	// PackNone is row-major dense data.
	PackNone Packing = iota
	// PackGemmB is a [K, N] float32 GEMM operand packed by accel/cpu.PackB
	// for the micro-kernel named in Constant.PackedKernel.
	PackGemmB
)

// Constant is a constant tensor: weights, folded values, bundled test data.
type Constant struct {
	Name  string
	DType DType
	// Shape is the tensor's shape as the ops see it (for a packed linear
	// weight, [out, in]).
	Shape []int
	// Data holds the elements, little-endian, row-major (or packed). Its
	// length must be the element count times the dtype's size, except for
	// a packed constant. Decode returns sub-slices of the file (no copy).
	Data   []byte
	Quant  *Quant
	Sparse *Sparse
	// Packing, PackedShape and PackedKernel describe packed data: the
	// [K, N] shape of the packed GEMM operand and the accel/cpu
	// micro-kernel whose layout it has.
	Packing      Packing
	PackedShape  []int
	PackedKernel string
}

// AttrKind is the type of an attribute's value.
type AttrKind uint8

// The attribute kinds, as in the schema.
const (
	AttrInt AttrKind = iota
	AttrFloat
	AttrBool
	AttrString
	AttrInts
	AttrFloats
	AttrDType
	AttrNone
	numAttrKinds
)

var attrKindNames = [...]string{"int", "float", "bool", "string", "ints", "floats", "dtype", "none"}

// String returns the kind's name ("int", "floats", ...).
func (k AttrKind) String() string {
	if k < numAttrKinds {
		return attrKindNames[k]
	}
	return fmt.Sprintf("AttrKind(%d)", int(k))
}

// Attr is one attribute of an instruction. Which field holds the value
// depends on Kind: Int for AttrInt, AttrBool (0 or 1) and AttrDType (a
// DType), Float for AttrFloat, Str for AttrString, Ints and Floats for the
// list kinds; AttrNone has no value (PyTorch's None).
type Attr struct {
	Name   string
	Kind   AttrKind
	Int    int64
	Float  float64
	Str    string
	Ints   []int64
	Floats []float64
}

// IntAttr returns the int attribute name = v.
func IntAttr(name string, v int64) Attr { return Attr{Name: name, Kind: AttrInt, Int: v} }

// FloatAttr returns the float attribute name = v.
func FloatAttr(name string, v float64) Attr { return Attr{Name: name, Kind: AttrFloat, Float: v} }

// BoolAttr returns the bool attribute name = v.
func BoolAttr(name string, v bool) Attr {
	a := Attr{Name: name, Kind: AttrBool}
	if v {
		a.Int = 1
	}
	return a
}

// StringAttr returns the string attribute name = v.
func StringAttr(name, v string) Attr { return Attr{Name: name, Kind: AttrString, Str: v} }

// IntsAttr returns the int-list attribute name = v.
func IntsAttr(name string, v ...int64) Attr { return Attr{Name: name, Kind: AttrInts, Ints: v} }

// FloatsAttr returns the float-list attribute name = v.
func FloatsAttr(name string, v ...float64) Attr {
	return Attr{Name: name, Kind: AttrFloats, Floats: v}
}

// DTypeAttr returns the dtype attribute name = v.
func DTypeAttr(name string, v DType) Attr { return Attr{Name: name, Kind: AttrDType, Int: int64(v)} }

// NoneAttr returns the attribute name = None.
func NoneAttr(name string) Attr { return Attr{Name: name, Kind: AttrNone} }

// Bool returns the value of a bool attribute.
func (a *Attr) Bool() bool { return a.Int != 0 }

// OpCode is an op of the vocabulary a file uses, with the version of the op
// it was written for.
type OpCode struct {
	Name    string
	Version int
}

// InstrKind is the kind of an instruction.
type InstrKind uint8

// The instruction kinds, as in the schema.
const (
	// InstrOp runs OpCodes[Op] on Inputs, writing Outputs.
	InstrOp InstrKind = iota
	// InstrJump continues at instruction Target.
	InstrJump
	// InstrJumpIfFalse continues at Target when the bool scalar Inputs[0]
	// is false, and at the next instruction otherwise.
	InstrJumpIfFalse
	// InstrMove copies Inputs[i] into Outputs[i] for every i, as one
	// parallel assignment (loop-carried values).
	InstrMove
	// InstrRaise fails the run with the message of the string attribute
	// "msg".
	InstrRaise
	numInstrKinds
)

var instrKindNames = [...]string{"op", "jump", "jump_if_false", "move", "raise"}

// String returns the kind's name ("op", "jump", ...).
func (k InstrKind) String() string {
	if k < numInstrKinds {
		return instrKindNames[k]
	}
	return fmt.Sprintf("InstrKind(%d)", int(k))
}

// Instruction is one step of a method. Inputs and Outputs are indices into
// the method's Values; an op's input may also be NoValue, an absent
// optional tensor (a nil bias). A jump's Target is an instruction index;
// the instruction count itself is the end of the method.
type Instruction struct {
	Kind    InstrKind
	Op      int
	Inputs  []int
	Outputs []int
	Attrs   []Attr
	Target  int
	// Pos is the source position of the op in the model's Go code, for
	// error messages.
	Pos string
}

// Attr returns the attribute named name, or nil.
func (in *Instruction) Attr(name string) *Attr {
	for i := range in.Attrs {
		if in.Attrs[i].Name == name {
			return &in.Attrs[i]
		}
	}
	return nil
}

// NoValue is the input index of an absent optional tensor of an op (Go's
// nil: a convolution without bias).
const NoValue = -1

// NoConstant is the Value.Constant of a value that lives in the arena, and
// the Value.ArenaOffset of a constant value.
const NoConstant = -1

// Value is one tensor of a method (scalars are 0-d tensors): either a
// constant (Constant is an index into Model.Constants, ArenaOffset is -1)
// or a tensor in the method's arena at byte ArenaOffset (Constant is -1).
// ArenaValue and ConstantValue build the two kinds. A constant value's
// dtype and shape are those of its constant.
type Value struct {
	Name        string
	DType       DType
	Shape       []int
	Constant    int
	ArenaOffset int64
	Quant       *Quant
}

// ArenaValue returns a value that lives in the arena at byte offset off.
func ArenaValue(name string, dt DType, shape []int, off int64) Value {
	return Value{Name: name, DType: dt, Shape: shape, Constant: NoConstant, ArenaOffset: off}
}

// ConstantValue returns a value that reads constant c of m (an index into
// m.Constants), with the constant's dtype and shape.
func ConstantValue(m *Model, c int) Value {
	k := &m.Constants[c]
	return Value{Name: k.Name, DType: k.DType, Shape: k.Shape, Constant: c, ArenaOffset: NoConstant}
}

// IsConstant reports whether v reads a constant.
func (v *Value) IsConstant() bool { return v.Constant >= 0 }

// Bytes returns the size of v's data: its element count times its dtype's
// size.
func (v *Value) Bytes() int64 { return int64(Numel(v.Shape)) * int64(v.DType.Size()) }

// Method is a named entry point of a model: its values, which of them are
// the inputs and outputs, and its instructions. Every arena value lies in
// [0, ArenaSize).
type Method struct {
	Name         string
	Values       []Value
	Inputs       []int
	Outputs      []int
	Instructions []Instruction
	ArenaSize    int64
}

// Metadata describes a model for people and for preprocessing: an input
// image is normalised as (x - Mean[c]) / Std[c] per channel.
type Metadata struct {
	Name        string
	Description string
	Author      string
	License     string
	Labels      []string
	Mean        []float32
	Std         []float32
	Producer    string
}

// ExtraFile is a named blob carried by the model (a vocabulary, a config).
type ExtraFile struct {
	Key  string
	Data []byte
}

// TestCase is a bundled self-check: running Method on the Inputs constants
// must give the Expected constants within Tolerance (absolute, per
// element; 0 means exactly).
type TestCase struct {
	Method    string
	Inputs    []int
	Expected  []int
	Tolerance float32
}

// Model is the content of a .ember file. Encode writes it; Decode reads it
// back (as a File).
type Model struct {
	// FormatVersion is the file format version (zero: FormatVersion).
	FormatVersion int
	// MinRuntimeVersion is the oldest lite runtime version that can run the
	// model (zero: any).
	MinRuntimeVersion int
	OpCodes           []OpCode
	Constants         []Constant
	Methods           []Method
	Metadata          *Metadata
	ExtraFiles        []ExtraFile
	Tests             []TestCase
}

// OpCode returns the index of the op name in m.OpCodes, appending it at
// version when absent (and raising its version to version when it was
// listed with an older one): the way an exporter numbers its ops.
func (m *Model) OpCode(name string, version int) int {
	for i, o := range m.OpCodes {
		if o.Name == name {
			m.OpCodes[i].Version = max(o.Version, version)
			return i
		}
	}
	m.OpCodes = append(m.OpCodes, OpCode{Name: name, Version: version})
	return len(m.OpCodes) - 1
}

// AddConstant appends c to m.Constants and returns its index.
func (m *Model) AddConstant(c Constant) int {
	m.Constants = append(m.Constants, c)
	return len(m.Constants) - 1
}

// Method returns the method named name, or nil.
func (m *Model) Method(name string) *Method {
	for i := range m.Methods {
		if m.Methods[i].Name == name {
			return &m.Methods[i]
		}
	}
	return nil
}

// Numel returns the number of elements of a tensor of the given shape (1
// for a 0-d tensor). The shape must have been checked (see CheckShape).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// CheckShape returns the element count of shape, or an error when a
// dimension is negative, the rank exceeds MaxRank or the count exceeds
// MaxElements.
func CheckShape(shape []int) (int, error) {
	if len(shape) > MaxRank {
		return 0, fmt.Errorf("rank %d exceeds %d", len(shape), MaxRank)
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d > MaxElements {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, int64(MaxElements))
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, int64(MaxElements))
		}
		n *= d
	}
	return n, nil
}

// Float32Bytes returns the little-endian bytes of v, for Constant.Data.
func Float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := math.Float32bits(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}

// Int64Bytes returns the little-endian bytes of v, for Constant.Data.
func Int64Bytes(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		u := uint64(x)
		for j := range 8 {
			b[8*i+j] = byte(u >> (8 * j))
		}
	}
	return b
}

// Float64Bytes returns the little-endian bytes of v, for Constant.Data.
func Float64Bytes(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		u := math.Float64bits(x)
		for j := range 8 {
			b[8*i+j] = byte(u >> (8 * j))
		}
	}
	return b
}

// BoolBytes returns v as bytes 0 and 1, for Constant.Data.
func BoolBytes(v []bool) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		if x {
			b[i] = 1
		}
	}
	return b
}
