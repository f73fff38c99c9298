package tensor_test

import (
	"slices"
	"testing"

	"github.com/emberml/ember/tensor"
)

var coreOps = map[string]goldenOp{
	"add": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].Add(in[1])} },
	"sub": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].Sub(in[1])} },
	"mul": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].Mul(in[1])} },
	"div": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].Div(in[1])} },
	"add_scalar": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].AddScalar(a.Float("s"))}
	},
	"mul_scalar": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].MulScalar(a.Float("s"))}
	},
	"rsub_scalar": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].RSubScalar(a.Float("s"))}
	},
	"rdiv_scalar": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].RDivScalar(a.Float("s"))}
	},
	"neg": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].Neg()} },
	"sum": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].SumDims(a.Ints("dims"), a.Bool("keepdim"))}
	},
	"reshape": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Reshape(a.Ints("shape")...)}
	},
	"permute": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Permute(a.Ints("dims")...)}
	},
	"transpose": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Transpose(a.Int("d0"), a.Int("d1"))}
	},
	"t": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return []*tensor.Tensor{in[0].T()} },
	"slice": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Slice(a.Int("dim"), a.Int("start"), a.Int("end"), a.Int("step"))}
	},
	"narrow": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Narrow(a.Int("dim"), a.Int("start"), a.Int("length"))}
	},
	"select": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Select(a.Int("dim"), a.Int("index"))}
	},
	"expand": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Expand(a.Ints("shape")...)}
	},
	"squeeze": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Squeeze(a.Ints("dims")...)}
	},
	"unsqueeze": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Unsqueeze(a.Int("dim"))}
	},
	"flatten": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return []*tensor.Tensor{in[0].Flatten(a.Int("start"), a.Int("end"))}
	},
}

func TestCoreGolden(t *testing.T) { runGolden(t, "core.json", coreOps, defaultTol) }

func TestCoreGradients(t *testing.T) {
	x, y := tensor.Randn(2, 3), tensor.Randn(3)
	gradcheck(t, "add", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Add(in[1]) }, x, y)
	gradcheck(t, "sub", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Sub(in[1]) }, x, y)
	gradcheck(t, "mul", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Mul(in[1]) }, x, y)
	gradcheck(t, "div", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Div(in[1]) }, x, tensor.Rand(3).AddScalar(0.5))
	gradcheck(t, "neg", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Neg() }, x)
	gradcheck(t, "scalar", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].AddScalar(2).MulScalar(3).RSubScalar(1).DivScalar(2)
	}, x)
	gradcheck(t, "sum", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].SumDims([]int{0}, false) }, x)
	gradcheck(t, "sum_keep", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].SumDims([]int{1}, true) }, x)
	z := tensor.Randn(2, 3, 4)
	gradcheck(t, "reshape", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Reshape(4, 6).MulScalar(2) }, z)
	gradcheck(t, "view", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Contiguous().View(-1) }, z)
	gradcheck(t, "permute", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Permute(2, 0, 1).Mul(in[0].Permute(2, 0, 1)) }, z)
	gradcheck(t, "slice", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Slice(2, 1, 4, 2) }, z)
	gradcheck(t, "select", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Select(1, 2) }, z)
	gradcheck(t, "expand", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Expand(2, 3, 3) }, tensor.Randn(3, 1))
	gradcheck(t, "squeeze", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Squeeze().Unsqueeze(0) }, tensor.Randn(1, 3, 1))
}

func TestBroadcastPanics(t *testing.T) {
	mustPanic(t, "add: shapes [2 3] and [4] cannot be broadcast", func() { tensor.Zeros(2, 3).Add(tensor.Zeros(4)) })
	mustPanic(t, "view: size [6] is not compatible", func() { tensor.Zeros(2, 3).T().View(6) })
	mustPanic(t, "select: index 5 out of range", func() { tensor.Zeros(2, 3).Select(1, 5) })
	mustPanic(t, "expand", func() { tensor.Zeros(2, 3).Expand(4, 3) })
	mustPanic(t, "reshape: shape [4 -1] is invalid for input of size 6", func() { tensor.Zeros(2, 3).Reshape(4, -1) })
}

func TestViewsShareStorage(t *testing.T) {
	x := tensor.Arange(0, 12, 1).Reshape(3, 4)
	for name, v := range map[string]*tensor.Tensor{
		"reshape": x.Reshape(4, 3), "t": x.T(), "slice": x.Slice(1, 1, 3, 1), "select": x.Select(0, 1),
		"expand": x.Unsqueeze(0).Expand(2, 3, 4), "squeeze": x.Unsqueeze(1).Squeeze(1), "flatten": x.Flatten(0, -1),
	} {
		if !v.SharesStorage(x) {
			t.Errorf("%s copied", name)
		}
	}
	if x.T().IsContiguous() {
		t.Error("transpose is contiguous")
	}
	if c := x.T().Contiguous(); c.SharesStorage(x) || !c.IsContiguous() {
		t.Error("Contiguous of a transpose did not copy")
	}
	if x.Contiguous() != x {
		t.Error("Contiguous copied a contiguous tensor")
	}
	x.Select(0, 1).Fill_(-1)
	if x.At(1, 2) != -1 || x.At(0, 2) != 2 {
		t.Errorf("write through a view: %v", x.ToFloat32s())
	}
}

func TestInPlaceAliasing(t *testing.T) {
	// A source that overlaps the destination is read before it is written.
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	x.Copy_(x.T())
	if got := x.ToFloat32s(); !slices.Equal(got, []float32{1, 3, 2, 4}) {
		t.Fatalf("x.Copy_(x.T()) = %v, want [1 3 2 4]", got)
	}
	// Writing into an expanded view would write one element several times.
	e := tensor.Zeros(3).Unsqueeze(0).Expand(2, 3)
	mustPanic(t, "add_: unsupported operation: more than one element", func() { e.Add_(tensor.Ones(2, 3)) })
	mustPanic(t, "fill_: unsupported operation", func() { e.Fill_(1) })
	// Empty views are contiguous, as in PyTorch.
	if z := tensor.Zeros(4, 3).Slice(0, 2, 2, 1).T(); !z.IsContiguous() {
		t.Fatal("empty view not contiguous")
	}
}
