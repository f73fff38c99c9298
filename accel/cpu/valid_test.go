package cpu

import (
	"runtime"
	"strings"
	"testing"
)

// TestValidShortSlices calls every exported kernel with a slice that is too
// short (or a bad size) and checks that it panics with a message naming the
// kernel, not with a runtime error from inside a loop.
func TestValidShortSlices(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	d := func(n int) []float64 { return make([]float64, n) }
	i64 := func(n int) []int64 { return make([]int64, n) }
	bs := func(n int) []bool { return make([]bool, n) }
	c := func(shape ...int) View { return View{Strides: Contiguous(shape)} }
	g := Pool2d{H: 4, W: 4, OH: 2, OW: 2, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1}
	taps := LinearWeights[float32](2, 4, false, 0)
	cases := []struct {
		kernel, want string
		fn           func()
	}{
		{"SumRows", "src has 1 elements, need 10", func() { SumRows[float32, float64](f(2), f(1), 2, 5) }},
		{"SumRows", "dst has 1 elements, need 2", func() { SumRows[float32, float64](f(1), f(10), 2, 5) }},
		{"SumRows", "negative size", func() { SumRows[float32, float64](f(1), f(10), -1, 5) }},
		{"SumRows", "overflows", func() { SumRows[float32, float64](f(1), f(10), 1<<40, 1<<40) }},
		{"MaxRows", "vals has 1", func() { MaxRows(f(1), nil, f(10), 2, 5) }},
		{"MaxRows", "inner must be positive", func() { MaxRows(f(2), nil, f(10), 2, 0) }},
		{"MinRows", "idx has 1", func() { MinRows(nil, i64(1), f(10), 2, 5) }},
		{"Softmax", "src has 3 elements, need 10", func() { Softmax(f(10), f(3), 1, 10, 1) }},
		{"LogSoftmax", "dst has 3 elements, need 10", func() { LogSoftmax(f(3), f(10), 1, 10, 1) }},
		{"MeanRows", "src has 9", func() { MeanRows(f(2), f(9), 2, 5) }},
		{"ProdRows", "dst has 0", func() { ProdRows[float32, float64](f(0), f(10), 2, 5) }},
		{"ProdExclusiveRows", "dst has 9", func() { ProdExclusiveRows(f(9), f(10), 2, 5) }},
		{"VarRows", "src has 9", func() { VarRows(f(2), f(9), 2, 5, 1, false) }},
		{"LogSumExpRows", "src has 9", func() { LogSumExpRows(f(2), f(9), 2, 5) }},
		{"NormRows", "src has 9", func() { NormRows(f(2), f(9), 2, 5, 2) }},
		{"SumDimsF32", "src has 5", func() { SumDimsF32(f(2), f(5), []int{2, 3}, []bool{false, true}) }},
		{"SumDimsF32", "dst has 1", func() { SumDimsF32(f(1), f(6), []int{2, 3}, []bool{false, true}) }},
		{"SumDimsF32", "reduced has 1", func() { SumDimsF32(f(2), f(6), []int{2, 3}, []bool{false}) }},
		{"Map1", "src (offset 0, strides [3 1]) over shape [2 3] reaches elements [0, 5], outside its 5 elements",
			func() { Map1([]int{2, 3}, f(6), c(2, 3), f(5), c(2, 3), func(x float32) float32 { return x }) }},
		{"Map1", "dst has 1 strides", func() {
			Map1([]int{2, 3}, f(6), View{Strides: []int{1}}, f(6), c(2, 3), func(x float32) float32 { return x })
		}},
		{"Map1", "negative dimension -1", func() { Map1([]int{-1, 3}, f(6), c(2, 3), f(6), c(2, 3), func(x float32) float32 { return x }) }},
		{"Map1", "reaches elements [-1, 1]", func() {
			Map1([]int{3}, f(6), c(3), f(6), View{Offset: 1, Strides: []int{-1}}, func(x float32) float32 { return x })
		}},
		{"Map1", "reaches elements [0, 2199023255552]", func() {
			Map1([]int{3}, f(6), c(3), f(6), View{Strides: []int{1 << 40}}, func(x float32) float32 { return x })
		}},
		{"Map1", "overflow", func() {
			Map1([]int{3}, f(6), c(3), f(6), View{Strides: []int{-1 << 62}}, func(x float32) float32 { return x })
		}},
		{"Map1", "reaches elements [-1, 4]", func() {
			Map1([]int{2, 3}, f(6), c(2, 3), f(6), View{Offset: -1, Strides: []int{3, 1}}, func(x float32) float32 { return x })
		}},
		{"Map2", "b (offset 1", func() {
			Map2([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), f(6), View{Offset: 1, Strides: []int{3, 1}}, func(x, y float32) float32 { return x + y })
		}},
		{"Map3", "c (offset", func() {
			Map3([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), f(6), c(2, 3), f(5), c(2, 3), func(x, y, z float32) float32 { return x })
		}},
		{"Copy", "dst (offset", func() { Copy([]int{2, 3}, f(5), c(2, 3), f(6), c(2, 3)) }},
		{"BinaryF32", "a (offset", func() { BinaryF32(BinAdd, []int{2, 3}, f(6), c(2, 3), f(4), c(2, 3), f(6), c(2, 3)) }},
		{"AxpyF32", "x (offset", func() { AxpyF32([]int{2, 3}, 1, f(4), c(2, 3), f(6), c(2, 3)) }},
		{"Gather", "src (offset", func() { Gather([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), i64(6), c(2, 3), 1, 4) }},
		{"Gather", "index (offset", func() { Gather([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), i64(5), c(2, 3), 1, 3) }},
		{"Gather", "dim 2 out of range", func() { Gather([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), i64(6), c(2, 3), 2, 3) }},
		{"Gather", "index (offset 0", func() { Gather(nil, f(1), View{}, f(1), View{}, i64(0), View{}, 0, 1) }},
		{"Scatter", "dst (offset", func() { Scatter([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), i64(6), c(2, 3), 1, 4, nil) }},
		{"Remap", "src (offset", func() { Remap([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), [][]int{nil, {0, 1, 3}}, 0) }},
		{"Remap", "index map 1 has 2 entries, need 3", func() { Remap([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), [][]int{nil, {0, 1}}, 0) }},
		{"RemapAdd", "dst (offset", func() { RemapAdd([]int{2, 3}, f(6), c(2, 3), f(6), c(2, 3), [][]int{{0, 2}}, nil) }},
		{"Tri", "data has 5", func() { Tri(f(5), 1, 2, 3, 0, false) }},
		{"CountTrue", "mask (offset", func() { CountTrue([]int{2, 3}, bs(5), c(2, 3)) }},
		{"MaskedSelect", "src (offset", func() { MaskedSelect([]int{2, 3}, nil, f(5), c(2, 3), bs(6), c(2, 3)) }},
		{"MaskedScatter", "src has 1 elements, need 2", func() {
			MaskedScatter([]int{2, 3}, f(6), c(2, 3), []bool{true, false, true, false, false, false}, c(2, 3), f(1))
		}},
		{"Cumsum", "src has 5", func() { Cumsum[float32, float64](f(6), f(5), 2, 3, 1) }},
		{"Cumprod", "dst has 5", func() { Cumprod[float32, float64](f(5), f(6), 2, 3, 1) }},
		{"CumprodBackward", "y has 5", func() { CumprodBackward(f(6), f(6), f(6), f(5), 2, 3, 1) }},
		{"SortLines", "idx has 5", func() { SortLines(f(6), i64(5), f(6), 2, 3, 1, false) }},
		{"TopKLines", "vals has 3", func() { TopKLines(f(3), i64(4), f(6), 2, 3, 1, 2, false) }},
		{"TopKLines", "k = 4 is larger", func() { TopKLines(f(8), i64(8), f(6), 2, 3, 1, 4, false) }},
		{"AnyRows", "src has 5", func() { AnyRows(bs(2), f(5), 2, 3) }},
		{"AllRows", "dst has 1", func() { AllRows(bs(1), f(6), 2, 3) }},
		{"CountNonzeroRows", "dst has 1", func() { CountNonzeroRows(i64(1), f(6), 2, 3) }},
		{"Nonzero", "src has 5", func() { Nonzero(f(5), []int{2, 3}) }},
		{"ChannelMoments", "variance has 2", func() { ChannelMoments(d(3), d(2), f(12), 2, 3, 2) }},
		{"ChannelAffine", "shift has 2", func() { ChannelAffine(f(12), f(12), f(3), f(2), 2, 3, 2) }},
		{"BatchNormBackward", "dx has 11", func() { BatchNormBackward(f(11), nil, nil, f(12), f(12), nil, d(3), d(3), 2, 3, 2, true) }},
		{"NormalizeRows", "w has 5", func() { NormalizeRows(f(12), f(12), 2, 6, 1e-5, f(5), nil, 1, 1, d(2), d(2)) }},
		{"NormalizeRows", "groups = 0", func() { NormalizeRows(f(12), f(12), 2, 6, 1e-5, nil, nil, 0, 1, d(2), d(2)) }},
		{"NormalizeRowsBackward", "rstd has 1", func() { NormalizeRowsBackward(f(12), nil, nil, f(12), f(12), nil, 2, 6, 1, 1, d(2), d(1)) }},
		{"MaxPool2d", "src has 31", func() { MaxPool2d(f(8), nil, f(31), 2, g) }},
		{"MaxPool2d", "idx has 7", func() { MaxPool2d(f(8), i64(7), f(32), 2, g) }},
		{"MaxPool2d", "does not fit", func() { g2 := g; g2.OH = 3; MaxPool2d(f(12), nil, f(32), 2, g2) }},
		{"MaxPool2d", "bad window", func() { g2 := g; g2.SH = 0; MaxPool2d(f(8), nil, f(32), 2, g2) }},
		{"ScatterAddPlanes", "dst has 31", func() { ScatterAddPlanes(f(31), 16, f(8), i64(8), 4, 2) }},
		{"GatherPlanes", "idx has 7", func() { GatherPlanes(f(8), 4, f(32), i64(7), 16, 2) }},
		{"AvgPool2d", "dst has 7", func() { AvgPool2d(f(7), f(32), 2, g, false, 0) }},
		{"AvgPool2dBackward", "dx has 31", func() { AvgPool2dBackward(f(31), f(8), 2, g, false, 0) }},
		{"AdaptiveAvgPool2d", "src has 31", func() { AdaptiveAvgPool2d(f(8), f(31), 2, 4, 4, 2, 2) }},
		{"AdaptiveAvgPool2dBackward", "gy has 1", func() { AdaptiveAvgPool2dBackward(f(32), f(1), 2, 4, 4, 1, 1) }},
		{"AdaptiveMaxPool2d", "idx has 7", func() { AdaptiveMaxPool2d(f(8), i64(7), f(32), 2, 4, 4, 2, 2) }},
		{"NearestIndices", "negative size out", func() { NearestIndices[float32](2, -1, 0) }},
		{"LinearWeights", "negative size out", func() { LinearWeights[float32](2, -1, false, 0) }},
		{"UpsampleNearest2d", "hIdx[1] = 2 out of range", func() { UpsampleNearest2d(f(8), f(8), 2, 2, 2, []int{0, 2}, []int{0, 1}) }},
		{"UpsampleNearest2d", "dst has 7", func() { UpsampleNearest2d(f(7), f(8), 2, 2, 2, []int{0, 1}, []int{0, 1}) }},
		{"UpsampleNearest2dBackward", "dx has 7", func() { UpsampleNearest2dBackward(f(7), f(8), 2, 2, 2, []int{0, 1}, []int{0, 1}) }},
		{"UpsampleBilinear2d", "src has 7", func() { UpsampleBilinear2d(f(32), f(7), 2, 2, 2, taps, taps) }},
		{"UpsampleBilinear2d", "hw.I0[3] = 1 out of range [0, 1)", func() { UpsampleBilinear2d(f(32), f(2), 2, 1, 1, taps, taps) }},
		{"UpsampleBilinear2dBackward", "gy has 31", func() { UpsampleBilinear2dBackward(f(8), f(31), 2, 2, 2, taps, taps) }},
		{"PoolOutSize", "stride 0", func() { PoolOutSize(4, 2, 0, 0, 1, false) }},
		{"RemainderInt", "division by zero", func() { RemainderInt[int32](3, 0) }},
		{"FloorDivideInt", "division by zero", func() { FloorDivideInt[int64](3, 0) }},
		{"DivScalarF32", "length mismatch", func() { DivScalarF32(f(3), f(2), 1) }},
		{"RDivScalarF32", "length mismatch", func() { RDivScalarF32(f(3), 1, f(2)) }},
		{"ReLUGradF32", "length mismatch", func() { ReLUGradF32(f(3), f(3), f(2)) }},
		{"RangeGradF32", "length mismatch", func() { RangeGradF32(f(3), f(2), f(3), 0, 1) }},
	}
	for _, tc := range cases {
		t.Run(tc.kernel, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("no panic")
				}
				if _, ok := r.(runtime.Error); ok {
					t.Fatalf("runtime error: %v", r)
				}
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "cpu."+tc.kernel+": ") || !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %q, want cpu.%s: ...%s...", r, tc.kernel, tc.want)
				}
			}()
			tc.fn()
		})
	}
}

// TestValidEdges checks that valid calls at the edges (empty shapes,
// broadcast and negative strides, exactly long slices) still run.
func TestValidEdges(t *testing.T) {
	dst := make([]float32, 6)
	src := []float32{1, 2, 3}
	// Broadcast a row over 2 rows, and read it reversed with a negative stride.
	Map1([]int{2, 3}, dst, View{Strides: []int{3, 1}}, src, View{Offset: 2, Strides: []int{0, -1}}, func(x float32) float32 { return x })
	if want := []float32{3, 2, 1, 3, 2, 1}; !equalF32(dst, want) {
		t.Fatalf("Map1 = %v, want %v", dst, want)
	}
	// Empty shapes touch nothing, whatever the views.
	Map1([]int{0, 3}, nil, View{Offset: 99, Strides: []int{3, 1}}, nil, View{}, func(x float32) float32 { return x })
	Copy[float32]([]int{4, 0}, nil, View{}, nil, View{})
	SumRows[float32, float64, float32](nil, nil, 0, 5)
	// 0-d views need one element at the offset.
	Copy[float32](nil, dst, View{Offset: 5}, src, View{Offset: 2})
	if dst[5] != 3 {
		t.Fatalf("0-d Copy wrote %v", dst[5])
	}
	// Remap with NoSource entries reads only the mapped extent.
	out := make([]float32, 3)
	Remap([]int{3}, out, View{Strides: []int{1}}, []float32{7}, View{Strides: []int{1}}, [][]int{{NoSource, 0, NoSource}}, -1)
	if want := []float32{-1, 7, -1}; !equalF32(out, want) {
		t.Fatalf("Remap = %v, want %v", out, want)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
