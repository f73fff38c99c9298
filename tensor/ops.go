package tensor

//go:generate go run ./internal/opgen

import (
	"fmt"
	"slices"
	"strings"
)

// AttrKind is the type of an op attribute.
type AttrKind int

// The attribute kinds and the Go type of their values in Attrs.
const (
	AttrInt    AttrKind = iota // int64 (from a Go int or int64 argument)
	AttrFloat                  // float64
	AttrBool                   // bool
	AttrString                 // string
	AttrInts                   // []int64, or nil (from a []int or ...int argument)
	AttrFloats                 // []float64, or nil
	AttrDType                  // DType
)

var attrKindNames = [...]string{"int", "float", "bool", "string", "ints", "floats", "dtype"}

// String returns the kind's name: "int", "float", "bool", "string", "ints",
// "floats" or "dtype".
func (k AttrKind) String() string {
	if k < 0 || int(k) >= len(attrKindNames) {
		return fmt.Sprintf("AttrKind(%d)", int(k))
	}
	return attrKindNames[k]
}

// AttrDef names one attribute of an op and gives its kind.
type AttrDef struct {
	Name string
	Kind AttrKind
}

// Attrs holds an op's non-tensor arguments by name. Values are int64,
// float64, bool, string, []int64, []float64 or DType, as the attribute's
// AttrKind says; a nil []int or []float64 argument is the value nil.
type Attrs map[string]any

// OpDef describes one op of the op table, which LookupOp and Ops give.
//
// Ember has one op vocabulary, and it is this package's exported API: every
// exported function or method that computes tensors (math, views, creation
// such as Zeros or Arange, Detach, Contiguous, Clone, To, in-place ops
// ending in _, random ops drawing from the default generator) is an op,
// named by the snake_case of its Go name (Conv2d is "conv2d",
// Tensor.AddScalar is "add_scalar", Tensor.ReLU_ is "relu_"). The table is
// generated from this package's source by internal/opgen (go generate), so
// no op is forgotten; eager code, the tracer (see Tracer), the IR executor
// and the exporter all use it.
//
// Not ops, each for a reason kept in the generator's exclusion list:
// FromSlice (its result enters a trace as a constant); accessors (Shape,
// Size, Dim, DType, Strides, Numel, Item, Data, ...; those that read
// values or shapes report a Read to the tracer); autograd control
// (Backward, SetRequiresGrad, RegisterHook, ...); the methods of Generator
// (a tensor drawn from an explicit generator enters a trace as a constant;
// the package-level Rand, Randn, ... draw from the default generator and
// are ops); process-wide settings (SetDefaultDType, ...); and the function
// MatMul, an alias of the op Tensor.MatMul. Dropout and Dropout2d take a
// *Generator: their generator is not an attribute, and their Run draws
// from the default generator.
//
// OpDefs are shared: do not modify one.
type OpDef struct {
	// Name is the op's name, the snake_case of its Go name: "conv2d".
	Name string
	// Version is the op's version, raised when its semantics change.
	Version int
	// GoName is the Go function ("Conv2d") or method ("Tensor.ReLU")
	// that computes the op.
	GoName string
	// Inputs are the names of the tensor parameters in order ("self" for
	// the receiver of a method). A name ending in "..." is a list
	// ([]*Tensor) that takes all remaining inputs; it is always the last.
	// A tensor parameter that may be nil (a bias) is passed and reported
	// as nil.
	Inputs []string
	// Attrs are the non-tensor arguments in order. An option struct
	// (Conv2dOptions, ...) gives one attribute per exported field, named by
	// the field's snake_case (Stride is "stride"); a variadic shape
	// (Zeros(shape ...int)) is one AttrInts attribute.
	Attrs []AttrDef
	// Outputs is the number of result tensors, or -1 for an op that
	// returns a list ([]*Tensor).
	Outputs int
	// InPlace reports that the op writes its first input (its name ends
	// in _) and returns it.
	InPlace bool
	// Run calls the op's Go function with the tensors in (in the order of
	// Inputs, a list input taking the rest) and the attributes a, and
	// returns its results. It panics, naming the op, when in or a do not
	// fit the op's signature, and as the op itself does on bad input.
	Run func(in []*Tensor, a Attrs) []*Tensor
}

// opByName indexes opTable (generated, sorted by name).
var opByName = func() map[string]*OpDef {
	m := make(map[string]*OpDef, len(opTable))
	for _, d := range opTable {
		m[d.Name] = d
	}
	return m
}()

// LookupOp returns the op named name ("conv2d", "add_scalar", ...).
func LookupOp(name string) (*OpDef, bool) {
	d, ok := opByName[name]
	return d, ok
}

// Ops returns every op, sorted by name.
func Ops() []*OpDef { return slices.Clone(opTable) }

// String returns the op's signature, as
// "conv2d(x, w, b; stride ints, padding ints, ...) -> 1".
func (d *OpDef) String() string {
	var b strings.Builder
	b.WriteString(d.Name)
	b.WriteByte('(')
	b.WriteString(strings.Join(d.Inputs, ", "))
	for i, a := range d.Attrs {
		if i == 0 && len(d.Inputs) > 0 {
			b.WriteString("; ")
		} else if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name + " " + a.Kind.String())
	}
	fmt.Fprintf(&b, ") -> %d", d.Outputs)
	return b.String()
}

// checkRun panics unless in and a fit d: the number of inputs (at least
// the fixed ones when the last is a list) and exactly d's attributes, each
// of its kind's Go type.
func checkRun(d *OpDef, in []*Tensor, a Attrs) {
	n := len(d.Inputs)
	if n > 0 && strings.HasSuffix(d.Inputs[n-1], "...") {
		if len(in) < n-1 {
			panicf(d.Name, "Run: %d inputs, want at least %d (%s)", len(in), n-1, strings.Join(d.Inputs, ", "))
		}
	} else if len(in) != n {
		panicf(d.Name, "Run: %d inputs, want %d (%s)", len(in), n, strings.Join(d.Inputs, ", "))
	}
	for _, ad := range d.Attrs {
		v, ok := a[ad.Name]
		if !ok {
			panicf(d.Name, "Run: missing attribute %q (%v)", ad.Name, ad.Kind)
		}
		if !attrFits(ad.Kind, v) {
			panicf(d.Name, "Run: attribute %q is %T, want %v", ad.Name, v, ad.Kind)
		}
	}
	if len(a) != len(d.Attrs) {
		for k := range a {
			if !slices.ContainsFunc(d.Attrs, func(ad AttrDef) bool { return ad.Name == k }) {
				panicf(d.Name, "Run: unknown attribute %q", k)
			}
		}
	}
}

// attrFits reports whether v is a value of kind k.
func attrFits(k AttrKind, v any) bool {
	switch v.(type) {
	case int64:
		return k == AttrInt
	case float64:
		return k == AttrFloat
	case bool:
		return k == AttrBool
	case string:
		return k == AttrString
	case []int64:
		return k == AttrInts
	case []float64:
		return k == AttrFloats
	case DType:
		return k == AttrDType
	case nil:
		return k == AttrInts || k == AttrFloats
	}
	return false
}

// The helpers below convert between Go arguments and attribute values for
// the generated code; Run has checked the types with checkRun.

func intsAttr(v []int) any {
	if v == nil {
		return nil
	}
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func floatsAttr(v []float64) any {
	if v == nil {
		return nil
	}
	return slices.Clone(v)
}

func (a Attrs) int(name string) int       { return int(a[name].(int64)) }
func (a Attrs) int64(name string) int64   { return a[name].(int64) }
func (a Attrs) float(name string) float64 { return a[name].(float64) }
func (a Attrs) bool(name string) bool     { return a[name].(bool) }
func (a Attrs) string(name string) string { return a[name].(string) }
func (a Attrs) dtype(name string) DType   { return a[name].(DType) }

func (a Attrs) ints(name string) []int {
	v, _ := a[name].([]int64)
	if v == nil {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func (a Attrs) floats(name string) []float64 {
	v, _ := a[name].([]float64)
	return slices.Clone(v)
}
