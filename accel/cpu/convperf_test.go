package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvPackedWeightBitIdentical checks that packing the weight once per
// call (convA, used when several images or column blocks share it) gives
// the same bits as the per-product packing of a lone image, for the
// forward and input-gradient kernels, float32 and float64, with groups,
// padding, strides and pointwise shapes, and with stale data in the pooled
// workspaces; and the three kernels against the definition.
func TestConvPackedWeightBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := []ConvParams{
		{N: 3, C: 5, H: 9, W: 11, OC: 37, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 4, C: 6, H: 13, W: 7, OC: 18, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilH: 1, DilW: 2, Groups: 2},
		{N: 2, C: 33, H: 6, W: 6, OC: 29, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 2, C: 40, H: 40, W: 40, OC: 20, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 3, C: 1, H: 30, W: 37, OC: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 2, C: 4, H: 21, W: 35, OC: 6, KH: 3, KW: 2, StrideH: 1, StrideW: 1, PadH: 0, PadW: 1, DilH: 1, DilW: 1, Groups: 2},
	}
	for _, p := range shapes {
		p.OutH = ConvOutSize(p.H, p.KH, p.StrideH, p.PadH, p.PadH, p.DilH)
		p.OutW = ConvOutSize(p.W, p.KW, p.StrideW, p.PadW, p.PadW, p.DilW)
		convPackedCheck[float32](t, r, p)
		convPackedCheck[float64](t, r, p)
	}
}

func convPackedCheck[T Float](t *testing.T, r *rand.Rand, p ConvParams) {
	t.Helper()
	nx, nw, ny := convSizes(p)
	x, w, dy := convRandSlice[T](r, nx), convRandSlice[T](r, nw), convRandSlice[T](r, ny)
	// Leave garbage in the pool's buffers of every size class the
	// kernels may take.
	for c := 1; c < 24; c++ {
		b := convGetWS[T](1 << c)
		for i := range *b {
			(*b)[i] = T(math.NaN())
		}
		convPutWS(b)
	}
	y := make([]T, ny)
	Conv2d(p, x, w, nil, y, nil)
	dx := make([]T, nx)
	Conv2dBackwardData(p, dy, w, nil, dx, nil)
	one := p
	one.N = 1
	xs, ys := nx/p.N, ny/p.N
	for n := range p.N {
		y1 := make([]T, ys)
		Conv2d(one, x[n*xs:(n+1)*xs], w, nil, y1, nil)
		dx1 := make([]T, xs)
		Conv2dBackwardData(one, dy[n*ys:(n+1)*ys], w, nil, dx1, nil)
		for i := range y1 {
			if math.Float64bits(float64(y1[i])) != math.Float64bits(float64(y[n*ys+i])) {
				t.Fatalf("%+v %T: forward image %d element %d: batched %v, alone %v", p, x[0], n, i, y[n*ys+i], y1[i])
			}
		}
		for i := range dx1 {
			if math.Float64bits(float64(dx1[i])) != math.Float64bits(float64(dx[n*xs+i])) {
				t.Fatalf("%+v %T: input gradient image %d element %d: batched %v, alone %v", p, x[0], n, i, dx[n*xs+i], dx1[i])
			}
		}
	}
	want := make([]float64, ny)
	convRefVisit(p, func(yi, xi, wi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })
	convAssertClose(t, "forward", p, y, want, 1e-4)
	// The input gradient against the definition (wide rows exercise the
	// vector adds of col2im and their tails).
	wantDx := make([]float64, nx)
	convRefVisit(p, func(yi, xi, wi int) { wantDx[xi] += float64(dy[yi]) * float64(w[wi]) })
	convAssertClose(t, "input gradient", p, dx, wantDx, 1e-4)
	// The weight gradient, including the dot-product path for k <= 16.
	dw := make([]T, nw)
	Conv2dBackwardWeight(p, x, dy, dw, nil)
	wantDw := make([]float64, nw)
	convRefVisit(p, func(yi, xi, wi int) { wantDw[wi] += float64(dy[yi]) * float64(x[xi]) })
	convAssertClose(t, "weight gradient", p, dw, wantDw, 1e-4)
}

// TestIm2colRangeGarbage checks convIm2colRange against the definition on
// every pixel range of shapes that take the constant-offset path (unit
// strides, OutW == W) and some that do not, writing into a buffer full of
// NaNs so that an element it leaves unwritten shows.
func TestIm2colRangeGarbage(t *testing.T) {
	shapes := []ConvParams{
		{C: 2, H: 5, W: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{C: 1, H: 3, W: 6, KH: 2, KW: 4, PadH: 0, PadW: 2, DilW: 1},
		{C: 2, H: 4, W: 5, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
		{C: 1, H: 2, W: 3, KH: 5, KW: 5, PadH: 2, PadW: 2},
		{C: 1, H: 6, W: 6, KH: 3, KW: 3},
		{C: 1, H: 7, W: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	}
	for _, p := range shapes {
		p.N, p.OC, p.Groups = 1, 1, 1
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		p.DilH, p.DilW = max(p.DilH, 1), max(p.DilW, 1)
		p.OutH = ConvOutSize(p.H, p.KH, p.StrideH, p.PadH, p.PadH, p.DilH)
		if p.KW == 4 {
			// Asymmetric padding keeping OutW == W.
			p.OutW = ConvOutSize(p.W, p.KW, 1, p.PadW, 1, 1)
		} else {
			p.OutW = ConvOutSize(p.W, p.KW, p.StrideW, p.PadW, p.PadW, p.DilW)
		}
		x := make([]float32, p.C*p.H*p.W)
		for i := range x {
			x[i] = float32(i + 1)
		}
		ohw, k := p.OutH*p.OutW, p.C*p.KH*p.KW
		for j0 := range ohw {
			for j1 := j0 + 1; j1 <= ohw; j1++ {
				m := j1 - j0
				col := make([]float32, k*m)
				for i := range col {
					col[i] = float32(math.NaN())
				}
				convIm2colRange(p, p.C, x, col, j0, j1)
				for r := range k {
					ci, kh, kw := r/(p.KH*p.KW), r/p.KW%p.KH, r%p.KW
					for j := j0; j < j1; j++ {
						oh, ow := j/p.OutW, j%p.OutW
						ih, iw := oh*p.StrideH-p.PadH+kh*p.DilH, ow*p.StrideW-p.PadW+kw*p.DilW
						var want float32
						if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
							want = x[(ci*p.H+ih)*p.W+iw]
						}
						if got := col[r*m+j-j0]; got != want {
							t.Fatalf("%+v pixels [%d,%d) row %d pixel %d: got %v, want %v", p, j0, j1, r, j, got, want)
						}
					}
				}
			}
		}
	}
}
