package tensor_test

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/emberml/ember/tensor"
)

const miscN = 100_000

// miscMeanStd returns the mean and the (population) standard deviation.
func miscMeanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

// miscDraws returns one tensor from each random function of g.
func miscDraws(g *tensor.Generator) []*tensor.Tensor {
	return []*tensor.Tensor{
		g.Rand(4, 3), g.Randn(5), g.Uniform(-2, 3, 6), g.Normal(1, 2, 2, 2),
		g.RandInt(-5, 5, 7), g.RandPerm(9), g.Bernoulli(0.3, 64),
	}
}

func miscSameValues(a, b []*tensor.Tensor) bool {
	for i := range a {
		if !slices.Equal(a[i].ToFloat64s(), b[i].ToFloat64s()) {
			return false
		}
	}
	return true
}

func TestRandomDeterminism(t *testing.T) {
	a, b := miscDraws(tensor.NewGenerator(42)), miscDraws(tensor.NewGenerator(42))
	if !miscSameValues(a, b) {
		t.Fatal("two generators with seed 42 gave different values")
	}
	// Seed resets the stream.
	g := tensor.NewGenerator(1)
	g.Rand(10)
	g.Seed(42)
	if !miscSameValues(miscDraws(g), a) {
		t.Fatal("Seed(42) did not restart the seed-42 stream")
	}
	// Each function draws from the stream: every tensor differs from the seed-7 ones.
	c := miscDraws(tensor.NewGenerator(7))
	for i := range a {
		if slices.Equal(a[i].ToFloat64s(), c[i].ToFloat64s()) {
			t.Errorf("draw %d is the same for seeds 42 and 7: %v", i, a[i].ToFloat64s())
		}
	}
	// Consecutive draws differ.
	if slices.Equal(g.Rand(10).ToFloat64s(), g.Rand(10).ToFloat64s()) {
		t.Error("consecutive Rand calls returned the same values")
	}
}

func TestManualSeed(t *testing.T) {
	tensor.ManualSeed(123)
	x := []*tensor.Tensor{tensor.Rand(5), tensor.Randn(5), tensor.RandInt(0, 100, 5), tensor.RandPerm(6)}
	tensor.ManualSeed(123)
	y := []*tensor.Tensor{tensor.Rand(5), tensor.Randn(5), tensor.RandInt(0, 100, 5), tensor.RandPerm(6)}
	if !miscSameValues(x, y) {
		t.Fatal("ManualSeed(123) twice gave different streams")
	}
	// The package functions use DefaultGenerator.
	tensor.ManualSeed(5)
	want := tensor.NewGenerator(5).Rand(8).ToFloat64s()
	if got := tensor.DefaultGenerator().Rand(8).ToFloat64s(); !slices.Equal(got, want) {
		t.Fatalf("default generator after ManualSeed(5): %v, want %v", got, want)
	}
	tensor.ManualSeed(5)
	if got := tensor.Rand(8).ToFloat64s(); !slices.Equal(got, want) {
		t.Fatalf("Rand after ManualSeed(5): %v, want %v", got, want)
	}
	tensor.ManualSeed(6)
	if got := tensor.Rand(8).ToFloat64s(); slices.Equal(got, want) {
		t.Fatal("ManualSeed(6) gave the seed-5 stream")
	}
}

func TestGeneratorState(t *testing.T) {
	g := tensor.NewGenerator(9)
	g.Randn(17)
	st := g.State()
	a := miscDraws(g)
	f := g.Float64()
	if err := g.SetState(st); err != nil {
		t.Fatal(err)
	}
	if b := miscDraws(g); !miscSameValues(a, b) {
		t.Fatal("SetState did not restore the stream")
	}
	if g.Float64() != f {
		t.Fatal("Float64 after SetState differs")
	}
	// A state moves to another generator.
	h := tensor.NewGenerator(1000)
	if err := h.SetState(st); err != nil {
		t.Fatal(err)
	}
	if b := miscDraws(h); !miscSameValues(a, b) {
		t.Fatal("state copied to another generator gave a different stream")
	}
	if err := h.SetState([]byte("garbage")); err == nil {
		t.Fatal("SetState accepted a malformed state")
	}
}

func TestRandDistributions(t *testing.T) {
	g := tensor.NewGenerator(2024)
	check := func(name string, v []float64, wantMean, wantStd, tolMean, tolStd float64) {
		t.Helper()
		m, s := miscMeanStd(v)
		if math.Abs(m-wantMean) > tolMean || math.Abs(s-wantStd) > tolStd {
			t.Errorf("%s: mean %.5f std %.5f, want %.5f±%.4f and %.5f±%.4f", name, m, s, wantMean, tolMean, wantStd, tolStd)
		}
	}
	// Tolerances are about 5 standard errors for n = 100k.
	u := g.Rand(miscN)
	if u.DType() != tensor.Float32 || !slices.Equal(u.Shape(), []int{miscN}) {
		t.Fatalf("Rand: %v %v", u.DType(), u.Shape())
	}
	uv := u.ToFloat64s()
	check("rand", uv, 0.5, math.Sqrt(1.0/12), 0.005, 0.003)
	if lo, hi := slices.Min(uv), slices.Max(uv); lo < 0 || hi >= 1 || lo > 1e-3 || hi < 1-1e-3 {
		t.Errorf("rand: range [%v, %v]", lo, hi)
	}
	miscHistogram(t, "rand", uv, 0, 1, 10)

	nv := g.Randn(miscN).ToFloat64s()
	check("randn", nv, 0, 1, 0.016, 0.012)
	within := 0
	for _, x := range nv {
		if math.Abs(x) < 1 {
			within++
		}
	}
	if f := float64(within) / miscN; math.Abs(f-0.682689) > 0.0075 {
		t.Errorf("randn: %.4f of the values lie within one sigma, want 0.6827", f)
	}

	uu := g.Uniform(-2, 6, miscN).ToFloat64s()
	check("uniform", uu, 2, 8/math.Sqrt(12), 0.04, 0.025)
	if lo, hi := slices.Min(uu), slices.Max(uu); lo < -2 || hi >= 6 {
		t.Errorf("uniform: range [%v, %v] outside [-2, 6)", lo, hi)
	}
	miscHistogram(t, "uniform", uu, -2, 6, 8)

	check("normal", g.Normal(3, 0.5, miscN).ToFloat64s(), 3, 0.5, 0.008, 0.006)

	ri := g.RandInt(-3, 7, miscN)
	if ri.DType() != tensor.Int64 {
		t.Fatalf("randint dtype %v", ri.DType())
	}
	rv := ri.ToFloat64s()
	for _, x := range rv {
		if x < -3 || x >= 7 || x != math.Trunc(x) {
			t.Fatalf("randint: value %v outside [-3, 7)", x)
		}
	}
	miscHistogram(t, "randint", rv, -3, 7, 10)
	check("randint", rv, 1.5, math.Sqrt((100-1)/12.0), 0.05, 0.03)

	for _, p := range []float64{0.2, 0.5, 0.9} {
		bv := g.Bernoulli(p, miscN).ToFloat64s()
		for _, x := range bv {
			if x != 0 && x != 1 {
				t.Fatalf("bernoulli(%v): value %v", p, x)
			}
		}
		check("bernoulli", bv, p, math.Sqrt(p*(1-p)), 0.007, 0.007)
	}
	for _, p := range []float64{0, 1} {
		bv := g.Bernoulli(p, 1000).ToFloat64s()
		for _, x := range bv {
			if x != p {
				t.Fatalf("bernoulli(%v) gave %v", p, x)
			}
		}
	}
}

// miscHistogram checks that v spreads evenly over bins equal bins of
// [lo, hi): each count within 5 standard deviations of the expectation.
func miscHistogram(t *testing.T, name string, v []float64, lo, hi float64, bins int) {
	t.Helper()
	counts := make([]int, bins)
	for _, x := range v {
		counts[min(int((x-lo)/(hi-lo)*float64(bins)), bins-1)]++
	}
	p := 1 / float64(bins)
	exp := p * float64(len(v))
	sd := math.Sqrt(float64(len(v)) * p * (1 - p))
	for i, c := range counts {
		if math.Abs(float64(c)-exp) > 5*sd {
			t.Errorf("%s: bin %d holds %d values, want %.0f±%.0f", name, i, c, exp, 5*sd)
		}
	}
}

func TestRandPerm(t *testing.T) {
	g := tensor.NewGenerator(3)
	for _, n := range []int{0, 1, 2, 10, 1000} {
		p := g.RandPerm(n)
		if p.DType() != tensor.Int64 || !slices.Equal(p.Shape(), []int{n}) {
			t.Fatalf("randperm(%d): %v %v", n, p.DType(), p.Shape())
		}
		v := p.ToInt64s()
		slices.Sort(v)
		for i, x := range v {
			if x != int64(i) {
				t.Fatalf("randperm(%d) is not a permutation: sorted %v", n, v)
			}
		}
	}
	// Shuffled: with 1000 elements, few stay in place, and the position of
	// element 0 is spread over draws.
	v := g.RandPerm(1000).ToInt64s()
	fixed := 0
	for i, x := range v {
		if x == int64(i) {
			fixed++
		}
	}
	if fixed > 10 {
		t.Errorf("randperm(1000) left %d elements in place", fixed)
	}
	firstCounts := make([]int, 4)
	for range 4000 {
		firstCounts[g.RandPerm(4).ToInt64s()[0]]++
	}
	for i, c := range firstCounts {
		if c < 850 || c > 1150 {
			t.Errorf("randperm(4): %d first in %d of 4000 draws, want about 1000", i, c)
		}
	}
}

func TestRandomLikeAndDType(t *testing.T) {
	x := tensor.Zeros(2, 3).To(tensor.Float64)
	if r := tensor.RandLike(x); r.DType() != tensor.Float64 || !slices.Equal(r.Shape(), []int{2, 3}) {
		t.Errorf("RandLike: %v %v", r.DType(), r.Shape())
	}
	// float16 values come from 11 random bits: rounding a finer value to
	// float16 would give 1 about once in 4096 draws.
	h := tensor.RandLike(tensor.Zeros(miscN).To(tensor.Float16))
	if h.DType() != tensor.Float16 {
		t.Fatalf("RandLike of float16: dtype %v", h.DType())
	}
	hv := h.ToFloat64s()
	if hi := slices.Max(hv); hi >= 1 {
		t.Errorf("RandLike of float16 produced %v", hi)
	}
	if m, _ := miscMeanStd(hv); math.Abs(m-0.5) > 0.005 {
		t.Errorf("RandLike of float16: mean %v", m)
	}
	if r := tensor.RandnLike(tensor.ArangeInt(0, 4, 1)); r.DType() != tensor.Float32 || !slices.Equal(r.Shape(), []int{4}) {
		t.Errorf("RandnLike of int64: %v %v", r.DType(), r.Shape())
	}
	tensor.SetDefaultDType(tensor.Float64)
	defer tensor.SetDefaultDType(tensor.Float32)
	g := tensor.NewGenerator(1)
	for i, r := range []*tensor.Tensor{g.Rand(2), g.Randn(2), g.Uniform(0, 1, 2), g.Normal(0, 1, 2), g.Bernoulli(0.5, 2)} {
		if r.DType() != tensor.Float64 {
			t.Errorf("draw %d: dtype %v with default float64", i, r.DType())
		}
	}
	if r := g.Rand(); r.Dim() != 0 || r.Numel() != 1 {
		t.Errorf("Rand(): shape %v", r.Shape())
	}
}

func TestRandomPanics(t *testing.T) {
	g := tensor.NewGenerator(0)
	mustPanic(t, "randint: empty range [3, 3)", func() { g.RandInt(3, 3, 2) })
	mustPanic(t, "bernoulli: probability 1.5 is not in [0, 1]", func() { g.Bernoulli(1.5, 2) })
	mustPanic(t, "bernoulli: probability NaN", func() { g.Bernoulli(math.NaN(), 2) })
	mustPanic(t, "rand: negative dimension -1 in shape [-1]", func() { g.Rand(-1) })
}

// TestGeneratorConcurrent draws from one generator in several goroutines
// (run with -race). Each call takes a contiguous piece of the stream, so
// together the goroutines draw exactly the values one sequential call of the
// same total size draws.
func TestGeneratorConcurrent(t *testing.T) {
	const workers, calls, size = 8, 25, 40
	g := tensor.NewGenerator(77)
	var mu sync.Mutex
	var all []float64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				v := g.Rand(size).ToFloat64s()
				mu.Lock()
				all = append(all, v...)
				mu.Unlock()
			}
		}()
	}
	// The default generator is shared too.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			tensor.Randn(10)
			tensor.RandPerm(5)
		}
	}()
	wg.Wait()
	want := tensor.NewGenerator(77).Rand(workers * calls * size).ToFloat64s()
	slices.Sort(all)
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Fatal("concurrent draws are not the values of one sequential draw")
	}
	// State and SetState can run alongside draws.
	st := g.State()
	wg.Add(2)
	go func() { defer wg.Done(); g.Randn(100) }()
	go func() {
		defer wg.Done()
		if err := g.SetState(st); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
}
