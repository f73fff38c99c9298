package tensor_test

import (
	"math"
	"slices"
	"testing"

	"github.com/emberml/ember/tensor"
)

// apiSame fails unless a and b have the same dtype, shape and bit-identical
// values (both forms of an option run the very same kernel).
func apiSame(t *testing.T, name string, a, b *tensor.Tensor) {
	t.Helper()
	if a.DType() != b.DType() || !slices.Equal(a.Shape(), b.Shape()) {
		t.Fatalf("%s: %v %v and %v %v differ", name, a.DType(), a.Shape(), b.DType(), b.Shape())
	}
	av, bv := a.ToFloat64s(), b.ToFloat64s()
	for i := range av {
		if math.Float64bits(av[i]) != math.Float64bits(bv[i]) {
			t.Fatalf("%s: element %d is %v and %v", name, i, av[i], bv[i])
		}
	}
}

// TestOptionsConv checks the option convention of the convolutions: one
// value means that value for both dimensions, nil and empty mean PyTorch's
// defaults, and a 1-D op's zero option means PyTorch's default and runs as
// the 2-D op with a height of 1.
func TestOptionsConv(t *testing.T) {
	x, b := tensor.Randn(2, 4, 7, 6), tensor.Randn(6)
	wg, w := tensor.Randn(6, 2, 3, 3), tensor.Randn(6, 4, 3, 3)
	apiSame(t, "conv2d one value",
		tensor.Conv2d(x, wg, b, tensor.Conv2dOptions{Stride: []int{2}, Padding: []int{1}, Dilation: []int{2}, Groups: 2}),
		tensor.Conv2d(x, wg, b, tensor.Conv2dOptions{Stride: []int{2, 2}, Padding: []int{1, 1}, Dilation: []int{2, 2}, Groups: 2}))
	explicit := tensor.Conv2d(x, w, b, tensor.Conv2dOptions{Stride: []int{1, 1}, Padding: []int{0, 0}, Dilation: []int{1, 1}, Groups: 1})
	apiSame(t, "conv2d nil defaults", tensor.Conv2d(x, w, b, tensor.Conv2dOptions{}), explicit)
	apiSame(t, "conv2d empty defaults",
		tensor.Conv2d(x, w, b, tensor.Conv2dOptions{Stride: []int{}, Padding: []int{}, Dilation: []int{}}), explicit)
	apiSame(t, "conv2d empty Padding with PaddingMode",
		tensor.Conv2d(x, w, b, tensor.Conv2dOptions{Padding: []int{}, PaddingMode: "same"}),
		tensor.Conv2d(x, w, b, tensor.Conv2dOptions{Padding: []int{1}}))

	xt, wt, bt := tensor.Randn(2, 4, 3, 4), tensor.Randn(4, 3, 3, 3), tensor.Randn(6)
	apiSame(t, "conv_transpose2d one value",
		tensor.ConvTranspose2d(xt, wt, bt, tensor.ConvTranspose2dOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}, Groups: 2}),
		tensor.ConvTranspose2d(xt, wt, bt, tensor.ConvTranspose2dOptions{Stride: []int{2, 2}, Padding: []int{1, 1}, OutputPadding: []int{1, 1}, Dilation: []int{1, 1}, Groups: 2}))
	apiSame(t, "conv_transpose2d nil defaults",
		tensor.ConvTranspose2d(xt, wt, nil, tensor.ConvTranspose2dOptions{}),
		tensor.ConvTranspose2d(xt, wt, nil, tensor.ConvTranspose2dOptions{Stride: []int{1}, Padding: []int{0}, OutputPadding: []int{0}, Dilation: []int{1}, Groups: 1}))

	// 1-D: plain ints, zero is PyTorch's default; same as 2-D with H = 1.
	x1, w1, b1 := tensor.Randn(2, 4, 9), tensor.Randn(6, 2, 3), tensor.Randn(6)
	as2d := func(o tensor.Conv1dOptions) *tensor.Tensor {
		return tensor.Conv2d(x1.Unsqueeze(2), w1.Unsqueeze(2), b1, tensor.Conv2dOptions{Stride: []int{1, max(o.Stride, 1)},
			Padding: []int{0, o.Padding}, Dilation: []int{1, max(o.Dilation, 1)}, Groups: max(o.Groups, 1)}).Squeeze(2)
	}
	for _, o := range []tensor.Conv1dOptions{{Groups: 2}, {Stride: 2, Padding: 1, Dilation: 2, Groups: 2}, {Stride: 3, Groups: 2}} {
		apiSame(t, "conv1d", tensor.Conv1d(x1, w1, b1, o), as2d(o))
	}
	apiSame(t, "conv1d zero defaults", tensor.Conv1d(x1, w1, b1, tensor.Conv1dOptions{Groups: 2}),
		tensor.Conv1d(x1, w1, b1, tensor.Conv1dOptions{Stride: 1, Padding: 0, Dilation: 1, Groups: 2}))
	wt1 := tensor.Randn(4, 3, 3)
	apiSame(t, "conv_transpose1d",
		tensor.ConvTranspose1d(x1, wt1, nil, tensor.ConvTranspose1dOptions{Stride: 2, Padding: 1, OutputPadding: 1}),
		tensor.ConvTranspose2d(x1.Unsqueeze(2), wt1.Unsqueeze(2), nil, tensor.ConvTranspose2dOptions{Stride: []int{1, 2},
			Padding: []int{0, 1}, OutputPadding: []int{0, 1}}).Squeeze(2))
	apiSame(t, "conv_transpose1d zero defaults", tensor.ConvTranspose1d(x1, wt1, nil, tensor.ConvTranspose1dOptions{}),
		tensor.ConvTranspose1d(x1, wt1, nil, tensor.ConvTranspose1dOptions{Stride: 1, Dilation: 1, Groups: 1}))
}

// TestOptionsPoolInterpolate checks the same convention for pooling and
// interpolation: the pools' nil Stride is the kernel size.
func TestOptionsPoolInterpolate(t *testing.T) {
	x := tensor.Randn(2, 3, 9, 8)
	mp := func(o tensor.MaxPool2dOptions) *tensor.Tensor { return tensor.MaxPool2d(x, o) }
	apiSame(t, "max_pool2d one value", mp(tensor.MaxPool2dOptions{KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}, Dilation: []int{2}}),
		mp(tensor.MaxPool2dOptions{KernelSize: []int{3, 3}, Stride: []int{2, 2}, Padding: []int{1, 1}, Dilation: []int{2, 2}}))
	apiSame(t, "max_pool2d nil defaults", mp(tensor.MaxPool2dOptions{KernelSize: []int{3, 2}}),
		mp(tensor.MaxPool2dOptions{KernelSize: []int{3, 2}, Stride: []int{3, 2}, Padding: []int{0}, Dilation: []int{1}}))
	apiSame(t, "max_pool2d empty defaults", mp(tensor.MaxPool2dOptions{KernelSize: []int{2}, Stride: []int{}, Padding: []int{}, Dilation: []int{}}),
		mp(tensor.MaxPool2dOptions{KernelSize: []int{2}, Stride: []int{2}}))
	_, i1 := tensor.MaxPool2dWithIndices(x, tensor.MaxPool2dOptions{KernelSize: []int{2}})
	_, i2 := tensor.MaxPool2dWithIndices(x, tensor.MaxPool2dOptions{KernelSize: []int{2, 2}, Stride: []int{2, 2}})
	if !slices.Equal(i1.ToInt64s(), i2.ToInt64s()) {
		t.Fatal("max_pool2d: indices differ between one value and one per dimension")
	}

	ap := func(o tensor.AvgPool2dOptions) *tensor.Tensor { return tensor.AvgPool2d(x, o) }
	apiSame(t, "avg_pool2d one value", ap(tensor.AvgPool2dOptions{KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}, ExcludePad: true}),
		ap(tensor.AvgPool2dOptions{KernelSize: []int{3, 3}, Stride: []int{2, 2}, Padding: []int{1, 1}, ExcludePad: true}))
	apiSame(t, "avg_pool2d nil defaults", ap(tensor.AvgPool2dOptions{KernelSize: []int{2, 3}}),
		ap(tensor.AvgPool2dOptions{KernelSize: []int{2, 3}, Stride: []int{2, 3}, Padding: []int{0, 0}}))
	// ExcludePad's zero value is count_include_pad=True: the padded zeros
	// count, so a corner window over one input element of value v gives
	// v/4 with a 2x2 kernel and padding 1, and v with ExcludePad.
	ones := tensor.Ones(1, 1, 2, 2)
	incl := tensor.AvgPool2d(ones, tensor.AvgPool2dOptions{KernelSize: []int{2}, Padding: []int{1}}).ToFloat64s()
	excl := tensor.AvgPool2d(ones, tensor.AvgPool2dOptions{KernelSize: []int{2}, Padding: []int{1}, ExcludePad: true}).ToFloat64s()
	if incl[0] != 0.25 || excl[0] != 1 {
		t.Fatalf("avg_pool2d corner: default %v (want 0.25), ExcludePad %v (want 1)", incl[0], excl[0])
	}

	x1 := tensor.Randn(2, 3, 11)
	apiSame(t, "max_pool1d zero defaults", tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 3}),
		tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 3, Stride: 3, Padding: 0, Dilation: 1}))
	apiSame(t, "max_pool1d as 2d", tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 3, Stride: 2, Padding: 1, Dilation: 2, CeilMode: true}),
		tensor.MaxPool2d(x1.Unsqueeze(2), tensor.MaxPool2dOptions{KernelSize: []int{1, 3}, Stride: []int{1, 2}, Padding: []int{0, 1},
			Dilation: []int{1, 2}, CeilMode: true}).Squeeze(2))
	apiSame(t, "avg_pool1d zero defaults", tensor.AvgPool1d(x1, tensor.AvgPool1dOptions{KernelSize: 2}),
		tensor.AvgPool1d(x1, tensor.AvgPool1dOptions{KernelSize: 2, Stride: 2}))
	apiSame(t, "avg_pool1d as 2d", tensor.AvgPool1d(x1, tensor.AvgPool1dOptions{KernelSize: 3, Stride: 2, Padding: 1, ExcludePad: true}),
		tensor.AvgPool2d(x1.Unsqueeze(2), tensor.AvgPool2dOptions{KernelSize: []int{1, 3}, Stride: []int{1, 2}, Padding: []int{0, 1},
			ExcludePad: true}).Squeeze(2))

	for _, mode := range []string{"nearest", "bilinear"} {
		in := func(o tensor.InterpolateOptions) *tensor.Tensor { o.Mode = mode; return tensor.Interpolate(x, o) }
		apiSame(t, mode+" size one value", in(tensor.InterpolateOptions{Size: []int{5}}), in(tensor.InterpolateOptions{Size: []int{5, 5}}))
		apiSame(t, mode+" scale one value", in(tensor.InterpolateOptions{ScaleFactor: []float64{1.5}}),
			in(tensor.InterpolateOptions{ScaleFactor: []float64{1.5, 1.5}}))
		apiSame(t, mode+" empty Size", in(tensor.InterpolateOptions{Size: []int{}, ScaleFactor: []float64{2}}),
			in(tensor.InterpolateOptions{ScaleFactor: []float64{2}}))
	}
}

// TestOptionsPanics checks that a malformed option panics with a message
// naming the op, the field and the value given.
func TestOptionsPanics(t *testing.T) {
	x, w := tensor.Zeros(1, 2, 6, 6), tensor.Zeros(2, 2, 3, 3)
	x1, w1 := tensor.Zeros(1, 2, 6), tensor.Zeros(2, 2, 3)
	for want, f := range map[string]func(){
		"conv2d: Stride must hold 1 or 2 values, got [1 2 3]": func() { tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Stride: []int{1, 2, 3}}) },
		"conv2d: Stride must be positive, got [1 0]":          func() { tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Stride: []int{1, 0}}) },
		"conv2d: Padding must be non-negative, got [-1]":      func() { tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Padding: []int{-1}}) },
		"conv2d: Dilation must be positive, got [0]":          func() { tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Dilation: []int{0}}) },
		"conv2d: Groups must be positive, got -2":             func() { tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Groups: -2}) },
		`conv2d: set Padding or PaddingMode, not both (got Padding [0] and PaddingMode "same")`: func() {
			tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Padding: []int{0}, PaddingMode: "same"})
		},
		"conv1d: Stride must be positive, got -1":      func() { tensor.Conv1d(x1, w1, nil, tensor.Conv1dOptions{Stride: -1}) },
		"conv1d: Padding must be non-negative, got -2": func() { tensor.Conv1d(x1, w1, nil, tensor.Conv1dOptions{Padding: -2}) },
		"conv1d: Dilation must be positive, got -1":    func() { tensor.Conv1d(x1, w1, nil, tensor.Conv1dOptions{Dilation: -1}) },
		`conv1d: set Padding or PaddingMode, not both (got Padding 1 and PaddingMode "valid")`: func() {
			tensor.Conv1d(x1, w1, nil, tensor.Conv1dOptions{Padding: 1, PaddingMode: "valid"})
		},
		"conv_transpose2d: OutputPadding must hold 1 or 2 values, got [1 1 1]": func() {
			tensor.ConvTranspose2d(x, w, nil, tensor.ConvTranspose2dOptions{Stride: []int{2}, OutputPadding: []int{1, 1, 1}})
		},
		"conv_transpose2d: OutputPadding must be non-negative, got [-1 0]": func() {
			tensor.ConvTranspose2d(x, w, nil, tensor.ConvTranspose2dOptions{OutputPadding: []int{-1, 0}})
		},
		"conv_transpose1d: OutputPadding must be non-negative, got -1": func() {
			tensor.ConvTranspose1d(x1, w1, nil, tensor.ConvTranspose1dOptions{OutputPadding: -1})
		},
		"conv_transpose1d: Groups must be positive, got -1": func() {
			tensor.ConvTranspose1d(x1, w1, nil, tensor.ConvTranspose1dOptions{Groups: -1})
		},
		"max_pool2d: KernelSize must be set (it has no default)": func() { tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{}}) },
		"max_pool2d: KernelSize must be positive, got [0 2]":     func() { tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{0, 2}}) },
		"max_pool2d: Padding must hold 1 or 2 values, got [1 1 1]": func() {
			tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{3}, Padding: []int{1, 1, 1}})
		},
		"avg_pool2d: KernelSize must be set (it has no default)": func() { tensor.AvgPool2d(x, tensor.AvgPool2dOptions{}) },
		"avg_pool2d: Stride must be positive, got [0]": func() {
			tensor.AvgPool2d(x, tensor.AvgPool2dOptions{KernelSize: []int{2}, Stride: []int{0}})
		},
		"avg_pool2d: Padding must be non-negative, got [-1 0]": func() {
			tensor.AvgPool2d(x, tensor.AvgPool2dOptions{KernelSize: []int{2}, Padding: []int{-1, 0}})
		},
		"max_pool1d: KernelSize must be set (it has no default)": func() { tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{}) },
		"max_pool1d: KernelSize must be positive, got -3":        func() { tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: -3}) },
		"max_pool1d: Stride must be positive, got -1": func() {
			tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 2, Stride: -1})
		},
		"max_pool1d: Dilation must be positive, got -2": func() {
			tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 2, Dilation: -2})
		},
		"max_pool1d: pad should be at most half of kernel size, but got Padding [2] and KernelSize [3]": func() {
			tensor.MaxPool1d(x1, tensor.MaxPool1dOptions{KernelSize: 3, Padding: 2})
		},
		"avg_pool1d: Padding must be non-negative, got -1": func() {
			tensor.AvgPool1d(x1, tensor.AvgPool1dOptions{KernelSize: 2, Padding: -1})
		},
		"interpolate: Size must hold 1 or 2 values, got [2 3 4]": func() {
			tensor.Interpolate(x, tensor.InterpolateOptions{Size: []int{2, 3, 4}})
		},
		"interpolate: ScaleFactor must hold 1 or 2 values, got [2 2 2]": func() {
			tensor.Interpolate(x, tensor.InterpolateOptions{ScaleFactor: []float64{2, 2, 2}})
		},
		"interpolate: ScaleFactor must be positive and finite, got [2 NaN]": func() {
			tensor.Interpolate(x, tensor.InterpolateOptions{ScaleFactor: []float64{2, math.NaN()}})
		},
		"interpolate: ScaleFactor must be positive and finite, got [+Inf]": func() {
			tensor.Interpolate(x, tensor.InterpolateOptions{ScaleFactor: []float64{math.Inf(1)}})
		},
	} {
		mustPanic(t, want, f)
	}
}
