package functional_test

import (
	"fmt"
	"testing"

	"github.com/emberml/ember/autograd"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

func randn64(g *tensor.Generator, shape ...int) *tensor.Tensor {
	return g.Randn(shape...).Double().SetRequiresGrad(true)
}

// TestLossesGradcheck compares each loss's gradients, for every option
// combination and reduction, with finite differences in float64.
func TestLossesGradcheck(t *testing.T) {
	gen := tensor.NewGenerator(7)
	idx2 := tensor.FromSlice([]int64{0, 4, -100, 2, 1, 3}, 6)
	idx3 := tensor.FromSlice([]int64{0, 4, 3, 2, 1, 3}, 6)
	idx4 := tensor.FromSlice([]int64{0, 3, 2, -100, 1, 1, 2, 0, 3, 3, -100, 2}, 2, 3, 2)
	w5 := gen.Rand(5).AddScalar(0.2).Double()
	w4 := gen.Rand(4).AddScalar(0.2).Double()
	type tc struct {
		name   string
		f      func(in ...*tensor.Tensor) *tensor.Tensor
		inputs []*tensor.Tensor
	}
	var cases []tc
	for _, red := range []string{"mean", "sum", "none"} {
		for _, ls := range []float64{0, 0.2} {
			for _, w := range []bool{false, true} {
				o := F.CrossEntropyOptions{Reduction: red, LabelSmoothing: ls}
				o4 := o
				if w {
					o.Weight, o4.Weight = w5, w4
				}
				name := fmt.Sprintf("%s/ls%v/weight%v", red, ls, w)
				cases = append(cases,
					tc{"ce/idx/" + name, func(in ...*tensor.Tensor) *tensor.Tensor { return F.CrossEntropy(in[0], idx2, o) },
						[]*tensor.Tensor{randn64(gen, 6, 5)}},
					tc{"ce/idx4d/" + name, func(in ...*tensor.Tensor) *tensor.Tensor { return F.CrossEntropy(in[0], idx4, o4) },
						[]*tensor.Tensor{randn64(gen, 2, 4, 3, 2)}},
					tc{"ce/prob/" + name, func(in ...*tensor.Tensor) *tensor.Tensor { return F.CrossEntropy(in[0], in[1], o) },
						[]*tensor.Tensor{randn64(gen, 3, 5), gen.Rand(3, 5).Double().SetRequiresGrad(true)}},
				)
			}
		}
		nll := F.NLLOptions{Reduction: red, Weight: w5, IgnoreIndex: 3}
		rd := F.ReductionOptions{Reduction: red}
		cases = append(cases,
			tc{"nll/" + red, func(in ...*tensor.Tensor) *tensor.Tensor { return F.NLLLoss(in[0], idx3, nll) },
				[]*tensor.Tensor{randn64(gen, 6, 5)}},
			tc{"ce/unbatched/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.CrossEntropy(in[0], tensor.FromSlice([]int64{2}).Reshape(), F.CrossEntropyOptions{Reduction: red, Weight: w5, LabelSmoothing: 0.1})
			}, []*tensor.Tensor{randn64(gen, 5)}},
			tc{"mse/" + red, func(in ...*tensor.Tensor) *tensor.Tensor { return F.MSELoss(in[0], in[1], rd) },
				[]*tensor.Tensor{randn64(gen, 3, 4), randn64(gen, 4)}},
			tc{"l1/" + red, func(in ...*tensor.Tensor) *tensor.Tensor { return F.L1Loss(in[0], in[1], rd) },
				[]*tensor.Tensor{randn64(gen, 3, 4), randn64(gen, 3, 4)}},
			tc{"smooth_l1/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.SmoothL1Loss(in[0], in[1], F.SmoothL1Options{Reduction: red, Beta: 0.7})
			}, []*tensor.Tensor{randn64(gen, 3, 4), randn64(gen, 3, 4)}},
			tc{"huber/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.HuberLoss(in[0], in[1], F.HuberOptions{Reduction: red, Delta: 0.7})
			}, []*tensor.Tensor{randn64(gen, 3, 4), randn64(gen, 3, 4)}},
			tc{"bce/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.BCELoss(in[0], in[1], F.BCEOptions{Reduction: red, Weight: w4})
			}, []*tensor.Tensor{gen.Uniform(0.05, 0.95, 3, 4).Double().SetRequiresGrad(true), gen.Rand(3, 4).Double().SetRequiresGrad(true)}},
			tc{"bcel/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.BCEWithLogitsLoss(in[0], in[1], F.BCEWithLogitsOptions{Reduction: red, Weight: w4, PosWeight: w4.MulScalar(3)})
			}, []*tensor.Tensor{randn64(gen, 3, 4), gen.Rand(3, 4).Double().SetRequiresGrad(true)}},
			tc{"bcel/noweights/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.BCEWithLogitsLoss(in[0], in[1], F.BCEWithLogitsOptions{Reduction: red})
			}, []*tensor.Tensor{randn64(gen, 3, 4), gen.Rand(3, 4).Double().SetRequiresGrad(true)}},
		)
	}
	for _, red := range []string{"mean", "batchmean", "sum", "none"} {
		cases = append(cases,
			tc{"kl/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.KLDivLoss(in[0], in[1], F.KLDivOptions{Reduction: red})
			}, []*tensor.Tensor{randn64(gen, 3, 4), gen.Uniform(0.1, 1, 3, 4).Double().SetRequiresGrad(true)}},
			tc{"kl/log_target/" + red, func(in ...*tensor.Tensor) *tensor.Tensor {
				return F.KLDivLoss(in[0], in[1], F.KLDivOptions{Reduction: red, LogTarget: true})
			}, []*tensor.Tensor{randn64(gen, 3, 4), randn64(gen, 3, 4)}},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := autograd.Gradcheck(c.f, c.inputs, autograd.GradcheckOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestLossesDoubleBackward checks the second derivatives of the fused ops
// (whose backward switches to differentiable tensor ops when the graph is
// recorded): the gradient wrt the input, computed with CreateGraph and
// contracted with a fixed v, is itself gradchecked in the input and the
// output gradient.
func TestLossesDoubleBackward(t *testing.T) {
	gen := tensor.NewGenerator(11)
	idx := tensor.FromSlice([]int64{0, 4, -100, 2}, 4)
	idx4 := tensor.FromSlice([]int64{0, 3, 2, -100, 1, 1}, 2, 3)
	w := gen.Rand(5).AddScalar(0.2).Double()
	type tc struct {
		name  string
		loss  func(x, y *tensor.Tensor) *tensor.Tensor
		x, y  *tensor.Tensor
		gSize []int
	}
	prob := func() *tensor.Tensor { return gen.Uniform(0.05, 0.95, 4, 5).Double().SetRequiresGrad(true) }
	cases := []tc{
		{"ce/none", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return F.CrossEntropy(x, idx, F.CrossEntropyOptions{Reduction: "none", Weight: w, LabelSmoothing: 0.2})
		}, randn64(gen, 4, 5), nil, []int{4}},
		{"ce/mean", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return F.CrossEntropy(x, idx, F.CrossEntropyOptions{Weight: w, LabelSmoothing: 0.2})
		}, randn64(gen, 4, 5), nil, []int{}},
		{"ce/3d/sum", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return F.CrossEntropy(x, idx4, F.CrossEntropyOptions{Reduction: "sum"})
		}, randn64(gen, 2, 5, 3), nil, []int{}},
		{"nll/none", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return F.NLLLoss(x, idx, F.NLLOptions{Reduction: "none", Weight: w})
		}, randn64(gen, 4, 5), nil, []int{4}},
		{"bce/none", func(x, y *tensor.Tensor) *tensor.Tensor { return F.BCELoss(x, y, F.BCEOptions{Reduction: "none"}) },
			prob(), prob(), []int{4, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := gen.Randn(c.x.Shape()...).Double()
			g := gen.Randn(c.gSize...).Double().SetRequiresGrad(true)
			inputs := []*tensor.Tensor{c.x, g}
			if c.y != nil {
				inputs = append(inputs, c.y)
			}
			f := func(in ...*tensor.Tensor) *tensor.Tensor {
				var y *tensor.Tensor
				if len(in) > 2 {
					y = in[2]
				}
				out := c.loss(in[0], y)
				gx := autograd.Grad([]*tensor.Tensor{out}, []*tensor.Tensor{in[0]},
					autograd.GradOptions{GradOutputs: []*tensor.Tensor{in[1]}, CreateGraph: true})[0]
				return gx.Mul(v).Sum()
			}
			if err := autograd.Gradcheck(f, inputs, autograd.GradcheckOptions{}); err != nil {
				t.Error(err)
			}
			// The recorded backward must agree with the fast one.
			grads := func(create bool) *tensor.Tensor {
				return autograd.Grad([]*tensor.Tensor{c.loss(c.x, c.y)}, []*tensor.Tensor{c.x},
					autograd.GradOptions{GradOutputs: []*tensor.Tensor{g}, CreateGraph: create})[0]
			}
			if fast, graph := grads(false), grads(true); !tensor.AllClose(graph, fast, 1e-12, 1e-14) {
				t.Errorf("gradient with CreateGraph\n%v\ndiffers from the fast one\n%v", graph, fast)
			}
		})
	}
}
