package nn

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unsafe"

	"github.com/emberml/ember/tensor"
)

// Module is a layer or a network: any struct embedding [Base]. The package
// functions (Parameters, StateDict, Train, ...) walk its fields.
type Module interface {
	base() *Base
}

// Forwarder is a module with one input tensor and one output tensor, the
// kind Sequential chains.
type Forwarder interface {
	Module
	Forward(x *tensor.Tensor) *tensor.Tensor
}

// Base holds what every module has: its training flag and its forward hooks.
// Embed it (not a pointer to it) in a struct to make the struct a Module.
// The zero value is a module in training mode, as PyTorch's modules start.
type Base struct {
	eval     bool
	preHooks []hookEntry[ForwardPreHook]
	hooks    []hookEntry[ForwardHook]
	nextHook int
}

func (b *Base) base() *Base { return b }

// Training reports whether the module is in training mode (see [Train] and
// [Eval]).
func (b *Base) Training() bool { return !b.eval }

// NamedTensor is a parameter or buffer with its dotted name.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// NamedModule is a module with its dotted name ("" for the root).
type NamedModule struct {
	Name   string
	Module Module
}

// Container is a module that lists its children itself, in order, instead of
// through its fields: Sequential, ModuleList and ModuleDict are containers.
// Its tensors still come from its fields.
type Container interface {
	Module
	NamedChildren() []NamedModule
}

// member kinds.
const (
	kindParam = iota
	kindBuffer
	kindNonPersistent
)

type tensorMember struct {
	name string
	kind int
	ptr  *(*tensor.Tensor) // the field, so To can replace it
	// inMap marks a tensor held in a map: ptr points to a copy.
	inMap bool
}

type fieldPlan struct {
	index []int
	name  string
	kind  int
	typ   reflect.Type
}

var plans sync.Map // reflect.Type -> []fieldPlan

var (
	tensorPtrType = reflect.TypeOf((*tensor.Tensor)(nil))
	moduleType    = reflect.TypeOf((*Module)(nil)).Elem()
	baseType      = reflect.TypeOf(Base{})
)

// SnakeCase converts a Go field name to the snake_case name PyTorch code
// would use: Conv1 → conv1, RunningMean → running_mean, BN1 → bn1,
// InProjWeight → in_proj_weight.
func SnakeCase(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := rs[i-1]
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func planFor(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var out []fieldPlan
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(slices.Clone(prefix), i)
			if f.Type == baseType {
				continue
			}
			tag, hasTag := f.Tag.Lookup("nn")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			kind := kindParam
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "buffer":
					kind = kindBuffer
				case "nonpersistent":
					kind = kindNonPersistent
				}
			}
			if name == "buffer" || name == "nonpersistent" {
				// `nn:"buffer"` names the kind, not the field.
				if name == "buffer" {
					kind = kindBuffer
				} else {
					kind = kindNonPersistent
				}
				name = ""
			}
			if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(moduleType) {
				walk(f.Type, idx)
				continue
			}
			if name == "" {
				name = SnakeCase(f.Name)
			}
			if !relevantType(f.Type) {
				continue
			}
			out = append(out, fieldPlan{index: idx, name: name, kind: kind, typ: f.Type})
		}
	}
	walk(t, nil)
	plans.Store(t, out)
	return out
}

// relevantType reports whether a field of type t can hold tensors or modules.
func relevantType(t reflect.Type) bool {
	switch {
	case t == tensorPtrType, t.Implements(moduleType):
		return true
	case t.Kind() == reflect.Interface:
		return moduleType.Implements(t) || t.NumMethod() == 0
	case t.Kind() == reflect.Slice, t.Kind() == reflect.Array:
		return relevantType(t.Elem())
	case t.Kind() == reflect.Map:
		return t.Key().Kind() == reflect.String && relevantType(t.Elem())
	}
	return false
}

// accessible returns a settable view of field v, exported or not.
func accessible(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// members lists the tensors and children of m directly held in its fields,
// in field order.
func members(m Module) (ts []tensorMember, children []NamedModule) {
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("nn: a Module must be a non-nil pointer to a struct embedding nn.Base, got %T", m))
	}
	s := v.Elem()
	container, isContainer := m.(Container)
	for _, p := range planFor(s.Type()) {
		f := accessible(s.FieldByIndex(p.index))
		collect(f, p.name, p.kind, !isContainer, &ts, &children)
	}
	if isContainer {
		children = container.NamedChildren()
	}
	if l, ok := m.(tensorLister); ok {
		ts = append(ts, l.listTensors()...)
	}
	return ts, children
}

// tensorLister is a module whose parameters are not all fixed fields: it
// lists the others itself, after its field tensors, e.g. the recurrent
// layers, whose weight_ih_l0, weight_hh_l0, ... depend on their number of
// layers and directions. Each member's ptr must point to where the module
// keeps the tensor, so that To can replace it.
type tensorLister interface {
	listTensors() []tensorMember
}

func collect(f reflect.Value, name string, kind int, wantChildren bool, ts *[]tensorMember, children *[]NamedModule) {
	switch {
	case f.Type() == tensorPtrType:
		if !f.IsNil() {
			*ts = append(*ts, tensorMember{name: name, kind: kind, ptr: (**tensor.Tensor)(unsafe.Pointer(f.UnsafeAddr()))})
		}
	case f.Kind() == reflect.Interface:
		if f.IsNil() {
			return
		}
		e := f.Elem()
		if mod, ok := e.Interface().(Module); ok && wantChildren && !isNilModule(e) {
			*children = append(*children, NamedModule{name, mod})
		}
	case f.Type().Implements(moduleType):
		if wantChildren && !(f.Kind() == reflect.Pointer && f.IsNil()) {
			*children = append(*children, NamedModule{name, f.Interface().(Module)})
		}
	case f.Kind() == reflect.Slice || f.Kind() == reflect.Array:
		for i := 0; i < f.Len(); i++ {
			collect(accessible(f.Index(i)), name+"."+strconv.Itoa(i), kind, wantChildren, ts, children)
		}
	case f.Kind() == reflect.Map:
		keys := f.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			e := f.MapIndex(k)
			if e.Type() == tensorPtrType {
				// Map elements are not addressable: keep a copy of the pointer.
				t := e.Interface().(*tensor.Tensor)
				if t != nil {
					*ts = append(*ts, tensorMember{name: name + "." + k.String(), kind: kind, ptr: &t, inMap: true})
				}
				continue
			}
			if mod, ok := e.Interface().(Module); ok && wantChildren && !isNilModule(e) {
				*children = append(*children, NamedModule{name + "." + k.String(), mod})
			}
		}
	}
}

func isNilModule(v reflect.Value) bool {
	for v.Kind() == reflect.Interface {
		if v.IsNil() {
			return true
		}
		v = v.Elem()
	}
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// NamedChildren returns the immediate submodules of m with their names.
func NamedChildren(m Module) []NamedModule {
	_, c := members(m)
	return c
}

// Children returns the immediate submodules of m.
func Children(m Module) []Module {
	var out []Module
	for _, c := range NamedChildren(m) {
		out = append(out, c.Module)
	}
	return out
}

// NamedModules returns m (named "") and every module below it, depth first
// in field order, each once.
func NamedModules(m Module) []NamedModule {
	var out []NamedModule
	seen := map[Module]bool{}
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		if seen[m] {
			return
		}
		seen[m] = true
		out = append(out, NamedModule{prefix, m})
		for _, c := range NamedChildren(m) {
			walk(join(prefix, c.Name), c.Module)
		}
	}
	walk("", m)
	return out
}

// Modules returns m and every module below it (see [NamedModules]).
func Modules(m Module) []Module {
	var out []Module
	for _, c := range NamedModules(m) {
		out = append(out, c.Module)
	}
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// walkTensors visits every tensor member in the tree with its full name,
// each tensor once (the first name wins, as PyTorch's named_parameters
// removes duplicates).
func walkTensors(m Module, fn func(name string, tm tensorMember)) {
	seen := map[*tensor.Tensor]bool{}
	for _, nm := range NamedModules(m) {
		ts, _ := members(nm.Module)
		for _, tm := range ts {
			t := *tm.ptr
			if seen[t] {
				continue
			}
			seen[t] = true
			fn(join(nm.Name, tm.name), tm)
		}
	}
}

// walkAllTensors visits every tensor member under every name it has: a
// tensor or module shared by several parents is visited once per path, as
// PyTorch's state_dict lists it (a module that contains itself is visited
// once).
func walkAllTensors(m Module, fn func(name string, tm tensorMember)) {
	onPath := map[Module]bool{}
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		if onPath[m] {
			return
		}
		onPath[m] = true
		defer delete(onPath, m)
		ts, children := members(m)
		for _, tm := range ts {
			fn(join(prefix, tm.name), tm)
		}
		for _, c := range children {
			walk(join(prefix, c.Name), c.Module)
		}
	}
	walk("", m)
}

// NamedParameters returns the parameters of m and its submodules with
// PyTorch's dotted names (features.0.weight), in registration order, each
// shared parameter once.
func NamedParameters(m Module) []NamedTensor {
	var out []NamedTensor
	walkTensors(m, func(name string, tm tensorMember) {
		if tm.kind == kindParam {
			out = append(out, NamedTensor{name, *tm.ptr})
		}
	})
	return out
}

// Parameters returns the parameters of m and its submodules (see
// [NamedParameters]), the list an optimizer takes.
func Parameters(m Module) []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, p := range NamedParameters(m) {
		out = append(out, p.Tensor)
	}
	return out
}

// NamedBuffers returns the buffers (running statistics and other state that
// is not trained) of m and its submodules with their dotted names.
func NamedBuffers(m Module) []NamedTensor {
	var out []NamedTensor
	walkTensors(m, func(name string, tm tensorMember) {
		if tm.kind != kindParam {
			out = append(out, NamedTensor{name, *tm.ptr})
		}
	})
	return out
}

// Buffers returns the buffers of m and its submodules.
func Buffers(m Module) []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, b := range NamedBuffers(m) {
		out = append(out, b.Tensor)
	}
	return out
}

// SetTraining puts m and every module below it in training mode (on) or
// evaluation mode, as PyTorch's module.train(on).
func SetTraining(m Module, on bool) {
	for _, c := range Modules(m) {
		c.base().eval = !on
	}
}

// Train puts m and its submodules in training mode: dropout drops, batch
// norm uses and updates batch statistics.
func Train(m Module) { SetTraining(m, true) }

// Eval puts m and its submodules in evaluation mode (PyTorch's
// module.eval()): dropout passes values through and batch norm uses its
// running statistics.
func Eval(m Module) { SetTraining(m, false) }

// ZeroGrad clears the gradients of m's parameters (sets them to nil, as
// PyTorch's zero_grad(set_to_none=True) does).
func ZeroGrad(m Module) {
	for _, p := range Parameters(m) {
		p.SetGrad(nil)
	}
}

// Apply calls fn on every submodule of m and then on m itself (children
// first, as PyTorch's module.apply), e.g. to initialise weights.
func Apply(m Module, fn func(Module)) {
	seen := map[Module]bool{}
	var walk func(m Module)
	walk = func(m Module) {
		if seen[m] {
			return
		}
		seen[m] = true
		for _, c := range Children(m) {
			walk(c)
		}
		fn(m)
	}
	walk(m)
}

// To converts every parameter and buffer of m to dtype dt in place of the
// old tensors (floating-point ones only; integer buffers such as
// num_batches_tracked keep their dtype), as PyTorch's module.to(dtype).
// Parameters keep requiring grad; a tensor shared by several modules stays
// shared. It panics, changing nothing, when a tensor to convert is held in a
// map, which cannot be updated in place.
func To(m Module, dt tensor.DType) {
	if !dt.IsFloat() {
		panic(fmt.Sprintf("nn.To: %v is not a floating-point dtype", dt))
	}
	// Check every slot before replacing any, so that a refusal leaves m as
	// it was.
	var slots []tensorMember
	for _, nm := range NamedModules(m) {
		ts, _ := members(nm.Module)
		for _, tm := range ts {
			old := *tm.ptr
			if !old.DType().IsFloat() || old.DType() == dt {
				continue
			}
			if tm.inMap {
				panic(fmt.Sprintf("nn.To: %s is held in a map and cannot be replaced; use a slice or a field", join(nm.Name, tm.name)))
			}
			slots = append(slots, tm)
		}
	}
	done := map[*tensor.Tensor]*tensor.Tensor{}
	for _, tm := range slots {
		old := *tm.ptr
		nt, ok := done[old]
		if !ok {
			nt = old.Detach().To(dt).Contiguous()
			if nt.SharesStorage(old) {
				nt = nt.Clone()
			}
			nt.SetRequiresGrad(old.RequiresGrad())
			done[old] = nt
		}
		*tm.ptr = nt
	}
}

func reflectValue(x any) reflect.Value { return reflect.ValueOf(x) }
