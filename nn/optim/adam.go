package optim

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// AdamOptions are the hyperparameters of [Adam], as torch.optim.Adam's
// arguments; zero values mean PyTorch's defaults: LR 1e-3, Betas
// (0.9, 0.999) (a pair other than {0, 0} is taken as given, so beta1 = 0
// is Betas{0, 0.999}), Eps 1e-8, WeightDecay 0. An LR or Eps of exactly 0
// is set through GroupSpec.Options.
type AdamOptions struct {
	LR          float64
	Betas       [2]float64
	Eps         float64
	WeightDecay float64 // L2 penalty added to the gradient
	AMSGrad     bool
	Maximize    bool
}

// AdamWOptions are the hyperparameters of [AdamW], as torch.optim.AdamW's
// arguments, with Adam's defaults except WeightDecay, whose zero value
// means PyTorch's 0.01: set NoWeightDecay for none.
type AdamWOptions struct {
	LR            float64
	Betas         [2]float64
	Eps           float64
	WeightDecay   float64 // decoupled: θ ← θ·(1 - lr·weight_decay)
	NoWeightDecay bool
	AMSGrad       bool
	Maximize      bool
}

func adamDefaults(lr float64, betas [2]float64, eps, wd float64, ams, max bool) map[string]float64 {
	if betas == [2]float64{} {
		betas = [2]float64{0.9, 0.999}
	}
	return map[string]float64{
		"lr":           orDefault(lr, 1e-3),
		"beta1":        betas[0],
		"beta2":        betas[1],
		"eps":          orDefault(eps, 1e-8),
		"weight_decay": wd,
		"amsgrad":      b2f(ams),
		"maximize":     b2f(max),
	}
}

func (o AdamOptions) defaults() map[string]float64 {
	return adamDefaults(o.LR, o.Betas, o.Eps, o.WeightDecay, o.AMSGrad, o.Maximize)
}

func (o AdamWOptions) defaults() map[string]float64 {
	wd := orDefault(o.WeightDecay, 1e-2)
	if o.NoWeightDecay {
		wd = 0
	}
	return adamDefaults(o.LR, o.Betas, o.Eps, wd, o.AMSGrad, o.Maximize)
}

var adamHypers = []optimHyper{
	{name: "beta1"}, {name: "beta2"}, {name: "eps"}, {name: "weight_decay"},
	{name: "amsgrad", boolean: true}, {name: "maximize", boolean: true},
}

func adamCheck(lr float64, h map[string]float64) string {
	if m := optimFirst(optimNonNeg("learning rate", lr), optimNonNeg("epsilon value", h["eps"])); m != "" {
		return m
	}
	if b := h["beta1"]; !(b >= 0 && b < 1) {
		return fmt.Sprintf("Invalid beta parameter at index 0: %v", b)
	}
	if b := h["beta2"]; !(b >= 0 && b < 1) {
		return fmt.Sprintf("Invalid beta parameter at index 1: %v", b)
	}
	return optimNonNeg("weight_decay value", h["weight_decay"])
}

var adamKind = &optimKind{
	name: "Adam", hypers: adamHypers, betas: true, check: adamCheck,
	torchOnly: map[string]any{"foreach": nil, "capturable": false, "differentiable": false, "fused": false},
}

var adamWKind = &optimKind{
	name: "AdamW", hypers: adamHypers, betas: true, check: adamCheck,
	torchOnly: map[string]any{"foreach": nil, "capturable": false},
}

// adamState is a parameter's Adam state.
type adamState struct {
	step                    float32 // PyTorch 1.13 counts in a float32 tensor
	expAvg, expAvgSq, maxSq *tensor.Tensor
}

// Adam is the Adam optimizer, as torch.optim.Adam (with AMSGrad, L2 weight
// decay and maximisation). Per parameter, with t the step count:
//
//	g ← ∇ (negated when maximizing) + weight_decay·θ
//	m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²  (v_max ← max(v_max, v) with AMSGrad)
//	θ ← θ - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)
//
// Its state per parameter is "step", "exp_avg", "exp_avg_sq" and, with
// AMSGrad, "max_exp_avg_sq".
type Adam struct {
	adamCore
}

// AdamW is Adam with decoupled weight decay, as torch.optim.AdamW: each
// step first shrinks θ ← θ·(1 - lr·weight_decay), and the gradient gets no
// L2 term. Its state is Adam's.
type AdamW struct {
	adamCore
}

// adamCore is the shared implementation of Adam and AdamW.
type adamCore struct {
	optimBase
	decoupled bool
	state     map[*tensor.Tensor]*adamState
}

// NewAdam returns an Adam optimizer over params; the options are optional.
func NewAdam(params []*tensor.Tensor, opts ...AdamOptions) *Adam {
	return NewAdamGroups([]GroupSpec{{Params: params}}, optionsOf(opts))
}

// NewAdamGroups returns an Adam optimizer over parameter groups, each
// taking the hyperparameters its Options do not set from defaults.
func NewAdamGroups(groups []GroupSpec, defaults AdamOptions) *Adam {
	o := &Adam{adamCore{state: map[*tensor.Tensor]*adamState{}}}
	o.init(adamKind, "NewAdam", groups, defaults.defaults())
	return o
}

// NewAdamW returns an AdamW optimizer over params; the options are
// optional (weight decay 0.01 unless set).
func NewAdamW(params []*tensor.Tensor, opts ...AdamWOptions) *AdamW {
	return NewAdamWGroups([]GroupSpec{{Params: params}}, optionsOf(opts))
}

// NewAdamWGroups returns an AdamW optimizer over parameter groups, each
// taking the hyperparameters its Options do not set from defaults.
func NewAdamWGroups(groups []GroupSpec, defaults AdamWOptions) *AdamW {
	o := &AdamW{adamCore{decoupled: true, state: map[*tensor.Tensor]*adamState{}}}
	o.init(adamWKind, "NewAdamW", groups, defaults.defaults())
	return o
}

type adamHyper struct {
	lr, beta1, beta2, eps, wd float64
	amsgrad, maximize         bool
	decoupled                 bool
	stepSize, bc2Sqrt         float64
}

// Step updates every parameter that has a gradient.
func (o *adamCore) Step() {
	name := o.kind.name
	for _, g := range o.groups {
		h := g.Hyper
		hp := adamHyper{
			lr: g.LR, beta1: h["beta1"], beta2: h["beta2"], eps: h["eps"], wd: h["weight_decay"],
			amsgrad: optimFlag(h, "amsgrad"), maximize: optimFlag(h, "maximize"), decoupled: o.decoupled,
		}
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			st := o.state[p]
			if st == nil {
				st = &adamState{expAvg: optimZeros(p), expAvgSq: optimZeros(p)}
				o.state[p] = st
			}
			if hp.amsgrad && st.maxSq == nil {
				st.maxSq = optimZeros(p)
			}
			st.step++
			step := float64(st.step)
			hp.stepSize = hp.lr / (1 - o.pows.pow(hp.beta1, step))
			hp.bc2Sqrt = math.Sqrt(1 - o.pows.pow(hp.beta2, step))
			switch p.DType() {
			case tensor.Float32:
				adamUpdate(o.k32, &o.s32, optimPrepare[float32](name, p, grad), st, hp)
			case tensor.Float64:
				adamUpdate(o.k64, &o.s64, optimPrepare[float64](name, p, grad), st, hp)
			default:
				panic(fmt.Sprintf("optim.%s.Step: parameter of dtype %v", name, p.DType()))
			}
		}
	}
}

func adamUpdate[T optimFloat](k *optimKern[T], sc *optimScratch[T], pp optimParam[T], st *adamState, hp adamHyper) {
	p, g := pp.p, pp.g
	m, v := optimData[T](st.expAvg), optimData[T](st.expAvgSq)
	var vmax []T
	if hp.amsgrad {
		vmax = optimData[T](st.maxSq)
	}
	optimBlocks(sc, len(p), 3, func(lo, hi int, tmp [][]T) {
		d, pb := g[lo:hi], p[lo:hi]
		mb, vb := m[lo:hi], v[lo:hi]
		if hp.decoupled {
			k.scale(pb, pb, T(1-float64(hp.lr*hp.wd))) // param.mul_(1 - lr*weight_decay)
		}
		if hp.maximize || (!hp.decoupled && hp.wd != 0) {
			t := tmp[0]
			if hp.maximize {
				k.scale(t, d, -1)
			} else {
				copy(t, d)
			}
			if !hp.decoupled && hp.wd != 0 {
				k.axpy(T(hp.wd), pb, t)
			}
			d = t
		}
		k.scale(mb, mb, T(hp.beta1))
		k.axpy(T(1-hp.beta1), d, mb)
		t := tmp[1]
		k.scale(vb, vb, T(hp.beta2))
		k.scale(t, d, T(1-hp.beta2)) // addcmul_(grad, grad, value=1-beta2)
		k.fma(tmp[2], t, d, vb)
		copy(vb, tmp[2])
		src := vb
		if vmax != nil {
			src = vmax[lo:hi]
			k.maximum(src, src, vb)
		}
		den := tmp[1]
		k.sqrt(den, src)
		k.divS(den, den, T(hp.bc2Sqrt))
		k.addS(den, den, T(hp.eps))
		u := tmp[0]
		k.scale(u, mb, T(-hp.stepSize)) // addcdiv_(exp_avg, denom, value=-step_size)
		k.div(u, u, den)
		k.add(pb, pb, u)
	})
	pp.done()
}

// StateDict returns the state in PyTorch's layout: per parameter "step"
// (a 0-dim float32 tensor), "exp_avg", "exp_avg_sq" and, with AMSGrad,
// "max_exp_avg_sq"; and the groups with "betas" as a pair. The tensors are
// copies.
func (o *adamCore) StateDict() StateDict {
	sd := StateDict{State: map[int]map[string]*tensor.Tensor{}, Groups: o.packGroups()}
	for p, i := range o.paramIndex() {
		st := o.state[p]
		if st == nil {
			continue
		}
		m := map[string]*tensor.Tensor{
			"step":       stepTensor(st.step),
			"exp_avg":    optimCopy(st.expAvg),
			"exp_avg_sq": optimCopy(st.expAvgSq),
		}
		if st.maxSq != nil {
			m["max_exp_avg_sq"] = optimCopy(st.maxSq)
		}
		sd.State[i] = m
	}
	return sd
}

// LoadStateDict restores a state from StateDict (or PyTorch's layout),
// copying its tensors; on error nothing changes.
func (o *adamCore) LoadStateDict(sd StateDict) error {
	name := o.kind.name
	lrs, initial, hypers, idMap, err := o.unpackGroups(sd.Groups)
	if err != nil {
		return err
	}
	state := map[*tensor.Tensor]*adamState{}
	for _, id := range sortedStateIDs(sd.State) {
		sm := sd.State[id]
		p, ok := idMap[id]
		if !ok {
			return fmt.Errorf("optim: %s.LoadStateDict: state for parameter index %d, which no group lists", name, id)
		}
		if err := checkStateKeys(name, sm, "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"); err != nil {
			return err
		}
		step, err := stateStep(name, sm)
		if err != nil {
			return err
		}
		st := &adamState{step: float32(step)}
		for key, dst := range map[string]**tensor.Tensor{"exp_avg": &st.expAvg, "exp_avg_sq": &st.expAvgSq, "max_exp_avg_sq": &st.maxSq} {
			t, ok := sm[key]
			if !ok {
				if key == "max_exp_avg_sq" {
					continue
				}
				return fmt.Errorf("optim: %s.LoadStateDict: state of parameter %d lacks %q", name, id, key)
			}
			if *dst, err = stateTensor(name, p, key, t); err != nil {
				return err
			}
		}
		state[p] = st
	}
	o.commitGroups(lrs, initial, hypers)
	o.state = state
	return nil
}
