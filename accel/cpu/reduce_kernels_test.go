package cpu

import (
	"math"
	"slices"
	"testing"
)

func TestMaxMinRows(t *testing.T) {
	nan := math.NaN()
	src := []float64{1, 3, 3, 0, nan, 2, nan, 1, -1, -1, -5, -5}
	vals := make([]float64, 3)
	idx := make([]int64, 3)
	MaxRows(vals, idx, src, 3, 4)
	if vals[0] != 3 || !math.IsNaN(vals[1]) || vals[2] != -1 || !slices.Equal(idx, []int64{1, 0, 0}) {
		t.Errorf("MaxRows: %v %v", vals, idx)
	}
	MinRows(vals, idx, src, 3, 4)
	if vals[0] != 0 || !math.IsNaN(vals[1]) || vals[2] != -5 || !slices.Equal(idx, []int64{3, 0, 2}) {
		t.Errorf("MinRows: %v %v", vals, idx)
	}
	// A NaN after the first element still wins, at its first position.
	MaxRows(nil, idx[:1], []float32{1, 9, float32(nan), float32(nan)}, 1, 4)
	if idx[0] != 2 {
		t.Errorf("MaxRows NaN index %d, want 2", idx[0])
	}
	iv := make([]int8, 2)
	MinRows(iv, nil, []int8{4, -3, -3, 1, 1, 1}, 2, 3)
	if !slices.Equal(iv, []int8{-3, 1}) {
		t.Errorf("MinRows int8: %v", iv)
	}
}

func TestProdRows(t *testing.T) {
	src := []float64{1, 0, 2, 3, 2, 3, 4, 5, 0, 1, 0, 2}
	p := make([]float64, 3)
	ProdRows[float64, float64](p, src, 3, 4)
	if !slices.Equal(p, []float64{0, 120, 0}) {
		t.Errorf("ProdRows: %v", p)
	}
	ex := make([]float64, 12)
	ProdExclusiveRows(ex, src, 3, 4)
	want := []float64{0, 6, 0, 0, 60, 40, 30, 24, 0, 0, 0, 0}
	if !slices.Equal(ex, want) {
		t.Errorf("ProdExclusiveRows: %v, want %v", ex, want)
	}
	pi := make([]int64, 1)
	ProdRows[int32, int64](pi, []int32{-3, 4, 5}, 1, 3)
	if pi[0] != -60 {
		t.Errorf("ProdRows int: %v", pi)
	}
	one := []float32{7}
	ProdRows[float32, float32](one, nil, 1, 0)
	if one[0] != 1 {
		t.Errorf("empty product %v, want 1", one[0])
	}
}

func TestVarMeanRows(t *testing.T) {
	src := []float32{1, 2, 3, 4, 1e4 + 1, 1e4 + 2, 1e4 + 3, 1e4 + 4}
	v := make([]float32, 2)
	VarRows(v, src, 2, 4, 1, false)
	if math.Abs(float64(v[0])-5.0/3) > 1e-6 || math.Abs(float64(v[1])-5.0/3) > 1e-4 {
		t.Errorf("VarRows unbiased: %v", v)
	}
	VarRows(v, src, 2, 4, 0, true)
	if math.Abs(float64(v[0])-math.Sqrt(1.25)) > 1e-6 {
		t.Errorf("VarRows std, correction 0: %v", v)
	}
	VarRows(v, src, 2, 4, 4, false)
	if !math.IsInf(float64(v[0]), 1) {
		t.Errorf("VarRows with no degrees of freedom: %v, want +Inf", v)
	}
	m := make([]float64, 1)
	MeanRows(m, nil, 1, 0)
	if !math.IsNaN(m[0]) {
		t.Errorf("mean of nothing %v, want NaN", m[0])
	}
}

func TestLogSumExpNormRows(t *testing.T) {
	inf := math.Inf(1)
	src := []float64{-inf, -inf, 1000, 1000, inf, 1}
	d := make([]float64, 3)
	LogSumExpRows(d, src, 3, 2)
	if !math.IsInf(d[0], -1) || math.Abs(d[1]-(1000+math.Ln2)) > 1e-9 || !math.IsInf(d[2], 1) {
		t.Errorf("LogSumExpRows: %v", d)
	}
	x := []float64{3, -4, 0, 1}
	n := make([]float64, 1)
	for _, c := range []struct{ p, want float64 }{
		{2, math.Sqrt(26)}, {1, 8}, {0, 3}, {inf, 4}, {-inf, 0},
		{3, math.Cbrt(27 + 64 + 1)}, {0.5, math.Pow(math.Sqrt(3)+2+1, 2)}, {-1, 0},
	} {
		NormRows(n, x, 1, 4, c.p)
		if math.Abs(n[0]-c.want) > 1e-12 {
			t.Errorf("NormRows p=%v: %v, want %v", c.p, n[0], c.want)
		}
	}
}

// softmaxRef is a direct softmax of one line, in float64.
func softmaxRef(x []float64, log bool) []float64 {
	m := slices.Max(x)
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		if log {
			out[i] = v - m - math.Log(s)
		} else {
			out[i] = math.Exp(v-m) / s
		}
	}
	return out
}

func TestSoftmaxStrided(t *testing.T) {
	// [outer=2][n=3][inner=4]; softmax along the middle axis, in place.
	const outer, n, inner = 2, 3, 4
	src := make([]float64, outer*n*inner)
	for i := range src {
		src[i] = math.Sin(float64(i)) * 50
	}
	for _, log := range []bool{false, true} {
		dst := slices.Clone(src)
		if log {
			LogSoftmax(dst, dst, outer, n, inner)
		} else {
			Softmax(dst, dst, outer, n, inner)
		}
		for o := range outer {
			for k := range inner {
				line := make([]float64, n)
				for j := range n {
					line[j] = src[o*n*inner+j*inner+k]
				}
				want := softmaxRef(line, log)
				for j := range n {
					if got := dst[o*n*inner+j*inner+k]; math.Abs(got-want[j]) > 1e-12 {
						t.Fatalf("log=%v o=%d k=%d j=%d: %v, want %v", log, o, k, j, got, want[j])
					}
				}
			}
		}
	}
	f := make([]float32, outer*n*inner)
	allocs := testing.AllocsPerRun(10, func() { Softmax(f, f, outer, n, inner); LogSoftmax(f, f, outer, n, inner) })
	if allocs != 0 {
		t.Errorf("softmax kernels allocate %v times per run", allocs)
	}
}
