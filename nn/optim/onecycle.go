package optim

import (
	"fmt"
	"math"
	"slices"
)

// OneCycleLROptions are OneCycleLR's optional settings; zero values mean
// PyTorch's defaults.
type OneCycleLROptions struct {
	// MaxLRs sets a peak learning rate per group, overriding NewOneCycleLR's
	// maxLR.
	MaxLRs []float64
	// PctStart is the fraction of the cycle spent increasing the learning
	// rate (default 0.3).
	PctStart float64
	// AnnealStrategy is "cos" (the default, also "") or "linear".
	AnnealStrategy string
	// NoCycleMomentum keeps the momentum fixed (cycle_momentum=False).
	// Otherwise the momentum (SGD's and RMSprop's "momentum", Adam's and
	// AdamW's beta1) cycles inversely to the learning rate between
	// MaxMomentum and BaseMomentum.
	NoCycleMomentum bool
	// BaseMomentum and MaxMomentum default to 0.85 and 0.95.
	BaseMomentum, MaxMomentum float64
	// DivFactor gives the initial rate max_lr/DivFactor (default 25);
	// FinalDivFactor the final one initial_lr/FinalDivFactor (default 1e4).
	DivFactor, FinalDivFactor float64
	// ThreePhase uses a third phase that anneals from initial_lr to the
	// final rate, after a symmetric rise and fall (fast.ai's schedule).
	ThreePhase bool
}

// oneCyclePhase is one entry of PyTorch's _schedule_phases: the group keys
// to anneal between, up to end_step.
type oneCyclePhase struct {
	endStep                    float64
	startLR, endLR             string
	startMomentum, endMomentum string
}

// OneCycleLR is the 1cycle policy, as torch.optim.lr_scheduler.OneCycleLR:
// the learning rate rises from max_lr/DivFactor to max_lr over the first
// PctStart of totalSteps, then anneals to initial_lr/FinalDivFactor, while
// the momentum does the opposite. Step it after every batch; stepping more
// than totalSteps times panics, as PyTorch raises.
//
// Like PyTorch's, it keeps its per-group values in the optimizer's groups:
// InitialLR, and Hyper's "max_lr", "min_lr" and, when cycling momentum,
// "max_momentum" and "base_momentum", so they travel with the optimizer's
// state dict.
type OneCycleLR struct {
	schedBase
	totalSteps    int
	phases        []oneCyclePhase
	anneal        string
	cycleMomentum bool
	useBeta1      bool
}

// NewOneCycleLR returns a OneCycleLR over opt peaking at maxLR after
// PctStart·totalSteps steps; like PyTorch's it sets each group's
// initial_lr (to max_lr/DivFactor, replacing any earlier one) and momentum
// and performs the initial step. It panics when cycling momentum with an
// optimizer that has none (Adagrad).
func NewOneCycleLR(opt Optimizer, maxLR float64, totalSteps int, opts ...OneCycleLROptions) *OneCycleLR {
	o := optionsOf(opts)
	if opt == nil {
		panic("optim.NewOneCycleLR: nil optimizer")
	}
	if totalSteps <= 0 {
		panic(fmt.Sprintf("optim.NewOneCycleLR: expected positive integer total_steps, but got %d", totalSteps))
	}
	pct := orDefault(o.PctStart, 0.3)
	if pct < 0 || pct > 1 {
		panic(fmt.Sprintf("optim.NewOneCycleLR: expected float between 0 and 1 pct_start, but got %v", pct))
	}
	anneal := o.AnnealStrategy
	if anneal == "" {
		anneal = "cos"
	}
	if anneal != "cos" && anneal != "linear" {
		panic(fmt.Sprintf("optim.NewOneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got %q", anneal))
	}
	div, finalDiv := orDefault(o.DivFactor, 25), orDefault(o.FinalDivFactor, 1e4)
	groups := opt.Groups()
	maxLRs := o.MaxLRs
	if maxLRs == nil {
		for range groups {
			maxLRs = append(maxLRs, maxLR)
		}
	} else if len(maxLRs) != len(groups) {
		panic(fmt.Sprintf("optim.NewOneCycleLR: expected %d values for max_lr, got %d", len(groups), len(maxLRs)))
	}
	s := &OneCycleLR{totalSteps: totalSteps, anneal: anneal, cycleMomentum: !o.NoCycleMomentum}
	n := float64(totalSteps)
	if o.ThreePhase {
		s.phases = []oneCyclePhase{
			{float64(pct*n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
			{float64(2*pct*n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
			{n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"},
		}
	} else {
		s.phases = []oneCyclePhase{
			{float64(pct*n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
			{n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"},
		}
	}
	if s.cycleMomentum {
		_, hasMomentum := groups[0].Hyper["momentum"]
		_, hasBeta1 := groups[0].Hyper["beta1"]
		if !hasMomentum && !hasBeta1 {
			panic("optim.NewOneCycleLR: optimizer must support momentum with `cycle_momentum` option enabled (set NoCycleMomentum)")
		}
		s.useBeta1 = hasBeta1
	}
	for i, g := range groups {
		g.InitialLR = maxLRs[i] / div
		g.Hyper["max_lr"] = maxLRs[i]
		g.Hyper["min_lr"] = g.InitialLR / finalDiv
		if s.cycleMomentum {
			maxM, baseM := orDefault(o.MaxMomentum, 0.95), orDefault(o.BaseMomentum, 0.85)
			if s.useBeta1 {
				g.Hyper["beta1"] = maxM
			} else {
				g.Hyper["momentum"] = maxM
			}
			g.Hyper["max_momentum"] = maxM
			g.Hyper["base_momentum"] = baseM
		}
	}
	s.attach("OneCycleLR", opt, s)
	return s
}

// groupValue reads a group key as PyTorch's group dict holds it.
func groupValue(g *Group, key string) float64 {
	switch key {
	case "initial_lr":
		return g.InitialLR
	case "lr":
		return g.LR
	}
	return g.Hyper[key]
}

func (s *OneCycleLR) annealFn(start, end, pct float64) float64 {
	if s.anneal == "linear" {
		return float64((end-start)*pct) + start
	}
	cosOut := optimCos(math.Pi*pct) + 1
	return end + float64((start-end)/2.0*cosOut)
}

func (s *OneCycleLR) getLR(b *schedBase) []float64 {
	step := b.lastEpoch
	if step > s.totalSteps {
		panic(fmt.Sprintf("optim.OneCycleLR.Step: tried to step %d times; the specified number of total steps is %d", step+1, s.totalSteps))
	}
	groups := b.opt.Groups()
	lrs := make([]float64, len(groups))
	for gi, g := range groups {
		start := 0.0
		var lr, mom float64
		for i, ph := range s.phases {
			if float64(step) <= ph.endStep || i == len(s.phases)-1 {
				pct := (float64(step) - start) / (ph.endStep - start)
				lr = s.annealFn(groupValue(g, ph.startLR), groupValue(g, ph.endLR), pct)
				if s.cycleMomentum {
					mom = s.annealFn(groupValue(g, ph.startMomentum), groupValue(g, ph.endMomentum), pct)
				}
				break
			}
			start = ph.endStep
		}
		lrs[gi] = lr
		if s.cycleMomentum {
			if s.useBeta1 {
				g.Hyper["beta1"] = mom
			} else {
				g.Hyper["momentum"] = mom
			}
		}
	}
	return lrs
}

func (s *OneCycleLR) closedForm(*schedBase) ([]float64, bool) { return nil, false }

// save stores PyTorch's attributes, with the anneal function by name
// ("anneal_strategy") where PyTorch pickles the method.
func (s *OneCycleLR) save(m map[string]any) {
	phases := make([]any, len(s.phases))
	for i, p := range s.phases {
		phases[i] = map[string]any{
			"end_step": p.endStep, "start_lr": p.startLR, "end_lr": p.endLR,
			"start_momentum": p.startMomentum, "end_momentum": p.endMomentum,
		}
	}
	m["total_steps"] = s.totalSteps
	m["_schedule_phases"] = phases
	m["anneal_strategy"] = s.anneal
	m["cycle_momentum"] = s.cycleMomentum
	if s.cycleMomentum {
		m["use_beta1"] = s.useBeta1
	}
}

func (s *OneCycleLR) load(r *sdReader) {
	total := r.int("total_steps")
	anneal := r.string("anneal_strategy")
	cycle := r.bool("cycle_momentum")
	useBeta1 := false
	if _, ok := r.m["use_beta1"]; ok {
		useBeta1 = r.bool("use_beta1")
	}
	var phases []oneCyclePhase
	raw, ok := r.m["_schedule_phases"]
	var list []any
	switch x := raw.(type) {
	case []any:
		list = x
	case []map[string]any:
		for _, e := range x {
			list = append(list, e)
		}
	default:
		ok = false
	}
	if !ok {
		r.fail("_schedule_phases", fmt.Errorf("not a list: %T", raw))
	}
	for i, e := range list {
		pm, isMap := e.(map[string]any)
		if !isMap {
			r.fail("_schedule_phases", fmt.Errorf("entry %d is %T", i, e))
			break
		}
		pr := &sdReader{who: r.who, m: pm}
		phases = append(phases, oneCyclePhase{pr.float("end_step"), pr.string("start_lr"), pr.string("end_lr"),
			pr.string("start_momentum"), pr.string("end_momentum")})
		if pr.err != nil {
			r.fail("_schedule_phases", pr.err)
		}
	}
	if anneal != "cos" && anneal != "linear" && r.err == nil {
		r.fail("anneal_strategy", fmt.Errorf("must be cos or linear, got %q", anneal))
	}
	if r.err != nil {
		return
	}
	s.totalSteps, s.anneal, s.cycleMomentum, s.useBeta1, s.phases = total, anneal, cycle, useBeta1, slices.Clone(phases)
}
