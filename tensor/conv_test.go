package tensor_test

import (
	"math"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

func convOne(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

// convOptBias returns the third input, or nil when the case has none.
func convOptBias(in []*tensor.Tensor) *tensor.Tensor {
	if len(in) > 2 {
		return in[2]
	}
	return nil
}

func convGolden2dOpts(a goldenAttrs) tensor.Conv2dOptions {
	o := tensor.Conv2dOptions{Stride: a.Ints("stride"), Dilation: a.Ints("dilation"), Groups: a.Int("groups")}
	if a.has("padding_mode") {
		o.PaddingMode = a.String("padding_mode")
	} else {
		o.Padding = a.Ints("padding")
	}
	return o
}

func convGolden1dOpts(a goldenAttrs) tensor.Conv1dOptions {
	o := tensor.Conv1dOptions{Stride: a.Int("stride"), Dilation: a.Int("dilation"), Groups: a.Int("groups")}
	if a.has("padding_mode") {
		o.PaddingMode = a.String("padding_mode")
	} else {
		o.Padding = a.Int("padding")
	}
	return o
}

func convGoldenT1dOpts(a goldenAttrs) tensor.ConvTranspose1dOptions {
	return tensor.ConvTranspose1dOptions{Stride: a.Int("stride"), Padding: a.Int("padding"),
		OutputPadding: a.Int("output_padding"), Dilation: a.Int("dilation"), Groups: a.Int("groups")}
}

func convGoldenT2dOpts(a goldenAttrs) tensor.ConvTranspose2dOptions {
	return tensor.ConvTranspose2dOptions{Stride: a.Ints("stride"), Padding: a.Ints("padding"),
		OutputPadding: a.Ints("output_padding"), Dilation: a.Ints("dilation"), Groups: a.Int("groups")}
}

// convWithGrads runs f on inputs that require grad (all but the last input,
// which is the upstream gradient), back-propagates that gradient and
// returns the output followed by every input's gradient.
func convWithGrads(in []*tensor.Tensor, f func(in []*tensor.Tensor) *tensor.Tensor) []*tensor.Tensor {
	xs, gy := in[:len(in)-1], in[len(in)-1]
	for _, x := range xs {
		x.SetRequiresGrad(true)
	}
	y := f(xs)
	y.BackwardWith(tensor.BackwardOptions{Grad: gy})
	out := []*tensor.Tensor{y.Detach()}
	for _, x := range xs {
		out = append(out, x.Grad())
	}
	return out
}

var convOps = map[string]goldenOp{
	"matmul": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		x, y := in[0], in[1]
		if a.Bool("ta") {
			x = x.MT()
		}
		if a.Bool("tb") {
			y = y.MT()
		}
		return convOne(tensor.MatMul(x, y))
	},
	"mm":  func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return convOne(in[0].Mm(in[1])) },
	"bmm": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return convOne(in[0].Bmm(in[1])) },
	"dot": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return convOne(in[0].Dot(in[1])) },
	"matmul_grad": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convWithGrads(in, func(x []*tensor.Tensor) *tensor.Tensor { return x[0].MatMul(x[1]) })
	},
	"linear": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convOne(tensor.Linear(in[0], in[1], convOptBias(in)))
	},
	"linear_grad": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convWithGrads(in, func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(x[0], x[1], x[2]) })
	},
	"conv2d": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convOne(tensor.Conv2d(in[0], in[1], convOptBias(in), convGolden2dOpts(a)))
	},
	"conv2d_grad": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convWithGrads(in, func(x []*tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x[0], x[1], x[2], convGolden2dOpts(a))
		})
	},
	"conv1d": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convOne(tensor.Conv1d(in[0], in[1], convOptBias(in), convGolden1dOpts(a)))
	},
	"conv_transpose2d": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convOne(tensor.ConvTranspose2d(in[0], in[1], convOptBias(in), convGoldenT2dOpts(a)))
	},
	"conv_transpose1d": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convOne(tensor.ConvTranspose1d(in[0], in[1], convOptBias(in), convGoldenT1dOpts(a)))
	},
	"conv_transpose2d_grad": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return convWithGrads(in, func(x []*tensor.Tensor) *tensor.Tensor {
			return tensor.ConvTranspose2d(x[0], x[1], x[2], convGoldenT2dOpts(a))
		})
	},
}

func TestConvGolden(t *testing.T) { runGolden(t, "conv.json", convOps, tol{rtol: 1e-4, atol: 1e-5}) }

func TestLinalgGradients(t *testing.T) {
	mm := func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MatMul(in[1]) }
	for name, shapes := range map[string][2][]int{
		"1d_1d":      {{3}, {3}},
		"2d_2d":      {{2, 3}, {3, 2}},
		"1d_2d":      {{3}, {3, 2}},
		"2d_1d":      {{2, 3}, {3}},
		"3d_2d":      {{2, 2, 3}, {3, 2}},
		"2d_3d":      {{2, 3}, {2, 3, 2}},
		"1d_3d":      {{3}, {2, 3, 2}},
		"3d_1d":      {{2, 2, 3}, {3}},
		"broadcast":  {{2, 1, 2, 3}, {3, 3, 2}},
		"broadcast2": {{1, 2, 3}, {2, 1, 3, 2}},
	} {
		gradcheck(t, "matmul_"+name, mm, tensor.Randn(shapes[0]...), tensor.Randn(shapes[1]...))
	}
	gradcheck(t, "matmul_transposed", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].MT().MatMul(in[1].MT())
	}, tensor.Randn(2, 3, 2), tensor.Randn(2, 3))
	gradcheck(t, "matmul_expanded", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].Expand(2, 3, 3).MatMul(in[1])
	}, tensor.Randn(3, 1), tensor.Randn(3, 2))
	gradcheck(t, "mm", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Mm(in[1]) }, tensor.Randn(2, 3), tensor.Randn(3, 2))
	gradcheck(t, "bmm", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Bmm(in[1]) }, tensor.Randn(2, 2, 3), tensor.Randn(2, 3, 2))
	gradcheck(t, "dot", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Dot(in[1]) }, tensor.Randn(4), tensor.Randn(4))
	gradcheck(t, "linear", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], in[2]) },
		tensor.Randn(2, 3), tensor.Randn(4, 3), tensor.Randn(4))
	gradcheck(t, "linear_3d_nobias", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], nil) },
		tensor.Randn(2, 2, 3), tensor.Randn(2, 3))
	gradcheck(t, "linear_1d", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], in[2]) },
		tensor.Randn(3), tensor.Randn(2, 3), tensor.Randn(2))
	gradcheck(t, "linear_transposed_weight", func(in ...*tensor.Tensor) *tensor.Tensor {
		return tensor.Linear(in[0], in[1].T(), nil)
	}, tensor.Randn(2, 3), tensor.Randn(3, 4))
	// second order: the gradient of a matmul's gradient
	gradcheck(t, "matmul_double_backward", func(in ...*tensor.Tensor) *tensor.Tensor {
		return convSecondOrder(in, func(x []*tensor.Tensor) *tensor.Tensor { return x[0].MatMul(x[1]) })
	}, tensor.Randn(2, 2, 3), tensor.Randn(3, 2), tensor.Randn(2, 2, 2))
}

// convSecondOrder computes the gradients of f(in[:n-1]) for the upstream
// gradient in[n-1] with CreateGraph, and returns a scalar function of them
// (sum of squares), so gradcheck can check second derivatives, including
// those with respect to the upstream gradient.
func convSecondOrder(in []*tensor.Tensor, f func(x []*tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
	var out *tensor.Tensor
	autograd.EnableGrad(func() {
		xs, gy := in[:len(in)-1], in[len(in)-1]
		y := f(xs)
		gs := autograd.Grad([]*tensor.Tensor{y}, xs, autograd.GradOptions{GradOutputs: []*tensor.Tensor{gy}, CreateGraph: true})
		for _, g := range gs {
			s := g.Mul(g).Sum()
			if out == nil {
				out = s
			} else {
				out = out.Add(s)
			}
		}
	})
	return out
}

func TestConvGradients(t *testing.T) {
	c2 := func(o tensor.Conv2dOptions) func(in ...*tensor.Tensor) *tensor.Tensor {
		return func(in ...*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if len(in) > 2 {
				b = in[2]
			}
			return tensor.Conv2d(in[0], in[1], b, o)
		}
	}
	r := tensor.Randn
	gradcheck(t, "conv2d", c2(tensor.Conv2dOptions{}), r(2, 2, 4, 4), r(2, 2, 3, 3), r(2))
	gradcheck(t, "conv2d_stride2_pad1", c2(tensor.Conv2dOptions{Stride: []int{2}, Padding: []int{1}}), r(1, 2, 5, 4), r(3, 2, 3, 3), r(3))
	gradcheck(t, "conv2d_same_even", c2(tensor.Conv2dOptions{PaddingMode: "same"}), r(1, 2, 4, 4), r(2, 2, 2, 3), r(2))
	gradcheck(t, "conv2d_dilation2", c2(tensor.Conv2dOptions{Dilation: []int{2}, Padding: []int{1, 2}}), r(1, 2, 5, 5), r(2, 2, 3, 3))
	gradcheck(t, "conv2d_groups2", c2(tensor.Conv2dOptions{Groups: 2, Padding: []int{1}}), r(1, 4, 3, 3), r(2, 2, 3, 3), r(2))
	gradcheck(t, "conv2d_depthwise", c2(tensor.Conv2dOptions{Groups: 3, Padding: []int{1}}), r(2, 3, 4, 4), r(3, 1, 3, 3), r(3))
	gradcheck(t, "conv2d_depthwise_mult2_stride2", c2(tensor.Conv2dOptions{Groups: 2, Padding: []int{1}, Stride: []int{2}}), r(1, 2, 5, 5), r(4, 1, 3, 3))
	gradcheck(t, "conv2d_depthwise_2x2_same", c2(tensor.Conv2dOptions{Groups: 2, PaddingMode: "same"}), r(1, 2, 4, 4), r(2, 1, 2, 2), r(2))
	gradcheck(t, "conv2d_1x1", c2(tensor.Conv2dOptions{}), r(2, 3, 3, 3), r(2, 3, 1, 1), r(2))
	gradcheck(t, "conv2d_unbatched", c2(tensor.Conv2dOptions{Padding: []int{1}}), r(2, 3, 3), r(2, 2, 2, 2), r(2))

	c1 := func(o tensor.Conv1dOptions) func(in ...*tensor.Tensor) *tensor.Tensor {
		return func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Conv1d(in[0], in[1], in[2], o) }
	}
	gradcheck(t, "conv1d", c1(tensor.Conv1dOptions{Stride: 2, Padding: 1}), r(2, 2, 6), r(3, 2, 3), r(3))
	gradcheck(t, "conv1d_groups_dil", c1(tensor.Conv1dOptions{Groups: 2, Dilation: 2, PaddingMode: "same"}), r(1, 4, 6), r(2, 2, 2), r(2))

	ct := func(o tensor.ConvTranspose2dOptions) func(in ...*tensor.Tensor) *tensor.Tensor {
		return func(in ...*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if len(in) > 2 {
				b = in[2]
			}
			return tensor.ConvTranspose2d(in[0], in[1], b, o)
		}
	}
	gradcheck(t, "conv_transpose2d", ct(tensor.ConvTranspose2dOptions{}), r(1, 2, 3, 3), r(2, 3, 2, 2), r(3))
	gradcheck(t, "conv_transpose2d_stride2_outpad_groups", ct(tensor.ConvTranspose2dOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}, Groups: 2}),
		r(1, 4, 2, 2), r(4, 1, 3, 3), r(2))
	gradcheck(t, "conv_transpose2d_dilation", ct(tensor.ConvTranspose2dOptions{Dilation: []int{2}, Stride: []int{1, 2}}), r(2, 2, 2, 2), r(2, 1, 2, 2))
	gradcheck(t, "conv_transpose1d", func(in ...*tensor.Tensor) *tensor.Tensor {
		return tensor.ConvTranspose1d(in[0], in[1], in[2], tensor.ConvTranspose1dOptions{Stride: 2, OutputPadding: 1})
	}, r(2, 2, 3), r(2, 2, 3), r(2))

	// Second order: through the input-gradient (transposed convolution) and
	// weight-gradient ops, with respect to x, w and the upstream gradient.
	for name, o := range map[string]tensor.Conv2dOptions{
		"plain":     {Padding: []int{1}, Stride: []int{2}},
		"depthwise": {Groups: 2, Padding: []int{1}},
	} {
		w := r(2, 1, 2, 2)
		if o.Groups == 0 {
			w = r(2, 2, 2, 2)
		}
		y := tensor.Conv2d(r(1, 2, 3, 3), w, nil, o)
		gradcheck(t, "conv2d_double_backward_"+name, func(in ...*tensor.Tensor) *tensor.Tensor {
			return convSecondOrder(in, func(x []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(x[0], x[1], nil, o) })
		}, r(1, 2, 3, 3), w, r(y.Shape()...))
	}
}

// TestConvFloat32Grad checks that float32 convolutions back-propagate
// float32 gradients that agree with the float64 ones.
func TestConvFloat32Grad(t *testing.T) {
	x, w, b := tensor.Randn(2, 3, 5, 5), tensor.Randn(4, 3, 3, 3), tensor.Randn(4)
	o := tensor.Conv2dOptions{Stride: []int{2}, Padding: []int{1}}
	grads := func(dt tensor.DType) []*tensor.Tensor {
		in := []*tensor.Tensor{x.Detach().To(dt).SetRequiresGrad(true), w.Detach().To(dt).SetRequiresGrad(true), b.Detach().To(dt).SetRequiresGrad(true)}
		tensor.Conv2d(in[0], in[1], in[2], o).Sum().Backward()
		return []*tensor.Tensor{in[0].Grad(), in[1].Grad(), in[2].Grad()}
	}
	g32, g64 := grads(tensor.Float32), grads(tensor.Float64)
	for i := range g32 {
		if g32[i].DType() != tensor.Float32 {
			t.Fatalf("gradient %d has dtype %v", i, g32[i].DType())
		}
		a, e := g32[i].ToFloat64s(), g64[i].ToFloat64s()
		for j := range a {
			if math.Abs(a[j]-e[j]) > 1e-4*(1+math.Abs(e[j])) {
				t.Fatalf("gradient %d element %d: float32 %v, float64 %v", i, j, a[j], e[j])
			}
		}
	}
}

func TestLinalgPanics(t *testing.T) {
	z := tensor.Zeros
	mustPanic(t, "matmul: shapes [2 3] and [4 5] cannot be multiplied", func() { tensor.MatMul(z(2, 3), z(4, 5)) })
	mustPanic(t, "matmul: shapes [3] and [4] cannot be multiplied", func() { z(3).MatMul(z(4)) })
	mustPanic(t, "matmul: shapes [2 2 3] and [4] cannot be multiplied", func() { z(2, 2, 3).MatMul(z(4)) })
	mustPanic(t, "matmul: batch dimensions of shapes [2 2 3] and [3 3 4] cannot be broadcast", func() { z(2, 2, 3).MatMul(z(3, 3, 4)) })
	mustPanic(t, "matmul: both arguments need at least 1 dimension", func() { tensor.Scalar(1).MatMul(z(3)) })
	mustPanic(t, "matmul: expected operands of the same dtype, got float32 and float64", func() { z(2, 2).MatMul(z(2, 2).Double()) })
	mustPanic(t, "matmul: not supported for dtype bool", func() { z(2, 2).To(tensor.Bool).MatMul(z(2, 2).To(tensor.Bool)) })
	mustPanic(t, "mm: expected two 2-D tensors, got shapes [2 3 4] and [4 2]", func() { z(2, 3, 4).Mm(z(4, 2)) })
	mustPanic(t, "mm: shapes [2 3] and [2 3] cannot be multiplied", func() { z(2, 3).Mm(z(2, 3)) })
	mustPanic(t, "bmm: batch sizes of shapes [2 3 4] and [3 4 2] differ", func() { z(2, 3, 4).Bmm(z(3, 4, 2)) })
	mustPanic(t, "dot: shapes [3] and [4] have different lengths", func() { z(3).Dot(z(4)) })
	mustPanic(t, "dot: expected two 1-D tensors", func() { z(3, 1).Dot(z(3)) })
	mustPanic(t, "linear: input shape [2 3] and weight shape [4 5] cannot be multiplied", func() { tensor.Linear(z(2, 3), z(4, 5), nil) })
	mustPanic(t, "linear: bias of shape [3] does not match weight shape [4 5]", func() { tensor.Linear(z(2, 5), z(4, 5), z(3)) })
}

func TestConvPanics(t *testing.T) {
	z := tensor.Zeros
	mustPanic(t, "conv2d: given groups=1, weight of shape [4 3 3 3], expected input [1 2 5 5] to have 3 channels, but got 2 channels instead",
		func() { tensor.Conv2d(z(1, 2, 5, 5), z(4, 3, 3, 3), nil, tensor.Conv2dOptions{}) })
	mustPanic(t, "conv2d: input channels 3 are not divisible by groups=2",
		func() { tensor.Conv2d(z(1, 3, 5, 5), z(4, 1, 3, 3), nil, tensor.Conv2dOptions{Groups: 2}) })
	mustPanic(t, "conv2d: output channels 3 (weight of shape [3 2 3 3]) are not divisible by groups=2",
		func() { tensor.Conv2d(z(1, 4, 5, 5), z(3, 2, 3, 3), nil, tensor.Conv2dOptions{Groups: 2}) })
	mustPanic(t, "conv2d: kernel size [3 3] (dilation [1 1]) can't be greater than the padded input size [2 2]",
		func() { tensor.Conv2d(z(1, 1, 2, 2), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{}) })
	mustPanic(t, "conv2d: padding='same' is not supported for strided convolutions",
		func() {
			tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{PaddingMode: "same", Stride: []int{2}})
		})
	mustPanic(t, `conv2d: unknown PaddingMode "full"`,
		func() { tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{PaddingMode: "full"}) })
	mustPanic(t, "conv2d: Stride must be positive, got [0]",
		func() { tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{Stride: []int{0}}) })
	mustPanic(t, "conv2d: Padding must hold 1 or 2 values, got [1 1 1]",
		func() {
			tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{Padding: []int{1, 1, 1}})
		})
	mustPanic(t, "conv2d: bias of shape [2] does not match 1 output channels",
		func() { tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), z(2), tensor.Conv2dOptions{}) })
	mustPanic(t, "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape [4 4]",
		func() { tensor.Conv2d(z(4, 4), z(1, 1, 3, 3), nil, tensor.Conv2dOptions{}) })
	mustPanic(t, "conv2d: not supported for dtype int64",
		func() { tensor.Conv2d(z(1, 1, 4, 4).Long(), z(1, 1, 3, 3).Long(), nil, tensor.Conv2dOptions{}) })
	mustPanic(t, "conv2d: expected input, weight and bias of the same dtype, got float32, float64 and none",
		func() { tensor.Conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3).Double(), nil, tensor.Conv2dOptions{}) })
	mustPanic(t, "conv1d: expected a 3-D weight, got shape [1 1 3 3]",
		func() { tensor.Conv1d(z(1, 1, 4), z(1, 1, 3, 3), nil, tensor.Conv1dOptions{}) })
	mustPanic(t, "conv_transpose2d: output padding [2 2] must be smaller than either stride [2 2] or dilation [1 1]",
		func() {
			tensor.ConvTranspose2d(z(1, 2, 3, 3), z(2, 1, 3, 3), nil, tensor.ConvTranspose2dOptions{Stride: []int{2}, OutputPadding: []int{2}})
		})
	mustPanic(t, "conv_transpose2d: weight of shape [3 1 3 3] expects input [1 2 3 3] to have 3 channels, but got 2 channels instead",
		func() { tensor.ConvTranspose2d(z(1, 2, 3, 3), z(3, 1, 3, 3), nil, tensor.ConvTranspose2dOptions{}) })
	mustPanic(t, "conv_transpose2d: input channels 3 are not divisible by groups=2",
		func() {
			tensor.ConvTranspose2d(z(1, 3, 3, 3), z(3, 1, 3, 3), nil, tensor.ConvTranspose2dOptions{Groups: 2})
		})
}
