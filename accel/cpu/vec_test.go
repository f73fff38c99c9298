package cpu

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// vecOrd maps float32 to integers ordered as the floats, ±0 both to 0, so
// the difference of two ords counts the float32 values between them (ulps).
func vecOrd(f float32) int64 {
	b := math.Float32bits(f)
	if b&(1<<31) != 0 {
		return -int64(b &^ (1 << 31))
	}
	return int64(b)
}

// vecUlp is the distance in ulps between got and want; NaN matches only NaN.
func vecUlp(got, want float32) int64 {
	if got != got || want != want {
		if got != got && want != want {
			return 0
		}
		return math.MaxInt64
	}
	d := vecOrd(got) - vecOrd(want)
	if d < 0 {
		d = -d
	}
	return d
}

func vecSame(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// vecForEachPath runs f once per path available here, restoring the path.
func vecForEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, p := range VecPaths() {
		t.Run(p, func(t *testing.T) {
			prev, err := SetVecPath(p)
			if err != nil {
				t.Fatal(err)
			}
			defer SetVecPath(prev)
			f(t)
		})
	}
}

// vecEdges are inputs every kernel is tried on.
var vecEdges = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 2, -2,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	0x1p-126, -0x1p-126, 0x1.fffffcp-127, -0x1.fffffcp-127, 1e-40, -1e-40, 1e-30, -1e-30,
	88.72283, 88.72284, 88.7229, 89, 89.5, 90, 100, 200, 1e10,
	-87.33654, -87.33655, -87.3366, -100, -103.97207, -103.97208, -103.9721, -104, -105, -110, -111, -200, -1e10,
	0.625, -0.625, 0.62499994, -0.62499994, 9, -9, 9.1, -9.1, 10, -10, 44, -44,
	5.5, -5.5, 13, -13, 14.5, -14.5, 14.6, -14.6, 15, -15, 20, -20, 30, -30,
	0.70710677, 0.7071068, 1.4142135, 1.4142137, 0.99999994, 1.0000001,
}

// vecInputs returns n inputs: the edge values, then values spread over
// [lo, hi] uniformly and by random bit patterns (kept inside [lo, hi]).
func vecInputs(rng *rand.Rand, n int, lo, hi float32) []float32 {
	x := append([]float32(nil), vecEdges...)
	for len(x) < n {
		var v float32
		switch len(x) % 3 {
		case 0:
			v = lo + (hi-lo)*rng.Float32()
		case 1:
			v = math.Float32frombits(rng.Uint32())
		default:
			v = math.Float32frombits(rng.Uint32() & 0x41ffffff) // |v| < 32
			if rng.Intn(2) == 0 {
				v = -v
			}
		}
		if v < lo || v > hi {
			continue
		}
		x = append(x, v)
	}
	return x
}

func vecSigmoidRef(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func vecGELUTanhRef(x float64) float64 {
	y := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return x / (1 + math.Exp(-2*y)) // = 0.5·x·(1+tanh(y)), without cancellation
}

var vecUnaryCases = []struct {
	name   string
	f      func(dst, src []float32)
	ref    func(float64) float64
	lo, hi float32
	ulps   int64
}{
	{"Exp", VecExp, math.Exp, -120, 100, 1},
	{"Tanh", VecTanh, math.Tanh, -20, 20, 1},
	{"Log", VecLog, math.Log, -1, math.MaxFloat32, 1},
	{"Sigmoid", VecSigmoid, vecSigmoidRef, -120, 120, 1},
	{"SiLU", VecSiLU, func(x float64) float64 { return x * vecSigmoidRef(x) }, -120, 120, 1},
	{"GELU", VecGELU, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }, -20, 20, 1},
	{"GELUTanh", VecGELUTanh, vecGELUTanhRef, -20, 20, 1},
	{"ReLU", VecReLU, func(x float64) float64 {
		if x < 0 {
			return 0
		}
		return x
	}, -10, 10, 0},
}

func TestVecUnaryAccuracy(t *testing.T) {
	vecForEachPath(t, func(t *testing.T) {
		for _, c := range vecUnaryCases {
			rng := rand.New(rand.NewSource(1))
			x := vecInputs(rng, 30000, c.lo, c.hi)
			got := make([]float32, len(x))
			c.f(got, x)
			var worst int64
			for i, v := range x {
				want := float32(c.ref(float64(v)))
				if u := vecUlp(got[i], want); u > worst {
					worst = u
					if u > c.ulps {
						t.Errorf("%s(%v) = %v, want %v (%d ulp)", c.name, v, got[i], want, u)
					}
				}
			}
			t.Logf("%s: max %d ulp over %d inputs", c.name, worst, len(x))
		}
	})
}

// TestVecSpecialValues pins results that follow PyTorch rather than a
// formula's limit, and the sign of zero.
func TestVecSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		f    func(dst, src []float32)
		in   []float32
		want []float32
	}{
		{"Exp", VecExp, []float32{-inf, inf, nan, 0, -200, 200}, []float32{0, inf, nan, 1, 0, inf}},
		{"Log", VecLog, []float32{0, negz, -1, -inf, inf, nan, 1}, []float32{-inf, -inf, nan, nan, inf, nan, 0}},
		{"Tanh", VecTanh, []float32{-inf, inf, nan, negz, 1e-40}, []float32{-1, 1, nan, negz, 1e-40}},
		{"Sigmoid", VecSigmoid, []float32{-inf, inf, nan, 0}, []float32{0, 1, nan, 0.5}},
		{"SiLU", VecSiLU, []float32{-inf, inf, nan, negz, -1000}, []float32{nan, inf, nan, negz, negz}},
		{"GELU", VecGELU, []float32{-inf, inf, nan, 0, -30}, []float32{nan, inf, nan, 0, negz}},
		{"GELUTanh", VecGELUTanh, []float32{-inf, inf, nan, 0, -30}, []float32{nan, inf, nan, 0, negz}},
		{"ReLU", VecReLU, []float32{-inf, inf, nan, negz, -1, 3}, []float32{0, inf, nan, negz, 0, 3}},
		{"ReLU6", func(d, s []float32) { VecClamp(d, s, 0, 6) }, []float32{-inf, inf, nan, negz, -1, 3, 7}, []float32{0, 6, nan, negz, 0, 3, 6}},
		{"Clamp(lo>hi)", func(d, s []float32) { VecClamp(d, s, 2, 1) }, []float32{0, 1.5, 3, nan}, []float32{1, 1, 1, nan}},
		{"Sqrt", VecSqrt, []float32{-inf, inf, nan, negz, -1, 4, 2}, []float32{nan, inf, nan, negz, nan, 2, math.Sqrt2}},
		{"Abs", VecAbs, []float32{-inf, inf, negz, -1.5, 3}, []float32{inf, inf, 0, 1.5, 3}},
	}
	vecForEachPath(t, func(t *testing.T) {
		for _, c := range cases {
			got := make([]float32, len(c.in))
			c.f(got, c.in)
			for i := range got {
				if !vecSame(got[i], c.want[i]) {
					t.Errorf("%s(%v) = %v (%#x), want %v", c.name, c.in[i], got[i], math.Float32bits(got[i]), c.want[i])
				}
			}
		}
	})
}

// TestVecMaximumMinimum pins torch.maximum/minimum semantics: NaN from
// either side, the first operand on ties (so -0 vs +0 depends on order).
func TestVecMaximumMinimum(t *testing.T) {
	nan, negz := float32(math.NaN()), float32(math.Copysign(0, -1))
	a := []float32{negz, 0, nan, 1, nan, 2, -3, 5}
	b := []float32{0, negz, 1, nan, nan, -2, 3, 5}
	wmax := []float32{negz, 0, nan, nan, nan, 2, 3, 5}
	wmin := []float32{negz, 0, nan, nan, nan, -2, -3, 5}
	vecForEachPath(t, func(t *testing.T) {
		for _, n := range []int{len(a), 1, 3} { // whole vectors and tails
			d := make([]float32, n)
			VecMaximum(d, a[:n], b[:n])
			for i := range d {
				if !vecSame(d[i], wmax[i]) {
					t.Errorf("maximum(%v, %v) = %v, want %v", a[i], b[i], d[i], wmax[i])
				}
			}
			VecMinimum(d, a[:n], b[:n])
			for i := range d {
				if !vecSame(d[i], wmin[i]) {
					t.Errorf("minimum(%v, %v) = %v, want %v", a[i], b[i], d[i], wmin[i])
				}
			}
		}
	})
}

// vecAllOps runs every kernel on inputs x (and y, a second operand) and
// returns the outputs, for comparing paths and architectures.
func vecAllOps(x, y []float32) map[string][]float32 {
	out := map[string][]float32{}
	un := func(name string, f func(dst, src []float32)) {
		d := make([]float32, len(x))
		f(d, x)
		out[name] = d
	}
	for _, c := range vecUnaryCases {
		un(c.name, c.f)
	}
	un("Affine", func(d, s []float32) { VecAffine(d, s, 1.7, -0.3) })
	un("Scale", func(d, s []float32) { VecScale(d, s, -2.5) })
	un("Axpy", func(d, s []float32) { copy(d, y); VecAxpy(0.37, s, d) })
	un("Add", func(d, s []float32) { VecAdd(d, s, y) })
	un("Sub", func(d, s []float32) { VecSub(d, s, y) })
	un("Mul", func(d, s []float32) { VecMul(d, s, y) })
	un("Div", func(d, s []float32) { VecDiv(d, s, y) })
	un("Maximum", func(d, s []float32) { VecMaximum(d, s, y) })
	un("Minimum", func(d, s []float32) { VecMinimum(d, y, s) })
	un("Clamp", func(d, s []float32) { VecClamp(d, s, -1.5, 2.25) })
	un("Sqrt", VecSqrt)
	un("Abs", VecAbs)
	un("ExpShift", func(d, s []float32) { vecCur.Load().expShift(d, s, 3.25) })
	un("Softmax", func(d, s []float32) { VecSoftmax(d, s, len(s)) })
	un("LogSoftmax", func(d, s []float32) { VecLogSoftmax(d, s, len(s)) })
	sum, dot := VecSum(x), VecDot(x, y)
	out["Sum"] = []float32{float32(sum), float32(sum - float64(float32(sum)))}
	out["Dot"] = []float32{float32(dot), float32(dot - float64(float32(dot)))}
	out["Max"] = []float32{VecMax(x)}
	return out
}

// TestVecPathsIdentical checks that every path returns the generic path's
// bits, for many lengths (so every tail size is seen).
func TestVecPathsIdentical(t *testing.T) {
	paths := VecPaths()
	if len(paths) == 1 {
		t.Skip("only the generic path is built here")
	}
	rng := rand.New(rand.NewSource(2))
	lengths := []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}
	var inputs [][2][]float32
	for _, n := range lengths {
		x := vecInputs(rng, n+len(vecEdges), -30, 30)
		rng.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
		x = x[:n]
		y := vecInputs(rng, n+len(vecEdges), -5, 5)[len(vecEdges):]
		inputs = append(inputs, [2][]float32{x, y})
		// a finite, NaN-free copy for the reductions and softmax
		xf := make([]float32, n)
		for i := range xf {
			xf[i] = float32(rng.NormFloat64() * 4)
		}
		inputs = append(inputs, [2][]float32{xf, y})
	}
	want := make([]map[string][]float32, len(inputs))
	SetVecPath("generic")
	for i, in := range inputs {
		want[i] = vecAllOps(in[0], in[1])
	}
	SetVecPath(paths[0])
	for _, p := range paths[:len(paths)-1] {
		t.Run(p, func(t *testing.T) {
			prev, _ := SetVecPath(p)
			defer SetVecPath(prev)
			for i, in := range inputs {
				got := vecAllOps(in[0], in[1])
				for name, w := range want[i] {
					g := got[name]
					for j := range w {
						if !vecSame(g[j], w[j]) {
							t.Errorf("%s, n=%d, [%d] (x=%v): %s gives %v, generic %v", name, len(in[0]), j, in[0][min(j, len(in[0])-1)], p, g[j], w[j])
							break
						}
					}
				}
			}
		})
	}
}

// TestVecFMA32 checks the float32 fused multiply-add emulation against an
// exact big.Float evaluation (and the hardware, where a SIMD path exists).
func TestVecFMA32(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	type abc struct{ a, b, c float32 }
	cases := []abc{
		// exact sum just below/above a float32 tie that the float64 sum rounds onto
		{1 + 0x1p-15, (1 - 0x1p-15) * 0x1p-24, 1 + 0x1p-23},
		{-(1 + 0x1p-15), (1 - 0x1p-15) * 0x1p-24, -(1 + 0x1p-23)},
		{1 + 0x1p-15, (1 - 0x1p-15) * 0x1p-24, 1},
		{1 + 0x1p-15, -(1 - 0x1p-15) * 0x1p-24, 1 + 0x1p-22},
		{0x1p-75, 0x1p-75, 0},                  // subnormal product
		{0x1.8p-75, 0x1p-75, 0x1p-149},         // subnormal tie
		{math.MaxFloat32, 2, -math.MaxFloat32}, // product beyond float32, finite result
		{math.MaxFloat32, 1 + 0x1p-23, 0},
		{0, float32(math.Inf(1)), 1},
		{float32(math.Inf(1)), 1, float32(math.Inf(-1))},
	}
	for i := 0; i < 200000; i++ {
		a := math.Float32frombits(rng.Uint32())
		b := math.Float32frombits(rng.Uint32())
		c := math.Float32frombits(rng.Uint32())
		switch i % 4 {
		case 1: // c close to -a·b: heavy cancellation
			c = -a * b * (1 + float32(rng.NormFloat64())*0x1p-20)
		case 2: // small operands near 1
			a = 1 + float32(rng.Intn(1<<12))*0x1p-23
			b = float32(rng.Intn(1<<12)) * 0x1p-35
			c = 1 + float32(rng.Intn(1<<23))*0x1p-23
		case 3: // results near the subnormal range
			a = math.Float32frombits(rng.Uint32()&0x807fffff | 0x1e000000)
			b = math.Float32frombits(rng.Uint32()&0x807fffff | 0x1e000000)
			c = math.Float32frombits(rng.Uint32() & 0x80ffffff)
		}
		cases = append(cases, abc{a, b, c})
	}
	hw := vecHardwareFMA()
	var ha, hb, hc []float32
	for _, k := range cases {
		got := vecFMA32(k.a, k.b, k.c)
		want := vecFMA32Big(k.a, k.b, k.c)
		if !vecSame(got, want) {
			t.Errorf("vecFMA32(%v, %v, %v) = %v, want %v", k.a, k.b, k.c, got, want)
		}
		ha, hb, hc = append(ha, k.a), append(hb, k.b), append(hc, k.c)
	}
	if hw == nil {
		return
	}
	// VecAxpy on a SIMD path is VFMADD231PS: y = a·x + y.
	for i := range ha {
		y := []float32{hc[i]}
		hw(ha[i], []float32{hb[i]}, y)
		if got := vecFMA32(ha[i], hb[i], hc[i]); !vecSame(got, y[0]) {
			t.Errorf("vecFMA32(%v, %v, %v) = %v, hardware %v", ha[i], hb[i], hc[i], got, y[0])
		}
	}
}

func vecHardwareFMA() func(alpha float32, x, y []float32) {
	if ps := VecPaths(); len(ps) > 1 {
		for _, k := range vecAll {
			if k.name == ps[0] {
				return k.axpy
			}
		}
	}
	return nil
}

func vecFMA32Big(a, b, c float32) float32 {
	for _, v := range []float32{a, b, c} {
		if math.IsInf(float64(v), 0) || v != v {
			return float32(float64(a)*float64(b) + float64(c))
		}
	}
	p := new(big.Float).SetPrec(2000).SetFloat64(float64(a))
	p.Mul(p, new(big.Float).SetFloat64(float64(b)))
	p.Add(p, new(big.Float).SetFloat64(float64(c)))
	f, _ := p.Float32()
	if f == 0 && (p.Sign() < 0 || p.Sign() == 0 && math.Signbit(float64(a)) != math.Signbit(float64(b)) && math.Signbit(float64(c))) {
		return float32(math.Copysign(0, -1))
	}
	return f
}

func TestVecBinaryAndAffine(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	n := 1037
	a := vecInputs(rng, n, -1e3, 1e3)[:n]
	b := vecInputs(rng, n, -1e3, 1e3)[len(vecEdges) : len(vecEdges)+n]
	vecForEachPath(t, func(t *testing.T) {
		d := make([]float32, n)
		check := func(name string, want func(i int) float32) {
			t.Helper()
			for i := range d {
				if w := want(i); !vecSame(d[i], w) {
					t.Errorf("%s[%d] (%v, %v) = %v, want %v", name, i, a[i], b[i], d[i], w)
					return
				}
			}
		}
		VecAdd(d, a, b)
		check("Add", func(i int) float32 { return a[i] + b[i] })
		VecSub(d, a, b)
		check("Sub", func(i int) float32 { return a[i] - b[i] })
		VecMul(d, a, b)
		check("Mul", func(i int) float32 { return a[i] * b[i] })
		VecDiv(d, a, b)
		check("Div", func(i int) float32 { return a[i] / b[i] })
		VecMaximum(d, a, b)
		check("Maximum", func(i int) float32 { return float32(math.Max(float64(a[i]), float64(b[i]))) })
		VecMinimum(d, a, b)
		check("Minimum", func(i int) float32 { return float32(math.Min(float64(a[i]), float64(b[i]))) })
		VecClamp(d, a, -100, 250)
		check("Clamp", func(i int) float32 { return min(max(a[i], -100), 250) })
		VecSqrt(d, b)
		check("Sqrt", func(i int) float32 { return float32(math.Sqrt(float64(b[i]))) })
		VecAbs(d, a)
		check("Abs", func(i int) float32 { return float32(math.Abs(float64(a[i]))) })
		VecScale(d, a, 0.1)
		check("Scale", func(i int) float32 { return 0.1 * a[i] })
		VecAffine(d, a, 0.1, 3)
		check("Affine", func(i int) float32 { return vecFMA32Big(0.1, a[i], 3) })
		VecAffine(d, a, 1, -2.5)
		check("Affine(1,b)", func(i int) float32 { return a[i] + -2.5 })
		copy(d, b)
		VecAxpy(-0.7, a, d)
		check("Axpy", func(i int) float32 { return vecFMA32Big(-0.7, a[i], b[i]) })
		// in place
		copy(d, a)
		VecAdd(d, d, d)
		check("Add in place", func(i int) float32 { return a[i] + a[i] })
		e := make([]float32, n)
		VecExp(e, a)
		copy(d, a)
		VecExp(d, d)
		check("Exp in place", func(i int) float32 { return e[i] })
	})
}

func TestVecReductions(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	negz := float32(math.Copysign(0, -1))
	vecForEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 5, 31, 32, 33, 64, 100, 1000, 100003} {
			x := make([]float32, n)
			y := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.Intn(7)-3)))
				y[i] = float32(rng.NormFloat64())
			}
			// exact references
			es, ed := new(big.Float).SetPrec(4000), new(big.Float).SetPrec(4000)
			wmax := float32(math.Inf(-1))
			for i := range x {
				es.Add(es, big.NewFloat(float64(x[i])))
				ed.Add(ed, new(big.Float).Mul(big.NewFloat(float64(x[i])), big.NewFloat(float64(y[i]))))
				wmax = max(wmax, x[i])
			}
			var absSum, absDot float64
			for i := range x {
				absSum += math.Abs(float64(x[i]))
				absDot += math.Abs(float64(x[i]) * float64(y[i]))
			}
			ws, _ := es.Float64()
			wd, _ := ed.Float64()
			tol := func(abs float64) float64 { return float64(n+1) * 0x1p-52 * abs }
			if s := VecSum(x); math.Abs(s-ws) > tol(absSum) {
				t.Errorf("n=%d: VecSum = %v, want %v", n, s, ws)
			}
			if d := VecDot(x, y); math.Abs(d-wd) > tol(absDot) {
				t.Errorf("n=%d: VecDot = %v, want %v", n, d, wd)
			}
			if m := VecMax(x); !vecSame(m, wmax) {
				t.Errorf("n=%d: VecMax = %v, want %v", n, m, wmax)
			}
			if n > 3 {
				x[n/2] = float32(math.NaN())
				if m := VecMax(x); m == m {
					t.Errorf("n=%d: VecMax with a NaN = %v", n, m)
				}
				x[n/2] = float32(math.Inf(1))
				if m := VecMax(x); !math.IsInf(float64(m), 1) {
					t.Errorf("n=%d: VecMax with +Inf = %v", n, m)
				}
			}
		}
		for _, z := range [][]float32{{negz, 0}, {0, negz}, append(make([]float32, 40), negz)} {
			if m := VecMax(z); math.Signbit(float64(m)) {
				t.Errorf("VecMax(%v) = -0, want +0", z)
			}
		}
		z := make([]float32, 70)
		for i := range z {
			z[i] = negz
		}
		if m := VecMax(z); !math.Signbit(float64(m)) || m != 0 {
			t.Errorf("VecMax(all -0) = %v", m)
		}
		allNeg := []float32{-3, -1e30, -2, float32(math.Inf(-1))}
		if m := VecMax(allNeg); m != -2 {
			t.Errorf("VecMax(%v) = %v", allNeg, m)
		}
	})
}

// vecSoftmaxRef is softmax (or log-softmax) in float64, with the terms
// equal to the max (exactly 1) kept apart from the rest of the sum so that
// log-softmax values near 0 stay accurate.
func vecSoftmaxRef(x []float32, log bool) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var ones, rest float64
	var es []float64
	for _, v := range x {
		if float64(v) == m {
			ones++
		} else {
			es = append(es, math.Exp(float64(v)-m))
		}
	}
	sort.Float64s(es)
	for _, e := range es {
		rest += e
	}
	ls := math.Log(ones) + math.Log1p(rest/ones)
	out := make([]float64, len(x))
	for i, v := range x {
		if log {
			out[i] = (float64(v) - m) - ls
		} else {
			out[i] = math.Exp(float64(v)-m) / (ones + rest)
		}
	}
	return out
}

func TestVecSoftmax(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	vecForEachPath(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 7, 16, 33, 100, 1000} {
			rows := 3
			x := make([]float32, rows*n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * float64(1+i%4*10))
			}
			for _, log := range []bool{false, true} {
				d := make([]float32, len(x))
				if log {
					VecLogSoftmax(d, x, n)
				} else {
					VecSoftmax(d, x, n)
				}
				var worst int64
				for r := 0; r < rows; r++ {
					want := vecSoftmaxRef(x[r*n:r*n+n], log)
					for i, w := range want {
						u := vecUlp(d[r*n+i], float32(w))
						worst = max(worst, u)
						if u > 2 {
							t.Errorf("log=%v n=%d row %d [%d]: %v, want %v (%d ulp)", log, n, r, i, d[r*n+i], w, u)
						}
					}
				}
				t.Logf("log=%v n=%d: max %d ulp", log, n, worst)
			}
		}
		// rows with NaN, +Inf or only -Inf give NaN; -Inf elsewhere gives 0 (-Inf for log)
		x := []float32{1, nan, 2, 1, inf, 2, float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1)), 0, float32(math.Inf(-1)), 0}
		d := make([]float32, len(x))
		VecSoftmax(d, x, 3)
		for i := 0; i < 9; i++ {
			if d[i] == d[i] {
				t.Errorf("softmax of row %d = %v, want NaN", i/3, d[i/3*3:i/3*3+3])
			}
		}
		if d[9] != 0.5 || d[10] != 0 || d[11] != 0.5 {
			t.Errorf("softmax(0, -Inf, 0) = %v", d[9:])
		}
		VecLogSoftmax(d, x, 3)
		if d[10] != float32(math.Inf(-1)) || vecUlp(d[9], float32(-math.Ln2)) > 0 {
			t.Errorf("log_softmax(0, -Inf, 0) = %v", d[9:])
		}
		// a dominant element: its log-probability -exp(-60) is not rounded to 0
		z := []float32{0, -60, -70.5}
		VecLogSoftmax(d[:3], z, 3)
		for i, w := range vecSoftmaxRef(z, true) {
			if u := vecUlp(d[i], float32(w)); u > 1 || d[0] == 0 {
				t.Errorf("log_softmax(%v)[%d] = %v, want %v (%d ulp)", z, i, d[i], w, u)
			}
		}
		// large spread: tiny probabilities keep full relative accuracy
		y := []float32{0, -80.123456, -100.5, 10.654321}
		VecSoftmax(d[:4], y, 4)
		for i, w := range vecSoftmaxRef(y, false) {
			if u := vecUlp(d[i], float32(w)); u > 2 {
				t.Errorf("softmax(%v)[%d] = %v, want %v (%d ulp)", y, i, d[i], w, u)
			}
		}
	})
}

func TestVecPanics(t *testing.T) {
	mustPanic := func(want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), want) {
				t.Errorf("panic %v, want one containing %q", r, want)
			}
		}()
		f()
	}
	mustPanic("cpu.VecExp: length mismatch: dst 2, src 3", func() { VecExp(make([]float32, 2), make([]float32, 3)) })
	mustPanic("cpu.VecAdd: length mismatch: dst 2, a 2, b 1", func() { VecAdd(make([]float32, 2), make([]float32, 2), make([]float32, 1)) })
	mustPanic("cpu.VecDot: length mismatch: a 2, b 1", func() { VecDot(make([]float32, 2), make([]float32, 1)) })
	mustPanic("cpu.VecAxpy: length mismatch: dst 1, src 2", func() { VecAxpy(1, make([]float32, 2), make([]float32, 1)) })
	mustPanic("cpu.VecSoftmax: length 5 is not a whole number of rows of 2", func() { VecSoftmax(make([]float32, 5), make([]float32, 5), 2) })
	mustPanic("cpu.VecLogSoftmax: length 5 is not a whole number of rows of 0", func() { VecLogSoftmax(make([]float32, 5), make([]float32, 5), 0) })
	if _, err := SetVecPath("sse9"); err == nil || !strings.Contains(err.Error(), `"sse9" is not available`) {
		t.Errorf("SetVecPath(sse9) error = %v", err)
	}
	if ps := VecPaths(); ps[len(ps)-1] != "generic" || VecPath() != ps[0] {
		t.Errorf("VecPaths() = %v, VecPath() = %q", ps, VecPath())
	}
}

// TestVecBitsAcrossArch pins a hash of every kernel's output on fixed
// inputs. The portable path performs the same IEEE operations everywhere,
// so the hashes must match on every architecture (run the test under
// qemu-aarch64 too) and on every SIMD path.
func TestVecBitsAcrossArch(t *testing.T) {
	x := make([]float32, 0, 3000)
	x = append(x, vecEdges...)
	s := uint32(12345)
	for len(x) < cap(x) {
		s = s*1664525 + 1013904223
		v := math.Float32frombits(s)
		if len(x)%2 == 0 {
			v = float32(int32(s)>>8) * 0x1p-18 // [-32, 32)
		}
		x = append(x, v)
	}
	y := make([]float32, len(x))
	for i := range y {
		y[i] = float32(len(x)-i) * 0x1p-9
	}
	finite := make([]float32, len(x))
	for i := range finite {
		finite[i] = float32(i%97) * 0.37
	}
	want := map[string]string{}
	for _, kv := range strings.Fields(vecWantHashes) {
		k, v, _ := strings.Cut(kv, "=")
		want[k] = v
	}
	vecForEachPath(t, func(t *testing.T) {
		got := vecAllOps(x, y)
		for k, v := range vecAllOps(finite, y) {
			got["finite"+k] = v
		}
		var all []string
		for name, out := range got {
			h := fnv.New64a()
			for _, v := range out {
				if v != v {
					v = float32(math.NaN())
				}
				b := math.Float32bits(v)
				h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
			}
			hs := strconv.FormatUint(h.Sum64(), 16)
			all = append(all, name+"="+hs)
			if want[name] != hs {
				t.Errorf("%s: hash %s, want %s", name, hs, want[name])
			}
		}
		if t.Failed() {
			t.Logf("hashes: %s", strings.Join(all, " "))
		}
	})
}

const vecWantHashes = `
Abs=42ee39094e240e0c
Add=ed9424a8e41bc8af
Affine=b8f566024d41b374
Axpy=ffae4d90b525fa74
Clamp=fdd4cfcd548c5952
Div=2c6e74e2480ae47e
Dot=b901c1935e0f1b75
Exp=376183f7807c986f
ExpShift=28404a82dac4c493
GELU=eb7af3f4be5bd58e
GELUTanh=f3157ef8983c14d2
Log=773c0427078cae83
LogSoftmax=6dd7ec7f06ba99e5
Max=4a98877f9ba2f898
Maximum=bf86884a005a3780
Minimum=10fe63fda6f213fa
Mul=e839fd4273c53971
ReLU=56adb7bffdb57506
Scale=561d026f45ffec45
SiLU=b4c2b91cba2867f4
Sigmoid=21539d6250b6c51e
Softmax=6dd7ec7f06ba99e5
Sqrt=1e4fba08b90190c3
Sub=800743b4401bbcc
Sum=b901c1935e0f1b75
Tanh=e076fbd6f908e627
finiteAbs=da38f9f3f5e7ce8e
finiteAdd=6e35d702a58c4194
finiteAffine=bad38660a8a6174c
finiteAxpy=c41844d3a1d140ab
finiteClamp=188781b96cb597fb
finiteDiv=92d97e3c9dc3a129
finiteDot=91d033e62ca01228
finiteExp=f284844784568e57
finiteExpShift=76ba1108206dd059
finiteGELU=408176334b2669f9
finiteGELUTanh=278f9bc1da445920
finiteLog=50a87357fb0b1f21
finiteLogSoftmax=e2c8d6fb260b4201
finiteMax=83efde5a94d43d6a
finiteMaximum=d2ea4c66c87598b6
finiteMinimum=9d387bcbf1f0733f
finiteMul=3f15378d7526eb4b
finiteReLU=da38f9f3f5e7ce8e
finiteScale=1cf2a541ed07babc
finiteSiLU=af67455476c646eb
finiteSigmoid=aa636e1559f5e65b
finiteSoftmax=a61597d094808253
finiteSqrt=f968f8df87d3ac2e
finiteSub=9f3e5e1347cc434d
finiteSum=b9183faa71e414e7
finiteTanh=bb965b1f6830d244
`

// TestVecScan measures the max ulp error of the transcendental kernels on
// every k-th float32 bit pattern, k = $EMBER_VEC_SCAN (61 gives the numbers
// quoted in the doc comments; it takes minutes), and checks that every path
// returns the same bits on all of them.
func TestVecScan(t *testing.T) {
	k, _ := strconv.Atoi(os.Getenv("EMBER_VEC_SCAN"))
	if k <= 0 {
		t.Skip("set EMBER_VEC_SCAN=61 to run")
	}
	x := make([]float32, 0, int(uint64(1)<<32/uint64(k))+1)
	for b := uint64(0); b < 1<<32; b += uint64(k) {
		x = append(x, math.Float32frombits(uint32(b)))
	}
	got := make([]float32, len(x))
	other := make([]float32, len(x))
	paths := VecPaths()
	defer SetVecPath(VecPath())
	for _, c := range vecUnaryCases {
		SetVecPath(paths[0])
		c.f(got, x)
		for _, p := range paths[1:] {
			SetVecPath(p)
			c.f(other, x)
			for i := range x {
				if !vecSame(got[i], other[i]) {
					t.Errorf("%s(%v): %s gives %v, %s %v", c.name, x[i], paths[0], got[i], p, other[i])
					break
				}
			}
		}
		var worst int64
		var wx float32
		counts := map[int64]int{}
		for i, v := range x {
			u := vecUlp(got[i], float32(c.ref(float64(v))))
			counts[u]++
			if u > worst {
				worst, wx = u, v
			}
		}
		t.Logf("%s: max %d ulp (at %v) over %d inputs, paths %v agree; counts %v", c.name, worst, wx, len(x), paths, counts)
		if worst > c.ulps {
			t.Errorf("%s: max %d ulp > %d", c.name, worst, c.ulps)
		}
	}
}

// TestVecNoAllocs checks that no kernel allocates (the lite runtime runs
// them in steady state), tails included.
func TestVecNoAllocs(t *testing.T) {
	vecForEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 5, 37} {
			x, y, d := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], y[i] = float32(i)-3, float32(i)+1
			}
			for name, f := range map[string]func(){
				"Exp": func() { VecExp(d, x) }, "Tanh": func() { VecTanh(d, x) }, "Log": func() { VecLog(d, y) },
				"Sigmoid": func() { VecSigmoid(d, x) }, "SiLU": func() { VecSiLU(d, x) },
				"GELU": func() { VecGELU(d, x) }, "GELUTanh": func() { VecGELUTanh(d, x) },
				"ReLU": func() { VecReLU(d, x) }, "Affine": func() { VecAffine(d, x, 2, 1) },
				"Scale": func() { VecScale(d, x, 2) }, "Axpy": func() { VecAxpy(2, x, d) },
				"Add": func() { VecAdd(d, x, y) }, "Sub": func() { VecSub(d, x, y) },
				"Maximum": func() { VecMaximum(d, x, y) }, "Minimum": func() { VecMinimum(d, x, y) },
				"Clamp": func() { VecClamp(d, x, 0, 6) }, "Sqrt": func() { VecSqrt(d, y) }, "Abs": func() { VecAbs(d, x) },
				"Mul": func() { VecMul(d, x, y) }, "Div": func() { VecDiv(d, x, y) },
				"Sum": func() { VecSum(x) }, "Dot": func() { VecDot(x, y) }, "Max": func() { VecMax(x) },
				"Softmax":    func() { VecSoftmax(d, x, max(n, 1)) },
				"LogSoftmax": func() { VecLogSoftmax(d, x, max(n, 1)) },
			} {
				if a := testing.AllocsPerRun(10, f); a != 0 {
					t.Errorf("%s (n=%d) allocates %v times", name, n, a)
				}
			}
		}
	})
}
