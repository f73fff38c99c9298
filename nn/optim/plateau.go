package optim

import (
	"fmt"
	"math"
	"slices"
)

// ReduceLROnPlateauOptions are ReduceLROnPlateau's settings; zero values
// mean PyTorch's defaults.
type ReduceLROnPlateauOptions struct {
	// Mode is "min" (the default, also ""): reduce when the metric stops
	// decreasing; or "max": when it stops increasing.
	Mode string
	// Factor multiplies the learning rate at each reduction (default 0.1;
	// must be below 1).
	Factor float64
	// Patience is the number of epochs without improvement tolerated
	// before reducing (default 10; NoPatience for 0).
	Patience   int
	NoPatience bool
	// Threshold is the least change that counts as an improvement
	// (default 1e-4; NoThreshold for 0), relative to the best value when
	// ThresholdMode is "rel" (the default, also "") or absolute with "abs".
	Threshold     float64
	NoThreshold   bool
	ThresholdMode string
	// Cooldown is the number of epochs after a reduction during which bad
	// epochs are not counted (default 0).
	Cooldown int
	// MinLR is a lower bound on every group's learning rate (default 0);
	// MinLRs sets one per group instead.
	MinLR  float64
	MinLRs []float64
	// Eps is the least change of the learning rate that is applied
	// (default 1e-8).
	Eps float64
}

// ReduceLROnPlateau lowers the learning rate when a metric has stopped
// improving, as torch.optim.lr_scheduler.ReduceLROnPlateau. It needs the
// metric, so it is stepped with StepMetric(v) once per evaluation; Step
// (which the Scheduler interface requires, so that checkpoints can store
// this scheduler as any other) panics.
type ReduceLROnPlateau struct {
	opt                    Optimizer
	mode, thresholdMode    string
	factor, threshold, eps float64
	patience, cooldown     int
	minLRs                 []float64
	best, modeWorse        float64
	numBadEpochs           int
	cooldownCounter        int
	lastEpoch              int
	lastLR                 []float64
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau over opt. Unlike the
// other schedulers it does not touch the learning rates until a reduction.
func NewReduceLROnPlateau(opt Optimizer, opts ...ReduceLROnPlateauOptions) *ReduceLROnPlateau {
	o := optionsOf(opts)
	if opt == nil {
		panic("optim.NewReduceLROnPlateau: nil optimizer")
	}
	s := &ReduceLROnPlateau{
		opt:           opt,
		mode:          o.Mode,
		thresholdMode: o.ThresholdMode,
		factor:        orDefault(o.Factor, 0.1),
		threshold:     orDefault(o.Threshold, 1e-4),
		eps:           orDefault(o.Eps, 1e-8),
		patience:      o.Patience,
		cooldown:      o.Cooldown,
	}
	if s.mode == "" {
		s.mode = "min"
	}
	if s.thresholdMode == "" {
		s.thresholdMode = "rel"
	}
	if o.Patience == 0 && !o.NoPatience {
		s.patience = 10
	}
	if o.NoThreshold {
		s.threshold = 0
	}
	if s.factor >= 1 {
		panic(fmt.Sprintf("optim.NewReduceLROnPlateau: Factor should be < 1.0, got %v", s.factor))
	}
	n := len(opt.Groups())
	if o.MinLRs != nil {
		if len(o.MinLRs) != n {
			panic(fmt.Sprintf("optim.NewReduceLROnPlateau: expected %d min_lrs, got %d", n, len(o.MinLRs)))
		}
		s.minLRs = slices.Clone(o.MinLRs)
	} else {
		for range n {
			s.minLRs = append(s.minLRs, o.MinLR)
		}
	}
	if err := s.initIsBetter(); err != nil {
		panic("optim.NewReduceLROnPlateau: " + err.Error())
	}
	s.reset()
	s.lastLR = groupLRs(opt)
	return s
}

func (s *ReduceLROnPlateau) initIsBetter() error {
	switch s.mode {
	case "min":
		s.modeWorse = math.Inf(1)
	case "max":
		s.modeWorse = math.Inf(-1)
	default:
		return fmt.Errorf("mode %q is unknown (want min or max)", s.mode)
	}
	if s.thresholdMode != "rel" && s.thresholdMode != "abs" {
		return fmt.Errorf("threshold mode %q is unknown (want rel or abs)", s.thresholdMode)
	}
	return nil
}

func (s *ReduceLROnPlateau) reset() {
	s.best = s.modeWorse
	s.cooldownCounter = 0
	s.numBadEpochs = 0
}

// Step panics: ReduceLROnPlateau needs the metric. Call StepMetric.
func (s *ReduceLROnPlateau) Step() {
	panic("optim.ReduceLROnPlateau.Step: this scheduler needs the monitored metric; call StepMetric(v) after each evaluation instead")
}

// StepMetric records the epoch's metric (a validation loss, say) and
// reduces the learning rates when it has not improved for more than
// Patience epochs, as PyTorch's step(metrics).
func (s *ReduceLROnPlateau) StepMetric(v float64) {
	s.lastEpoch++
	if s.isBetter(v, s.best) {
		s.best = v
		s.numBadEpochs = 0
	} else {
		s.numBadEpochs++
	}
	if s.cooldownCounter > 0 {
		s.cooldownCounter--
		s.numBadEpochs = 0
	}
	if s.numBadEpochs > s.patience {
		s.reduceLR()
		s.cooldownCounter = s.cooldown
		s.numBadEpochs = 0
	}
	s.lastLR = groupLRs(s.opt)
}

func (s *ReduceLROnPlateau) reduceLR() {
	for i, g := range s.opt.Groups() {
		old := g.LR
		lr := math.Max(old*s.factor, s.minLRs[i])
		if old-lr > s.eps {
			g.LR = lr
		}
	}
}

func (s *ReduceLROnPlateau) isBetter(a, best float64) bool {
	switch {
	case s.mode == "min" && s.thresholdMode == "rel":
		return a < best*(1-s.threshold)
	case s.mode == "min":
		return a < best-s.threshold
	case s.thresholdMode == "rel":
		return a > best*(s.threshold+1)
	default:
		return a > best+s.threshold
	}
}

// LastLR returns each group's learning rate after the last StepMetric (the
// current ones before the first).
func (s *ReduceLROnPlateau) LastLR() []float64 { return slices.Clone(s.lastLR) }

// Best returns the best metric seen so far (+Inf in min mode, -Inf in max
// mode before any).
func (s *ReduceLROnPlateau) Best() float64 { return s.best }

// NumBadEpochs returns the number of epochs since the last improvement
// that count towards Patience.
func (s *ReduceLROnPlateau) NumBadEpochs() int { return s.numBadEpochs }

// StateDict returns the settings and counters under PyTorch's attribute
// names; infinite values (best and mode_worse before any metric) are the
// strings "inf" and "-inf", so that encoding/json can write them.
func (s *ReduceLROnPlateau) StateDict() map[string]any {
	return map[string]any{
		"factor":           s.factor,
		"min_lrs":          sdNums(s.minLRs),
		"patience":         s.patience,
		"verbose":          false,
		"cooldown":         s.cooldown,
		"cooldown_counter": s.cooldownCounter,
		"mode":             s.mode,
		"threshold":        s.threshold,
		"threshold_mode":   s.thresholdMode,
		"best":             sdNum(s.best),
		"num_bad_epochs":   s.numBadEpochs,
		"mode_worse":       sdNum(s.modeWorse),
		"eps":              s.eps,
		"last_epoch":       s.lastEpoch,
		"_last_lr":         sdNums(s.lastLR),
	}
}

// LoadStateDict restores a state from StateDict (also after a JSON round
// trip); on error nothing changes.
func (s *ReduceLROnPlateau) LoadStateDict(sd map[string]any) error {
	r := &sdReader{who: "ReduceLROnPlateau.LoadStateDict", m: sd}
	n := *s
	n.factor, n.minLRs, n.patience = r.float("factor"), r.floats("min_lrs"), r.int("patience")
	n.cooldown, n.cooldownCounter = r.int("cooldown"), r.int("cooldown_counter")
	n.mode, n.threshold, n.thresholdMode = r.string("mode"), r.float("threshold"), r.string("threshold_mode")
	n.best, n.numBadEpochs, n.eps, n.lastEpoch = r.float("best"), r.int("num_bad_epochs"), r.float("eps"), r.int("last_epoch")
	if _, ok := sd["_last_lr"]; ok {
		n.lastLR = r.floats("_last_lr")
	}
	if r.err != nil {
		return r.err
	}
	if err := n.initIsBetter(); err != nil {
		return fmt.Errorf("optim: ReduceLROnPlateau.LoadStateDict: %w", err)
	}
	if g := len(s.opt.Groups()); len(n.minLRs) != g || len(n.lastLR) != g {
		return fmt.Errorf("optim: ReduceLROnPlateau.LoadStateDict: state for %d groups, the optimizer has %d", len(n.minLRs), g)
	}
	*s = n
	return nil
}
