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
// workspaces.
func TestConvPackedWeightBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := []ConvParams{
		{N: 3, C: 5, H: 9, W: 11, OC: 37, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 4, C: 6, H: 13, W: 7, OC: 18, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilH: 1, DilW: 2, Groups: 2},
		{N: 2, C: 33, H: 6, W: 6, OC: 29, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
		{N: 2, C: 40, H: 40, W: 40, OC: 20, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
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
}
