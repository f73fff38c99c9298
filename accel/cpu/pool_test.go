package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPoolOutSize(t *testing.T) {
	// Expected values from torch.nn.functional.max_pool2d output shapes.
	for _, c := range []struct {
		n, k, s, p, d int
		ceil          bool
		want          int
	}{
		{6, 2, 2, 0, 1, false, 3},
		{7, 3, 2, 1, 1, false, 4},
		{8, 3, 2, 0, 1, false, 3},
		{8, 3, 2, 0, 1, true, 4},
		{5, 2, 2, 1, 1, true, 3}, // the last window would start in the padding
		{9, 3, 2, 1, 2, false, 4},
		{7, 2, 2, 1, 2, true, 4},
		{2, 3, 1, 0, 1, false, 0},
	} {
		if got := PoolOutSize(c.n, c.k, c.s, c.p, c.d, c.ceil); got != c.want {
			t.Errorf("PoolOutSize%+v = %d", c, got)
		}
	}
	if floorDiv(-1, 2) != -1 || floorDiv(-4, 2) != -2 || floorDiv(3, 2) != 1 {
		t.Error("floorDiv does not round down")
	}
}

func TestAdaptiveWindows(t *testing.T) {
	// 7 -> 3 and 5 -> 4 as PyTorch's start_index/end_index.
	for _, c := range []struct {
		in, out int
		want    [][2]int
	}{
		{7, 3, [][2]int{{0, 3}, {2, 5}, {4, 7}}},
		{5, 4, [][2]int{{0, 2}, {1, 3}, {2, 4}, {3, 5}}},
		{3, 5, [][2]int{{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}}},
	} {
		for o, w := range c.want {
			if s, e := AdaptiveStart(o, c.in, c.out), AdaptiveEnd(o, c.in, c.out); s != w[0] || e != w[1] {
				t.Errorf("%d->%d output %d: [%d, %d), want %v", c.in, c.out, o, s, e, w)
			}
		}
	}
}

// checkAdjoint checks <F x, y> = <x, B y> for a kernel F and its backward B
// (which accumulates into a zeroed buffer), on random data.
func checkAdjoint(t *testing.T, name string, nIn, nOut int, f, b func(dst, src []float64)) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, nIn), make([]float64, nOut)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	for i := range y {
		y[i] = r.NormFloat64()
	}
	fx, by := make([]float64, nOut), make([]float64, nIn)
	f(fx, x)
	b(by, y)
	var l, rr float64
	for i := range fx {
		l += fx[i] * y[i]
	}
	for i := range x {
		rr += x[i] * by[i]
	}
	if math.Abs(l-rr) > 1e-9*(1+math.Abs(l)) {
		t.Errorf("%s: <Fx,y> = %v, <x,By> = %v", name, l, rr)
	}
}

func TestPoolKernelsAreAdjoint(t *testing.T) {
	const planes, H, W = 3, 7, 6
	for _, cip := range []bool{true, false} {
		g := Pool2d{H: H, W: W, KH: 3, KW: 2, SH: 2, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}
		g.OH, g.OW = PoolOutSize(H, 3, 2, 1, 1, true), PoolOutSize(W, 2, 1, 1, 1, true)
		checkAdjoint(t, "avg_pool2d", planes*H*W, planes*g.OH*g.OW,
			func(d, s []float64) { AvgPool2d(d, s, planes, g, cip, 0) },
			func(d, s []float64) { AvgPool2dBackward(d, s, planes, g, cip, 0) })
	}
	checkAdjoint(t, "adaptive_avg_pool2d", planes*H*W, planes*4*5,
		func(d, s []float64) { AdaptiveAvgPool2d(d, s, planes, H, W, 4, 5) },
		func(d, s []float64) { AdaptiveAvgPool2dBackward(d, s, planes, H, W, 4, 5) })
	hi, wi := NearestIndices[float64](H, 10, 0), NearestIndices[float64](W, 4, 0)
	checkAdjoint(t, "upsample_nearest2d", planes*H*W, planes*10*4,
		func(d, s []float64) { UpsampleNearest2d(d, s, planes, H, W, hi, wi) },
		func(d, s []float64) { UpsampleNearest2dBackward(d, s, planes, H, W, hi, wi) })
	for _, ac := range []bool{true, false} {
		hw, ww := LinearWeights[float64](H, 11, ac, 0), LinearWeights[float64](W, 4, ac, 0.7)
		checkAdjoint(t, "upsample_bilinear2d", planes*H*W, planes*11*4,
			func(d, s []float64) { UpsampleBilinear2d(d, s, planes, H, W, hw, ww) },
			func(d, s []float64) { UpsampleBilinear2dBackward(d, s, planes, H, W, hw, ww) })
	}
	idx := []int64{3, 0, 41, 17, 5, 5}
	checkAdjoint(t, "scatter/gather", 2*H*W, 2*3,
		func(d, s []float64) { GatherPlanes(d, 3, s, idx, H*W, 2) },
		func(d, s []float64) { ScatterAddPlanes(d, H*W, s, idx, 3, 2) })
}
