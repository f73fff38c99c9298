package optim

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// lrRule is a scheduler's formula, PyTorch's get_lr and
// _get_closed_form_lr, with the settings it adds to the state dict.
type lrRule interface {
	getLR(s *schedBase) []float64
	// closedForm returns the rates as a function of last_epoch alone, or
	// false when the scheduler has none (SequentialLR then uses getLR).
	closedForm(s *schedBase) ([]float64, bool)
	save(m map[string]any)
	load(r *sdReader)
}

// schedBase is PyTorch's _LRScheduler: it attaches to an optimizer,
// records each group's initial_lr and performs the initial step.
type schedBase struct {
	name      string
	opt       Optimizer
	baseLRs   []float64
	lastEpoch int
	stepCount int
	lastLR    []float64
	rule      lrRule
}

// lrScheduler is implemented by this package's epoch-based schedulers, the
// ones SequentialLR and ChainedScheduler can drive.
type lrScheduler interface {
	Scheduler
	base() *schedBase
}

func (s *schedBase) base() *schedBase { return s }

// attach is _LRScheduler.__init__ with last_epoch=-1: each group's
// initial_lr is set to its lr unless a scheduler set it before, and the
// initial step (last_epoch 0) runs.
func (s *schedBase) attach(name string, opt Optimizer, rule lrRule) {
	if opt == nil {
		panic(fmt.Sprintf("optim.New%s: nil optimizer", name))
	}
	s.name, s.opt, s.rule = name, opt, rule
	s.baseLRs = nil
	for _, g := range opt.Groups() {
		if g.InitialLR == 0 {
			g.InitialLR = g.LR
		}
		s.baseLRs = append(s.baseLRs, g.InitialLR)
	}
	s.lastEpoch = -1
	s.initialStep()
}

func (s *schedBase) initialStep() {
	s.stepCount = 0
	s.Step()
}

// Step advances the schedule by one epoch (by one batch for OneCycleLR)
// and sets the groups' learning rates. Call it after the optimizer's Step.
func (s *schedBase) Step() {
	s.stepCount++
	s.lastEpoch++
	s.apply(s.rule.getLR(s))
}

// stepTo is PyTorch's deprecated step(epoch): it jumps to epoch with the
// closed form where there is one. SequentialLR uses it with epoch 0.
func (s *schedBase) stepTo(epoch int) {
	s.stepCount++
	s.lastEpoch = epoch
	v, ok := s.rule.closedForm(s)
	if !ok {
		v = s.rule.getLR(s)
	}
	s.apply(v)
}

func (s *schedBase) apply(lrs []float64) {
	for i, g := range s.opt.Groups() {
		g.LR = lrs[i]
	}
	s.lastLR = groupLRs(s.opt)
}

func groupLRs(opt Optimizer) []float64 {
	var lrs []float64
	for _, g := range opt.Groups() {
		lrs = append(lrs, g.LR)
	}
	return lrs
}

// lrs returns the groups' current learning rates.
func (s *schedBase) lrs() []float64 { return groupLRs(s.opt) }

// LastLR returns each group's learning rate after the last Step (PyTorch's
// get_last_lr()).
func (s *schedBase) LastLR() []float64 { return slices.Clone(s.lastLR) }

// LastEpoch returns the number of Steps since construction (PyTorch's
// last_epoch; 0 right after construction).
func (s *schedBase) LastEpoch() int { return s.lastEpoch }

// StateDict returns the scheduler's counters and settings under PyTorch's
// attribute names (base_lrs, last_epoch, _step_count, _last_lr and the
// scheduler's own), all JSON-encodable.
func (s *schedBase) StateDict() map[string]any {
	m := map[string]any{
		"base_lrs":                   slices.Clone(s.baseLRs),
		"last_epoch":                 s.lastEpoch,
		"_step_count":                s.stepCount,
		"_last_lr":                   slices.Clone(s.lastLR),
		"verbose":                    false,
		"_get_lr_called_within_step": false,
	}
	s.rule.save(m)
	return m
}

// LoadStateDict restores a state from StateDict (also after a JSON round
// trip); on error nothing changes.
func (s *schedBase) LoadStateDict(sd map[string]any) error {
	r := &sdReader{who: s.name + ".LoadStateDict", m: sd}
	base := r.floats("base_lrs")
	last := r.int("last_epoch")
	count := r.int("_step_count")
	lastLR := r.floats("_last_lr")
	if r.err != nil {
		return r.err
	}
	if n := len(s.opt.Groups()); len(base) != n || len(lastLR) != n {
		return fmt.Errorf("optim: %s.LoadStateDict: state for %d groups, the optimizer has %d", s.name, len(base), n)
	}
	// Check the rule's settings on a copy before changing anything.
	if err := loadRule(s.rule, r); err != nil {
		return err
	}
	s.baseLRs, s.lastEpoch, s.stepCount, s.lastLR = base, last, count, lastLR
	return nil
}

// loadRule loads the rule's settings, leaving it unchanged on error.
func loadRule(rule lrRule, r *sdReader) error {
	probe := map[string]any{}
	rule.save(probe) // the current settings, restored on error
	rule.load(r)
	if r.err != nil {
		rule.load(&sdReader{m: probe})
		return r.err
	}
	return nil
}

// ---- StepLR ----

// StepLROptions are StepLR's optional settings.
type StepLROptions struct {
	Gamma float64 // decay factor; 0 means PyTorch's 0.1
}

// StepLR multiplies each group's learning rate by Gamma every StepSize
// epochs, as torch.optim.lr_scheduler.StepLR.
type StepLR struct {
	schedBase
	stepSize int
	gamma    float64
}

// NewStepLR returns a StepLR over opt; like PyTorch's it sets each group's
// initial_lr and performs the initial step.
func NewStepLR(opt Optimizer, stepSize int, opts ...StepLROptions) *StepLR {
	if stepSize <= 0 {
		panic(fmt.Sprintf("optim.NewStepLR: step size must be positive, got %d", stepSize))
	}
	s := &StepLR{stepSize: stepSize, gamma: orDefault(optionsOf(opts).Gamma, 0.1)}
	s.attach("StepLR", opt, s)
	return s
}

func (s *StepLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	if b.lastEpoch == 0 || b.lastEpoch%s.stepSize != 0 {
		return lrs
	}
	for i := range lrs {
		lrs[i] *= s.gamma
	}
	return lrs
}

func (s *StepLR) closedForm(b *schedBase) ([]float64, bool) {
	out := make([]float64, len(b.baseLRs))
	for i, lr := range b.baseLRs {
		out[i] = lr * optimPow(s.gamma, float64(pyFloorDiv(b.lastEpoch, s.stepSize)))
	}
	return out, true
}

func (s *StepLR) save(m map[string]any) { m["step_size"], m["gamma"] = s.stepSize, s.gamma }
func (s *StepLR) load(r *sdReader)      { s.stepSize, s.gamma = r.int("step_size"), r.float("gamma") }

// pyFloorDiv is Python's a // b for ints.
func pyFloorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// ---- MultiStepLR ----

// MultiStepLROptions are MultiStepLR's optional settings.
type MultiStepLROptions struct {
	Gamma float64 // decay factor; 0 means PyTorch's 0.1
}

// MultiStepLR multiplies each group's learning rate by Gamma at each
// milestone epoch (by Gamma^k for a milestone listed k times), as
// torch.optim.lr_scheduler.MultiStepLR.
type MultiStepLR struct {
	schedBase
	milestones []int // sorted, with repeats
	gamma      float64
}

// NewMultiStepLR returns a MultiStepLR over opt; like PyTorch's it sets
// each group's initial_lr and performs the initial step.
func NewMultiStepLR(opt Optimizer, milestones []int, opts ...MultiStepLROptions) *MultiStepLR {
	ms := slices.Clone(milestones)
	sort.Ints(ms)
	s := &MultiStepLR{milestones: ms, gamma: orDefault(optionsOf(opts).Gamma, 0.1)}
	s.attach("MultiStepLR", opt, s)
	return s
}

func (s *MultiStepLR) count(e int) int {
	n := 0
	for _, m := range s.milestones {
		if m == e {
			n++
		}
	}
	return n
}

func (s *MultiStepLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	n := s.count(b.lastEpoch)
	if n == 0 {
		return lrs
	}
	f := s.gamma
	if n > 1 {
		f = optimPow(s.gamma, float64(n))
	}
	for i := range lrs {
		lrs[i] *= f
	}
	return lrs
}

func (s *MultiStepLR) closedForm(b *schedBase) ([]float64, bool) {
	k := sort.SearchInts(s.milestones, b.lastEpoch+1) // bisect_right
	out := make([]float64, len(b.baseLRs))
	for i, lr := range b.baseLRs {
		out[i] = lr * optimPow(s.gamma, float64(k))
	}
	return out, true
}

// save stores the milestones as a sorted list (PyTorch keeps a Counter).
func (s *MultiStepLR) save(m map[string]any) {
	m["milestones"], m["gamma"] = slices.Clone(s.milestones), s.gamma
}

func (s *MultiStepLR) load(r *sdReader) {
	ms := r.ints("milestones")
	sort.Ints(ms)
	s.milestones, s.gamma = ms, r.float("gamma")
}

// ---- ExponentialLR ----

// ExponentialLR multiplies each group's learning rate by Gamma every
// epoch, as torch.optim.lr_scheduler.ExponentialLR.
type ExponentialLR struct {
	schedBase
	gamma float64
}

// NewExponentialLR returns an ExponentialLR over opt; like PyTorch's it
// sets each group's initial_lr and performs the initial step.
func NewExponentialLR(opt Optimizer, gamma float64) *ExponentialLR {
	s := &ExponentialLR{gamma: gamma}
	s.attach("ExponentialLR", opt, s)
	return s
}

func (s *ExponentialLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	if b.lastEpoch == 0 {
		return lrs
	}
	for i := range lrs {
		lrs[i] *= s.gamma
	}
	return lrs
}

func (s *ExponentialLR) closedForm(b *schedBase) ([]float64, bool) {
	out := make([]float64, len(b.baseLRs))
	for i, lr := range b.baseLRs {
		out[i] = lr * optimPow(s.gamma, float64(b.lastEpoch))
	}
	return out, true
}

func (s *ExponentialLR) save(m map[string]any) { m["gamma"] = s.gamma }
func (s *ExponentialLR) load(r *sdReader)      { s.gamma = r.float("gamma") }

// ---- CosineAnnealingLR ----

// CosineAnnealingLROptions are CosineAnnealingLR's optional settings.
type CosineAnnealingLROptions struct {
	EtaMin float64 // the lowest learning rate (default 0)
}

// CosineAnnealingLR anneals each group's learning rate from its initial
// value to EtaMin over TMax epochs along a half cosine, and back up over
// the next TMax, as torch.optim.lr_scheduler.CosineAnnealingLR. Like
// PyTorch's it uses the recursive form, so it composes with other changes
// to the learning rate.
type CosineAnnealingLR struct {
	schedBase
	tMax   int
	etaMin float64
}

// NewCosineAnnealingLR returns a CosineAnnealingLR over opt; like PyTorch's
// it sets each group's initial_lr and performs the initial step.
func NewCosineAnnealingLR(opt Optimizer, tMax int, opts ...CosineAnnealingLROptions) *CosineAnnealingLR {
	if tMax <= 0 {
		panic(fmt.Sprintf("optim.NewCosineAnnealingLR: T_max must be positive, got %d", tMax))
	}
	s := &CosineAnnealingLR{tMax: tMax, etaMin: optionsOf(opts).EtaMin}
	s.attach("CosineAnnealingLR", opt, s)
	return s
}

func (s *CosineAnnealingLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	e, t := float64(b.lastEpoch), float64(s.tMax)
	switch {
	case b.lastEpoch == 0:
		return lrs
	case b.stepCount == 1 && b.lastEpoch > 0:
		for i, base := range b.baseLRs {
			lrs[i] = s.etaMin + float64(float64((base-s.etaMin)*(1+optimCos(e*math.Pi/t)))/2)
		}
	case pyMod(b.lastEpoch-1-s.tMax, 2*s.tMax) == 0:
		for i, base := range b.baseLRs {
			lrs[i] += float64(float64((base-s.etaMin)*(1-optimCos(math.Pi/t))) / 2)
		}
	default:
		f := (1 + optimCos(math.Pi*e/t)) / (1 + optimCos(math.Pi*(e-1)/t))
		for i := range lrs {
			lrs[i] = float64(f*(lrs[i]-s.etaMin)) + s.etaMin
		}
	}
	return lrs
}

func (s *CosineAnnealingLR) closedForm(b *schedBase) ([]float64, bool) {
	out := make([]float64, len(b.baseLRs))
	e, t := float64(b.lastEpoch), float64(s.tMax)
	for i, base := range b.baseLRs {
		out[i] = s.etaMin + float64(float64((base-s.etaMin)*(1+optimCos(math.Pi*e/t)))/2)
	}
	return out, true
}

func (s *CosineAnnealingLR) save(m map[string]any) { m["T_max"], m["eta_min"] = s.tMax, s.etaMin }
func (s *CosineAnnealingLR) load(r *sdReader)      { s.tMax, s.etaMin = r.int("T_max"), r.float("eta_min") }

// pyMod is Python's a % b for ints (the sign of b).
func pyMod(a, b int) int {
	m := a % b
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

// ---- LinearLR ----

// LinearLR scales each group's initial learning rate by a factor that goes
// linearly from startFactor to endFactor over totalIters epochs and stays
// there, as torch.optim.lr_scheduler.LinearLR: the usual linear warm-up is
// NewLinearLR(opt, 0.01, 1, warmupSteps). PyTorch's defaults are 1/3, 1
// and 5.
type LinearLR struct {
	schedBase
	startFactor, endFactor float64
	totalIters             int
}

// NewLinearLR returns a LinearLR over opt; like PyTorch's it sets each
// group's initial_lr and performs the initial step (the rate becomes
// startFactor·lr). The factors must lie in (0, 1] and [0, 1].
func NewLinearLR(opt Optimizer, startFactor, endFactor float64, totalIters int) *LinearLR {
	if !(startFactor > 0 && startFactor <= 1) {
		panic(fmt.Sprintf("optim.NewLinearLR: starting multiplicative factor expected to be in (0, 1], got %v", startFactor))
	}
	if !(endFactor >= 0 && endFactor <= 1) {
		panic(fmt.Sprintf("optim.NewLinearLR: ending multiplicative factor expected to be between 0 and 1, got %v", endFactor))
	}
	if totalIters <= 0 {
		panic(fmt.Sprintf("optim.NewLinearLR: total_iters must be positive, got %d", totalIters))
	}
	s := &LinearLR{startFactor: startFactor, endFactor: endFactor, totalIters: totalIters}
	s.attach("LinearLR", opt, s)
	return s
}

func (s *LinearLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	switch {
	case b.lastEpoch == 0:
		for i := range lrs {
			lrs[i] *= s.startFactor
		}
	case b.lastEpoch > s.totalIters:
	default:
		d := s.endFactor - s.startFactor
		den := float64(float64(s.totalIters)*s.startFactor) + float64(float64(b.lastEpoch-1)*d)
		f := 1 + d/den
		for i := range lrs {
			lrs[i] *= f
		}
	}
	return lrs
}

func (s *LinearLR) closedForm(b *schedBase) ([]float64, bool) {
	out := make([]float64, len(b.baseLRs))
	f := s.startFactor + float64(s.endFactor-s.startFactor)*float64(min(s.totalIters, b.lastEpoch))/float64(s.totalIters)
	for i, lr := range b.baseLRs {
		out[i] = lr * f
	}
	return out, true
}

func (s *LinearLR) save(m map[string]any) {
	m["start_factor"], m["end_factor"], m["total_iters"] = s.startFactor, s.endFactor, s.totalIters
}

func (s *LinearLR) load(r *sdReader) {
	s.startFactor, s.endFactor, s.totalIters = r.float("start_factor"), r.float("end_factor"), r.int("total_iters")
}

// ---- ConstantLR ----

// ConstantLR scales each group's learning rate by factor for the first
// totalIters epochs, then restores it, as
// torch.optim.lr_scheduler.ConstantLR (PyTorch's defaults are 1/3 and 5).
type ConstantLR struct {
	schedBase
	factor     float64
	totalIters int
}

// NewConstantLR returns a ConstantLR over opt; like PyTorch's it sets each
// group's initial_lr and performs the initial step. factor must lie in
// (0, 1].
func NewConstantLR(opt Optimizer, factor float64, totalIters int) *ConstantLR {
	if !(factor > 0 && factor <= 1) {
		panic(fmt.Sprintf("optim.NewConstantLR: constant multiplicative factor expected to be in (0, 1], got %v", factor))
	}
	s := &ConstantLR{factor: factor, totalIters: totalIters}
	s.attach("ConstantLR", opt, s)
	return s
}

func (s *ConstantLR) getLR(b *schedBase) []float64 {
	lrs := b.lrs()
	f := 1.0
	switch {
	case b.lastEpoch == 0:
		f = s.factor
	case b.lastEpoch == s.totalIters:
		f = 1 / s.factor
	}
	if f != 1 {
		for i := range lrs {
			lrs[i] *= f
		}
	}
	return lrs
}

func (s *ConstantLR) closedForm(b *schedBase) ([]float64, bool) {
	f := s.factor
	if b.lastEpoch >= s.totalIters {
		f += 1 - s.factor
	}
	out := make([]float64, len(b.baseLRs))
	for i, lr := range b.baseLRs {
		out[i] = lr * f
	}
	return out, true
}

func (s *ConstantLR) save(m map[string]any) { m["factor"], m["total_iters"] = s.factor, s.totalIters }
func (s *ConstantLR) load(r *sdReader) {
	s.factor, s.totalIters = r.float("factor"), r.int("total_iters")
}

// ---- SequentialLR ----

// SequentialLR runs schedulers one after another, switching at the
// milestone epochs, as torch.optim.lr_scheduler.SequentialLR: a linear
// warm-up followed by cosine annealing is
//
//	warm := optim.NewLinearLR(opt, 0.01, 1, 5)
//	cos := optim.NewCosineAnnealingLR(opt, 95)
//	sched := optim.NewSequentialLR(opt, []optim.Scheduler{warm, cos}, []int{5})
//
// At a milestone the next scheduler restarts from epoch 0 with its closed
// form, as in PyTorch.
type SequentialLR struct {
	opt        Optimizer
	scheds     []lrScheduler
	milestones []int
	lastEpoch  int
	lastLR     []float64
}

// NewSequentialLR returns a SequentialLR over opt. The schedulers must be
// this package's epoch-based schedulers (not ReduceLROnPlateau) attached to
// opt, one more than the milestones. Like PyTorch's it resets the learning
// rates to their initial values and redoes the first scheduler's initial
// step.
func NewSequentialLR(opt Optimizer, schedulers []Scheduler, milestones []int) *SequentialLR {
	ss := checkChain("NewSequentialLR", opt, schedulers)
	if len(milestones) != len(ss)-1 {
		panic(fmt.Sprintf("optim.NewSequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers %d and the number of milestones to be equal to %d", len(ss), len(milestones)))
	}
	s := &SequentialLR{opt: opt, scheds: ss, milestones: slices.Clone(milestones), lastEpoch: 0}
	for _, g := range opt.Groups() {
		g.LR = g.InitialLR
	}
	for _, c := range ss {
		c.base().lastEpoch--
	}
	ss[0].base().initialStep()
	s.lastLR = ss[0].LastLR()
	return s
}

func checkChain(ctor string, opt Optimizer, schedulers []Scheduler) []lrScheduler {
	if len(schedulers) == 0 {
		panic(fmt.Sprintf("optim.%s: no schedulers", ctor))
	}
	var ss []lrScheduler
	for i, sc := range schedulers {
		c, ok := sc.(lrScheduler)
		if !ok {
			panic(fmt.Sprintf("optim.%s: scheduler %d (%T) is not an epoch-based scheduler of this package", ctor, i, sc))
		}
		if opt == nil {
			opt = c.base().opt
		}
		if c.base().opt != opt {
			panic(fmt.Sprintf("optim.%s: expects all schedulers to belong to the same optimizer, but got scheduler at index %d attached to a different one", ctor, i))
		}
		ss = append(ss, c)
	}
	return ss
}

// Step advances the schedule by one epoch.
func (s *SequentialLR) Step() {
	s.lastEpoch++
	idx := sort.SearchInts(s.milestones, s.lastEpoch+1) // bisect_right
	c := s.scheds[idx]
	if idx > 0 && s.milestones[idx-1] == s.lastEpoch {
		c.base().stepTo(0)
	} else {
		c.Step()
	}
	s.lastLR = c.LastLR()
}

// LastLR returns each group's learning rate after the last Step.
func (s *SequentialLR) LastLR() []float64 { return slices.Clone(s.lastLR) }

// StateDict returns the counters and, under "_schedulers", the state of
// each scheduler, as PyTorch's.
func (s *SequentialLR) StateDict() map[string]any {
	subs := make([]any, len(s.scheds))
	for i, c := range s.scheds {
		subs[i] = c.StateDict()
	}
	return map[string]any{
		"_milestones": slices.Clone(s.milestones),
		"last_epoch":  s.lastEpoch,
		"_last_lr":    slices.Clone(s.lastLR),
		"_schedulers": subs,
	}
}

// LoadStateDict restores a state from StateDict.
func (s *SequentialLR) LoadStateDict(sd map[string]any) error {
	r := &sdReader{who: "SequentialLR.LoadStateDict", m: sd}
	ms, last, lastLR := r.ints("_milestones"), r.int("last_epoch"), r.floats("_last_lr")
	if r.err != nil {
		return r.err
	}
	subs, err := subStates("SequentialLR", sd["_schedulers"], len(s.scheds))
	if err != nil {
		return err
	}
	if err := loadAll(s.scheds, subs); err != nil {
		return err
	}
	s.milestones, s.lastEpoch, s.lastLR = ms, last, lastLR
	return nil
}

// subStates reads the "_schedulers" list of a composite state dict.
func subStates(name string, v any, n int) ([]map[string]any, error) {
	var subs []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		subs = x
	case []any:
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("optim: %s.LoadStateDict: _schedulers[%d] is %T, not a state dict", name, i, e)
			}
			subs = append(subs, m)
		}
	default:
		return nil, fmt.Errorf("optim: %s.LoadStateDict: _schedulers is %T, not a list", name, v)
	}
	if len(subs) != n {
		return nil, fmt.Errorf("optim: %s.LoadStateDict: state for %d schedulers, have %d", name, len(subs), n)
	}
	return subs, nil
}

// loadAll loads each scheduler's state, restoring all on error.
func loadAll(ss []lrScheduler, subs []map[string]any) error {
	saved := make([]map[string]any, len(ss))
	for i, c := range ss {
		saved[i] = c.StateDict()
	}
	for i, c := range ss {
		if err := c.LoadStateDict(subs[i]); err != nil {
			for j := range i {
				_ = ss[j].LoadStateDict(saved[j])
			}
			return err
		}
	}
	return nil
}

// ---- ChainedScheduler ----

// ChainedScheduler steps several schedulers of one optimizer together, so
// their changes to the learning rate compose, as
// torch.optim.lr_scheduler.ChainedScheduler.
type ChainedScheduler struct {
	opt    Optimizer
	scheds []lrScheduler
	lastLR []float64
}

// NewChainedScheduler chains schedulers (this package's epoch-based ones,
// attached to the same optimizer). Unlike the others it performs no
// initial step: each scheduler did its own.
func NewChainedScheduler(schedulers ...Scheduler) *ChainedScheduler {
	ss := checkChain("NewChainedScheduler", nil, schedulers)
	opt := ss[0].base().opt
	return &ChainedScheduler{opt: opt, scheds: ss, lastLR: groupLRs(opt)}
}

// Step steps every scheduler in order.
func (s *ChainedScheduler) Step() {
	for _, c := range s.scheds {
		c.Step()
	}
	s.lastLR = groupLRs(s.opt)
}

// LastLR returns each group's learning rate after the last Step.
func (s *ChainedScheduler) LastLR() []float64 { return slices.Clone(s.lastLR) }

// StateDict returns "_last_lr" and, under "_schedulers", each scheduler's
// state.
func (s *ChainedScheduler) StateDict() map[string]any {
	subs := make([]any, len(s.scheds))
	for i, c := range s.scheds {
		subs[i] = c.StateDict()
	}
	return map[string]any{"_last_lr": slices.Clone(s.lastLR), "_schedulers": subs}
}

// LoadStateDict restores a state from StateDict.
func (s *ChainedScheduler) LoadStateDict(sd map[string]any) error {
	r := &sdReader{who: "ChainedScheduler.LoadStateDict", m: sd}
	lastLR := r.floats("_last_lr")
	if r.err != nil {
		return r.err
	}
	subs, err := subStates("ChainedScheduler", sd["_schedulers"], len(s.scheds))
	if err != nil {
		return err
	}
	if err := loadAll(s.scheds, subs); err != nil {
		return err
	}
	s.lastLR = lastLR
	return nil
}
