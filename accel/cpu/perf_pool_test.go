package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2dMatchesGeneral checks the unrolled interior loops of
// MaxPool2d, with and without indices, against the general loop over many
// geometries, on data full of ties, signed zeros, infinities and NaNs.
func TestMaxPool2dMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN())}
	cases := 0
	for k := 1; k <= 4; k++ {
		for s := 1; s <= 3; s++ {
			for p := 0; p <= k/2; p++ {
				for d := 1; d <= 2; d++ {
					for _, ceil := range []bool{false, true} {
						for _, hw := range [][2]int{{7, 9}, {8, 8}, {5, 12}, {5, 40}, {6, 37}, {4, 35}, {3, 18}} {
							h, w := hw[0], hw[1]
							g := Pool2d{H: h, W: w, KH: k, KW: k, SH: s, SW: s, PH: p, PW: p, DH: d, DW: d}
							g.OH = PoolOutSize(h, k, s, p, d, ceil)
							g.OW = PoolOutSize(w, k, s, p, d, ceil)
							if g.OH < 1 || g.OW < 1 {
								continue
							}
							const planes = 3
							src := make([]float32, planes*h*w)
							for i := range src {
								if r.IntN(3) == 0 {
									src[i] = vals[r.IntN(len(vals))]
								} else {
									src[i] = float32(r.IntN(7) - 3)
								}
							}
							n := planes * g.OH * g.OW
							want, got, gotV := make([]float32, n), make([]float32, n), make([]float32, n)
							wantI, gotI := make([]int64, n), make([]int64, n)
							maxPoolGeneral(want, wantI, src, planes, g)
							MaxPool2d(got, gotI, src, planes, g)
							MaxPool2d(gotV, nil, src, planes, g)
							for i := range want {
								if !perfSame(got[i], want[i]) || gotI[i] != wantI[i] || !perfSame(gotV[i], want[i]) {
									t.Fatalf("%+v: output %d = %v (index %d), values-only %v; want %v (index %d)",
										g, i, got[i], gotI[i], gotV[i], want[i], wantI[i])
								}
							}
							cases++
						}
					}
				}
			}
		}
	}
	if cases < 100 {
		t.Fatalf("only %d geometries checked", cases)
	}
}

// TestGlobalAvgPool checks the 1x1 adaptive average pool (VecSum per plane)
// and its backward against plain float64 loops.
func TestGlobalAvgPool(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const planes, h, w = 5, 7, 9
	src := make([]float32, planes*h*w)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	dst := make([]float32, planes)
	AdaptiveAvgPool2d(dst, src, planes, h, w, 1, 1)
	gy := []float32{1, -2, 0.5, 3, 0}
	dx := make([]float32, len(src))
	AdaptiveAvgPool2dBackward(dx, gy, planes, h, w, 1, 1)
	for p := range planes {
		var s float64
		for _, v := range src[p*h*w : (p+1)*h*w] {
			s += float64(v)
		}
		want := float32(s / (h * w))
		if d := int64(math.Float32bits(dst[p])) - int64(math.Float32bits(want)); d > 1 || d < -1 {
			t.Fatalf("plane %d: mean %v, want %v", p, dst[p], want)
		}
		g := float32(float64(gy[p]) / (h * w))
		for i, v := range dx[p*h*w : (p+1)*h*w] {
			if v != g {
				t.Fatalf("plane %d: dx[%d] = %v, want %v", p, i, v, g)
			}
		}
	}
}

// TestMaxPool2dStaysInItsBuffers passes windows of larger buffers: the
// elements past dst and idx must keep their values, whatever the kernel's
// blocks compute beyond a row.
func TestMaxPool2dStaysInItsBuffers(t *testing.T) {
	for _, c := range []struct{ h, w, k, p int }{{6, 20, 2, 0}, {7, 21, 3, 1}, {4, 37, 2, 0}} {
		g := Pool2d{H: c.h, W: c.w, KH: c.k, KW: c.k, SH: 2, SW: 2, PH: c.p, PW: c.p, DH: 1, DW: 1}
		g.OH = PoolOutSize(c.h, c.k, 2, c.p, 1, false)
		g.OW = PoolOutSize(c.w, c.k, 2, c.p, 1, false)
		const planes = 2
		src := make([]float32, planes*c.h*c.w+64)
		for i := range src {
			src[i] = float32(i % 17)
		}
		n := planes * g.OH * g.OW
		dst, idx := make([]float32, n+64), make([]int64, n+64)
		for i := n; i < len(dst); i++ {
			dst[i], idx[i] = -7, -7
		}
		want, wantI := make([]float32, n), make([]int64, n)
		maxPoolGeneral(want, wantI, src[:planes*c.h*c.w], planes, g)
		MaxPool2d(dst[:n], idx[:n], src[:planes*c.h*c.w], planes, g)
		vals := make([]float32, n+64)
		for i := n; i < len(vals); i++ {
			vals[i] = -7
		}
		MaxPool2d(vals[:n], nil, src[:planes*c.h*c.w], planes, g)
		for i := range dst {
			if i < n && (dst[i] != want[i] || idx[i] != wantI[i] || vals[i] != want[i]) {
				t.Fatalf("%+v: output %d = %v (%d), values-only %v; want %v (%d)", c, i, dst[i], idx[i], vals[i], want[i], wantI[i])
			}
			if i >= n && (dst[i] != -7 || idx[i] != -7 || vals[i] != -7) {
				t.Fatalf("%+v: element %d past the output was overwritten", c, i)
			}
		}
	}
}
