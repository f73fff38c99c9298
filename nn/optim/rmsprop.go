package optim

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// RMSpropOptions are the hyperparameters of [RMSprop], as
// torch.optim.RMSprop's arguments; zero values mean PyTorch's defaults: LR
// 1e-2, Alpha 0.99, Eps 1e-8, Momentum 0, WeightDecay 0. An LR, Alpha or
// Eps of exactly 0 is set through GroupSpec.Options.
type RMSpropOptions struct {
	LR          float64
	Alpha       float64 // smoothing constant of the squared-gradient average
	Eps         float64
	WeightDecay float64 // L2 penalty added to the gradient
	Momentum    float64
	Centered    bool // normalise by the gradient's estimated variance
	Maximize    bool
}

func (o RMSpropOptions) defaults() map[string]float64 {
	return map[string]float64{
		"lr":           orDefault(o.LR, 1e-2),
		"alpha":        orDefault(o.Alpha, 0.99),
		"eps":          orDefault(o.Eps, 1e-8),
		"weight_decay": o.WeightDecay,
		"momentum":     o.Momentum,
		"centered":     b2f(o.Centered),
		"maximize":     b2f(o.Maximize),
	}
}

var rmspropKind = &optimKind{
	name: "RMSprop",
	hypers: []optimHyper{
		{name: "momentum"}, {name: "alpha"}, {name: "eps"}, {name: "weight_decay"},
		{name: "centered", boolean: true}, {name: "maximize", boolean: true},
	},
	torchOnly: map[string]any{"foreach": nil, "differentiable": false},
	check: func(lr float64, h map[string]float64) string {
		return optimFirst(optimNonNeg("learning rate", lr), optimNonNeg("epsilon value", h["eps"]),
			optimNonNeg("momentum value", h["momentum"]), optimNonNeg("weight_decay value", h["weight_decay"]),
			optimNonNeg("alpha value", h["alpha"]))
	},
}

// rmspropState is a parameter's RMSprop state.
type rmspropState struct {
	step                    int64 // PyTorch 1.13 keeps a Python int
	squareAvg, gradAvg, buf *tensor.Tensor
}

// RMSprop is the RMSprop optimizer, as torch.optim.RMSprop:
//
//	g ← ∇ (negated when maximizing) + weight_decay·θ
//	v ← α·v + (1-α)·g²;  centered: ḡ ← α·ḡ + (1-α)·g, v' = v - ḡ²
//	d = √v' + eps
//	momentum: b ← momentum·b + g/d, θ ← θ - lr·b;  else θ ← θ - lr·g/d
//
// Its state per parameter is "step", "square_avg" and, when used,
// "momentum_buffer" and "grad_avg".
type RMSprop struct {
	optimBase
	state map[*tensor.Tensor]*rmspropState
}

// NewRMSprop returns an RMSprop optimizer over params; the options are
// optional.
func NewRMSprop(params []*tensor.Tensor, opts ...RMSpropOptions) *RMSprop {
	return NewRMSpropGroups([]GroupSpec{{Params: params}}, optionsOf(opts))
}

// NewRMSpropGroups returns an RMSprop optimizer over parameter groups, each
// taking the hyperparameters its Options do not set from defaults.
func NewRMSpropGroups(groups []GroupSpec, defaults RMSpropOptions) *RMSprop {
	o := &RMSprop{state: map[*tensor.Tensor]*rmspropState{}}
	o.init(rmspropKind, "NewRMSprop", groups, defaults.defaults())
	return o
}

type rmspropHyper struct {
	lr, alpha, eps, wd, momentum float64
	centered, maximize           bool
}

// Step updates every parameter that has a gradient.
func (o *RMSprop) Step() {
	for _, g := range o.groups {
		h := g.Hyper
		hp := rmspropHyper{lr: g.LR, alpha: h["alpha"], eps: h["eps"], wd: h["weight_decay"], momentum: h["momentum"],
			centered: optimFlag(h, "centered"), maximize: optimFlag(h, "maximize")}
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			st := o.state[p]
			if st == nil {
				st = &rmspropState{squareAvg: optimZeros(p)}
				o.state[p] = st
			}
			if hp.momentum > 0 && st.buf == nil {
				st.buf = optimZeros(p)
			}
			if hp.centered && st.gradAvg == nil {
				st.gradAvg = optimZeros(p)
			}
			st.step++
			switch p.DType() {
			case tensor.Float32:
				rmspropUpdate(o.k32, &o.s32, optimPrepare[float32]("RMSprop", p, grad), st, hp)
			case tensor.Float64:
				rmspropUpdate(o.k64, &o.s64, optimPrepare[float64]("RMSprop", p, grad), st, hp)
			default:
				panic(fmt.Sprintf("optim.RMSprop.Step: parameter of dtype %v", p.DType()))
			}
		}
	}
}

func rmspropUpdate[T optimFloat](k *optimKern[T], sc *optimScratch[T], pp optimParam[T], st *rmspropState, hp rmspropHyper) {
	p, g := pp.p, pp.g
	sq := optimData[T](st.squareAvg)
	var ga, buf []T
	if hp.centered {
		ga = optimData[T](st.gradAvg)
	}
	if hp.momentum > 0 {
		buf = optimData[T](st.buf)
	}
	optimBlocks(sc, len(p), 4, func(lo, hi int, tmp [][]T) {
		d, pb, sb := g[lo:hi], p[lo:hi], sq[lo:hi]
		avg, t := tmp[1], tmp[2]
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
		k.scale(sb, sb, T(hp.alpha))
		k.scale(t, d, T(1-hp.alpha)) // addcmul_(grad, grad, value=1-alpha)
		k.fma(tmp[3], t, d, sb)
		copy(sb, tmp[3])
		if ga != nil {
			gb := ga[lo:hi]
			k.scale(gb, gb, T(hp.alpha))
			k.axpy(T(1-hp.alpha), d, gb)
			// square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
			k.scale(t, gb, -1)
			k.fma(avg, t, gb, sb)
			k.sqrt(avg, avg)
		} else {
			k.sqrt(avg, sb)
		}
		k.addS(avg, avg, T(hp.eps))
		if buf != nil {
			bb := buf[lo:hi]
			k.scale(bb, bb, T(hp.momentum))
			k.div(t, d, avg) // addcdiv_(grad, avg), value 1
			k.add(bb, bb, t)
			k.axpy(T(-hp.lr), bb, pb)
		} else {
			k.scale(t, d, T(-hp.lr)) // addcdiv_(grad, avg, value=-lr)
			k.div(t, t, avg)
			k.add(pb, pb, t)
		}
	})
	pp.done()
}

// StateDict returns the state in PyTorch's layout: per parameter "step"
// (a 0-dim int64 tensor: PyTorch 1.13's RMSprop counts with a Python int),
// "square_avg" and, when used, "momentum_buffer" and "grad_avg"; and the
// groups. The tensors are copies.
func (o *RMSprop) StateDict() StateDict {
	sd := StateDict{State: map[int]map[string]*tensor.Tensor{}, Groups: o.packGroups()}
	for p, i := range o.paramIndex() {
		st := o.state[p]
		if st == nil {
			continue
		}
		m := map[string]*tensor.Tensor{
			"step":       tensor.FromSlice([]int64{st.step}).Reshape(),
			"square_avg": optimCopy(st.squareAvg),
		}
		if st.buf != nil {
			m["momentum_buffer"] = optimCopy(st.buf)
		}
		if st.gradAvg != nil {
			m["grad_avg"] = optimCopy(st.gradAvg)
		}
		sd.State[i] = m
	}
	return sd
}

// LoadStateDict restores a state from StateDict (or PyTorch's layout),
// copying its tensors; on error nothing changes.
func (o *RMSprop) LoadStateDict(sd StateDict) error {
	lrs, initial, hypers, idMap, err := o.unpackGroups(sd.Groups)
	if err != nil {
		return err
	}
	state := map[*tensor.Tensor]*rmspropState{}
	for _, id := range sortedStateIDs(sd.State) {
		sm := sd.State[id]
		p, ok := idMap[id]
		if !ok {
			return fmt.Errorf("optim: RMSprop.LoadStateDict: state for parameter index %d, which no group lists", id)
		}
		if err := checkStateKeys("RMSprop", sm, "step", "square_avg", "momentum_buffer", "grad_avg"); err != nil {
			return err
		}
		step, err := stateStep("RMSprop", sm)
		if err != nil {
			return err
		}
		st := &rmspropState{step: int64(step)}
		for key, dst := range map[string]**tensor.Tensor{"square_avg": &st.squareAvg, "momentum_buffer": &st.buf, "grad_avg": &st.gradAvg} {
			t, ok := sm[key]
			if !ok || t == nil {
				if key == "square_avg" {
					return fmt.Errorf("optim: RMSprop.LoadStateDict: state of parameter %d lacks \"square_avg\"", id)
				}
				continue
			}
			if *dst, err = stateTensor("RMSprop", p, key, t); err != nil {
				return err
			}
		}
		state[p] = st
	}
	o.commitGroups(lrs, initial, hypers)
	o.state = state
	return nil
}
