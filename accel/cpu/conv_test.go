package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// convRefVisit calls f(yi, xi, wi) for every (output, input, weight)
// element triple of the convolution p that contributes a product: the
// definition of convolution, with no cleverness, for the tests to trust.
func convRefVisit(p ConvParams, f func(yi, xi, wi int)) {
	cg, ocg := p.C/p.Groups, p.OC/p.Groups
	for n := range p.N {
		for oc := range p.OC {
			g := oc / ocg
			for oh := range p.OutH {
				for ow := range p.OutW {
					yi := ((n*p.OC+oc)*p.OutH+oh)*p.OutW + ow
					for ci := range cg {
						c := g*cg + ci
						for kh := range p.KH {
							ih := oh*p.StrideH - p.PadH + kh*p.DilH
							if ih < 0 || ih >= p.H {
								continue
							}
							for kw := range p.KW {
								iw := ow*p.StrideW - p.PadW + kw*p.DilW
								if iw < 0 || iw >= p.W {
									continue
								}
								f(yi, ((n*p.C+c)*p.H+ih)*p.W+iw, ((oc*cg+ci)*p.KH+kh)*p.KW+kw)
							}
						}
					}
				}
			}
		}
	}
}

func convRandSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.NormFloat64())
	}
	return s
}

// convRandParams draws a random small convolution, including depthwise,
// pointwise and asymmetrically padded ones.
func convRandParams(r *rand.Rand) ConvParams {
	for {
		p := ConvParams{N: 1 + r.IntN(2), H: 1 + r.IntN(9), W: 1 + r.IntN(9),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
			PadH: r.IntN(3), PadW: r.IntN(3), DilH: 1 + r.IntN(2), DilW: 1 + r.IntN(2)}
		switch r.IntN(5) {
		case 0: // depthwise, channel multiplier 1 to 3
			p.C = 2 + r.IntN(4)
			p.Groups = p.C
			p.OC = p.C * (1 + r.IntN(3))
		case 1: // pointwise
			p.C, p.OC, p.Groups = 1+r.IntN(5), 1+r.IntN(5), 1
			p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW = 1, 1, 1, 1, 0, 0
		default:
			p.Groups = 1 + r.IntN(3)
			p.C = p.Groups * (1 + r.IntN(3))
			p.OC = p.Groups * (1 + r.IntN(3))
		}
		if r.IntN(3) == 0 { // 1-D
			p.H, p.KH, p.StrideH, p.PadH, p.DilH = 1, 1, 1, 0, 1
		}
		p.OutH = ConvOutSize(p.H, p.KH, p.StrideH, p.PadH, p.PadH+r.IntN(2), p.DilH)
		p.OutW = ConvOutSize(p.W, p.KW, p.StrideW, p.PadW, p.PadW+r.IntN(2), p.DilW)
		if p.OutH > 0 && p.OutW > 0 {
			if err := p.Validate(); err != nil {
				panic(err)
			}
			return p
		}
	}
}

func convSizes(p ConvParams) (nx, nw, ny int) {
	return p.N * p.C * p.H * p.W, p.OC * p.C / p.Groups * p.KH * p.KW, p.N * p.OC * p.OutH * p.OutW
}

func convAssertClose[T Float](t *testing.T, what string, p ConvParams, got []T, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s %+v: element %d is %v, want %v", what, p, i, got[i], want[i])
		}
	}
}

// convCheck runs the three kernels on p and compares them with the
// reference, with and without bias, with and without a workspace.
func convCheck[T Float](t *testing.T, r *rand.Rand, p ConvParams, tol float64) {
	t.Helper()
	nx, nw, ny := convSizes(p)
	x, w, dy := convRandSlice[T](r, nx), convRandSlice[T](r, nw), convRandSlice[T](r, ny)
	bias, biasIn := convRandSlice[T](r, p.OC), convRandSlice[T](r, p.C)
	var ws []T
	if r.IntN(2) == 0 {
		ws = make([]T, p.WorkspaceSize())
	}

	want := make([]float64, ny)
	for i := range want {
		want[i] = float64(bias[i/(p.OutH*p.OutW)%p.OC])
	}
	convRefVisit(p, func(yi, xi, wi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })
	y := convRandSlice[T](r, ny) // garbage that must be overwritten
	Conv2d(p, x, w, bias, y, ws)
	convAssertClose(t, "Conv2d", p, y, want, tol)

	for i := range want {
		want[i] = 0
	}
	convRefVisit(p, func(yi, xi, wi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })
	Conv2d(p, x, w, nil, y, ws)
	convAssertClose(t, "Conv2d without bias", p, y, want, tol)

	wantDx := make([]float64, nx)
	for i := range wantDx {
		wantDx[i] = float64(biasIn[i/(p.H*p.W)%p.C])
	}
	convRefVisit(p, func(yi, xi, wi int) { wantDx[xi] += float64(w[wi]) * float64(dy[yi]) })
	dx := convRandSlice[T](r, nx)
	Conv2dBackwardData(p, dy, w, biasIn, dx, ws)
	convAssertClose(t, "Conv2dBackwardData", p, dx, wantDx, tol)
	for i := range wantDx {
		wantDx[i] = 0
	}
	convRefVisit(p, func(yi, xi, wi int) { wantDx[xi] += float64(w[wi]) * float64(dy[yi]) })
	Conv2dBackwardData(p, dy, w, nil, dx, ws)
	convAssertClose(t, "Conv2dBackwardData without bias", p, dx, wantDx, tol)

	wantDw := make([]float64, nw)
	convRefVisit(p, func(yi, xi, wi int) { wantDw[wi] += float64(x[xi]) * float64(dy[yi]) })
	dw := convRandSlice[T](r, nw)
	Conv2dBackwardWeight(p, x, dy, dw, ws)
	convAssertClose(t, "Conv2dBackwardWeight", p, dw, wantDw, tol)
}

func TestConvKernelsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		p := convRandParams(r)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			convCheck[float64](t, r, p, 1e-12)
			convCheck[float32](t, r, p, 1e-4)
		})
	}
}

// TestConvKernelsPaths covers each code path by name: the 3x3 depthwise
// fast paths (stride 1, stride 2, dilated), a general depthwise kernel,
// pointwise, strided 1x1, grouped and plain im2col convolutions, and an
// input larger than the parallel threshold.
func TestConvKernelsPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := func(n, c, oc, hw, k, stride, pad, dil, groups int) ConvParams {
		p := ConvParams{N: n, C: c, H: hw, W: hw + 1, OC: oc, KH: k, KW: k, StrideH: stride, StrideW: stride,
			PadH: pad, PadW: pad, DilH: dil, DilW: dil, Groups: groups}
		p.OutH = ConvOutSize(p.H, k, stride, pad, pad, dil)
		p.OutW = ConvOutSize(p.W, k, stride, pad, pad, dil)
		return p
	}
	cases := map[string]ConvParams{
		"dw3x3s1":         base(2, 3, 3, 7, 3, 1, 1, 1, 3),
		"dw3x3s2":         base(1, 4, 8, 9, 3, 2, 1, 1, 4),
		"dw3x3dil2":       base(1, 2, 2, 8, 3, 1, 2, 2, 2),
		"dw3x3nopad":      base(1, 2, 2, 6, 3, 1, 0, 1, 2),
		"dw5x5":           base(2, 3, 6, 8, 5, 1, 2, 1, 3),
		"dw_kernel_gt_in": base(1, 2, 2, 2, 3, 1, 1, 1, 2),
		"dw_large":        base(2, 8, 8, 40, 3, 1, 1, 1, 8),
		"pointwise":       base(2, 5, 7, 6, 1, 1, 0, 1, 1),
		"pointwise_group": base(1, 4, 6, 5, 1, 1, 0, 1, 2),
		"1x1_stride2":     base(1, 3, 4, 7, 1, 2, 0, 1, 1),
		"grouped3x3":      base(2, 4, 6, 6, 3, 2, 1, 1, 2),
		"plain5x5":        base(1, 3, 2, 9, 5, 1, 2, 1, 1),
		"plain_large":     base(2, 8, 16, 24, 3, 1, 1, 1, 1),
	}
	for name, p := range cases {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) {
			convCheck[float64](t, r, p, 1e-12)
			convCheck[float32](t, r, p, 1e-4)
		})
	}
}

// TestIm2colAdjoint checks <Im2col(x), c> == <x, Col2im(c)>, the property
// that makes Col2im the input gradient of Im2col.
func TestIm2colAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		p := convRandParams(r)
		p.N, p.Groups, p.OC = 1, 1, 1
		x := convRandSlice[float64](r, p.C*p.H*p.W)
		c := convRandSlice[float64](r, p.C*p.KH*p.KW*p.OutH*p.OutW)
		col := convRandSlice[float64](r, len(c))
		Im2col(p, p.C, x, col)
		xt := make([]float64, len(x))
		Col2im(p, p.C, c, xt)
		var lhs, rhs float64
		for i := range c {
			lhs += col[i] * c[i]
		}
		for i := range x {
			rhs += x[i] * xt[i]
		}
		if math.Abs(lhs-rhs) > 1e-9*(1+math.Abs(lhs)) {
			t.Fatalf("%+v: <im2col(x), c> = %v, <x, col2im(c)> = %v", p, lhs, rhs)
		}
	}
}

func TestConvParamsValidate(t *testing.T) {
	ok := ConvParams{N: 1, C: 4, H: 5, W: 5, OC: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 2, OutH: 5, OutW: 5}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(p *ConvParams){
		"groups":   func(p *ConvParams) { p.Groups = 3 },
		"stride":   func(p *ConvParams) { p.StrideW = 0 },
		"padding":  func(p *ConvParams) { p.PadH = -1 },
		"kernel":   func(p *ConvParams) { p.KH = 0 },
		"output":   func(p *ConvParams) { p.OutW = 0 },
		"channels": func(p *ConvParams) { p.C = 0 },
	}
	for name, f := range bad {
		p := ok
		f(&p)
		if p.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
	if got := ConvOutSize(5, 3, 2, 1, 1, 1); got != 3 {
		t.Errorf("ConvOutSize(5, 3, 2, 1, 1, 1) = %d, want 3", got)
	}
	if got := ConvOutSize(2, 5, 1, 0, 0, 1); got != 0 {
		t.Errorf("ConvOutSize with a kernel larger than the input = %d, want 0", got)
	}
}

func TestConvShortBufferPanics(t *testing.T) {
	p := ConvParams{N: 1, C: 2, H: 3, W: 3, OC: 2, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1, OutH: 3, OutW: 3}
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) != "cpu.Conv2d: bias has 1 elements, need 2" {
			t.Fatalf("panic %v", r)
		}
	}()
	Conv2d(p, make([]float32, 18), make([]float32, 4), make([]float32, 1), make([]float32, 18), nil)
}

// convBench is one benchmark shape.
type convBench struct {
	name string
	p    ConvParams
}

func convBenchShape(name string, n, c, oc, hw, k, stride, pad, groups int) convBench {
	p := ConvParams{N: n, C: c, H: hw, W: hw, OC: oc, KH: k, KW: k, StrideH: stride, StrideW: stride,
		PadH: pad, PadW: pad, DilH: 1, DilW: 1, Groups: groups}
	p.OutH = ConvOutSize(hw, k, stride, pad, pad, 1)
	p.OutW = p.OutH
	return convBench{name, p}
}

// convBenchShapes are representative layers: the second conv of PyTorch's
// examples/mnist network (batch 16), MobileNet's stem (batch 1 and 8), a
// pointwise 1x1 layer and MobileNetV2's depthwise 3x3 layers (stride 1
// and 2). testdata/torch_conv_bench.py measures PyTorch on the same shapes.
var convBenchShapes = []convBench{
	convBenchShape("3x3_32to64_26x26_b16", 16, 32, 64, 26, 3, 1, 0, 1),
	convBenchShape("3x3s2_3to32_224x224_b1", 1, 3, 32, 224, 3, 2, 1, 1),
	convBenchShape("1x1_32to64_112x112_b1", 1, 32, 64, 112, 1, 1, 0, 1),
	convBenchShape("3x3s2_3to32_224x224_b8", 8, 3, 32, 224, 3, 2, 1, 1),
	convBenchShape("dw3x3s1_32_112x112_b1", 1, 32, 32, 112, 3, 1, 1, 32),
	convBenchShape("dw3x3s2_96_112x112_b1", 1, 96, 96, 112, 3, 2, 1, 96),
	convBenchShape("dw3x3s1_144_56x56_b1", 1, 144, 144, 56, 3, 1, 1, 144),
	convBenchShape("dw3x3s2_144_56x56_b1", 1, 144, 144, 56, 3, 2, 1, 144),
	convBenchShape("dw3x3s1_192_28x28_b1", 1, 192, 192, 28, 3, 1, 1, 192),
	convBenchShape("dw3x3s2_192_28x28_b1", 1, 192, 192, 28, 3, 2, 1, 192),
	convBenchShape("dw3x3s1_384_14x14_b1", 1, 384, 384, 14, 3, 1, 1, 384),
	convBenchShape("dw3x3s1_576_14x14_b1", 1, 576, 576, 14, 3, 1, 1, 576),
	convBenchShape("dw3x3s2_576_14x14_b1", 1, 576, 576, 14, 3, 2, 1, 576),
	convBenchShape("dw3x3s1_960_7x7_b1", 1, 960, 960, 7, 3, 1, 1, 960),
}

// convBenchEach runs f for every shape whose name contains the
// CONV_BENCH_SHAPE environment variable (all when unset), with 1 and 2
// threads and, when CONV_BENCH_KERNELS is set, every kernel set
// (SetKernel); else only the default one.
func convBenchEach(b *testing.B, f func(b *testing.B, s convBench)) {
	kernels := []string{""}
	if os.Getenv("CONV_BENCH_KERNELS") != "" {
		kernels = Kernels()
	}
	defer SetKernel("")
	defer SetNumThreads(SetNumThreads(0))
	for _, s := range convBenchShapes {
		if !strings.Contains(s.name, os.Getenv("CONV_BENCH_SHAPE")) {
			continue
		}
		for _, k := range kernels {
			for _, nt := range []int{1, 2} {
				name := fmt.Sprintf("%s/t%d", s.name, nt)
				if k != "" {
					name = fmt.Sprintf("%s/%s/t%d", s.name, k, nt)
				}
				b.Run(name, func(b *testing.B) {
					if err := SetKernel(k); err != nil {
						b.Fatal(err)
					}
					SetNumThreads(nt)
					f(b, s)
				})
			}
		}
	}
}

func (b convBench) flops() float64 {
	p := b.p
	return 2 * float64(p.N*p.OC*p.OutH*p.OutW) * float64(p.C/p.Groups*p.KH*p.KW)
}

// BenchmarkConv2d measures the float32 forward convolution (with bias) in
// GFLOP/s, counting 2 flops per multiply-add of the direct definition.
func BenchmarkConv2d(b *testing.B) {
	convBenchEach(b, func(b *testing.B, s convBench) {
		r := rand.New(rand.NewPCG(1, 1))
		nx, nw, ny := convSizes(s.p)
		x, w, bias := convRandSlice[float32](r, nx), convRandSlice[float32](r, nw), convRandSlice[float32](r, s.p.OC)
		y, ws := make([]float32, ny), make([]float32, s.p.WorkspaceSize())
		b.ResetTimer()
		for b.Loop() {
			Conv2d(s.p, x, w, bias, y, ws)
		}
		b.ReportMetric(s.flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkConv2dBackward measures the float32 input and weight gradients
// together (twice the forward's flops).
func BenchmarkConv2dBackward(b *testing.B) {
	convBenchEach(b, func(b *testing.B, s convBench) {
		r := rand.New(rand.NewPCG(1, 1))
		nx, nw, ny := convSizes(s.p)
		x, w, dy := convRandSlice[float32](r, nx), convRandSlice[float32](r, nw), convRandSlice[float32](r, ny)
		dx, dw, ws := make([]float32, nx), make([]float32, nw), make([]float32, s.p.WorkspaceSize())
		b.ResetTimer()
		for b.Loop() {
			Conv2dBackwardData(s.p, dy, w, nil, dx, ws)
			Conv2dBackwardWeight(s.p, x, dy, dw, ws)
		}
		b.ReportMetric(2*s.flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
