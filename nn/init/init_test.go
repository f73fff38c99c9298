package nninit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// TestFansAndGainsGolden compares fans, gains and the Xavier and Kaiming
// standard deviations with torch.nn.init's for linear and convolution
// weight shapes.
func TestFansAndGainsGolden(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/init.json") {
		switch {
		case strings.HasPrefix(c.Name, "fans/"):
			shape := c.Ints("shape")
			w := tensor.Empty(tensor.Float32, shape...)
			fi, fo := FanInAndFanOut(w)
			if fi != c.Int("fan_in") || fo != c.Int("fan_out") {
				t.Errorf("%v: fans %d, %d, want %d, %d", shape, fi, fo, c.Int("fan_in"), c.Int("fan_out"))
			}
			if got, want := math.Sqrt(2/float64(fi+fo)), c.Float("xavier_std"); math.Abs(got-want) > 1e-15*want {
				t.Errorf("%v: xavier std %v, want %v", shape, got, want)
			}
			n := 0
			for k := range c.Attrs {
				rest, ok := strings.CutPrefix(k, "kaiming_std/")
				if !ok {
					continue
				}
				parts := strings.Split(rest, "/")
				a, _ := strconv.ParseFloat(parts[2], 64)
				if parts[2] == "2.2361" {
					a = math.Sqrt(5)
				}
				o := KaimingOptions{A: a, Mode: parts[0], Nonlinearity: parts[1]}
				if got, want := kaimingStd("test", w, o), c.Float(k); math.Abs(got-want) > 1e-14*want {
					t.Errorf("%v %+v: kaiming std %v, want %v", shape, o, got, want)
				}
				n++
			}
			if n != 10 {
				t.Errorf("%v: %d kaiming cases, want 10", shape, n)
			}
		case c.Name == "gains":
			for k := range c.Attrs {
				var got float64
				if name, p, ok := strings.Cut(k, "/"); ok {
					v, _ := strconv.ParseFloat(p, 64)
					got = CalculateGain(name, v)
				} else {
					got = CalculateGain(k)
				}
				if want := c.Float(k); math.Abs(got-want) > 1e-15 {
					t.Errorf("gain %s = %v, want %v", k, got, want)
				}
			}
		case strings.HasPrefix(c.Name, "eye/"):
			w := tensor.Full(7, c.Ints("shape")...)
			golden.Close(t, c.Name, Eye_(w), c.T("out"), 0, 0)
		case strings.HasPrefix(c.Name, "dirac/"):
			w := tensor.Full(7, c.Ints("shape")...)
			golden.Close(t, c.Name, Dirac_(w, c.Int("groups")), c.T("out"), 0, 0)
		default:
			t.Errorf("unknown case %s", c.Name)
		}
	}
}

// moments returns the mean and standard deviation of t's values, and
// their range.
func moments(t *tensor.Tensor) (mean, std, lo, hi float64) {
	v := t.Detach().ToFloat64s()
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		mean += x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)-1)), lo, hi
}

// checkDist checks that t's values have the given mean and standard
// deviation (within 5 standard errors), lie in [lo, hi] and, where a bound
// is finite, come within 0.1% of it (so a narrower range fails), and that
// neighbouring values are uncorrelated.
func checkDist(t *testing.T, what string, w *tensor.Tensor, mean, std, lo, hi float64) {
	t.Helper()
	m, s, l, h := moments(w)
	n := float64(w.Numel())
	if math.Abs(m-mean) > 5*std/math.Sqrt(n) {
		t.Errorf("%s: mean %v, want %v (±%v)", what, m, mean, 5*std/math.Sqrt(n))
	}
	// The standard error of a sample std is at most std·√(1/(2n)) for the
	// (light-tailed) distributions here.
	if math.Abs(s-std) > 5*std*math.Sqrt(1/(2*n)) {
		t.Errorf("%s: std %v, want %v (±%v)", what, s, std, 5*std*math.Sqrt(1/(2*n)))
	}
	if l < lo || h > hi {
		t.Errorf("%s: values in [%v, %v], want within [%v, %v]", what, l, h, lo, hi)
	}
	span := h - l
	if !math.IsInf(lo, 0) && l-lo > 1e-3*span || !math.IsInf(hi, 0) && hi-h > 1e-3*span {
		t.Errorf("%s: values in [%v, %v] do not reach the bounds [%v, %v]", what, l, h, lo, hi)
	}
	v := w.Detach().ToFloat64s()
	var c float64
	for i := 1; i < len(v); i++ {
		c += (v[i] - m) * (v[i-1] - m)
	}
	if r := c / (n - 1) / (s * s); math.Abs(r) > 5/math.Sqrt(n) {
		t.Errorf("%s: lag-1 correlation %v", what, r)
	}
}

// TestDistributions checks each random initialiser's mean, standard
// deviation and bounds against the formulas PyTorch documents, in float32
// and float64 (drawn in float64 when the default dtype is float32).
func TestDistributions(t *testing.T) {
	inf := math.Inf(1)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		gen := tensor.NewGenerator(42)
		w := func(shape ...int) *tensor.Tensor {
			return tensor.Empty(dt, shape...).SetRequiresGrad(true)
		}
		sq3 := math.Sqrt(3)
		t.Run(dt.String(), func(t *testing.T) {
			checkDist(t, "uniform", Uniform_(w(400, 500), -2, 3, gen), 0.5, 5/math.Sqrt(12), -2, 3)
			checkDist(t, "normal", Normal_(w(400, 500), 1.5, 0.3, gen), 1.5, 0.3, -inf, inf)

			// Xavier on a conv weight: fanIn = 64·9, fanOut = 128·9.
			std := 0.5 * math.Sqrt(2/float64(64*9+128*9))
			checkDist(t, "xavier_uniform", XavierUniform_(w(128, 64, 3, 3), 0.5, gen), 0, std, -sq3*std, sq3*std)
			checkDist(t, "xavier_normal", XavierNormal_(w(128, 64, 3, 3), 0.5, gen), 0, std, -inf, inf)

			// Kaiming: defaults (leaky_relu, a = 0: gain √2, fan_in), and
			// fan_out with leaky_relu slope 0.2.
			std = math.Sqrt(2) / math.Sqrt(64*9)
			checkDist(t, "kaiming_uniform", KaimingUniform_(w(128, 64, 3, 3), KaimingOptions{}, gen), 0, std, -sq3*std, sq3*std)
			checkDist(t, "kaiming_normal", KaimingNormal_(w(128, 64, 3, 3), KaimingOptions{}, gen), 0, std, -inf, inf)
			std = math.Sqrt(2/(1+0.04)) / math.Sqrt(128*9)
			o := KaimingOptions{A: 0.2, Mode: "fan_out", Nonlinearity: "leaky_relu"}
			checkDist(t, "kaiming_normal fan_out", KaimingNormal_(w(128, 64, 3, 3), o, gen), 0, std, -inf, inf)
			// Linear's default init: a = √5 gives the bound 1/√fanIn.
			b := 1 / math.Sqrt(300)
			checkDist(t, "kaiming_uniform a=√5", KaimingUniform_(w(500, 300), KaimingOptions{A: math.Sqrt(5)}, gen), 0, b/sq3, -b, b)

			// Truncated normal on [-1, 2] around 0.5 with std 1: the
			// moments of the truncated distribution.
			alpha, beta := -1.5, 1.5
			phi := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
			z := math.Erf(beta/math.Sqrt2)/2 - math.Erf(alpha/math.Sqrt2)/2
			tstd := math.Sqrt(1 + (alpha*phi(alpha)-beta*phi(beta))/z)
			checkDist(t, "trunc_normal", TruncNormal_(w(400, 500), 0.5, 1, -1, 2, gen), 0.5, tstd, -1, 2)
			checkDist(t, "trunc_normal defaults", TruncNormal_(w(400, 500), 0, 1, -2, 2, gen), 0,
				math.Sqrt(1-4*phi(2)/(math.Erf(2/math.Sqrt2))), -2, 2)
		})
	}
}

// TestOrthogonal checks QᵀQ = I (tall) or QQᵀ = I (wide), times gain², for
// matrices and a convolution weight.
func TestOrthogonal(t *testing.T) {
	gen := tensor.NewGenerator(5)
	for _, c := range []struct {
		shape []int
		gain  float64
	}{{[]int{50, 20}, 1}, {[]int{20, 50}, 2}, {[]int{30, 30}, 1}, {[]int{16, 4, 3, 3}, 0.5}, {[]int{1, 5}, 1}} {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("%v/%v", c.shape, dt), func(t *testing.T) {
				w := Orthogonal_(tensor.Empty(dt, c.shape...).SetRequiresGrad(true), c.gain, gen)
				m := w.Detach().Double().Reshape(c.shape[0], -1)
				var p *tensor.Tensor
				if m.Size(0) >= m.Size(1) {
					p = m.T().MatMul(m)
				} else {
					p = m.MatMul(m.T())
				}
				eye := tensor.Eye(p.Size(0)).Double().MulScalar(c.gain * c.gain)
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 1e-5
				}
				if !tensor.AllClose(p, eye, 0, tol) {
					t.Errorf("not orthogonal: max |QᵀQ - g²I| = %v", p.Sub(eye).Abs().Max().Item())
				}
			})
		}
	}
	// The QR factor with positive R diagonal is unique: a known 2×2.
	a := []float64{3, 4, 1, 2} // [[3 1] [4 2]] column by column
	q := initQR(a, 2, 2)
	want := []float64{0.6, 0.8, -0.8, 0.6}
	for i := range q {
		if math.Abs(q[i]-want[i]) > 1e-15 {
			t.Fatalf("QR of [[3 1] [4 2]]: Q = %v, want %v", q, want)
		}
	}
}

// TestInPlaceAndGenerators checks that the initialisers write into the
// parameter itself (a leaf that still requires grad, grad mode restored),
// that a nil generator means the default one, and that a seeded generator
// repeats its values.
func TestInPlaceAndGenerators(t *testing.T) {
	p := tensor.Zeros(3, 4).SetRequiresGrad(true)
	view := p.Detach()
	if got := KaimingUniform_(p, KaimingOptions{}, nil); got != p {
		t.Fatal("KaimingUniform_ did not return its tensor")
	}
	if !p.IsLeaf() || !p.RequiresGrad() || !tensor.GradEnabled() {
		t.Error("parameter is no longer a grad-requiring leaf, or grad mode was left off")
	}
	if tensor.Equal(view, tensor.Zeros(3, 4)) {
		t.Error("values were not written into the parameter's storage")
	}
	tensor.ManualSeed(9)
	a := Normal_(tensor.Empty(tensor.Float32, 5), 0, 1, nil)
	tensor.ManualSeed(9)
	b := Normal_(tensor.Empty(tensor.Float32, 5), 0, 1, nil)
	c := Normal_(tensor.Empty(tensor.Float32, 5), 0, 1, tensor.NewGenerator(9))
	if !tensor.Equal(a, b) || !tensor.Equal(a, c) {
		t.Errorf("seeded draws differ: %v %v %v", a, b, c)
	}
	// A strided view is filled through its strides.
	m := tensor.Zeros(4, 6)
	Constant_(m.Slice(1, 0, 6, 2), 3)
	if s := m.Sum().Item(); s != 3*12 {
		t.Errorf("constant_ on a strided view: sum %v, want 36", s)
	}
	Ones_(m)
	Zeros_(m.Select(0, 1))
	if s := m.Sum().Item(); s != 18 {
		t.Errorf("ones_ then zeros_ of a row: sum %v, want 18", s)
	}
	// Empty tensors are left alone.
	KaimingNormal_(tensor.Empty(tensor.Float32, 0, 3), KaimingOptions{}, nil)
	Orthogonal_(tensor.Empty(tensor.Float32, 0, 3), 1, nil)
}

// TestInitPanics checks the messages of misuse.
func TestInitPanics(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { FanInAndFanOut(tensor.Zeros(3)) }, "fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [3])"},
		{func() { XavierUniform_(tensor.Zeros(3), 1, nil) }, "xavier_uniform_: fan in and fan out can not be computed"},
		{func() { KaimingUniform_(tensor.Zeros(3, 3), KaimingOptions{Mode: "fan_avg"}, nil) }, `kaiming_uniform_: mode "fan_avg" not supported`},
		{func() { CalculateGain("swish") }, `calculate_gain: unsupported nonlinearity "swish"`},
		{func() { Uniform_(tensor.Zeros(3).Long(), 0, 1, nil) }, "uniform_: tensor of shape [3] has dtype int64"},
		{func() { Eye_(tensor.Zeros(3)) }, "eye_: only tensors with 2 dimensions are supported, got shape [3]"},
		{func() { Dirac_(tensor.Zeros(3, 3), 1) }, "dirac_: only tensors with 3, 4, or 5 dimensions are supported"},
		{func() { Dirac_(tensor.Zeros(3, 3, 3), 2) }, "dirac_: dimension 0 of shape [3 3 3] should be divisible by groups=2"},
		{func() { Orthogonal_(tensor.Zeros(3), 1, nil) }, "orthogonal_: only tensors with 2 or more dimensions are supported"},
		{func() { Normal_(tensor.Zeros(3), 0, -1, nil) }, "normal_: expects std >= 0"},
		{func() { TruncNormal_(tensor.Zeros(3), 0, 1, 2, -2, nil) }, "trunc_normal_: expects std > 0 and a < b"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, c.want) {
					t.Errorf("panic %v, want one containing %q", r, c.want)
				}
			}()
			c.f()
		}()
	}
}
