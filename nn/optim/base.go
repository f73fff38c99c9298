package optim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/emberml/ember/tensor"
)

// GroupSpec describes one parameter group for a New*Groups constructor, as
// one dict of the list PyTorch's optimizers accept: the parameters and the
// hyperparameters that override the optimizer's defaults for them.
//
// Options uses PyTorch's names ("lr", "momentum", "weight_decay", "eps",
// ...; Adam's betas are "beta1" and "beta2"); booleans (nesterov, maximize,
// amsgrad, centered) are 0 or 1. A key that is present wins even when its
// value is 0, so Options also sets a hyperparameter to 0 where the options
// struct reads 0 as PyTorch's default (for example {"eps": 0} or AdamW's
// {"weight_decay": 0}). An unknown key panics.
//
//	opt := optim.NewSGDGroups([]optim.GroupSpec{
//		{Params: backbone},
//		{Params: head, Options: map[string]float64{"lr": 0.1}},
//	}, optim.SGDOptions{LR: 0.01, Momentum: 0.9})
type GroupSpec struct {
	Params  []*tensor.Tensor
	Options map[string]float64
}

// optimHyper is one hyperparameter of an optimizer besides lr.
type optimHyper struct {
	name    string // PyTorch's name, in Group.Hyper and GroupSpec.Options
	boolean bool   // stored as 0 or 1; a bool in state dicts
}

// optimKind describes an optimizer: its name, hyperparameters and the way
// its groups look in PyTorch's state dict.
type optimKind struct {
	name   string // "SGD"
	hypers []optimHyper
	// betas: beta1 and beta2 appear in state dicts as PyTorch's "betas"
	// pair.
	betas bool
	// torchOnly are the keys PyTorch 1.13 keeps in each group that have no
	// meaning here (foreach, differentiable, ...), with PyTorch's defaults;
	// state dicts carry them so that the layout matches PyTorch's.
	torchOnly map[string]any
	// check validates a group's hyperparameters as PyTorch's constructor
	// does, returning the complaint or "".
	check func(lr float64, h map[string]float64) string
}

func (k *optimKind) hyper(name string) (optimHyper, bool) {
	for _, h := range k.hypers {
		if h.name == name {
			return h, true
		}
	}
	return optimHyper{}, false
}

func (k *optimKind) optionNames() string {
	names := []string{"lr"}
	for _, h := range k.hypers {
		names = append(names, h.name)
	}
	return strings.Join(names, ", ")
}

// optimTorchOnly reports the group keys of PyTorch's optimizers that have
// no meaning here; loading ignores them.
func optimTorchOnly(k string) bool {
	switch k {
	case "foreach", "differentiable", "capturable", "fused":
		return true
	}
	return false
}

// optimBase holds what every optimizer shares: the groups, the defaults
// new groups start from, the element kernels and scratch space.
type optimBase struct {
	kind     *optimKind
	groups   []*Group
	defaults map[string]float64 // includes "lr" unless it is required and unset
	k32      *optimKern[float32]
	k64      *optimKern[float64]
	s32      optimScratch[float32]
	s64      optimScratch[float64]
	pows     optimPowMemo
}

// init builds the groups from specs over defaults (hyperparameters by
// PyTorch's name; "lr" absent when it is required and was not given).
func (b *optimBase) init(kind *optimKind, ctor string, specs []GroupSpec, defaults map[string]float64) {
	b.kind = kind
	b.defaults = defaults
	b.k32 = optimKernels32()
	b.k64 = optimKernels64()
	n := 0
	for _, s := range specs {
		n += len(s.Params)
	}
	if n == 0 {
		panic(fmt.Sprintf("optim.%s: optimizer got an empty parameter list", ctor))
	}
	for _, s := range specs {
		b.addGroup(ctor, s)
	}
}

// AddParamGroup adds a parameter group whose unset hyperparameters take
// the optimizer's defaults, as PyTorch's add_param_group. It panics when a
// parameter already belongs to a group.
func (b *optimBase) AddParamGroup(spec GroupSpec) {
	b.addGroup(b.kind.name+".AddParamGroup", spec)
}

func (b *optimBase) addGroup(ctor string, s GroupSpec) {
	gi := len(b.groups)
	if len(s.Params) == 0 {
		panic(fmt.Sprintf("optim.%s: parameter group %d has no parameters", ctor, gi))
	}
	seen := map[*tensor.Tensor]bool{}
	for _, g := range b.groups {
		for _, p := range g.Params {
			seen[p] = true
		}
	}
	for i, p := range s.Params {
		if p == nil {
			panic(fmt.Sprintf("optim.%s: parameter %d of group %d is nil", ctor, i, gi))
		}
		if seen[p] {
			panic(fmt.Sprintf("optim.%s: parameter %d of group %d (shape %v) appears more than once; some parameters appear in more than one parameter group", ctor, i, gi, p.Shape()))
		}
		seen[p] = true
		if dt := p.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
			panic(fmt.Sprintf("optim.%s: parameter %d of group %d has dtype %v; the optimizers update float32 and float64 parameters", ctor, i, gi, dt))
		}
	}
	h := maps.Clone(b.defaults)
	for k, v := range s.Options {
		if _, ok := b.kind.hyper(k); !ok && k != "lr" {
			panic(fmt.Sprintf("optim.%s: group %d has an unknown option %q (%s takes %s)", ctor, gi, k, b.kind.name, b.kind.optionNames()))
		}
		if hy, _ := b.kind.hyper(k); hy.boolean && v != 0 && v != 1 {
			panic(fmt.Sprintf("optim.%s: group %d: option %q is a boolean (0 or 1), got %v", ctor, gi, k, v))
		}
		h[k] = v
	}
	lr, ok := h["lr"]
	if !ok {
		panic(fmt.Sprintf("optim.%s: parameter group %d didn't specify a value of required optimization parameter lr (set LR in the options or \"lr\" in the group)", ctor, gi))
	}
	delete(h, "lr")
	if msg := b.kind.check(lr, h); msg != "" {
		panic(fmt.Sprintf("optim.%s: %s (group %d)", ctor, msg, gi))
	}
	b.groups = append(b.groups, &Group{Params: slices.Clone(s.Params), LR: lr, Hyper: h})
}

// Groups returns the parameter groups; changing a group's LR or Hyper
// changes the next Step, as changing PyTorch's param_groups does.
func (b *optimBase) Groups() []*Group { return b.groups }

// ZeroGrad sets every parameter's gradient to nil (PyTorch's
// zero_grad(set_to_none=True)).
func (b *optimBase) ZeroGrad() {
	for _, g := range b.groups {
		for _, p := range g.Params {
			p.SetGrad(nil)
		}
	}
}

// flag reads a boolean hyperparameter.
func optimFlag(h map[string]float64, name string) bool { return h[name] != 0 }

// packGroups returns the groups in PyTorch's state-dict layout, numbering
// the parameters across groups in order.
func (b *optimBase) packGroups() []map[string]any {
	out := make([]map[string]any, len(b.groups))
	idx := 0
	for gi, g := range b.groups {
		m := map[string]any{"lr": g.LR}
		if g.InitialLR != 0 {
			m["initial_lr"] = g.InitialLR
		}
		for k, v := range b.kind.torchOnly {
			m[k] = v
		}
		for k, v := range g.Hyper {
			hy, known := b.kind.hyper(k)
			switch {
			case b.kind.betas && (k == "beta1" || k == "beta2"):
			case known && hy.boolean:
				m[k] = v != 0
			default:
				m[k] = v
			}
		}
		if b.kind.betas {
			m["betas"] = []float64{g.Hyper["beta1"], g.Hyper["beta2"]}
		}
		params := make([]int, len(g.Params))
		for i := range params {
			params[i] = idx
			idx++
		}
		m["params"] = params
		out[gi] = m
	}
	return out
}

// unpackGroups checks saved groups against b's and returns, for each
// group, its new LR, InitialLR and Hyper, and the map from the saved
// parameter indices to b's parameters (PyTorch's id_map).
func (b *optimBase) unpackGroups(saved []map[string]any) (lrs, initial []float64, hypers []map[string]float64, idMap map[int]*tensor.Tensor, err error) {
	name := b.kind.name
	if len(saved) != len(b.groups) {
		return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: loaded state dict has a different number of parameter groups (%d, want %d)", name, len(saved), len(b.groups))
	}
	idMap = map[int]*tensor.Tensor{}
	for gi, sg := range saved {
		g := b.groups[gi]
		ids, e := sdInts(sg["params"])
		if e != nil {
			return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d: params: %w", name, gi, e)
		}
		if len(ids) != len(g.Params) {
			return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group %d has %d parameters, want %d)", name, gi, len(ids), len(g.Params))
		}
		for i, id := range ids {
			if _, dup := idMap[id]; dup {
				return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: parameter index %d appears twice", name, id)
			}
			idMap[id] = g.Params[i]
		}
		lr, e := sdFloat(sg["lr"])
		if e != nil {
			return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d: lr: %w", name, gi, e)
		}
		var il float64
		if v, ok := sg["initial_lr"]; ok {
			if il, e = sdFloat(v); e != nil {
				return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d: initial_lr: %w", name, gi, e)
			}
		}
		h := map[string]float64{}
		for k, v := range sg {
			switch k {
			case "params", "lr", "initial_lr":
				continue
			case "betas":
				if !b.kind.betas {
					break
				}
				bs, e := sdFloats(v)
				if e != nil || len(bs) != 2 {
					return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d: betas must be a pair of numbers, got %v", name, gi, v)
				}
				h["beta1"], h["beta2"] = bs[0], bs[1]
				continue
			}
			if _, only := b.kind.torchOnly[k]; only || optimTorchOnly(k) {
				continue
			}
			if v == nil {
				continue
			}
			if _, isStr := v.(string); isStr {
				if _, known := b.kind.hyper(k); !known {
					continue // a value this package does not use
				}
			}
			f, e := sdFloat(v)
			if e != nil {
				return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d: %s: %w", name, gi, k, e)
			}
			h[k] = f
		}
		for _, hy := range b.kind.hypers {
			if _, ok := h[hy.name]; !ok {
				return nil, nil, nil, nil, fmt.Errorf("optim: %s.LoadStateDict: group %d lacks hyperparameter %q (is it a %s state dict?)", name, gi, hy.name, name)
			}
		}
		lrs = append(lrs, lr)
		initial = append(initial, il)
		hypers = append(hypers, h)
	}
	return lrs, initial, hypers, idMap, nil
}

// paramIndex returns the index of every parameter across groups in order.
func (b *optimBase) paramIndex() map[*tensor.Tensor]int {
	m := map[*tensor.Tensor]int{}
	i := 0
	for _, g := range b.groups {
		for _, p := range g.Params {
			m[p] = i
			i++
		}
	}
	return m
}

// commitGroups installs the groups' loaded hyperparameters.
func (b *optimBase) commitGroups(lrs, initial []float64, hypers []map[string]float64) {
	for gi, g := range b.groups {
		g.LR, g.InitialLR, g.Hyper = lrs[gi], initial[gi], hypers[gi]
	}
}

// stateTensor returns a private contiguous copy of a saved state tensor for
// parameter p, cast to p's dtype, checking its shape.
func stateTensor(name string, p *tensor.Tensor, key string, t *tensor.Tensor) (*tensor.Tensor, error) {
	if t == nil {
		return nil, fmt.Errorf("optim: %s.LoadStateDict: state %q is nil", name, key)
	}
	if !slices.Equal(t.Shape(), p.Shape()) {
		return nil, fmt.Errorf("optim: %s.LoadStateDict: state %q has shape %v for a parameter of shape %v", name, key, t.Shape(), p.Shape())
	}
	if !t.DType().IsFloat() {
		return nil, fmt.Errorf("optim: %s.LoadStateDict: state %q has dtype %v", name, key, t.DType())
	}
	return optimCopy(t.Detach().To(p.DType())), nil
}

// stateStep reads a saved "step" (a one-element tensor of any dtype).
func stateStep(name string, st map[string]*tensor.Tensor) (float64, error) {
	t, ok := st["step"]
	if !ok || t == nil {
		return 0, fmt.Errorf("optim: %s.LoadStateDict: state lacks \"step\"", name)
	}
	if t.Numel() != 1 {
		return 0, fmt.Errorf("optim: %s.LoadStateDict: \"step\" has shape %v, want one element", name, t.Shape())
	}
	return t.Detach().Reshape().Item(), nil
}

// checkStateKeys reports a saved key that is not among allowed.
func checkStateKeys(name string, st map[string]*tensor.Tensor, allowed ...string) error {
	for k := range st {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("optim: %s.LoadStateDict: unexpected state %q (%s keeps %s)", name, k, name, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// optimCopy returns a contiguous copy of t that shares nothing with it.
func optimCopy(t *tensor.Tensor) *tensor.Tensor {
	c := tensor.Empty(t.DType(), t.Shape()...)
	c.Copy_(t.Detach())
	return c
}

// stepTensor returns PyTorch 1.13's "step" state: a 0-dim float32 tensor.
func stepTensor(step float32) *tensor.Tensor { return tensor.Scalar(float64(step)).To(tensor.Float32) }

// sortedStateIDs returns the saved state's parameter indices in order.
func sortedStateIDs(state map[int]map[string]*tensor.Tensor) []int {
	ids := make([]int, 0, len(state))
	for id := range state {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// optimParam is a parameter's data as the update sees it: its elements,
// contiguous, and its gradient's.
type optimParam[T optimFloat] struct {
	p, g []T
	pt   *tensor.Tensor
	work *tensor.Tensor // a contiguous copy of a non-contiguous parameter
}

// optimPrepare returns p's and its gradient's data; it panics when the
// gradient's shape is not p's.
func optimPrepare[T optimFloat](name string, p, grad *tensor.Tensor) optimParam[T] {
	if !slices.Equal(grad.Shape(), p.Shape()) {
		panic(fmt.Sprintf("optim.%s.Step: gradient of shape %v for a parameter of shape %v", name, grad.Shape(), p.Shape()))
	}
	g := grad
	if g.DType() != p.DType() {
		g = g.Detach().To(p.DType())
	}
	if !g.IsContiguous() {
		g = g.Detach().Contiguous()
	}
	pp := optimParam[T]{pt: p, g: g.Data().([]T)}
	if p.IsContiguous() {
		pp.p = p.Data().([]T)
	} else {
		pp.work = optimCopy(p)
		pp.p = pp.work.Data().([]T)
	}
	return pp
}

// done publishes the update: a copy back for a non-contiguous parameter,
// and a write through the tensor API, so that autograd sees the parameter
// change as PyTorch's version counter does.
func (pp *optimParam[T]) done() {
	if pp.work != nil {
		pp.pt.Detach().Copy_(pp.work)
		return
	}
	optimMarkWritten(pp.pt)
}

// optimMarkWritten records an in-place write to t's storage for autograd
// (the kernels write through Data, which the tensor package does not
// count): a graph that saved the old values then refuses to run backward,
// as in PyTorch.
func optimMarkWritten(t *tensor.Tensor) {
	if t.Numel() == 0 {
		return
	}
	if t.RequiresGrad() && tensor.GradEnabled() {
		t = t.Detach()
	}
	var buf [8]int
	idx := buf[:0]
	for range t.Dim() {
		idx = append(idx, 0)
	}
	t.Set(t.At(idx...), idx...)
}

// optimData returns a state tensor's elements.
func optimData[T optimFloat](t *tensor.Tensor) []T { return t.Data().([]T) }

// optimZeros returns a zero tensor shaped and typed like p.
func optimZeros(p *tensor.Tensor) *tensor.Tensor { return tensor.Empty(p.DType(), p.Shape()...) }

// finiteOr returns v, or def when v is 0 (an unset option).
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// b2f converts a bool option to the 0/1 Hyper encoding.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// optimCheck helpers build the complaints of PyTorch's constructors.
func optimNonNeg(name string, v float64) string {
	if !(v >= 0) {
		return fmt.Sprintf("Invalid %s: %v", name, v)
	}
	return ""
}

func optimFirst(msgs ...string) string {
	for _, m := range msgs {
		if m != "" {
			return m
		}
	}
	return ""
}
