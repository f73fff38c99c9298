package cpu

import (
	"slices"
	"testing"
)

func TestIndexGatherScatterKernels(t *testing.T) {
	// src is 2x3 [[0 1 2] [3 4 5]]; gather along dim 1 with a 2x2 index.
	src := []float32{0, 1, 2, 3, 4, 5}
	sv := View{Strides: []int{3, 1}}
	index := []int64{2, 0, 1, 1}
	iv := View{Strides: []int{2, 1}}
	dst := make([]float32, 4)
	if _, ok := Gather([]int{2, 2}, dst, View{Strides: []int{2, 1}}, src, sv, index, iv, 1, 3); !ok {
		t.Fatal("gather reported a bad index")
	}
	if !slices.Equal(dst, []float32{2, 0, 4, 4}) {
		t.Errorf("gather = %v", dst)
	}
	bad := []int64{0, 3, 1, 1}
	if v, ok := Gather([]int{2, 2}, dst, View{Strides: []int{2, 1}}, src, sv, bad, iv, 1, 3); ok || v != 3 {
		t.Errorf("gather with index 3 of 3: got (%d, %v), want (3, false)", v, ok)
	}
	// scatter-add the 2x2 ones into zeros along dim 1 (repeated index 1 in row 1).
	out := make([]float32, 6)
	ones := []float32{1, 1, 1, 1}
	add := func(a, b float32) float32 { return a + b }
	if _, ok := Scatter([]int{2, 2}, out, sv, ones, View{Strides: []int{2, 1}}, index, iv, 1, 3, add); !ok {
		t.Fatal("scatter reported a bad index")
	}
	if !slices.Equal(out, []float32{1, 0, 1, 0, 2, 0}) {
		t.Errorf("scatter add = %v", out)
	}
	if v, ok := Scatter([]int{2, 2}, out, sv, ones, View{Strides: []int{2, 1}}, []int64{0, -1, 0, 0}, iv, 1, 3, nil); ok || v != -1 {
		t.Errorf("scatter with index -1: got (%d, %v), want (-1, false)", v, ok)
	}
}

func TestIndexRemapKernels(t *testing.T) {
	// Constant-pad [1 2 3] by (1, 2) with fill 9, through a transposed-like
	// strided destination (stride 2).
	src := []int32{1, 2, 3}
	dst := make([]int32, 12)
	m := []int{NoSource, 0, 1, 2, NoSource, NoSource}
	Remap([]int{6}, dst, View{Strides: []int{2}}, src, View{Strides: []int{1}}, [][]int{m}, 9)
	if want := []int32{9, 0, 1, 0, 2, 0, 3, 0, 9, 0, 9, 0}; !slices.Equal(dst, want) {
		t.Errorf("remap = %v, want %v", dst, want)
	}
	// Adjoint of a reflect map [2 1 0 1 2 1] over 3 elements: counts.
	r := []int{2, 1, 0, 1, 2, 1}
	acc := make([]float64, 3)
	g := []float64{1, 1, 1, 1, 1, 1}
	RemapAdd([]int{6}, acc, View{Strides: []int{1}}, g, View{Strides: []int{1}}, [][]int{r}, func(a, b float64) float64 { return a + b })
	if !slices.Equal(acc, []float64{1, 3, 2}) {
		t.Errorf("remap add = %v, want [1 3 2]", acc)
	}
	// 2-D: select rows [1 1] of a 2x2 matrix, identity on columns.
	mat := []float32{1, 2, 3, 4}
	out := make([]float32, 4)
	Remap([]int{2, 2}, out, View{Strides: []int{2, 1}}, mat, View{Strides: []int{2, 1}}, [][]int{{1, 1}}, 0)
	if !slices.Equal(out, []float32{3, 4, 3, 4}) {
		t.Errorf("row remap = %v", out)
	}
}

func TestIndexTriAndMask(t *testing.T) {
	d := []int8{1, 1, 1, 1, 1, 1}
	Tri(d, 1, 2, 3, 0, false)
	if !slices.Equal(d, []int8{1, 0, 0, 1, 1, 0}) {
		t.Errorf("tril = %v", d)
	}
	d = []int8{1, 1, 1, 1, 1, 1}
	Tri(d, 1, 2, 3, 1, true)
	if !slices.Equal(d, []int8{0, 1, 1, 0, 0, 1}) {
		t.Errorf("triu(1) = %v", d)
	}
	// Mask [T F] broadcast over 2 rows of [1 2; 3 4].
	src := []float32{1, 2, 3, 4}
	mask := []bool{true, false}
	mv := View{Strides: []int{0, 1}}
	if n := CountTrue([]int{2, 2}, mask, mv); n != 2 {
		t.Errorf("count = %d", n)
	}
	got := MaskedSelect([]int{2, 2}, nil, src, View{Strides: []int{2, 1}}, mask, mv)
	if !slices.Equal(got, []float32{1, 3}) {
		t.Errorf("masked select = %v", got)
	}
	back := make([]float32, 4)
	if n := MaskedScatter([]int{2, 2}, back, View{Strides: []int{2, 1}}, mask, mv, []float32{7, 8}); n != 2 || !slices.Equal(back, []float32{7, 0, 8, 0}) {
		t.Errorf("masked scatter = %v (%d)", back, n)
	}
}
