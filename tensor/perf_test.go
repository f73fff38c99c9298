package tensor_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// perfVals are values mixing IEEE specials with random numbers.
func perfVals(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 9))
	sp := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 6, -3, float32(math.NaN()),
		float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -3e38}
	v := make([]float32, n)
	for i := range v {
		if r.IntN(4) == 0 {
			v[i] = sp[r.IntN(len(sp))]
		} else {
			v[i] = float32(r.NormFloat64() * 3)
		}
	}
	return v
}

// perfSame reports whether two float32 values are the same (any NaN
// matching any NaN).
func perfSame(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func perfCheckBits(t *testing.T, what string, got *tensor.Tensor, want []float32) {
	t.Helper()
	g := got.ToFloat32s()
	if len(g) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(g), len(want))
	}
	for i := range want {
		if !perfSame(g[i], want[i]) {
			t.Fatalf("%s: element %d is %v (%#x), want %v (%#x)", what, i, g[i], math.Float32bits(g[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// perfRef computes op elementwise over the broadcast of a and b from their
// float32 values.
func perfRef(a, b *tensor.Tensor, op func(x, y float32) float32) []float32 {
	shape, _ := tensor.BroadcastShapes(a.Shape(), b.Shape())
	av := a.Expand(shape...).ToFloat32s()
	bv := b.Expand(shape...).ToFloat32s()
	out := make([]float32, len(av))
	for i := range out {
		out[i] = op(av[i], bv[i])
	}
	return out
}

// TestPerfBinaryFloat32Bits checks the float32 fast paths of the binary
// ops bit for bit against scalar IEEE arithmetic, for contiguous,
// broadcast (scalar, row, channel) and non-contiguous operands, out of
// place and in place.
func TestPerfBinaryFloat32Bits(t *testing.T) {
	ops := []struct {
		name    string
		f       func(a, b *tensor.Tensor) *tensor.Tensor
		inPlace func(a, b *tensor.Tensor) *tensor.Tensor
		ref     func(x, y float32) float32
	}{
		{"add", (*tensor.Tensor).Add, (*tensor.Tensor).Add_, func(x, y float32) float32 { return x + y }},
		{"sub", (*tensor.Tensor).Sub, (*tensor.Tensor).Sub_, func(x, y float32) float32 { return x - y }},
		{"mul", (*tensor.Tensor).Mul, (*tensor.Tensor).Mul_, func(x, y float32) float32 { return x * y }},
		{"div", (*tensor.Tensor).Div, (*tensor.Tensor).Div_, func(x, y float32) float32 { return x / y }},
	}
	mk := func(seed uint64, shape ...int) *tensor.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return tensor.FromSlice(perfVals(seed, n), shape...)
	}
	pairs := []struct {
		name string
		a, b *tensor.Tensor
	}{
		{"contig", mk(1, 3, 37), mk(2, 3, 37)},
		{"scalar-right", mk(3, 2, 41), mk(4)},
		{"scalar-left", mk(5), mk(6, 2, 41)},
		{"0-d", mk(7, 43), mk(8).Reshape()},
		{"row", mk(9, 5, 19), mk(10, 19)},
		{"column", mk(11, 5, 19), mk(12, 5, 1)},
		{"channel", mk(13, 2, 3, 4, 5), mk(14, 1, 3, 1, 1)},
		{"transposed", mk(15, 7, 9).T(), mk(16, 9, 7)},
		{"strided", mk(17, 6, 22).Slice(1, 0, 22, 2), mk(18, 6, 11)},
		{"both-broadcast", mk(19, 4, 1), mk(20, 1, 17)},
	}
	for _, op := range ops {
		for _, p := range pairs {
			want := perfRef(p.a, p.b, op.ref)
			perfCheckBits(t, op.name+"/"+p.name, op.f(p.a, p.b), want)
			if s, _ := tensor.BroadcastShapes(p.a.Shape(), p.b.Shape()); slices.Equal(s, p.a.Shape()) {
				dst := p.a.Clone()
				if r := op.inPlace(dst, p.b); r != dst {
					t.Fatalf("%s_/%s: returned a different tensor", op.name, p.name)
				}
				perfCheckBits(t, op.name+"_/"+p.name, dst, want)
				// Non-contiguous destination.
				nc := p.a.T().Clone().T()
				if nc.IsContiguous() && nc.Numel() > 1 && nc.Dim() > 1 && p.a.Size(0) > 1 && p.a.Size(1) > 1 {
					t.Fatalf("test setup: expected a non-contiguous view")
				}
				op.inPlace(nc, p.b)
				perfCheckBits(t, op.name+"_/"+p.name+"/noncontig-dst", nc, want)
			}
		}
		// In place with the operand the very same tensor, and with an
		// overlapping view of it (reversed rows).
		x := mk(21, 4, 33)
		want := perfRef(x, x, op.ref)
		y := x.Clone()
		op.inPlace(y, y)
		perfCheckBits(t, op.name+"_/self", y, want)
		base := mk(22, 4*33+1)
		z := base.Slice(0, 1, 4*33+1, 1).Reshape(4, 33)
		zr := base.Slice(0, 0, 4*33, 1).Reshape(4, 33)
		want = perfRef(z, zr.Clone(), op.ref)
		op.inPlace(z, zr)
		perfCheckBits(t, op.name+"_/overlap", z, want)
	}
}

// TestPerfInPlaceExpandedOperand adds a row broadcast in place and a
// float64 operand into a float32 tensor (the general path).
func TestPerfInPlaceMixedDtypes(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	a.Add_(tensor.FromSlice([]float64{0.5, 0.25}, 2))
	if got := a.ToFloat64s(); !slices.Equal(got, []float64{1.5, 2.25, 3.5, 4.25}) {
		t.Fatalf("float32 += float64 row: %v", got)
	}
	if a.DType() != tensor.Float32 {
		t.Fatalf("dtype %v after an in-place add, want float32", a.DType())
	}
	h := tensor.FromSlice([]float32{1, 2}, 2).To(tensor.Float16)
	h.Mul_(tensor.FromSlice([]float32{3, 0.5}, 2))
	if got := h.ToFloat64s(); !slices.Equal(got, []float64{3, 1}) || h.DType() != tensor.Float16 {
		t.Fatalf("float16 *= float32: %v %v", got, h.DType())
	}
}

// TestPerfUnaryFloat32 checks the Vec kernels behind the float32 unary ops:
// the exact ones bit for bit, the transcendental ones within 1 ulp of the
// float64 function rounded to float32, contiguous and not.
func TestPerfUnaryFloat32(t *testing.T) {
	x := tensor.FromSlice(perfVals(30, 4*37), 4, 37)
	for _, c := range []struct {
		name  string
		f     func(*tensor.Tensor) *tensor.Tensor
		ref   func(float64) float64
		exact bool
	}{
		{"neg", (*tensor.Tensor).Neg, func(v float64) float64 { return -v }, true},
		{"abs", (*tensor.Tensor).Abs, math.Abs, true},
		{"sqrt", (*tensor.Tensor).Sqrt, math.Sqrt, true},
		{"relu", (*tensor.Tensor).ReLU, func(v float64) float64 {
			if v < 0 {
				return 0
			}
			return v
		}, true},
		{"relu6", (*tensor.Tensor).ReLU6, func(v float64) float64 {
			if v < 0 {
				v = 0
			}
			if v > 6 {
				v = 6
			}
			return v
		}, true},
		{"clamp_min", func(t *tensor.Tensor) *tensor.Tensor { return t.ClampMin(-1) }, func(v float64) float64 {
			if v < -1 {
				return -1
			}
			return v
		}, true},
		{"exp", (*tensor.Tensor).Exp, math.Exp, false},
		{"log", (*tensor.Tensor).Log, math.Log, false},
		{"tanh", (*tensor.Tensor).Tanh, math.Tanh, false},
		{"sigmoid", (*tensor.Tensor).Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, false},
		{"silu", (*tensor.Tensor).SiLU, func(v float64) float64 { return v / (1 + math.Exp(-v)) }, false},
		{"gelu", func(t *tensor.Tensor) *tensor.Tensor { return t.GELU("none") }, func(v float64) float64 {
			return 0.5 * v * math.Erfc(-v/math.Sqrt2)
		}, false},
	} {
		for _, in := range []*tensor.Tensor{x, x.T().Clone().T()} {
			got := c.f(in).ToFloat32s()
			xs := in.ToFloat32s()
			for i, v := range xs {
				w := float32(c.ref(float64(v)))
				if c.exact {
					if !perfSame(got[i], w) {
						t.Fatalf("%s(%v) = %v, want %v", c.name, v, got[i], w)
					}
					continue
				}
				if perfSame(got[i], w) {
					continue
				}
				if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) || math.Signbit(float64(got[i])) != math.Signbit(float64(w)) {
					t.Fatalf("%s(%v) = %v, want %v", c.name, v, got[i], w)
				}
				if d := int64(math.Float32bits(got[i])) - int64(math.Float32bits(w)); d > 1 || d < -1 {
					t.Fatalf("%s(%v) = %v, want %v (%d ulp)", c.name, v, got[i], w, d)
				}
			}
		}
	}
}

// TestPerfActivationGradMasks checks the float32 backward kernels of ReLU
// and ReLU6/Hardtanh at and around their kinks, NaN included, against the
// definitions (PyTorch's threshold_backward and hardtanh_backward).
func TestPerfActivationGradMasks(t *testing.T) {
	vals := []float32{-2, 0, 0, 1e-45, 0.5, 1, 5.5, 6, 7, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		-1, 2, 3, 4, 1, 1, 1} // 19 values: both the SIMD body and the tail
	vals[1] = float32(math.Copysign(0, -1))
	g := make([]float32, len(vals))
	for i := range g {
		g[i] = float32(i + 1)
	}
	run := func(f func(*tensor.Tensor) *tensor.Tensor) []float32 {
		x := tensor.FromSlice(vals, len(vals)).SetRequiresGrad(true)
		f(x).BackwardWith(tensor.BackwardOptions{Grad: tensor.FromSlice(g, len(g))})
		return x.Grad().ToFloat32s()
	}
	relu := run((*tensor.Tensor).ReLU)
	relu6 := run((*tensor.Tensor).ReLU6)
	ht := run(func(x *tensor.Tensor) *tensor.Tensor { return x.Hardtanh(-1, 1) })
	for i, v := range vals {
		y := v
		if v < 0 {
			y = 0
		}
		want := g[i]
		if y <= 0 {
			want = 0
		}
		if !perfSame(relu[i], want) {
			t.Errorf("relu grad at %v = %v, want %v", v, relu[i], want)
		}
		want = 0
		if v > 0 && v < 6 {
			want = g[i]
		}
		if !perfSame(relu6[i], want) {
			t.Errorf("relu6 grad at %v = %v, want %v", v, relu6[i], want)
		}
		want = 0
		if v > -1 && v < 1 {
			want = g[i]
		}
		if !perfSame(ht[i], want) {
			t.Errorf("hardtanh grad at %v = %v, want %v", v, ht[i], want)
		}
	}
}

func TestAddScaled(t *testing.T) {
	fma32 := perfFMA32
	a := float32(-0.01)
	mk := func(seed uint64, shape ...int) *tensor.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		return tensor.FromSlice(perfVals(seed, n), shape...)
	}
	for _, c := range []struct {
		name string
		t, u *tensor.Tensor
	}{
		{"contig", mk(40, 3, 21), mk(41, 3, 21)},
		{"row", mk(42, 3, 21), mk(43, 21)},
		{"scalar", mk(44, 3, 21), mk(45).Reshape()},
		{"noncontig-dst", mk(46, 21, 3).T(), mk(47, 3, 21)},
		{"noncontig-src", mk(48, 3, 21), mk(49, 21, 3).T()},
	} {
		want := perfRef(c.t, c.u, func(y, x float32) float32 { return fma32(a, x, y) })
		dst := c.t.Detach()
		if r := dst.AddScaled_(c.u, float64(a)); r != dst {
			t.Fatalf("%s: AddScaled_ returned a different tensor", c.name)
		}
		perfCheckBits(t, "add_scaled_/"+c.name, dst, want)
	}
	// The operand is the tensor itself, and an overlapping view of it.
	x := mk(50, 5, 8)
	want := perfRef(x, x, func(y, v float32) float32 { return fma32(2, v, y) })
	x.AddScaled_(x, 2)
	perfCheckBits(t, "add_scaled_/self", x, want)
	ybase := mk(51, 41)
	y := ybase.Slice(0, 1, 41, 1).Reshape(5, 8)
	yr := ybase.Slice(0, 0, 40, 1).Reshape(5, 8)
	want = perfRef(y, yr.Clone(), func(v, w float32) float32 { return fma32(2, w, v) })
	y.AddScaled_(yr, 2)
	perfCheckBits(t, "add_scaled_/overlap", y, want)

	dn := tensor.FromSlice([]float64{1, 10, 2, 20, 3, 30}, 3, 2).T() // non-contiguous
	dn.AddScaled_(tensor.FromSlice([]float64{0.1, 0.2, 0.3}, 3), 3)
	for i, w := range []float64{math.FMA(3, 0.1, 1), math.FMA(3, 0.2, 2), math.FMA(3, 0.3, 3), math.FMA(3, 0.1, 10)} {
		if got := dn.At(i/3, i%3); got != w {
			t.Fatalf("non-contiguous float64 add_scaled_[%d] = %v, want %v", i, got, w)
		}
	}
	d := tensor.FromSlice([]float64{1, 2, 3}, 3)
	d.AddScaled_(tensor.FromSlice([]float64{0.1, 0.2, 0.3}, 3), 3)
	for i, w := range []float64{math.FMA(3, 0.1, 1), math.FMA(3, 0.2, 2), math.FMA(3, 0.3, 3)} {
		if got := d.At(i); got != w {
			t.Fatalf("float64 add_scaled_[%d] = %v, want %v", i, got, w)
		}
	}
	h := tensor.FromSlice([]float32{1, 2}, 2).To(tensor.Float16)
	h.AddScaled_(tensor.FromSlice([]float32{4, 8}, 2), 0.25)
	if got := h.ToFloat64s(); !slices.Equal(got, []float64{2, 4}) || h.DType() != tensor.Float16 {
		t.Fatalf("float16 add_scaled_: %v %v", got, h.DType())
	}

	mustPanic(t, "add_scaled_: shapes [2] and [3]", func() {
		tensor.Zeros(2).AddScaled_(tensor.Zeros(3), 1)
	})
	mustPanic(t, "add_scaled_: expected a floating-point tensor", func() {
		tensor.FromSlice([]int64{1}, 1).AddScaled_(tensor.FromSlice([]int64{1}, 1), 1)
	})
	mustPanic(t, "add_scaled_: in-place operation", func() {
		tensor.Zeros(2).SetRequiresGrad(true).AddScaled_(tensor.Zeros(2), 1)
	})
	p := tensor.Zeros(2).SetRequiresGrad(true)
	autograd.NoGrad(func() { p.AddScaled_(tensor.Ones(2), 0.5) })
	if got := p.ToFloat64s(); !slices.Equal(got, []float64{0.5, 0.5}) {
		t.Fatalf("add_scaled_ under NoGrad: %v", got)
	}
}

// perfFMA32 returns a*x+y rounded once to float32.
func perfFMA32(a, x, y float32) float32 {
	p := float64(a) * float64(x) // exact
	if math.IsNaN(p) || math.IsInf(p, 0) || math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
		return float32(p + float64(y))
	}
	s := new(big.Float).SetPrec(2000).SetFloat64(p)
	s.Add(s, new(big.Float).SetFloat64(float64(y)))
	if s.Sign() == 0 {
		return float32(p + float64(y)) // exact, with IEEE's sign of zero
	}
	f, _ := s.Float32()
	return f
}

// TestPerfSumDimsFloat32 compares the copy-free float32 sum with the
// general path (taken for a non-contiguous input), shapes, values and
// gradient.
func TestPerfSumDimsFloat32(t *testing.T) {
	x := tensor.FromSlice(perfVals(60, 2*3*4*5), 2, 3, 4, 5)
	for i, v := range x.ToFloat32s() {
		if v != v || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 1e30 {
			x.Set(float64(i%7)-3, i/60, i/20%3, i/5%4, i%5)
		}
	}
	xn := x.T().Clone().T() // the same values, not contiguous
	for _, dims := range [][]int{nil, {0}, {1}, {3}, {0, 2, 3}, {-1, 0}, {1, 2}} {
		for _, keep := range []bool{false, true} {
			got := x.SumDims(dims, keep)
			want := xn.SumDims(dims, keep)
			if !slices.Equal(got.Shape(), want.Shape()) {
				t.Fatalf("dims %v keep %v: shape %v, want %v", dims, keep, got.Shape(), want.Shape())
			}
			g, w := got.ToFloat64s(), want.ToFloat64s()
			for i := range w {
				if math.Abs(g[i]-w[i]) > 1e-6*(1+math.Abs(w[i])) {
					t.Fatalf("dims %v keep %v: [%d] = %v, want %v", dims, keep, i, g[i], w[i])
				}
			}
		}
	}
	p := x.Detach().Clone().SetRequiresGrad(true)
	s := p.SumDims([]int{0, 2, 3}, false)
	s.BackwardWith(tensor.BackwardOptions{Grad: tensor.FromSlice([]float32{1, 2, 3}, 3)})
	for i, v := range p.Grad().ToFloat32s() {
		if want := float32(i/20%3 + 1); v != want {
			t.Fatalf("grad[%d] = %v, want %v", i, v, want)
		}
	}
	mustPanic(t, "sum: dim 1 appears multiple times", func() { x.SumDims([]int{1, -3}, false) })
}

// TestPerfInPlaceActivations checks ReLU_, ReLU6_ and Hardtanh_ against the
// out-of-place ops for several dtypes and layouts, and their misuse.
func TestPerfInPlaceActivations(t *testing.T) {
	base := tensor.FromSlice(perfVals(70, 6*11), 6, 11)
	for _, c := range []struct {
		name    string
		inPlace func(*tensor.Tensor) *tensor.Tensor
		ref     func(*tensor.Tensor) *tensor.Tensor
	}{
		{"relu_", (*tensor.Tensor).ReLU_, (*tensor.Tensor).ReLU},
		{"relu6_", (*tensor.Tensor).ReLU6_, (*tensor.Tensor).ReLU6},
		{"hardtanh_", func(x *tensor.Tensor) *tensor.Tensor { return x.Hardtanh_(-1.5, 2) },
			func(x *tensor.Tensor) *tensor.Tensor { return x.Hardtanh(-1.5, 2) }},
	} {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.Int64} {
			src := base.To(dt)
			if dt == tensor.Int64 {
				iv := make([]int64, 66)
				for i := range iv {
					iv[i] = int64(i%13) - 5
				}
				src = tensor.FromSlice(iv, 6, 11)
			}
			for _, nc := range []bool{false, true} {
				x := src.Clone()
				if nc {
					x = src.T().Clone().T()
				}
				want := c.ref(x).ToFloat64s()
				if r := c.inPlace(x); r != x {
					t.Fatalf("%s %v: returned a different tensor", c.name, dt)
				}
				if x.DType() != dt {
					t.Fatalf("%s %v: dtype became %v", c.name, dt, x.DType())
				}
				got := x.ToFloat64s()
				for i := range want {
					if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
						t.Fatalf("%s %v noncontig=%v: [%d] = %v, want %v", c.name, dt, nc, i, got[i], want[i])
					}
				}
			}
		}
	}
	mustPanic(t, "relu_: in-place operation", func() { tensor.Ones(2).SetRequiresGrad(true).ReLU_() })
	mustPanic(t, "relu6_: bool inputs not supported", func() { tensor.FromSlice([]bool{true}, 1).ReLU6_() })
	mustPanic(t, "hardtanh_: value 300 cannot be converted to type int8", func() {
		tensor.FromSlice([]int8{1}, 1).Hardtanh_(0, 300)
	})
}

// TestPerfSoftmaxRows compares the float32 row softmax and log-softmax (the
// Vec kernels) with the general strided path, which takes the columns of
// the transposed tensor, on rows with infinities and NaN.
func TestPerfSoftmaxRows(t *testing.T) {
	rows := [][]float32{
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		{-1e3, 0, 1e3, 5, -5, 0, 0, 0, 0, 0, 1},
		{float32(math.Inf(-1)), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{float32(math.NaN()), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{float32(math.Inf(1)), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{-30, -20, -10, 0, 80, 0.5, 0.25, 3, 3, 3, 3},
	}
	var flat []float32
	for _, r := range rows {
		flat = append(flat, r...)
	}
	x := tensor.FromSlice(flat, len(rows), len(rows[0]))
	xt := x.T().Contiguous() // [11, 6]: softmax over dim 0 has inner 6
	for _, log := range []bool{false, true} {
		var got, want *tensor.Tensor
		if log {
			got, want = x.LogSoftmax(1), xt.LogSoftmax(0).T()
		} else {
			got, want = x.Softmax(-1), xt.Softmax(0).T()
		}
		g, w := got.ToFloat32s(), want.ToFloat32s()
		for i := range w {
			if perfSame(g[i], w[i]) {
				continue
			}
			if w[i] != w[i] || g[i] != g[i] || math.IsInf(float64(w[i]), 0) {
				t.Fatalf("log=%v: [%d] = %v, want %v", log, i, g[i], w[i])
			}
			// Near 0 the row kernel keeps relative accuracy (log1p) where
			// the general path rounds log(1+tiny) to 0: compare absolutely.
			if math.Abs(float64(g[i])-float64(w[i])) <= 1e-30 {
				continue
			}
			if d := int64(math.Float32bits(g[i])) - int64(math.Float32bits(w[i])); d > 2 || d < -2 {
				t.Fatalf("log=%v: [%d] = %v, want %v (%d ulp)", log, i, g[i], w[i], d)
			}
		}
	}
}

// TestPerfGradNotShared checks that a leaf's Grad never shares storage with
// a tensor someone else may hold or write, now that a fresh gradient
// becomes the Grad without a copy: the output gradient passed in, a tensor
// a hook kept, another leaf's Grad, what a custom backward returned.
func TestPerfGradNotShared(t *testing.T) {
	c := tensor.FromSlice([]float32{2, 3, 4}, 3)
	// One fresh gradient reaches two leaves through add.
	a := tensor.FromSlice([]float32{1, 1, 1}, 3).SetRequiresGrad(true)
	b := tensor.FromSlice([]float32{1, 1, 1}, 3).SetRequiresGrad(true)
	a.Add(b).Mul(c).Sum().Backward()
	if a.Grad().SharesStorage(b.Grad()) {
		t.Fatal("two leaves share one gradient buffer")
	}
	a.Grad().Mul_(tensor.Scalar(0))
	if got := b.Grad().ToFloat64s(); !slices.Equal(got, []float64{2, 3, 4}) {
		t.Fatalf("b.Grad changed with a.Grad: %v", got)
	}
	// The output gradient passed in, the leaf being the root itself and
	// one op away.
	x := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	g := tensor.FromSlice([]float32{5, 6, 7}, 3)
	x.BackwardWith(tensor.BackwardOptions{Grad: g})
	y := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	y.Clone().BackwardWith(tensor.BackwardOptions{Grad: g})
	if x.Grad().SharesStorage(g) || y.Grad().SharesStorage(g) {
		t.Fatal("Grad shares the output gradient passed to Backward")
	}
	// A hook that keeps the gradient it sees.
	h := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	var kept []*tensor.Tensor
	h.RegisterHook(func(gr *tensor.Tensor) *tensor.Tensor { kept = append(kept, gr); return nil })
	h.Mul(c).Sum().Backward()
	m := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	mid := m.Mul(c)
	mid.RegisterHook(func(gr *tensor.Tensor) *tensor.Tensor { kept = append(kept, gr); return nil })
	mid.Clone().Mul(c).Sum().Backward()
	if h.Grad().SharesStorage(kept[0]) || m.Grad().SharesStorage(kept[1]) {
		t.Fatal("Grad shares a tensor a hook kept")
	}
	// A custom backward that returns a tensor it keeps.
	saved := tensor.FromSlice([]float32{9, 9, 9}, 3)
	u := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	out := tensor.Record("custom", u.Detach().Clone(), []*tensor.Tensor{u}, func(*tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{saved}
	})
	out.Clone().Sum().Backward()
	if u.Grad().SharesStorage(saved) {
		t.Fatal("Grad shares a tensor a custom backward returned")
	}
	if got := u.Grad().ToFloat64s(); !slices.Equal(got, []float64{9, 9, 9}) {
		t.Fatalf("custom grad %v", got)
	}
	// A second backward accumulates into a new tensor, leaving the first
	// Grad (taken without a copy) as it was.
	w := tensor.FromSlice([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	w.Mul(c).Sum().Backward()
	first := w.Grad()
	w.Mul(c).Sum().Backward()
	if got := first.ToFloat64s(); !slices.Equal(got, []float64{2, 3, 4}) {
		t.Fatalf("first gradient changed to %v", got)
	}
	if got := w.Grad().ToFloat64s(); !slices.Equal(got, []float64{4, 6, 8}) {
		t.Fatalf("accumulated gradient %v", got)
	}
}

var perfOps = map[string]goldenOp{
	"add_scaled_": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].AddScaled_(in[1], a.Float("alpha"))}
	},
	"relu_":  func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{in[0].ReLU_()} },
	"relu6_": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{in[0].ReLU6_()} },
	"hardtanh_": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].Hardtanh_(a.Float("lo"), a.Float("hi"))}
	},
	"sum": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].SumDims(a.Ints("dims"), a.Bool("keepdim"))}
	},
	"softmax":     func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{in[0].Softmax(1)} },
	"log_softmax": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{in[0].LogSoftmax(1)} },
}

// TestPerfGolden checks the ops added for speed (and the fast paths they
// share) against PyTorch, contiguous and not (runGolden also runs the
// in-place ops on non-contiguous views).
func TestPerfGolden(t *testing.T) { runGolden(t, "perf.json", perfOps, defaultTol) }
