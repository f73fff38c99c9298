package optim

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// SGDOptions are the hyperparameters of [SGD], as torch.optim.SGD's
// arguments. LR is required: PyTorch's lr has no default, so a zero LR
// panics unless every group sets "lr" (lr=0 is possible through
// GroupSpec.Options). The others default to 0 and false, their zero values.
type SGDOptions struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64 // L2 penalty added to the gradient
	Nesterov    bool    // needs Momentum > 0 and Dampening 0
	Maximize    bool    // ascend the objective instead
}

func (o SGDOptions) defaults() map[string]float64 {
	m := map[string]float64{
		"momentum":     o.Momentum,
		"dampening":    o.Dampening,
		"weight_decay": o.WeightDecay,
		"nesterov":     b2f(o.Nesterov),
		"maximize":     b2f(o.Maximize),
	}
	if o.LR != 0 {
		m["lr"] = o.LR
	}
	return m
}

var sgdKind = &optimKind{
	name: "SGD",
	hypers: []optimHyper{
		{name: "momentum"}, {name: "dampening"}, {name: "weight_decay"},
		{name: "nesterov", boolean: true}, {name: "maximize", boolean: true},
	},
	torchOnly: map[string]any{"foreach": nil, "differentiable": false},
	check: func(lr float64, h map[string]float64) string {
		if m := optimFirst(optimNonNeg("learning rate", lr), optimNonNeg("momentum value", h["momentum"]), optimNonNeg("weight_decay value", h["weight_decay"])); m != "" {
			return m
		}
		if optimFlag(h, "nesterov") && (h["momentum"] <= 0 || h["dampening"] != 0) {
			return "Nesterov momentum requires a momentum and zero dampening"
		}
		return ""
	},
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum, weight decay and maximisation, as torch.optim.SGD:
//
//	g ← ∇ (negated when maximizing) + weight_decay·θ
//	b ← g at the first step, else momentum·b + (1-dampening)·g
//	g ← g + momentum·b with Nesterov, else b (when momentum ≠ 0)
//	θ ← θ - lr·g
//
// Its state is a "momentum_buffer" per parameter once momentum is used.
type SGD struct {
	optimBase
	state map[*tensor.Tensor]*tensor.Tensor // momentum buffers
}

// NewSGD returns an SGD optimizer over params with the options (LR is
// required):
//
//	opt := optim.NewSGD(nn.Parameters(model), optim.SGDOptions{LR: 0.1, Momentum: 0.9})
func NewSGD(params []*tensor.Tensor, opts ...SGDOptions) *SGD {
	return NewSGDGroups([]GroupSpec{{Params: params}}, optionsOf(opts))
}

// NewSGDGroups returns an SGD optimizer over parameter groups, each taking
// the hyperparameters its Options do not set from defaults.
func NewSGDGroups(groups []GroupSpec, defaults SGDOptions) *SGD {
	o := &SGD{state: map[*tensor.Tensor]*tensor.Tensor{}}
	o.init(sgdKind, "NewSGD", groups, defaults.defaults())
	return o
}

// optionsOf returns the first options value, or the zero value.
func optionsOf[O any](opts []O) O {
	var o O
	if len(opts) > 0 {
		o = opts[0]
	}
	return o
}

// Step updates every parameter that has a gradient.
func (o *SGD) Step() {
	for _, g := range o.groups {
		h := g.Hyper
		hp := sgdHyper{
			lr: g.LR, momentum: h["momentum"], dampening: h["dampening"],
			wd: h["weight_decay"], nesterov: optimFlag(h, "nesterov"), maximize: optimFlag(h, "maximize"),
		}
		for _, p := range g.Params {
			grad := p.Grad()
			if grad == nil {
				continue
			}
			buf := o.state[p]
			first := false
			if hp.momentum != 0 && buf == nil {
				buf, first = optimZeros(p), true
				o.state[p] = buf
			}
			if hp.momentum == 0 {
				buf = nil
			}
			switch p.DType() {
			case tensor.Float32:
				sgdUpdate(o.k32, &o.s32, optimPrepare[float32]("SGD", p, grad), buf, first, hp)
			case tensor.Float64:
				sgdUpdate(o.k64, &o.s64, optimPrepare[float64]("SGD", p, grad), buf, first, hp)
			default:
				panic(fmt.Sprintf("optim.SGD.Step: parameter of dtype %v", p.DType()))
			}
		}
	}
}

type sgdHyper struct {
	lr, momentum, dampening, wd float64
	nesterov, maximize          bool
}

func sgdUpdate[T optimFloat](k *optimKern[T], sc *optimScratch[T], pp optimParam[T], bufT *tensor.Tensor, first bool, hp sgdHyper) {
	var buf []T
	if bufT != nil {
		buf = optimData[T](bufT)
	}
	p, g := pp.p, pp.g
	m := T(hp.momentum)
	optimBlocks(sc, len(p), 1, func(lo, hi int, tmp [][]T) {
		d := g[lo:hi]
		pb := p[lo:hi]
		if hp.maximize || hp.wd != 0 {
			t := tmp[0]
			if hp.maximize {
				k.scale(t, d, -1)
			} else {
				copy(t, d)
			}
			if hp.wd != 0 {
				k.axpy(T(hp.wd), pb, t) // d_p.add(param, alpha=weight_decay)
			}
			d = t
		}
		if buf != nil {
			b := buf[lo:hi]
			if first {
				copy(b, d) // torch.clone(d_p)
			} else {
				k.scale(b, b, m)
				k.axpy(T(1-hp.dampening), d, b)
			}
			if hp.nesterov {
				t := tmp[0]
				if &t[0] != &d[0] {
					copy(t, d)
				}
				k.axpy(m, b, t)
				d = t
			} else {
				d = b
			}
		}
		k.axpy(T(-hp.lr), d, pb)
	})
	pp.done()
}

// StateDict returns the state in PyTorch's layout: "momentum_buffer" for
// each parameter that has one, and the groups' hyperparameters. The
// tensors are copies. (PyTorch also lists a None buffer for parameters
// stepped without momentum; those are left out.)
func (o *SGD) StateDict() StateDict {
	sd := StateDict{State: map[int]map[string]*tensor.Tensor{}, Groups: o.packGroups()}
	for p, i := range o.paramIndex() {
		if b := o.state[p]; b != nil {
			sd.State[i] = map[string]*tensor.Tensor{"momentum_buffer": optimCopy(b)}
		}
	}
	return sd
}

// LoadStateDict restores a state from StateDict (or PyTorch's layout),
// copying its tensors; on error nothing changes.
func (o *SGD) LoadStateDict(sd StateDict) error {
	lrs, initial, hypers, idMap, err := o.unpackGroups(sd.Groups)
	if err != nil {
		return err
	}
	state := map[*tensor.Tensor]*tensor.Tensor{}
	for _, id := range sortedStateIDs(sd.State) {
		st := sd.State[id]
		p, ok := idMap[id]
		if !ok {
			return fmt.Errorf("optim: SGD.LoadStateDict: state for parameter index %d, which no group lists", id)
		}
		if err := checkStateKeys("SGD", st, "momentum_buffer"); err != nil {
			return err
		}
		if b, ok := st["momentum_buffer"]; ok && b != nil {
			t, err := stateTensor("SGD", p, "momentum_buffer", b)
			if err != nil {
				return err
			}
			state[p] = t
		}
	}
	o.commitGroups(lrs, initial, hypers)
	o.state = state
	return nil
}
