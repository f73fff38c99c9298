package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convRefAct is the reference convolution of p with bias and activation,
// in float64.
func convRefAct[T Float](p ConvParams, x, w, bias []T) []float64 {
	_, _, ny := convSizes(p)
	want := make([]float64, ny)
	if bias != nil {
		for i := range want {
			want[i] = float64(bias[i/(p.OutH*p.OutW)%p.OC])
		}
	}
	convRefVisit(p, func(yi, xi, wi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })
	lo, hi := p.Act.bounds()
	for i, v := range want {
		want[i] = math.Min(math.Max(v, lo), hi)
	}
	return want
}

// convEachKernel runs f once with every kernel set this CPU has selected
// (SetKernel), so that every assembly path and the portable one are tested.
func convEachKernel(t *testing.T, f func(t *testing.T, kernel string)) {
	defer SetKernel("")
	for _, k := range Kernels() {
		if err := SetKernel(k); err != nil {
			t.Fatal(err)
		}
		t.Run(k, func(t *testing.T) { f(t, k) })
	}
}

var convTestActs = []Act{{}, {Kind: ActReLU}, {Kind: ActReLU6}, {Kind: ActClamp, Lo: -0.5, Hi: 0.75}}

// TestDepthwise3x3Paths checks the depthwise 3x3 kernels (assembly where
// the kernel set has them, and the Go one) against the reference on odd
// sizes around the vector widths, strides 1 and 2, paddings 0 to 2, with
// and without bias, every activation, and a guard after the output that
// must stay untouched.
func TestDepthwise3x3Paths(t *testing.T) {
	convEachKernel(t, func(t *testing.T, kernel string) {
		r := rand.New(rand.NewPCG(7, 8))
		sizes := []int{1, 2, 3, 5, 7, 8, 9, 14, 15, 16, 17, 23, 31, 32, 33, 40}
		if testing.Short() {
			sizes = []int{1, 3, 7, 9, 16, 17, 33}
		}
		for _, stride := range []int{1, 2} {
			for _, pad := range []int{0, 1, 2} {
				for _, h := range sizes {
					for _, wd := range sizes {
						p := ConvParams{N: 1 + r.IntN(2), C: 2 + r.IntN(3), H: h, W: wd, KH: 3, KW: 3,
							StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: 1, DilW: 1,
							Act: convTestActs[r.IntN(len(convTestActs))]}
						p.OC, p.Groups = p.C, p.C
						p.OutH = ConvOutSize(h, 3, stride, pad, pad, 1)
						p.OutW = ConvOutSize(wd, 3, stride, pad, pad, 1)
						if p.OutH <= 0 || p.OutW <= 0 {
							continue
						}
						dwCheck(t, r, p, kernel)
					}
				}
			}
		}
	})
}

// dwCheck compares Conv2d on a depthwise p with the reference, float32
// and float64, and checks that the float32 assembly path ran when the
// kernel set has one.
func dwCheck(t *testing.T, r *rand.Rand, p ConvParams, kernel string) {
	t.Helper()
	nx, nw, ny := convSizes(p)
	x, w := convRandSlice[float32](r, nx), convRandSlice[float32](r, nw)
	var bias []float32
	if r.IntN(2) == 0 {
		bias = convRandSlice[float32](r, p.OC)
	}
	want := convRefAct(p, x, w, bias)
	const guard = 37
	y := convRandSlice[float32](r, ny+guard)
	tail := append([]float32(nil), y[ny:]...)
	Conv2d(p, x, w, bias, y[:ny], nil)
	convAssertClose(t, "Conv2d "+kernel, p, y[:ny], want, 1e-4)
	for i, v := range y[ny:] {
		if v != tail[i] {
			t.Fatalf("%s %+v: wrote past the output at %d", kernel, p, i)
		}
	}
	if fn, _, _ := dwSIMD3x3(p.StrideW); fn != nil && p.PadH <= 2 && p.PadW <= 2 {
		if !dwSIMDForward(p, x, w, bias, y[:ny]) {
			t.Fatalf("%s %+v: the assembly kernel did not take the shape", kernel, p)
		}
	}
	// Gradients, through the assembly kernels where there are some.
	dy := convRandSlice[float32](r, ny)
	biasIn := convRandSlice[float32](r, p.C)
	wantDx := make([]float64, nx)
	for i := range wantDx {
		wantDx[i] = float64(biasIn[i/(p.H*p.W)%p.C])
	}
	convRefVisit(p, func(yi, xi, wi int) { wantDx[xi] += float64(w[wi]) * float64(dy[yi]) })
	dx := convRandSlice[float32](r, nx)
	Conv2dBackwardData(p, dy, w, biasIn, dx, nil)
	convAssertClose(t, "Conv2dBackwardData "+kernel, p, dx, wantDx, 1e-4)
	wantDw := make([]float64, nw)
	convRefVisit(p, func(yi, xi, wi int) { wantDw[wi] += float64(x[xi]) * float64(dy[yi]) })
	dw := convRandSlice[float32](r, nw)
	Conv2dBackwardWeight(p, x, dy, dw, nil)
	convAssertClose(t, "Conv2dBackwardWeight "+kernel, p, dw, wantDw, 1e-4)
	if fn, _, _ := dwSIMD3x3(1); fn != nil && !dwSIMDBackwardData(p, dy, w, biasIn, dx) {
		t.Fatalf("%s %+v: the assembly kernel did not take the input gradient", kernel, p)
	}
	if fn := dwSIMDBwdW3x3(p.StrideW); fn != nil && !dwSIMDBackwardWeight(p, x, dy, dw) {
		t.Fatalf("%s %+v: the assembly kernel did not take the weight gradient", kernel, p)
	}

	x64, w64 := convToF64(x), convToF64(w)
	var b64 []float64
	if bias != nil {
		b64 = convToF64(bias)
	}
	y64 := make([]float64, ny)
	Conv2d(p, x64, w64, b64, y64, nil)
	convAssertClose(t, "Conv2d float64 "+kernel, p, y64, want, 1e-9)
}

func convToF64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// TestConvActNaN checks that the fused activations keep NaN, and that
// ActClamp with Lo > Hi gives Hi, as torch.clamp does, on every path.
func TestConvActNaN(t *testing.T) {
	convEachKernel(t, func(t *testing.T, kernel string) {
		for _, dw := range []bool{true, false} {
			for _, act := range convTestActs[1:] {
				p := ConvParams{N: 1, C: 2, OC: 2, H: 5, W: 21, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
					PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 2, OutH: 5, OutW: 21, Act: act}
				if !dw {
					p.Groups = 1
				}
				nx, nw, ny := convSizes(p)
				x, w, y := make([]float32, nx), make([]float32, nw), make([]float32, ny)
				for i := range x {
					x[i] = float32(i%7) - 3
				}
				for i := range w {
					w[i] = 1
				}
				x[2*21+10] = float32(math.NaN()) // reaches output rows 1..3 of channel 0
				Conv2d(p, x, w, nil, y, nil)
				for i := range ny {
					oh, ow := i/21%5, i%21
					isNaN := math.IsNaN(float64(y[i]))
					wantNaN := i < 105 && oh >= 1 && oh <= 3 && ow >= 9 && ow <= 11
					if !dw {
						wantNaN = oh >= 1 && oh <= 3 && ow >= 9 && ow <= 11
					}
					if isNaN != wantNaN {
						t.Fatalf("dw=%v %v: y[%d] = %v, want NaN: %v", dw, act, i, y[i], wantNaN)
					}
				}
			}
		}
		p := ConvParams{N: 1, C: 2, OC: 2, H: 3, W: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 2, OutH: 3, OutW: 3, Act: Act{Kind: ActClamp, Lo: 2, Hi: 1}}
		y := make([]float32, 18)
		Conv2d(p, make([]float32, 18), make([]float32, 18), nil, y, nil)
		for _, v := range y {
			if v != 1 {
				t.Fatalf("clamp with Lo > Hi gave %v, want Hi = 1", v)
			}
		}
	})
}

// TestConvActRandom runs random convolutions of every kind with a random
// activation on every kernel set.
func TestConvActRandom(t *testing.T) {
	convEachKernel(t, func(t *testing.T, kernel string) {
		r := rand.New(rand.NewPCG(9, 10))
		for i := range 150 {
			p := convRandParams(r)
			p.Act = convTestActs[r.IntN(len(convTestActs))]
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				nx, nw, _ := convSizes(p)
				x, w, bias := convRandSlice[float32](r, nx), convRandSlice[float32](r, nw), convRandSlice[float32](r, p.OC)
				want := convRefAct(p, x, w, bias)
				y := make([]float32, len(want))
				Conv2d(p, x, w, bias, y, nil)
				convAssertClose(t, "Conv2d", p, y, want, 1e-4)
			})
		}
	})
}

// TestConvGemmBlocks checks GEMM convolutions large enough to be split
// into several column blocks, with 1 to 3 threads, against the reference,
// and that the result does not depend on the thread count.
func TestConvGemmBlocks(t *testing.T) {
	defer SetNumThreads(SetNumThreads(0))
	mk := func(n, c, oc, hw, k, stride, pad, groups int) ConvParams {
		p := ConvParams{N: n, C: c, H: hw, W: hw + 3, OC: oc, KH: k, KW: k, StrideH: stride, StrideW: stride,
			PadH: pad, PadW: pad, DilH: 1, DilW: 1, Groups: groups, Act: Act{Kind: ActReLU6}}
		p.OutH = ConvOutSize(p.H, k, stride, pad, pad, 1)
		p.OutW = ConvOutSize(p.W, k, stride, pad, pad, 1)
		return p
	}
	shapes := []ConvParams{
		mk(1, 16, 8, 41, 3, 1, 1, 1), // 2 blocks of k = 144
		mk(1, 3, 5, 150, 3, 2, 1, 1), // stem-like: stride 2, 2 blocks
		mk(3, 4, 6, 20, 3, 1, 1, 2),  // groups, batch of 3
		mk(1, 6, 4, 45, 1, 1, 0, 1),  // pointwise
		mk(2, 3, 4, 33, 5, 2, 2, 1),  // 5x5 stride 2
		mk(1, 2, 3, 260, 1, 1, 0, 1), // pointwise, several blocks
	}
	r := rand.New(rand.NewPCG(11, 12))
	convEachKernel(t, func(t *testing.T, kernel string) {
		for _, p := range shapes {
			nx, nw, ny := convSizes(p)
			x, w, bias := convRandSlice[float32](r, nx), convRandSlice[float32](r, nw), convRandSlice[float32](r, p.OC)
			want := convRefAct(p, x, w, bias)
			var first []float32
			for nt := 1; nt <= 3; nt++ {
				SetNumThreads(nt)
				y := make([]float32, ny)
				var ws []float32
				if nt == 2 {
					ws = make([]float32, p.WorkspaceSize())
				}
				Conv2d(p, x, w, bias, y, ws)
				convAssertClose(t, fmt.Sprintf("Conv2d %d threads", nt), p, y, want, 1e-4)
				if first == nil {
					first = y
				} else {
					for i := range y {
						if y[i] != first[i] {
							t.Fatalf("%+v: %d threads differ from 1 at %d: %v vs %v", p, nt, i, y[i], first[i])
						}
					}
				}
			}
		}
	})
}
