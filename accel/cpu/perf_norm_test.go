package cpu

import (
	"math/rand/v2"
	"testing"
)

// TestChannelAffineFloat32 checks that the float32 batch-norm affine rounds
// each element once, on short rows (scalar) and long ones (VecAffine).
func TestChannelAffineFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, inner := range []int{1, 5, 16, 37} {
		const outer, c = 2, 3
		x := perfVals(r, outer*c*inner)
		scale, shift := perfVals(r, c), perfVals(r, c)
		y := make([]float32, len(x))
		ChannelAffine(y, x, scale, shift, outer, c, inner)
		for i, v := range x {
			ch := i / inner % c
			if want := vecFMA32(scale[ch], v, shift[ch]); !perfSame(y[i], want) {
				t.Fatalf("inner %d: y[%d] = %v, want %v", inner, i, y[i], want)
			}
		}
	}
}

// TestSumDimsF32 checks SumDimsF32 against a direct float64 sum over every
// subset of the dimensions of a few shapes.
func TestSumDimsF32(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, shape := range [][]int{{3, 4, 5, 6}, {2, 1, 7, 3}, {4, 0, 3}, {17}, {}, {1, 1}, {2, 3, 1, 40}} {
		n := Numel(shape)
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(r.NormFloat64())
		}
		for m := 0; m < 1<<len(shape); m++ {
			reduced := make([]bool, len(shape))
			outShape := []int{}
			for i := range shape {
				reduced[i] = m>>i&1 == 1
				if !reduced[i] {
					outShape = append(outShape, shape[i])
				}
			}
			want := make([]float64, Numel(outShape))
			st := Contiguous(shape)
			ost := Contiguous(outShape)
			for i := range n {
				o, j := 0, 0
				for d := range shape {
					c := i / st[d] % shape[d]
					if !reduced[d] {
						o += c * ost[j]
						j++
					}
				}
				want[o] += float64(src[i])
			}
			got := make([]float32, len(want))
			for i := range got {
				got[i] = 12345 // must be overwritten
			}
			SumDimsF32(got, src, shape, reduced)
			for i, w := range want {
				if d := float64(got[i]) - w; d > 1e-6*(1+perfAbs64(w)) || d < -1e-6*(1+perfAbs64(w)) {
					t.Fatalf("shape %v reduced %v: out[%d] = %v, want %v", shape, reduced, i, got[i], w)
				}
			}
		}
	}
}

func perfAbs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
