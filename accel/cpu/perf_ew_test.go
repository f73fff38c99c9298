package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// perfSpecials are values every elementwise kernel must treat as IEEE does.
var perfSpecials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -2.5, 3, 6, 6.5, -6,
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32,
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-30, -1e30}

// perfVals returns n values mixing specials and random numbers.
func perfVals(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if r.IntN(4) == 0 {
			v[i] = perfSpecials[r.IntN(len(perfSpecials))]
		} else {
			v[i] = float32(r.NormFloat64() * 4)
		}
	}
	return v
}

// perfSame reports whether a and b are the same float32, NaNs of any
// payload being the same.
func perfSame(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestBinaryF32MatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type layout struct {
		name   string
		shape  []int
		av, bv View
	}
	layouts := []layout{
		{"contig", []int{3, 37}, View{Strides: []int{37, 1}}, View{Strides: []int{37, 1}}},
		{"scalarB", []int{4, 5, 9}, View{Strides: []int{45, 9, 1}}, View{Offset: 3, Strides: []int{0, 0, 0}}},
		{"scalarA", []int{70}, View{Offset: 2, Strides: []int{0}}, View{Offset: 1, Strides: []int{1}}},
		{"rowB", []int{6, 19}, View{Strides: []int{19, 1}}, View{Offset: 5, Strides: []int{0, 1}}},
		{"colB", []int{6, 19}, View{Strides: []int{19, 1}}, View{Strides: []int{1, 0}}},
		{"chanB", []int{2, 3, 4, 5}, View{Strides: []int{60, 20, 5, 1}}, View{Strides: []int{0, 1, 0, 0}}},
		{"strided", []int{5, 7}, View{Strides: []int{1, 5}}, View{Offset: 1, Strides: []int{14, 2}}},
		{"empty", []int{3, 0}, View{Strides: []int{0, 1}}, View{Strides: []int{0, 1}}},
	}
	for _, op := range []BinOp{BinAdd, BinSub, BinMul, BinDiv} {
		for _, l := range layouts {
			a, b := perfVals(r, 200), perfVals(r, 200)
			n := Numel(l.shape)
			dv := View{Strides: Contiguous(l.shape)}
			got, want := make([]float32, n), make([]float32, n)
			BinaryF32(op, l.shape, got, dv, a, l.av, b, l.bv)
			Map2(l.shape, want, dv, a, l.av, b, l.bv, op.scalar)
			for i := range want {
				if !perfSame(got[i], want[i]) {
					t.Fatalf("%v %s: element %d is %v, want %v", op, l.name, i, got[i], want[i])
				}
			}
			// In place: dst is a's view.
			if l.av.Strides[len(l.av.Strides)-1] != 0 && perfDense(l.shape, l.av) {
				in := append([]float32(nil), a...)
				BinaryF32(op, l.shape, in, l.av, in, l.av, b, l.bv)
				for i := range want {
					if !perfSame(in[l.av.Offset+i], want[i]) {
						t.Fatalf("%v %s in place: element %d is %v, want %v", op, l.name, i, in[i], want[i])
					}
				}
			}
		}
	}
}

func TestPerfMaskAndDivKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 70 {
		g, y := perfVals(r, n), perfVals(r, n)
		got := make([]float32, n)
		for _, s := range []float32{3, -0.5, 0, float32(math.NaN()), float32(math.Inf(-1))} {
			DivScalarF32(got, g, s)
			for i := range got {
				if !perfSame(got[i], g[i]/s) {
					t.Fatalf("DivScalarF32 n=%d s=%v: [%d] = %v, want %v", n, s, i, got[i], g[i]/s)
				}
			}
			RDivScalarF32(got, s, g)
			for i := range got {
				if !perfSame(got[i], s/g[i]) {
					t.Fatalf("RDivScalarF32 n=%d s=%v: [%d] = %v, want %v", n, s, i, got[i], s/g[i])
				}
			}
		}
		ReLUGradF32(got, g, y)
		for i := range got {
			want := g[i]
			if y[i] <= 0 {
				want = 0
			}
			if !perfSame(got[i], want) {
				t.Fatalf("ReLUGradF32 n=%d: [%d] = %v for g %v, y %v; want %v", n, i, got[i], g[i], y[i], want)
			}
		}
		for _, b := range [][2]float32{{0, 6}, {-1, 1}, {2, -2}} {
			RangeGradF32(got, g, y, b[0], b[1])
			for i := range got {
				want := float32(0)
				if y[i] > b[0] && y[i] < b[1] {
					want = g[i]
				}
				if !perfSame(got[i], want) {
					t.Fatalf("RangeGradF32 n=%d %v: [%d] = %v for g %v, x %v; want %v", n, b, i, got[i], g[i], y[i], want)
				}
			}
		}
	}
}

func TestPerfLengthMismatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"DivScalarF32":  func() { DivScalarF32(make([]float32, 2), make([]float32, 3), 1) },
		"RDivScalarF32": func() { RDivScalarF32(make([]float32, 2), 1, make([]float32, 3)) },
		"ReLUGradF32":   func() { ReLUGradF32(make([]float32, 2), make([]float32, 2), make([]float32, 3)) },
		"RangeGradF32":  func() { RangeGradF32(make([]float32, 2), make([]float32, 3), make([]float32, 2), 0, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on a length mismatch", name)
				}
			}()
			f()
		}()
	}
}
