package tensor_test

import (
	"math"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// ovhGrads returns the gradients of sum(f(inputs)·w) for a fixed weight w,
// from an ordinary backward pass (the ops' fused kernels) or a CreateGraph
// one (their recorded composite formulas).
func ovhGrads(f func(in ...*tensor.Tensor) *tensor.Tensor, createGraph bool, inputs ...*tensor.Tensor) []*tensor.Tensor {
	ins := make([]*tensor.Tensor, len(inputs))
	for i, x := range inputs {
		ins[i] = x.Detach().Clone().SetRequiresGrad(true)
	}
	y := f(ins...)
	w := tensor.Arange(0, float64(y.Numel()), 1).To(y.DType()).Reshape(y.Shape()...).Sin()
	y.Mul(w).Sum().BackwardWith(tensor.BackwardOptions{CreateGraph: createGraph})
	out := make([]*tensor.Tensor, len(ins))
	for i, x := range ins {
		out[i] = x.Grad()
	}
	return out
}

// TestOvhFusedBackwardMatchesComposite checks that the fused backward
// kernels an ordinary pass uses agree with the composite formulas a
// CreateGraph pass records.
func TestOvhFusedBackwardMatchesComposite(t *testing.T) {
	g := tensor.NewGenerator(11)
	x := g.Randn(3, 4, 5)
	w, b := g.Randn(4), g.Randn(4)
	rm, rv := g.Randn(4), g.Rand(4).AddScalar(0.5)
	cases := map[string]struct {
		f  func(in ...*tensor.Tensor) *tensor.Tensor
		in []*tensor.Tensor
	}{
		"relu":     {func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ReLU() }, []*tensor.Tensor{x}},
		"hardtanh": {func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Hardtanh(-0.5, 0.75) }, []*tensor.Tensor{x}},
		"relu6":    {func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MulScalar(4).ReLU6() }, []*tensor.Tensor{x}},
		"silu":     {func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].SiLU() }, []*tensor.Tensor{x}},
		"tanh":     {func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Tanh() }, []*tensor.Tensor{x}},
		"batch_norm_train": {func(in ...*tensor.Tensor) *tensor.Tensor {
			return tensor.BatchNorm(in[0], nil, nil, in[1], in[2], true, 0.1, 1e-5)
		}, []*tensor.Tensor{x, w, b}},
		"batch_norm_eval": {func(in ...*tensor.Tensor) *tensor.Tensor {
			return tensor.BatchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5)
		}, []*tensor.Tensor{x, w, b}},
		"layer_norm": {func(in ...*tensor.Tensor) *tensor.Tensor {
			return tensor.LayerNorm(in[0], []int{5}, nil, nil, 1e-5)
		}, []*tensor.Tensor{x}},
	}
	for name, c := range cases {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			in := make([]*tensor.Tensor, len(c.in))
			for i, v := range c.in {
				in[i] = v.To(dt)
			}
			fused := ovhGrads(c.f, false, in...)
			composite := ovhGrads(c.f, true, in...)
			for i := range fused {
				if fused[i] == nil || composite[i] == nil {
					t.Fatalf("%s %v: input %d: gradient missing (fused %v, composite %v)", name, dt, i, fused[i], composite[i])
				}
				if fused[i].RequiresGrad() {
					t.Errorf("%s %v: input %d: ordinary backward left a recorded gradient", name, dt, i)
				}
				if i == 0 && !composite[i].RequiresGrad() && name != "relu" && name != "hardtanh" && name != "relu6" {
					t.Errorf("%s %v: input %d: CreateGraph gradient not recorded", name, dt, i)
				}
				d := fused[i].Sub(composite[i].Detach()).Abs().Max().Item()
				if math.IsNaN(d) || d > 1e-4 {
					t.Errorf("%s %v: input %d: fused and composite gradients differ by %g", name, dt, i, d)
				}
			}
		}
	}
}

// TestOvhGradResultUnmarked checks that a gradient autograd.Grad returns
// for an intermediate tensor, used as the output gradient of a later
// CreateGraph pass, still gets a recorded (differentiable) backward.
func TestOvhGradResultUnmarked(t *testing.T) {
	x := tensor.FromSlice([]float64{-1, 0.5, 2}, 3).SetRequiresGrad(true)
	h := x.MulScalar(2)
	y := h.SiLU()
	gh := autograd.Grad([]*tensor.Tensor{y.Sum()}, []*tensor.Tensor{h}, autograd.GradOptions{})[0]
	if gh.RequiresGrad() {
		t.Fatalf("gradient of an ordinary pass requires grad")
	}
	z := x.SiLU()
	gx := autograd.Grad([]*tensor.Tensor{z}, []*tensor.Tensor{x}, autograd.GradOptions{GradOutputs: []*tensor.Tensor{gh}, CreateGraph: true})[0]
	if !gx.RequiresGrad() {
		t.Fatalf("CreateGraph gradient driven by an earlier pass's result is not recorded")
	}
	silu1 := func(v float64) float64 { s := 1 / (1 + math.Exp(-v)); return s * (1 + v*(1-s)) }
	for i, v := range []float64{-1, 0.5, 2} {
		want := silu1(2*v) * silu1(v)
		if got := gx.Select(0, i).Item(); math.Abs(got-want) > 1e-12 {
			t.Fatalf("gx[%d] = %v, want %v", i, got, want)
		}
	}
}
