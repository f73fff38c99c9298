package tensor_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

func two(a, b *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{a, b} }

var reduceOps = map[string]goldenOp{
	"mean": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].MeanDims(a.Ints("dims"), a.Bool("keepdim")))
	},
	"prod": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].ProdDims(a.Ints("dims"), a.Bool("keepdim")))
	},
	"max_all": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return one(in[0].Max()) },
	"min_all": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return one(in[0].Min()) },
	"max_dim": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return two(in[0].MaxDim(a.Int("dim"), a.Bool("keepdim")))
	},
	"min_dim": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return two(in[0].MinDim(a.Int("dim"), a.Bool("keepdim")))
	},
	"amax": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].Amax(a.Ints("dims"), a.Bool("keepdim")))
	},
	"amin": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].Amin(a.Ints("dims"), a.Bool("keepdim")))
	},
	"argmax_all": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return one(in[0].Argmax()) },
	"argmin_all": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return one(in[0].Argmin()) },
	"argmax_dim": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].ArgmaxDim(a.Int("dim"), a.Bool("keepdim")))
	},
	"argmin_dim": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].ArgminDim(a.Int("dim"), a.Bool("keepdim")))
	},
	"var": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		if !a.has("correction") {
			return one(in[0].Var())
		}
		return one(in[0].VarDims(a.Ints("dims"), a.Int("correction"), a.Bool("keepdim")))
	},
	"std": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		if !a.has("correction") {
			return one(in[0].Std())
		}
		return one(in[0].StdDims(a.Ints("dims"), a.Int("correction"), a.Bool("keepdim")))
	},
	"logsumexp": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].LogSumExp(a.Ints("dims"), a.Bool("keepdim")))
	},
	"norm": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].Norm(a.Float("p"), a.Ints("dims"), a.Bool("keepdim")))
	},
	"fro": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].FrobeniusNorm(a.Ints("dims"), a.Bool("keepdim")))
	},
	"softmax": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].Softmax(a.Int("dim")))
	},
	"log_softmax": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return one(in[0].LogSoftmax(a.Int("dim")))
	},
}

func init() {
	// "grad": the gradient of op a["of"] at in[0] for the output gradient
	// in[1], by Backward, as torch's x.grad after y.backward(gout).
	reduceOps["grad"] = func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		x := in[0].Detach().SetRequiresGrad(true)
		y := reduceOps[a.String("of")]([]*tensor.Tensor{x}, a)[0]
		if !y.RequiresGrad() {
			panic("grad: output of " + a.String("of") + " does not require grad")
		}
		y.BackwardWith(tensor.BackwardOptions{Grad: in[1].Contiguous()})
		if x.Grad() == nil {
			return one(tensor.ZerosLike(x))
		}
		return one(x.Grad())
	}
}

func TestReduceGolden(t *testing.T) {
	runGolden(t, "reduce.json", reduceOps, tol{rtol: 1e-5, atol: 1e-6})
}

// TestReduceGoldenCoversEveryOp makes sure every registered op, and the
// gradient of every differentiable one, has golden cases.
func TestReduceGoldenCoversEveryOp(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadGolden(t, "reduce.json") {
		seen[c.Op] = true
		if c.Op == "grad" {
			seen["grad:"+c.Attrs.String("of")] = true
		}
	}
	for op := range reduceOps {
		if !seen[op] {
			t.Errorf("no golden case for %q", op)
		}
	}
	for _, op := range []string{"mean", "prod", "max_all", "min_all", "max_dim", "min_dim", "amax", "amin",
		"var", "std", "logsumexp", "norm", "softmax", "log_softmax"} {
		if !seen["grad:"+op] {
			t.Errorf("no golden gradient case for %q", op)
		}
	}
}

func TestReduceGradients(t *testing.T) {
	tensor.ManualSeed(7)
	x := tensor.Randn(2, 3, 4)
	for _, dk := range []struct {
		dims []int
		keep bool
	}{{nil, false}, {[]int{1}, false}, {[]int{0, 2}, true}, {[]int{-1}, true}} {
		d, k := dk.dims, dk.keep
		name := func(op string) string { return op + "/" + sprintDims(d, k) }
		gradcheck(t, name("mean"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MeanDims(d, k) }, x)
		gradcheck(t, name("prod"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ProdDims(d, k) }, x)
		gradcheck(t, name("amax"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Amax(d, k) }, x)
		gradcheck(t, name("amin"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Amin(d, k) }, x)
		for _, c := range []int{0, 1, 2} {
			gradcheck(t, name("var"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].VarDims(d, c, k) }, x)
			gradcheck(t, name("std"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].StdDims(d, c, k) }, x)
		}
		gradcheck(t, name("logsumexp"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].LogSumExp(d, k) }, x)
		for _, p := range []float64{2, 1, 3, 1.5, 0.5, -1, math.Inf(1), math.Inf(-1)} {
			gradcheck(t, name("norm"), func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Norm(p, d, k) }, x)
		}
	}
	gradcheck(t, "max", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Max() }, x)
	gradcheck(t, "min", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Min() }, x)
	for _, dim := range []int{0, 1, -1} {
		for _, k := range []bool{false, true} {
			gradcheck(t, "max_dim", func(in ...*tensor.Tensor) *tensor.Tensor { v, _ := in[0].MaxDim(dim, k); return v }, x)
			gradcheck(t, "min_dim", func(in ...*tensor.Tensor) *tensor.Tensor { v, _ := in[0].MinDim(dim, k); return v }, x)
		}
		gradcheck(t, "softmax", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Softmax(dim) }, x)
		gradcheck(t, "log_softmax", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].LogSoftmax(dim) }, x)
	}
	gradcheck(t, "fro", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].FrobeniusNorm([]int{0, 1}, false) }, x)
	// Products with one zero per row: the gradient is the product of the
	// others, which finite differences see too.
	pz := tensor.FromSlice([]float64{1.5, 0, -2, 0.5, 3, 1, 0, 2, -1}, 3, 3)
	gradcheck(t, "prod_zero", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ProdDims([]int{1}, false) }, pz)
	gradcheck(t, "prod_zero_all", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Slice(0, 0, 1, 1).Prod() }, pz)
	// Composite: softmax feeding a reduction, and a 0-d input.
	gradcheck(t, "softmax_then_norm", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].Softmax(1).Norm(2, []int{1}, false)
	}, x)
	s := tensor.Scalar(0.7)
	gradcheck(t, "prod_0d", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Prod() }, s)
	gradcheck(t, "softmax_0d", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].LogSoftmax(0).AddScalar(1).Mul(in[0]) }, s)
}

// TestReduceDoubleBackward checks second derivatives that flow through the
// recorded backward formulas (CreateGraph) against finite differences of
// the first derivative.
func TestReduceDoubleBackward(t *testing.T) {
	tensor.ManualSeed(3)
	x := tensor.Randn(2, 4)
	w := tensor.Randn(2, 4).Double()
	for name, f := range map[string]func(*tensor.Tensor) *tensor.Tensor{
		"softmax":     func(x *tensor.Tensor) *tensor.Tensor { return x.Softmax(1) },
		"log_softmax": func(x *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(0) },
		"logsumexp":   func(x *tensor.Tensor) *tensor.Tensor { return x.LogSumExp([]int{1}, false) },
		"var":         func(x *tensor.Tensor) *tensor.Tensor { return x.VarDims([]int{1}, 1, false) },
		"std":         func(x *tensor.Tensor) *tensor.Tensor { return x.Std() },
		"norm3":       func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(3, []int{1}, true) },
		"norm1.5":     func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(1.5, nil, false) },
		"norm2":       func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(2, []int{0}, false) },
		"prod":        func(x *tensor.Tensor) *tensor.Tensor { return x.ProdDims([]int{1}, false) },
		"mean":        func(x *tensor.Tensor) *tensor.Tensor { return x.MeanDims([]int{1}, false).Mul(x.Mean()) },
	} {
		// d/dx of sum(w * grad f(x)), with grad f from a CreateGraph backward.
		df := func(in ...*tensor.Tensor) *tensor.Tensor {
			// Gradcheck evaluates under NoGrad; the inner gradient needs
			// recording on.
			defer tensor.SetGradEnabled(true)()
			y := f(in[0])
			g := autograd.Grad([]*tensor.Tensor{y.Sum()}, []*tensor.Tensor{in[0]}, autograd.GradOptions{CreateGraph: true})[0]
			return g.Mul(w).Sum()
		}
		gradcheck(t, name+"/double", df, x)
	}
}

func sprintDims(d []int, k bool) string { return fmt.Sprintf("%v_keep=%v", d, k) }

func TestReduceMaxDimIndicesAndShapes(t *testing.T) {
	// Ties resolve to the first index; keepdim keeps a size-1 dim.
	x := tensor.FromSlice([]float32{1, 3, 3, 0, 2, 2, 1, 2}, 2, 4)
	v, i := x.MaxDim(1, true)
	if !slices.Equal(v.Shape(), []int{2, 1}) || !slices.Equal(i.ToInt64s(), []int64{1, 0}) || i.DType() != tensor.Int64 {
		t.Fatalf("MaxDim: values %v %v, indices %v %v", v.Shape(), v.ToFloat32s(), i.ToInt64s(), i.DType())
	}
	if i.RequiresGrad() {
		t.Error("indices require grad")
	}
	if got := x.T().Argmax().Item(); got != 2 { // flattened index of the transposed (4,2) view
		t.Errorf("Argmax of a transposed view = %v, want 2", got)
	}
	// Integer max keeps the dtype; integer prod and sum give int64.
	xi := tensor.FromSlice([]int32{4, -2, 7}, 3)
	if m := xi.Max(); m.DType() != tensor.Int32 || m.Item() != 7 {
		t.Errorf("int32 max = %v %v", m.DType(), m.Item())
	}
	if p := xi.Prod(); p.DType() != tensor.Int64 || p.Item() != -56 {
		t.Errorf("int32 prod = %v %v", p.DType(), p.Item())
	}
}

func TestReduceNoGradForIntegerOutputs(t *testing.T) {
	x := tensor.Randn(3, 4).SetRequiresGrad(true)
	if x.Argmax().RequiresGrad() || x.ArgminDim(1, false).RequiresGrad() {
		t.Error("argmax/argmin outputs require grad")
	}
	if !x.Softmax(1).RequiresGrad() || x.Softmax(1).GradFn() != "softmax" {
		t.Error("softmax output is not recorded")
	}
	// Norm with p=0 counts non-zeros: differentiable output, zero gradient.
	n := x.Norm(0, nil, false)
	n.Backward()
	if x.Grad() != nil {
		for _, g := range x.Grad().ToFloat64s() {
			if g != 0 {
				t.Fatalf("norm p=0 gradient %v, want 0", x.Grad().ToFloat64s())
			}
		}
	}
}

func TestReduceFloat16(t *testing.T) {
	x := tensor.FromSlice([]float32{1000, 1001, 999, -3}, 2, 2).To(tensor.Float16)
	s := x.Softmax(1)
	if s.DType() != tensor.Float16 {
		t.Fatalf("softmax of float16 is %v", s.DType())
	}
	got := s.ToFloat32s()
	want := []float32{0.26894142, 0.7310586, 1, 0}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-3 {
			t.Fatalf("float16 softmax %v, want %v", got, want)
		}
	}
	if m := x.Mean(); m.DType() != tensor.Float16 {
		t.Errorf("float16 mean is %v", m.DType())
	}
}

func TestReduceSoftmaxLargeRows(t *testing.T) {
	// A row long enough that exp without the max shift would overflow
	// float32 many times over; rows must still sum to one.
	n := 257
	vals := make([]float32, 2*n)
	for i := range vals {
		vals[i] = float32(i%97) * 50
	}
	x := tensor.FromSlice(vals, 2, n)
	for _, s := range []*tensor.Tensor{x.Softmax(1), x.T().Contiguous().Softmax(0).T()} {
		sum := s.SumDims([]int{1}, false).ToFloat64s()
		for _, v := range sum {
			if math.Abs(v-1) > 1e-5 {
				t.Fatalf("softmax rows sum to %v", sum)
			}
		}
	}
	ls := x.LogSoftmax(1).ToFloat32s()
	for _, v := range ls {
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			t.Fatalf("log_softmax gave %v for finite inputs", v)
		}
	}
}

func TestReducePanics(t *testing.T) {
	x := tensor.Zeros(2, 3)
	xi := tensor.ArangeInt(0, 6, 1).Reshape(2, 3)
	empty := tensor.Zeros(2, 0)
	mustPanic(t, "mean: dimension 2 out of range", func() { x.MeanDims([]int{2}, false) })
	mustPanic(t, "amax: dimension -3 out of range", func() { x.Amax([]int{-3}, false) })
	mustPanic(t, "max: dimension 5 out of range", func() { x.MaxDim(5, false) })
	mustPanic(t, "softmax: dimension 2 out of range", func() { x.Softmax(2) })
	mustPanic(t, "var: dim 1 appears multiple times", func() { x.VarDims([]int{1, -1}, 1, false) })
	mustPanic(t, "mean: input dtype must be floating point, got int64", func() { xi.Mean() })
	mustPanic(t, "var: input dtype must be floating point", func() { xi.VarDims([]int{0}, 1, false) })
	mustPanic(t, "std: input dtype must be floating point", func() { xi.Std() })
	mustPanic(t, "norm: input dtype must be floating point", func() { xi.Norm(2, nil, false) })
	mustPanic(t, "norm: p must not be NaN", func() { x.Norm(math.NaN(), nil, false) })
	mustPanic(t, "softmax: not implemented for dtype int64", func() { xi.Softmax(0) })
	mustPanic(t, "log_softmax: not implemented for dtype int64", func() { xi.LogSoftmax(0) })
	mustPanic(t, "max: cannot reduce an empty tensor (shape [2 0])", func() { empty.Max() })
	mustPanic(t, "min: cannot reduce an empty tensor", func() { empty.Min() })
	mustPanic(t, "max: expected reduction dim 1 to have non-zero size (input shape [2 0])", func() { empty.MaxDim(1, false) })
	mustPanic(t, "min: expected reduction dim 1 to have non-zero size", func() { empty.MinDim(-1, true) })
	mustPanic(t, "amax: expected reduction dim 1 to have non-zero size", func() { empty.Amax(nil, false) })
	mustPanic(t, "amin: expected reduction dim 1 to have non-zero size", func() { empty.Amin([]int{1}, false) })
	mustPanic(t, "argmax: cannot reduce an empty tensor", func() { empty.Argmax() })
	mustPanic(t, "argmin: expected reduction dim 1 to have non-zero size", func() { empty.ArgminDim(1, false) })
	mustPanic(t, "argmax: not supported for dtype bool", func() { tensor.Zeros(3).To(tensor.Bool).Argmax() })
	mustPanic(t, "argmin: not supported for dtype bool", func() { tensor.Zeros(3).To(tensor.Bool).ArgminDim(0, false) })
	mustPanic(t, "frobenius_norm: expected at most 2 dims, got [0 1 2]", func() { tensor.Zeros(2, 2, 2).FrobeniusNorm([]int{0, 1, 2}, false) })
	// Reducing the non-empty dim of an empty tensor is fine, as in PyTorch.
	if v, i := tensor.Zeros(0, 3).MaxDim(1, false); !slices.Equal(v.Shape(), []int{0}) || !slices.Equal(i.Shape(), []int{0}) {
		t.Errorf("MaxDim over the non-empty dim: shapes %v %v", v.Shape(), i.Shape())
	}
}

// TestReduceGradDTypes runs Backward on float32 and float16 inputs and
// compares the gradients with the float64 ones.
func TestReduceGradDTypes(t *testing.T) {
	tensor.ManualSeed(11)
	x := tensor.Randn(3, 4).Double()
	ops := map[string]func(x *tensor.Tensor) *tensor.Tensor{
		"mean":        func(x *tensor.Tensor) *tensor.Tensor { return x.MeanDims([]int{1}, false) },
		"prod":        func(x *tensor.Tensor) *tensor.Tensor { return x.ProdDims([]int{0}, true) },
		"max":         func(x *tensor.Tensor) *tensor.Tensor { return x.Max() },
		"min_dim":     func(x *tensor.Tensor) *tensor.Tensor { v, _ := x.MinDim(1, false); return v },
		"amax":        func(x *tensor.Tensor) *tensor.Tensor { return x.Amax([]int{0}, false) },
		"var":         func(x *tensor.Tensor) *tensor.Tensor { return x.VarDims([]int{1}, 1, false) },
		"std":         func(x *tensor.Tensor) *tensor.Tensor { return x.Std() },
		"logsumexp":   func(x *tensor.Tensor) *tensor.Tensor { return x.LogSumExp([]int{1}, true) },
		"norm2":       func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(2, []int{1}, false) },
		"norm3":       func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(3, nil, false) },
		"norm_inf":    func(x *tensor.Tensor) *tensor.Tensor { return x.Norm(math.Inf(1), []int{0}, false) },
		"softmax":     func(x *tensor.Tensor) *tensor.Tensor { return x.Softmax(0) },
		"log_softmax": func(x *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(1) },
	}
	grad := func(f func(*tensor.Tensor) *tensor.Tensor, x *tensor.Tensor) *tensor.Tensor {
		x = x.Detach().SetRequiresGrad(true)
		y := f(x)
		w := tensor.Arange(1, float64(y.Numel())+1, 1).Reshape(y.Shape()...).To(y.DType())
		y.Mul(w).Sum().Backward()
		if x.Grad().DType() != x.DType() {
			t.Fatalf("gradient dtype %v for input %v", x.Grad().DType(), x.DType())
		}
		return x.Grad()
	}
	for name, f := range ops {
		want := grad(f, x).ToFloat64s()
		for _, c := range []struct {
			dt  tensor.DType
			tol float64
		}{{tensor.Float32, 1e-4}, {tensor.Float16, 3e-2}} {
			got := grad(f, x.To(c.dt)).ToFloat64s()
			for i := range want {
				if math.Abs(got[i]-want[i]) > c.tol*(1+math.Abs(want[i])) {
					t.Errorf("%s %v: gradient %v, float64 gives %v", name, c.dt, got, want)
					break
				}
			}
		}
	}
}
