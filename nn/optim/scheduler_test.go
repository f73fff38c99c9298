package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// testSchedOpt builds the generator's optimizer for scheduler cases: two
// groups with lr 0.1 and 0.05.
func testSchedOpt(t *testing.T, kind string) Optimizer {
	t.Helper()
	groups := []GroupSpec{
		{Params: []*tensor.Tensor{tensor.Zeros(2).SetRequiresGrad(true)}, Options: map[string]float64{"lr": 0.1}},
		{Params: []*tensor.Tensor{tensor.Zeros(3).SetRequiresGrad(true)}, Options: map[string]float64{"lr": 0.05}},
	}
	switch kind {
	case "sgd":
		return NewSGDGroups(groups, SGDOptions{LR: 0.1, Momentum: 0.9})
	case "adam":
		return NewAdamGroups(groups, AdamOptions{LR: 0.1})
	case "rmsprop":
		return NewRMSpropGroups(groups, RMSpropOptions{LR: 0.1})
	case "adagrad":
		return NewAdagradGroups(groups, AdagradOptions{LR: 0.1})
	}
	t.Fatalf("unknown optimizer kind %q", kind)
	return nil
}

// testSched builds the scheduler of a golden case by name.
func testSched(t *testing.T, name string, opt Optimizer) Scheduler {
	t.Helper()
	switch name {
	case "step":
		return NewStepLR(opt, 3, StepLROptions{Gamma: 0.5})
	case "step_default_gamma":
		return NewStepLR(opt, 2)
	case "multistep":
		return NewMultiStepLR(opt, []int{2, 5, 5, 9}, MultiStepLROptions{Gamma: 0.3})
	case "exponential":
		return NewExponentialLR(opt, 0.9)
	case "cosine":
		return NewCosineAnnealingLR(opt, 5, CosineAnnealingLROptions{EtaMin: 0.001})
	case "cosine_default":
		return NewCosineAnnealingLR(opt, 7)
	case "linear_warmup":
		return NewLinearLR(opt, 0.1, 1, 4)
	case "linear_decay":
		return NewLinearLR(opt, 1, 0, 5)
	case "constant":
		return NewConstantLR(opt, 0.5, 3)
	case "sequential_warmup_cosine":
		return NewSequentialLR(opt, []Scheduler{NewLinearLR(opt, 0.1, 1, 3), NewCosineAnnealingLR(opt, 6)}, []int{3})
	case "sequential_three":
		return NewSequentialLR(opt, []Scheduler{NewConstantLR(opt, 0.5, 2), NewExponentialLR(opt, 0.9), NewStepLR(opt, 2, StepLROptions{Gamma: 0.5})}, []int{3, 6})
	case "chained":
		return NewChainedScheduler(NewExponentialLR(opt, 0.9), NewStepLR(opt, 3, StepLROptions{Gamma: 0.5}))
	case "onecycle":
		return NewOneCycleLR(opt, 1.0, 20)
	case "onecycle_linear_three_adam":
		return NewOneCycleLR(opt, 0, 16, OneCycleLROptions{MaxLRs: []float64{0.5, 0.2}, PctStart: 0.25, AnnealStrategy: "linear",
			ThreePhase: true, DivFactor: 10, FinalDivFactor: 100, BaseMomentum: 0.8, MaxMomentum: 0.9})
	case "onecycle_three_cos_rmsprop":
		return NewOneCycleLR(opt, 0.3, 13, OneCycleLROptions{ThreePhase: true})
	case "onecycle_nomomentum_adagrad":
		return NewOneCycleLR(opt, 0.3, 9, OneCycleLROptions{NoCycleMomentum: true})
	}
	t.Fatalf("unknown scheduler case %q", name)
	return nil
}

func testMomenta(opt Optimizer) []float64 {
	var out []float64
	for _, g := range opt.Groups() {
		if b, ok := g.Hyper["beta1"]; ok {
			out = append(out, b)
		} else {
			out = append(out, g.Hyper["momentum"])
		}
	}
	return out
}

func testRows(v any) [][]float64 {
	var out [][]float64
	for _, r := range v.([]any) {
		row, err := sdFloats(r)
		if err != nil {
			panic(err)
		}
		out = append(out, row)
	}
	return out
}

func testStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// testSameFloats compares two rows to within ulps units in the last place.
func testSameFloats(t *testing.T, what string, got, want []float64, ulps float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", what, got, want)
		return
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > ulps*ulpOf(want[i]) {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
	}
}

func ulpOf(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}

// testJSON round-trips a state dict through encoding/json, as a checkpoint
// stores it.
func testJSON(t *testing.T, sd map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(sd)
	if err != nil {
		t.Fatalf("state dict is not JSON-encodable: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchedulers(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/sched.json") {
		name, ok := strings.CutPrefix(c.Name, "sched/")
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			wantLR, wantMom, wantLast := testRows(c.Attrs["lrs"]), testRows(c.Attrs["momenta"]), testRows(c.Attrs["last_lr"])
			steps := c.Int("steps")
			const tol = 0 // bit for bit
			opt := testSchedOpt(t, c.String("optimizer"))
			s := testSched(t, name, opt)
			var saved map[string]any
			var savedOpt StateDict
			half := steps / 2
			for k := 0; k <= steps; k++ {
				if k > 0 {
					opt.Step()
					s.Step()
				}
				testSameFloats(t, fmt.Sprintf("lr at step %d", k), groupLRs(opt), wantLR[k], tol)
				testSameFloats(t, fmt.Sprintf("momentum at step %d", k), testMomenta(opt), wantMom[k], tol)
				testSameFloats(t, fmt.Sprintf("LastLR at step %d", k), s.LastLR(), wantLast[k], tol)
				if k == half {
					saved, savedOpt = testJSON(t, s.StateDict()), opt.StateDict()
				}
			}
			// State dict keys as PyTorch's (OneCycleLR names its anneal
			// function instead of pickling it).
			var keys []string
			for k := range s.StateDict() {
				if k == "anneal_strategy" {
					k = "anneal_func"
				}
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if want := testStrings(c.Attrs["state_keys"]); !reflect.DeepEqual(keys, want) {
				t.Errorf("state dict keys %v, want %v", keys, want)
			}
			for gi, g := range opt.StateDict().Groups {
				var gk []string
				for k := range g {
					if k != "params" {
						gk = append(gk, k)
					}
				}
				sort.Strings(gk)
				if want := testStrings(c.Attrs["group_keys"].([]any)[gi]); !reflect.DeepEqual(gk, want) {
					t.Errorf("group %d keys %v, want %v", gi, gk, want)
				}
			}
			// Resume at the half-way point in a fresh optimizer and
			// scheduler.
			opt2 := testSchedOpt(t, c.String("optimizer"))
			s2 := testSched(t, name, opt2)
			if err := opt2.LoadStateDict(savedOpt); err != nil {
				t.Fatal(err)
			}
			if err := s2.LoadStateDict(saved); err != nil {
				t.Fatal(err)
			}
			for k := half + 1; k <= steps; k++ {
				opt2.Step()
				s2.Step()
				testSameFloats(t, fmt.Sprintf("resumed lr at step %d", k), groupLRs(opt2), wantLR[k], tol)
				testSameFloats(t, fmt.Sprintf("resumed momentum at step %d", k), testMomenta(opt2), wantMom[k], tol)
			}
		})
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/sched.json") {
		name, ok := strings.CutPrefix(c.Name, "plateau/")
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			kw := c.Attrs["options"].(map[string]any)
			var o ReduceLROnPlateauOptions
			for k, v := range kw {
				switch k {
				case "mode":
					o.Mode = v.(string)
				case "factor":
					o.Factor = testNum(v)
				case "patience":
					o.Patience = int(testNum(v))
					o.NoPatience = o.Patience == 0
				case "cooldown":
					o.Cooldown = int(testNum(v))
				case "threshold":
					o.Threshold = testNum(v)
					o.NoThreshold = o.Threshold == 0
				case "threshold_mode":
					o.ThresholdMode = v.(string)
				case "eps":
					o.Eps = testNum(v)
				case "min_lr":
					if l, ok := v.([]any); ok {
						o.MinLRs, _ = sdFloats(l)
					} else {
						o.MinLR = testNum(v)
					}
				default:
					t.Fatalf("unknown option %s", k)
				}
			}
			build := func() (Optimizer, *ReduceLROnPlateau) {
				opt := testSchedOpt(t, "sgd")
				return opt, NewReduceLROnPlateau(opt, o)
			}
			opt, s := build()
			metrics, _ := sdFloats(c.Attrs["metrics"])
			wantLR := testRows(c.Attrs["lrs"])
			bad, _ := sdInts(c.Attrs["num_bad_epochs"])
			testSameFloats(t, "initial lr", groupLRs(opt), wantLR[0], 0)
			var saved map[string]any
			var savedOpt StateDict
			half := len(metrics) / 2
			for k, m := range metrics {
				opt.Step()
				s.StepMetric(m)
				testSameFloats(t, fmt.Sprintf("lr after metric %d", k), groupLRs(opt), wantLR[k+1], 0)
				testSameFloats(t, fmt.Sprintf("LastLR after metric %d", k), s.LastLR(), wantLR[k+1], 0)
				if s.NumBadEpochs() != bad[k] {
					t.Errorf("num_bad_epochs after metric %d: %d, want %d", k, s.NumBadEpochs(), bad[k])
				}
				if k+1 == half {
					saved, savedOpt = testJSON(t, s.StateDict()), opt.StateDict()
				}
			}
			if s.Best() != c.Float("best") {
				t.Errorf("best %v, want %v", s.Best(), c.Float("best"))
			}
			var keys []string
			for k := range s.StateDict() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if want := testStrings(c.Attrs["state_keys"]); !reflect.DeepEqual(keys, want) {
				t.Errorf("state dict keys %v, want %v", keys, want)
			}
			opt2, s2 := build()
			if err := opt2.LoadStateDict(savedOpt); err != nil {
				t.Fatal(err)
			}
			if err := s2.LoadStateDict(saved); err != nil {
				t.Fatal(err)
			}
			for k := half; k < len(metrics); k++ {
				s2.StepMetric(metrics[k])
				testSameFloats(t, fmt.Sprintf("resumed lr after metric %d", k), groupLRs(opt2), wantLR[k+1], 0)
			}
		})
	}
}

func TestSchedulerMisuse(t *testing.T) {
	opt := testSchedOpt(t, "sgd")
	p := NewReduceLROnPlateau(opt)
	testPanics(t, "plateau Step", "call StepMetric", func() { p.Step() })
	testPanics(t, "plateau factor", "Factor should be < 1.0", func() { NewReduceLROnPlateau(opt, ReduceLROnPlateauOptions{Factor: 1}) })
	testPanics(t, "plateau mode", `mode "up" is unknown`, func() { NewReduceLROnPlateau(opt, ReduceLROnPlateauOptions{Mode: "up"}) })
	testPanics(t, "onecycle adagrad", "optimizer must support momentum", func() { NewOneCycleLR(testSchedOpt(t, "adagrad"), 0.1, 10) })
	testPanics(t, "onecycle anneal", "anneal_strategy", func() { NewOneCycleLR(opt, 0.1, 10, OneCycleLROptions{AnnealStrategy: "exp"}) })
	testPanics(t, "onecycle max_lrs", "expected 2 values for max_lr, got 1", func() { NewOneCycleLR(opt, 0.1, 10, OneCycleLROptions{MaxLRs: []float64{1}}) })
	oc := NewOneCycleLR(testSchedOpt(t, "sgd"), 0.1, 3)
	for range 3 {
		oc.Step()
	}
	testPanics(t, "onecycle past the end", "tried to step 5 times; the specified number of total steps is 3", func() { oc.Step() })
	testPanics(t, "sequential milestones", "one more than the number of milestone points", func() {
		NewSequentialLR(opt, []Scheduler{NewStepLR(opt, 2)}, []int{3})
	})
	testPanics(t, "sequential plateau", "not an epoch-based scheduler", func() {
		NewSequentialLR(opt, []Scheduler{NewStepLR(opt, 2), p}, []int{3})
	})
	other := testSchedOpt(t, "sgd")
	testPanics(t, "sequential other optimizer", "same optimizer", func() {
		NewSequentialLR(opt, []Scheduler{NewStepLR(opt, 2), NewStepLR(other, 2)}, []int{3})
	})
	testPanics(t, "linear factor", "starting multiplicative factor", func() { NewLinearLR(opt, 0, 1, 5) })
	s := NewStepLR(opt, 2)
	sd := s.StateDict()
	delete(sd, "gamma")
	if err := s.LoadStateDict(sd); err == nil || !strings.Contains(err.Error(), `"gamma"`) {
		t.Errorf("loading without gamma: %v", err)
	}
	if sd2 := s.StateDict(); sd2["gamma"] != 0.1 {
		t.Errorf("failed load changed gamma to %v", sd2["gamma"])
	}
}

// TestSchedulerInitialLR checks PyTorch's initial_lr rule: the first
// scheduler records each group's lr, later ones keep it.
func TestSchedulerInitialLR(t *testing.T) {
	opt := testSchedOpt(t, "sgd")
	NewExponentialLR(opt, 0.5)
	for range 2 {
		opt.Step()
	}
	if g := opt.Groups()[0]; g.InitialLR != 0.1 {
		t.Errorf("initial_lr %v, want 0.1", g.InitialLR)
	}
	s := NewStepLR(opt, 1, StepLROptions{Gamma: 0.5})
	if got := s.StateDict()["base_lrs"].([]float64); got[0] != 0.1 || got[1] != 0.05 {
		t.Errorf("base_lrs %v, want the first scheduler's initial lrs", got)
	}
	sd := opt.StateDict()
	if sd.Groups[0]["initial_lr"] != 0.1 {
		t.Errorf("state dict initial_lr %v", sd.Groups[0]["initial_lr"])
	}
}

// TestOptimMath checks optimCos and optimPow against C's cos and pow as
// Python calls them: the schedulers and Adam's bias corrections depend on
// them to the last bit. optimCos is correctly rounded; glibc's cos is
// within about 0.5001 ulp, so it may round the other way where the exact
// value is within a hair of a midpoint (one of the 230 values here).
func TestOptimMath(t *testing.T) {
	n := 0
	for _, c := range golden.Load(t, "testdata/sched.json") {
		switch c.Name {
		case "math/cos":
			n++
			xs, _ := sdFloats(c.Attrs["x"])
			want, _ := sdFloats(c.Attrs["cos"])
			off := 0
			for i, x := range xs {
				got := optimCos(x)
				if got == want[i] {
					continue
				}
				off++
				if math.Abs(got-want[i]) > ulpOf(want[i]) {
					t.Errorf("optimCos(%v) = %v, want %v", x, got, want[i])
				}
			}
			if off > 1 {
				t.Errorf("optimCos differs from C's cos in %d of %d values", off, len(xs))
			}
		case "math/pow":
			n++
			bs, _ := sdFloats(c.Attrs["base"])
			ns, _ := sdFloats(c.Attrs["exp"])
			want, _ := sdFloats(c.Attrs["pow"])
			for i := range bs {
				if got := optimPow(bs[i], ns[i]); got != want[i] {
					t.Errorf("optimPow(%v, %v) = %v, want %v", bs[i], ns[i], got, want[i])
				}
			}
		}
	}
	if n != 2 {
		t.Fatalf("found %d math cases, want 2", n)
	}
}
