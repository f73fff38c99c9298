package optim

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// AdagradOptions are the hyperparameters of [Adagrad], as
// torch.optim.Adagrad's arguments; zero values mean PyTorch's defaults: LR
// 1e-2, LRDecay 0, WeightDecay 0, InitialAccumulatorValue 0, Eps 1e-10. An
// LR or Eps of exactly 0 is set through GroupSpec.Options.
type AdagradOptions struct {
	LR                      float64
	LRDecay                 float64 // the step size is lr / (1 + (t-1)·lr_decay)
	WeightDecay             float64 // L2 penalty added to the gradient
	InitialAccumulatorValue float64 // start of the squared-gradient sum
	Eps                     float64
	Maximize                bool
}

func (o AdagradOptions) defaults() map[string]float64 {
	return map[string]float64{
		"lr":                        orDefault(o.LR, 1e-2),
		"lr_decay":                  o.LRDecay,
		"weight_decay":              o.WeightDecay,
		"initial_accumulator_value": o.InitialAccumulatorValue,
		"eps":                       orDefault(o.Eps, 1e-10),
		"maximize":                  b2f(o.Maximize),
	}
}

var adagradKind = &optimKind{
	name: "Adagrad",
	hypers: []optimHyper{
		{name: "lr_decay"}, {name: "eps"}, {name: "weight_decay"},
		{name: "initial_accumulator_value"}, {name: "maximize", boolean: true},
	},
	torchOnly: map[string]any{"foreach": nil},
	check: func(lr float64, h map[string]float64) string {
		return optimFirst(optimNonNeg("learning rate", lr), optimNonNeg("lr_decay value", h["lr_decay"]),
			optimNonNeg("weight_decay value", h["weight_decay"]),
			optimNonNeg("initial_accumulator_value value", h["initial_accumulator_value"]),
			optimNonNeg("epsilon value", h["eps"]))
	},
}

// adagradState is a parameter's Adagrad state.
type adagradState struct {
	step float32 // PyTorch 1.13 counts in a float32 tensor
	sum  *tensor.Tensor
}

// Adagrad is the Adagrad optimizer, as torch.optim.Adagrad. Per parameter,
// with t the step count:
//
//	g ← ∇ (negated when maximizing) + weight_decay·θ
//	s ← s + g²
//	θ ← θ - lr/(1 + (t-1)·lr_decay) · g / (√s + eps)
//
// Like PyTorch's, its state ("step" and "sum", the latter starting at
// initial_accumulator_value) exists for every parameter from construction
// (or from AddParamGroup).
type Adagrad struct {
	optimBase
	state map[*tensor.Tensor]*adagradState
}

// NewAdagrad returns an Adagrad optimizer over params; the options are
// optional.
func NewAdagrad(params []*tensor.Tensor, opts ...AdagradOptions) *Adagrad {
	return NewAdagradGroups([]GroupSpec{{Params: params}}, optionsOf(opts))
}

// NewAdagradGroups returns an Adagrad optimizer over parameter groups, each
// taking the hyperparameters its Options do not set from defaults.
func NewAdagradGroups(groups []GroupSpec, defaults AdagradOptions) *Adagrad {
	o := &Adagrad{state: map[*tensor.Tensor]*adagradState{}}
	o.init(adagradKind, "NewAdagrad", groups, defaults.defaults())
	o.initState()
	return o
}

// AddParamGroup adds a parameter group whose unset hyperparameters take
// the optimizer's defaults, and creates its state, as PyTorch's
// add_param_group.
func (o *Adagrad) AddParamGroup(spec GroupSpec) {
	o.optimBase.AddParamGroup(spec)
	o.initState()
}

// initState creates the state of parameters that have none.
func (o *Adagrad) initState() {
	for _, g := range o.groups {
		for _, p := range g.Params {
			if o.state[p] == nil {
				s := optimZeros(p)
				if v := g.Hyper["initial_accumulator_value"]; v != 0 {
					s.Fill_(v)
				}
				o.state[p] = &adagradState{sum: s}
			}
		}
	}
}

type adagradHyper struct {
	clr, eps, wd float64
	maximize     bool
}

// Step updates every parameter that has a gradient.
func (o *Adagrad) Step() {
	for _, g := range o.groups {
		h := g.Hyper
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			st := o.state[p]
			st.step++
			step := float64(st.step)
			hp := adagradHyper{clr: g.LR / (1 + float64((step-1)*h["lr_decay"])), eps: h["eps"], wd: h["weight_decay"],
				maximize: optimFlag(h, "maximize")}
			switch p.DType() {
			case tensor.Float32:
				adagradUpdate(o.k32, &o.s32, optimPrepare[float32]("Adagrad", p, grad), st, hp)
			case tensor.Float64:
				adagradUpdate(o.k64, &o.s64, optimPrepare[float64]("Adagrad", p, grad), st, hp)
			default:
				panic(fmt.Sprintf("optim.Adagrad.Step: parameter of dtype %v", p.DType()))
			}
		}
	}
}

func adagradUpdate[T optimFloat](k *optimKern[T], sc *optimScratch[T], pp optimParam[T], st *adagradState, hp adagradHyper) {
	p, g := pp.p, pp.g
	sum := optimData[T](st.sum)
	optimBlocks(sc, len(p), 3, func(lo, hi int, tmp [][]T) {
		d, pb, sb := g[lo:hi], p[lo:hi], sum[lo:hi]
		if hp.maximize || hp.wd != 0 {
			dd := tmp[0]
			if hp.maximize {
				k.scale(dd, d, -1)
			} else {
				copy(dd, d)
			}
			if hp.wd != 0 {
				k.axpy(T(hp.wd), pb, dd)
			}
			d = dd
		}
		std, u := tmp[1], tmp[2]
		k.fma(std, d, d, sb) // addcmul_(grad, grad, value=1)
		copy(sb, std)
		k.sqrt(std, sb)
		k.addS(std, std, T(hp.eps))
		k.scale(u, d, T(-hp.clr)) // addcdiv_(grad, std, value=-clr)
		k.div(u, u, std)
		k.add(pb, pb, u)
	})
	pp.done()
}

// StateDict returns the state in PyTorch's layout: per parameter "step"
// (a 0-dim float32 tensor) and "sum"; and the groups. The tensors are
// copies.
func (o *Adagrad) StateDict() StateDict {
	sd := StateDict{State: map[int]map[string]*tensor.Tensor{}, Groups: o.packGroups()}
	for p, i := range o.paramIndex() {
		if st := o.state[p]; st != nil {
			sd.State[i] = map[string]*tensor.Tensor{"step": stepTensor(st.step), "sum": optimCopy(st.sum)}
		}
	}
	return sd
}

// LoadStateDict restores a state from StateDict (or PyTorch's layout),
// copying its tensors; on error nothing changes. Parameters the saved
// state lacks keep a fresh state.
func (o *Adagrad) LoadStateDict(sd StateDict) error {
	lrs, initial, hypers, idMap, err := o.unpackGroups(sd.Groups)
	if err != nil {
		return err
	}
	state := map[*tensor.Tensor]*adagradState{}
	for _, id := range sortedStateIDs(sd.State) {
		sm := sd.State[id]
		p, ok := idMap[id]
		if !ok {
			return fmt.Errorf("optim: Adagrad.LoadStateDict: state for parameter index %d, which no group lists", id)
		}
		if err := checkStateKeys("Adagrad", sm, "step", "sum"); err != nil {
			return err
		}
		step, err := stateStep("Adagrad", sm)
		if err != nil {
			return err
		}
		t, ok := sm["sum"]
		if !ok {
			return fmt.Errorf("optim: Adagrad.LoadStateDict: state of parameter %d lacks \"sum\"", id)
		}
		sum, err := stateTensor("Adagrad", p, "sum", t)
		if err != nil {
			return err
		}
		state[p] = &adagradState{step: float32(step), sum: sum}
	}
	o.commitGroups(lrs, initial, hypers)
	o.state = state
	o.initState()
	return nil
}
