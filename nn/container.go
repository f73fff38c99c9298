package nn

import (
	"fmt"
	"strconv"

	"github.com/emberml/ember/tensor"
)

// Sequential chains modules: Forward feeds each one's output to the next, as
// torch.nn.Sequential. Its children are named "0", "1", ...
type Sequential struct {
	Base
	mods []Forwarder `nn:"-"`
}

// NewSequential returns a Sequential of mods.
func NewSequential(mods ...Forwarder) *Sequential {
	for i, m := range mods {
		if m == nil || isNilModule(reflectValue(m)) {
			panic(fmt.Sprintf("nn.NewSequential: module %d is nil", i))
		}
	}
	return &Sequential{mods: mods}
}

// Forward applies the modules in order.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(s, x, func(x *tensor.Tensor) *tensor.Tensor {
		for _, m := range s.mods {
			x = Call(m, x)
		}
		return x
	})
}

func (s *Sequential) hooksInForward() {}

// Len returns the number of modules.
func (s *Sequential) Len() int { return len(s.mods) }

// At returns module i (negative i counts from the end, as in Python).
func (s *Sequential) At(i int) Forwarder { return s.mods[pyIndex("Sequential.At", i, len(s.mods))] }

// Append adds m at the end and returns s. It panics when m is nil, as
// NewSequential does.
func (s *Sequential) Append(m Forwarder) *Sequential {
	if m == nil || isNilModule(reflectValue(m)) {
		panic(fmt.Sprintf("nn.Sequential.Append: module %d is nil", len(s.mods)))
	}
	s.mods = append(s.mods, m)
	return s
}

// NamedChildren implements [Container].
func (s *Sequential) NamedChildren() []NamedModule {
	out := make([]NamedModule, len(s.mods))
	for i, m := range s.mods {
		out[i] = NamedModule{strconv.Itoa(i), m}
	}
	return out
}

// ModuleList holds modules in a list, named "0", "1", ..., as
// torch.nn.ModuleList. A plain Go slice field of modules gets the same names;
// ModuleList is for when the list itself must be a module.
type ModuleList struct {
	Base
	mods []Module `nn:"-"`
}

// NewModuleList returns a ModuleList of mods.
func NewModuleList(mods ...Module) *ModuleList { return &ModuleList{mods: mods} }

// Len returns the number of modules.
func (l *ModuleList) Len() int { return len(l.mods) }

// At returns module i (negative i counts from the end).
func (l *ModuleList) At(i int) Module { return l.mods[pyIndex("ModuleList.At", i, len(l.mods))] }

// Append adds m at the end and returns l.
func (l *ModuleList) Append(m Module) *ModuleList {
	l.mods = append(l.mods, m)
	return l
}

// NamedChildren implements [Container].
// A nil entry is no child, as PyTorch's named_children skips None; the
// others keep their indices as names.
func (l *ModuleList) NamedChildren() []NamedModule {
	out := make([]NamedModule, 0, len(l.mods))
	for i, m := range l.mods {
		if m != nil && !isNilModule(reflectValue(m)) {
			out = append(out, NamedModule{strconv.Itoa(i), m})
		}
	}
	return out
}

// ModuleDict holds modules by name in insertion order, as
// torch.nn.ModuleDict.
type ModuleDict struct {
	Base
	keys []string          `nn:"-"`
	mods map[string]Module `nn:"-"`
}

// NewModuleDict returns an empty ModuleDict.
func NewModuleDict() *ModuleDict { return &ModuleDict{mods: map[string]Module{}} }

// Set stores m under key (a new key goes last; an existing one keeps its
// place) and returns d.
func (d *ModuleDict) Set(key string, m Module) *ModuleDict {
	if _, ok := d.mods[key]; !ok {
		d.keys = append(d.keys, key)
	}
	d.mods[key] = m
	return d
}

// Get returns the module under key, or nil.
func (d *ModuleDict) Get(key string) Module { return d.mods[key] }

// Keys returns the keys in insertion order.
func (d *ModuleDict) Keys() []string { return append([]string(nil), d.keys...) }

// Len returns the number of modules.
func (d *ModuleDict) Len() int { return len(d.keys) }

// NamedChildren implements [Container].
// A nil entry is no child, as for [ModuleList].
func (d *ModuleDict) NamedChildren() []NamedModule {
	out := make([]NamedModule, 0, len(d.keys))
	for _, k := range d.keys {
		if m := d.mods[k]; m != nil && !isNilModule(reflectValue(m)) {
			out = append(out, NamedModule{k, m})
		}
	}
	return out
}

func pyIndex(op string, i, n int) int {
	j := i
	if j < 0 {
		j += n
	}
	if j < 0 || j >= n {
		panic(fmt.Sprintf("nn.%s: index %d out of range for %d modules", op, i, n))
	}
	return j
}
