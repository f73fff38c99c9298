package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMoreTopKPaths checks that the heap selection (small k) and the full
// sort give the same values and positions, on strided lines with ties and
// NaNs, against a stable sort of each line.
func TestMoreTopKPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const outer, n, inner = 3, 37, 2
	src := make([]float64, outer*n*inner)
	for i := range src {
		src[i] = float64(r.IntN(9) - 4)
		switch r.IntN(10) {
		case 0:
			src[i] = math.NaN()
		case 1:
			src[i] = math.Copysign(0, -1)
		}
	}
	moreCheckTopK(t, "float64", src, outer, n, inner)
	f32 := make([]float32, len(src))
	i8 := make([]int8, len(src))
	for i, v := range src {
		f32[i] = float32(v)
		i8[i] = int8(v)
	}
	moreCheckTopK(t, "float32", f32, outer, n, inner)
	moreCheckTopK(t, "int8", i8, outer, n, inner)
}

func moreCheckTopK[T Number](t *testing.T, name string, src []T, outer, n, inner int) {
	t.Helper()
	for _, smallest := range []bool{true, false} {
		for _, k := range []int{1, 4, 9, 10, 37} { // k*4 < n selects with the heap
			vals := make([]T, outer*k*inner)
			idx := make([]int64, outer*k*inner)
			TopKLines(vals, idx, src, outer, n, inner, k, smallest)
			for o := range outer {
				for j := range inner {
					line := make([]int64, n)
					for i := range line {
						line[i] = int64(i)
					}
					key := func(i int64) float64 { return float64(src[o*n*inner+int(i)*inner+j]) }
					slices.SortStableFunc(line, func(a, b int64) int {
						x, y := key(a), key(b)
						if !smallest {
							x, y = y, x
						}
						switch {
						case math.IsNaN(x) && math.IsNaN(y):
							return 0
						case math.IsNaN(x):
							return 1
						case math.IsNaN(y):
							return -1
						case x < y:
							return -1
						case x > y:
							return 1
						}
						return 0
					})
					for i := range k {
						p := o*k*inner + i*inner + j
						if idx[p] != line[i] {
							t.Fatalf("%s smallest=%v k=%d line (%d,%d): position %d is %d, want %d", name, smallest, k, o, j, i, idx[p], line[i])
						}
						if v, got := key(line[i]), float64(vals[p]); got != v && !(math.IsNaN(v) && math.IsNaN(got)) {
							t.Fatalf("%s smallest=%v k=%d: value %v, want %v", name, smallest, k, got, v)
						}
					}
				}
			}
		}
	}
}

func TestMoreScansAndNonzero(t *testing.T) {
	// (outer 2, n 3, inner 2)
	src := []int64{1, 2, 3, 4, 5, 6, 0, 1, 2, 0, 3, 2}
	dst := make([]int64, len(src))
	Cumsum[int64, int64](dst, src, 2, 3, 2)
	if want := []int64{1, 2, 4, 6, 9, 12, 0, 1, 2, 1, 5, 3}; !slices.Equal(dst, want) {
		t.Errorf("cumsum %v, want %v", dst, want)
	}
	Cumprod[int64, int64](dst, src, 2, 3, 2)
	if want := []int64{1, 2, 3, 8, 15, 48, 0, 1, 0, 0, 0, 0}; !slices.Equal(dst, want) {
		t.Errorf("cumprod %v, want %v", dst, want)
	}
	coords, count := Nonzero([]float32{0, float32(math.NaN()), 2, 0, 0, -1}, []int{2, 3})
	if want := []int64{0, 1, 0, 2, 1, 2}; count != 3 || !slices.Equal(coords, want) {
		t.Errorf("nonzero %v (%d), want %v", coords, count, want)
	}
	if _, count := Nonzero([]bool{true}, nil); count != 1 {
		t.Errorf("nonzero of a 0-d true: count %d", count)
	}
	anyv, all := make([]bool, 3), make([]bool, 3)
	cnt := make([]int64, 3)
	rows := []float64{0, 0, math.NaN(), 1, 0, 0}
	AnyRows(anyv, rows, 3, 2)
	AllRows(all, rows, 3, 2)
	CountNonzeroRows(cnt, rows, 3, 2)
	if !slices.Equal(anyv, []bool{false, true, false}) || !slices.Equal(all, []bool{false, true, false}) || !slices.Equal(cnt, []int64{0, 2, 0}) {
		t.Errorf("any %v all %v count %v", anyv, all, cnt)
	}
}

func BenchmarkMoreSortLines(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const outer, n = 16, 8192
	src := make([]float32, outer*n)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	vals, idx := make([]float32, len(src)), make([]int64, len(src))
	for b.Loop() {
		SortLines(vals, idx, src, outer, n, 1, false)
	}
}

func BenchmarkMoreTopKLines(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const outer, n, k = 16, 8192, 10
	src := make([]float32, outer*n)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	vals, idx := make([]float32, outer*k), make([]int64, outer*k)
	for b.Loop() {
		TopKLines(vals, idx, src, outer, n, 1, k, false)
	}
}
