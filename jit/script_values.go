package jit

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"unsafe"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// The script compiler is a partial evaluator: every Go value of the
// compiled code is an sval, either static (known while compiling: the
// module's configuration, submodules, constants, and what is computed from
// them) or dynamic (an IR value computed when the graph runs: tensors, and
// ints, floats and bools read from them).
type svKind uint8

const (
	svStatic svKind = iota // c holds the value
	svDyn                  // v is the IR value
	svShape                // shape is a run-time view of a tensor's shape
	svFunc                 // fn is a function value (function literal, method expression, function)
	svPoison               // err: reading the value is an error (e.g. a variable set in one branch only)
)

type sval struct {
	kind  svKind
	c     any
	v     *ir.Value
	shape *shapeView
	fn    *funcRef
	err   error
}

// Static values are canonical: int64 for Go's integers, float64, bool,
// string, nil for every nil pointer, interface, map or func, *listVal for
// slices and arrays, *structVal for structs, and the Go pointer itself for
// pointers (modules, tensors, generators); opaque for anything else.
type opaque struct{ typ string }

func staticVal(c any) sval       { return sval{kind: svStatic, c: c} }
func dynVal(v *ir.Value) sval    { return sval{kind: svDyn, v: v} }
func poisonVal(err error) sval   { return sval{kind: svPoison, err: err} }
func funcVal(f *funcRef) sval    { return sval{kind: svFunc, fn: f} }
func shapeVal(s *shapeView) sval { return sval{kind: svShape, shape: s} }

// listVal is a Go slice or array. Its elements may be dynamic (a slice of
// tensors). Slices are references: an element assignment changes the list
// for every variable holding it, so it is only allowed in the block that
// made the list.
type listVal struct {
	elems []sval
	isNil bool
	blk   *ir.Block
}

// structVal is a Go struct value: a live struct read by reflection (rv),
// or fields (a composite literal, or a struct with assigned fields).
type structVal struct {
	rv     reflect.Value
	fields []sval
}

func (s *structVal) numField() int {
	if s.fields != nil {
		return len(s.fields)
	}
	return s.rv.NumField()
}

func (s *structVal) field(i int) sval {
	if s.fields != nil {
		return s.fields[i]
	}
	return fromGo(s.rv.Field(i))
}

// with returns a copy of s with field i set to v.
func (s *structVal) with(i int, v sval) *structVal {
	n := s.numField()
	out := &structVal{fields: make([]sval, n)}
	for j := 0; j < n; j++ {
		out.fields[j] = s.field(j)
	}
	out.fields[i] = v
	return out
}

// shapeView is x.Shape()[lo:hi] of a tensor whose rank is not known while
// compiling: its length and elements are computed when the graph runs.
type shapeView struct {
	t  *ir.Value
	lo sval  // int
	hi *sval // int; nil: the rank
}

// funcRef is a function value: a function literal (the argument of
// nn.CallHooks1), or a function or method expression.
type funcRef struct {
	lit *ast.FuncLit
	fc  *fnCtx
	fn  *types.Func
	// recv is the receiver of a method value (m.Forward).
	recv *sval
	// noop is the restore function of tensor.SetGradEnabled: calling it
	// does nothing.
	noop bool
	// methodExpr: a method expression (*tensor.Tensor).ReLU, whose first
	// argument is the receiver.
	methodExpr bool
}

// fromGo converts a live Go value, read by reflection, to a static value.
// Unexported fields read this way are only read.
func fromGo(v reflect.Value) sval {
	switch v.Kind() {
	case reflect.Invalid:
		return staticVal(nil)
	case reflect.Bool:
		return staticVal(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return staticVal(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return staticVal(int64(v.Uint()))
	case reflect.Float32, reflect.Float64:
		return staticVal(v.Float())
	case reflect.String:
		return staticVal(v.String())
	case reflect.Slice:
		if v.IsNil() {
			return staticVal(&listVal{isNil: true})
		}
		fallthrough
	case reflect.Array:
		l := &listVal{elems: make([]sval, v.Len())}
		for i := range l.elems {
			l.elems[i] = fromGo(v.Index(i))
		}
		return staticVal(l)
	case reflect.Pointer:
		if v.IsNil() {
			return staticVal(nil)
		}
		return staticVal(pointerOf(v))
	case reflect.Interface:
		if v.IsNil() {
			return staticVal(nil)
		}
		return fromGo(v.Elem())
	case reflect.Struct:
		return staticVal(&structVal{rv: v})
	case reflect.Map, reflect.Func, reflect.Chan:
		if v.IsNil() {
			return staticVal(nil)
		}
	}
	return staticVal(opaque{v.Type().String()})
}

// pointerOf returns the pointer v holds as an interface value, also when v
// was read from an unexported field.
func pointerOf(v reflect.Value) any {
	return reflect.NewAt(v.Type().Elem(), v.UnsafePointer()).Interface()
}

// addrOf returns a pointer to the addressable value v (a field reached
// through a pointer), also for unexported fields.
func addrOf(v reflect.Value) any {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Interface()
}

// fromConstant converts a constant of go/types to a static value.
func fromConstant(v constant.Value, t types.Type) sval {
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsBoolean != 0:
			return staticVal(constant.BoolVal(v))
		case b.Info()&types.IsString != 0:
			return staticVal(constant.StringVal(v))
		case b.Info()&types.IsInteger != 0:
			i, _ := constant.Int64Val(constant.ToInt(v))
			return staticVal(i)
		case b.Info()&types.IsFloat != 0:
			f, _ := constant.Float64Val(constant.ToFloat(v))
			if b.Kind() == types.Float32 {
				f = float64(float32(f))
			}
			return staticVal(f)
		}
	}
	switch v.Kind() {
	case constant.Bool:
		return staticVal(constant.BoolVal(v))
	case constant.String:
		return staticVal(constant.StringVal(v))
	case constant.Int:
		i, _ := constant.Int64Val(v)
		return staticVal(i)
	case constant.Float:
		f, _ := constant.Float64Val(v)
		return staticVal(f)
	}
	return staticVal(opaque{v.String()})
}

// zeroOf returns the zero value of a Go type.
func zeroOf(t types.Type) sval {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return staticVal(false)
		case u.Info()&types.IsString != 0:
			return staticVal("")
		case u.Info()&types.IsInteger != 0:
			return staticVal(int64(0))
		case u.Info()&types.IsFloat != 0:
			return staticVal(0.0)
		}
		return staticVal(nil)
	case *types.Slice:
		return staticVal(&listVal{isNil: true})
	case *types.Array:
		l := &listVal{elems: make([]sval, u.Len())}
		for i := range l.elems {
			l.elems[i] = zeroOf(u.Elem())
		}
		return staticVal(l)
	case *types.Struct:
		s := &structVal{fields: make([]sval, u.NumFields())}
		for i := range s.fields {
			s.fields[i] = zeroOf(u.Field(i).Type())
		}
		return staticVal(s)
	}
	return staticVal(nil)
}

// isNilStatic reports whether sv is a static nil (pointer, slice, ...).
func isNilStatic(sv sval) bool {
	if sv.kind != svStatic {
		return false
	}
	if sv.c == nil {
		return true
	}
	if l, ok := sv.c.(*listVal); ok {
		return l.isNil
	}
	return false
}

// sameVal reports whether two values are certainly the same.
func sameVal(a, b sval) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case svDyn:
		return a.v == b.v
	case svStatic:
		return staticEqual(a.c, b.c)
	case svShape:
		return a.shape == b.shape
	case svFunc:
		return a.fn == b.fn
	}
	return false
}

func staticEqual(a, b any) bool {
	switch x := a.(type) {
	case *listVal:
		y, ok := b.(*listVal)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if x.isNil != y.isNil || len(x.elems) != len(y.elems) {
			return false
		}
		for i := range x.elems {
			if !sameVal(x.elems[i], y.elems[i]) {
				return false
			}
		}
		return true
	case *structVal:
		y, ok := b.(*structVal)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if x.numField() != y.numField() {
			return false
		}
		for i := 0; i < x.numField(); i++ {
			if !sameVal(x.field(i), y.field(i)) {
				return false
			}
		}
		return true
	}
	return a == b
}

// describe names the kind of a value for error messages.
func describe(sv sval) string {
	switch sv.kind {
	case svDyn:
		return "a " + sv.v.Type.String() + " graph value"
	case svShape:
		return "a tensor shape"
	case svFunc:
		return "a function"
	case svPoison:
		return "an invalid value"
	}
	switch x := sv.c.(type) {
	case nil:
		return "nil"
	case int64:
		return fmt.Sprintf("the constant int %d", x)
	case float64:
		return fmt.Sprintf("the constant float %g", x)
	case bool:
		return fmt.Sprintf("the constant %v", x)
	case string:
		return fmt.Sprintf("the constant string %q", x)
	case *listVal:
		return "a Go slice"
	case *structVal:
		return "a Go struct"
	case *tensor.Tensor:
		return "a tensor field"
	case opaque:
		return "a " + x.typ
	}
	return fmt.Sprintf("a %T", sv.c)
}

// goArg converts a static value to a Go value of type rt, for calling a Go
// function while compiling.
func goArg(sv sval, rt reflect.Type) (reflect.Value, bool) {
	if sv.kind != svStatic {
		return reflect.Value{}, false
	}
	switch x := sv.c.(type) {
	case nil:
		switch rt.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
			return reflect.Zero(rt), true
		}
		return reflect.Value{}, false
	case *listVal:
		if rt.Kind() == reflect.Interface {
			var elem reflect.Type
			for _, e := range x.elems {
				if e.kind != svStatic {
					return reflect.Value{}, false
				}
				t := reflect.TypeOf(e.c)
				if elem == nil {
					elem = t
				} else if elem != t {
					elem = reflect.TypeOf((*any)(nil)).Elem()
				}
			}
			if elem == nil {
				elem = reflect.TypeOf(int64(0))
			}
			rt = reflect.SliceOf(elem)
		}
		if rt.Kind() != reflect.Slice && rt.Kind() != reflect.Array {
			return reflect.Value{}, false
		}
		var out reflect.Value
		if rt.Kind() == reflect.Slice {
			if x.isNil {
				return reflect.Zero(rt), true
			}
			out = reflect.MakeSlice(rt, len(x.elems), len(x.elems))
		} else {
			if rt.Len() != len(x.elems) {
				return reflect.Value{}, false
			}
			out = reflect.New(rt).Elem()
		}
		for i, e := range x.elems {
			ev, ok := goArg(e, rt.Elem())
			if !ok {
				return reflect.Value{}, false
			}
			out.Index(i).Set(ev)
		}
		return out, true
	case *structVal:
		if x.fields == nil && x.rv.Type().AssignableTo(rt) {
			src := x.rv
			if !src.CanInterface() {
				if !src.CanAddr() {
					return reflect.Value{}, false
				}
				src = reflect.NewAt(src.Type(), unsafe.Pointer(src.UnsafeAddr())).Elem()
			}
			out := reflect.New(src.Type()).Elem()
			out.Set(src)
			return out, true
		}
		return reflect.Value{}, false
	}
	v := reflect.ValueOf(sv.c)
	if rt.Kind() == reflect.Interface {
		if v.Type().Implements(rt) {
			return v, true
		}
		return reflect.Value{}, false
	}
	if v.Type().AssignableTo(rt) {
		return v, true
	}
	if v.Type().ConvertibleTo(rt) && v.Kind() != reflect.Pointer {
		return v.Convert(rt), true
	}
	return reflect.Value{}, false
}
