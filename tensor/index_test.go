package tensor_test

import (
	"slices"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

func idxOne(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

var indexOps = map[string]goldenOp{
	"cat": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return idxOne(tensor.Cat(in, a.Int("dim"))) },
	"stack": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(tensor.Stack(in, a.Int("dim")))
	},
	"split": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return in[0].Split(a.Int("size"), a.Int("dim"))
	},
	"split_sizes": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return in[0].SplitSizes(a.Ints("sizes"), a.Int("dim"))
	},
	"chunk": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return in[0].Chunk(a.Int("n"), a.Int("dim"))
	},
	"unbind": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return in[0].Unbind(a.Int("dim")) },
	"pad": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(tensor.Pad(in[0], a.Ints("pads"), a.String("mode"), a.Float("value")))
	},
	"gather": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].Gather(a.Int("dim"), in[1]))
	},
	"scatter": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].Scatter(a.Int("dim"), in[1], in[2]))
	},
	"scatter_add": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].ScatterAdd(a.Int("dim"), in[1], in[2]))
	},
	"scatter_value": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].ScatterValue(a.Int("dim"), in[1], a.Float("value")))
	},
	"index_select": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].IndexSelect(a.Int("dim"), in[1]))
	},
	"index_add": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].IndexAdd(a.Int("dim"), in[1], in[2]))
	},
	"index_copy": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].IndexCopy(a.Int("dim"), in[1], in[2]))
	},
	"index_put": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return idxOne(in[0].IndexPut(in[2:], in[1], a.Bool("accumulate")))
	},
	"tril":          func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return idxOne(in[0].Tril(a.Int("k"))) },
	"triu":          func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return idxOne(in[0].Triu(a.Int("k"))) },
	"masked_select": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return idxOne(in[0].MaskedSelect(in[1])) },
}

func TestIndexGolden(t *testing.T) { runGolden(t, "index.json", indexOps, defaultTol) }

func idxWeightedCat(ts []*tensor.Tensor) *tensor.Tensor {
	// Weight each piece differently so a gradient routed to the wrong
	// piece shows up.
	var s *tensor.Tensor
	for i, x := range ts {
		y := x.MulScalar(float64(i+1)).Flatten(0, -1)
		if s == nil {
			s = y
		} else {
			s = tensor.Cat([]*tensor.Tensor{s, y}, 0)
		}
	}
	return s
}

func TestIndexGradients(t *testing.T) {
	tensor.ManualSeed(7)
	a, b, c := tensor.Randn(2, 3), tensor.Randn(2, 1), tensor.Randn(2, 4)
	gradcheck(t, "cat", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, -1) }, a, b, c)
	gradcheck(t, "cat_dim0", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, 0) }, a, tensor.Randn(3, 3))
	gradcheck(t, "cat_with_int", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, 0) },
		a, tensor.ArangeInt(0, 6, 1).Reshape(2, 3))
	gradcheck(t, "stack", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Stack(in, 1) }, a, tensor.Randn(2, 3))
	x := tensor.Randn(5, 3)
	gradcheck(t, "split", func(in ...*tensor.Tensor) *tensor.Tensor { return idxWeightedCat(in[0].Split(2, 0)) }, x)
	gradcheck(t, "split_sizes", func(in ...*tensor.Tensor) *tensor.Tensor { return idxWeightedCat(in[0].SplitSizes([]int{2, 0, 1}, -1)) }, x)
	gradcheck(t, "chunk", func(in ...*tensor.Tensor) *tensor.Tensor { return idxWeightedCat(in[0].Chunk(3, 0)) }, x)
	gradcheck(t, "chunk_partial", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Chunk(2, 1)[1] }, x)
	gradcheck(t, "unbind", func(in ...*tensor.Tensor) *tensor.Tensor { return idxWeightedCat(in[0].Unbind(1)) }, x)

	p := tensor.Randn(1, 2, 3, 4)
	for _, mode := range []string{"constant", "reflect", "replicate", "circular"} {
		gradcheck(t, "pad_1d_"+mode, func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Pad(in[0], []int{3, 2}, mode, 0.5) }, p)
		gradcheck(t, "pad_2d_"+mode, func(in ...*tensor.Tensor) *tensor.Tensor {
			return tensor.Pad(in[0], []int{1, 2, 2, 1}, mode, 0)
		}, p)
		gradcheck(t, "pad_3d_"+mode, func(in ...*tensor.Tensor) *tensor.Tensor {
			return tensor.Pad(in[0], []int{1, 1, 0, 2, 1, 0}, mode, 0)
		}, p)
		gradcheck(t, "pad_neg_"+mode, func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Pad(in[0], []int{-1, 2}, mode, 0) }, p)
	}

	g3 := tensor.Randn(2, 3, 4)
	for d, idx := range []*tensor.Tensor{
		tensor.FromSlice([]int64{1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1}, 3, 1, 4),
		tensor.FromSlice([]int64{2, 2, 0, 1, 0, 1}, 2, 3, 1),
		tensor.FromSlice([]int32{3, 3, 0, 1, 2, 0}, 1, 2, 3),
	} {
		gradcheck(t, "gather", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Gather(d, idx) }, g3)
	}
	s3 := tensor.Randn(3, 4, 5)
	// Unique targets per column so finite differences are well defined.
	sidx := []*tensor.Tensor{
		tensor.FromSlice([]int64{2, 0, 1, 0, 1, 1, 2, 0, 2, 0}, 2, 1, 5),
		tensor.FromSlice([]int64{3, 0, 0, 2, 1, 3, 2, 1}, 2, 2, 2),
		tensor.FromSlice([]int64{4, 0, 2, 1, 3, 0}, 2, 1, 3),
	}
	for d, idx := range sidx {
		src := tensor.Randn(2, 3, 5)
		gradcheck(t, "scatter", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Scatter(d, idx, in[1]) }, s3, src)
		gradcheck(t, "scatter_add", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ScatterAdd(d, idx, in[1]) }, s3, src)
		gradcheck(t, "scatter_value", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ScatterValue(d, idx, 3) }, s3)
	}
	dup := tensor.FromSlice([]int64{0, 0, 2, 0}, 4)
	gradcheck(t, "scatter_add_dup", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ScatterAdd(0, dup, in[1]) },
		tensor.Randn(3), tensor.Randn(4))

	v := tensor.Randn(3, 4, 2)
	ix := tensor.FromSlice([]int64{3, 0, 3, 1})
	gradcheck(t, "index_select", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].IndexSelect(1, ix) }, v)
	gradcheck(t, "index_select_neg", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].IndexSelect(-1, tensor.FromSlice([]int64{1, 1, 0}))
	}, v)
	gradcheck(t, "index_add", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].IndexAdd(1, ix, in[1]) }, v, tensor.Randn(3, 4, 2))
	ux := tensor.FromSlice([]int32{2, 0})
	gradcheck(t, "index_copy", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].IndexCopy(0, ux, in[1]) }, v, tensor.Randn(2, 4, 2))
	m := tensor.Randn(4, 3)
	i0, i1 := tensor.FromSlice([]int64{0, -1, 2}), tensor.FromSlice([]int64{1, 2, 1})
	gradcheck(t, "index_put", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].IndexPut([]*tensor.Tensor{i0, i1}, in[1], false)
	}, m, tensor.Randn(3))
	gradcheck(t, "index_put_acc_bcast", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].IndexPut([]*tensor.Tensor{tensor.FromSlice([]int64{1, 1, 3})}, in[1], true)
	}, m, tensor.Randn(3))

	tr := tensor.Randn(2, 3, 5)
	for _, k := range []int{-1, 0, 2} {
		gradcheck(t, "tril", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Tril(k) }, tr)
		gradcheck(t, "triu", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Triu(k) }, tr)
	}
	mask := tensor.FromSlice([]bool{true, false, true, true, false, false, true, false, false, true, true, false}, 3, 4)
	gradcheck(t, "masked_select", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MaskedSelect(mask) }, tensor.Randn(3, 4))
	gradcheck(t, "masked_select_bcast", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MaskedSelect(mask) }, tensor.Randn(4))
}

// TestIndexSecondOrder differentiates through the backward of the ops whose
// backward is itself a recorded op (pad, gather/scatter, index_select,
// masked_select): the gradient of sum(w * grad_x(sum(f(x)^2))) must pass
// gradcheck with respect to x.
func TestIndexSecondOrder(t *testing.T) {
	tensor.ManualSeed(3)
	idx := tensor.FromSlice([]int64{2, 0, 2, 1}, 1, 4)
	mask := tensor.FromSlice([]bool{true, false, true, true})
	ops := map[string]func(x *tensor.Tensor) *tensor.Tensor{
		"pad_reflect":   func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pad(x, []int{2, 1}, "reflect", 0) },
		"pad_constant":  func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pad(x, []int{-1, 1}, "constant", 2) },
		"gather":        func(x *tensor.Tensor) *tensor.Tensor { return x.Gather(1, idx) },
		"index_select":  func(x *tensor.Tensor) *tensor.Tensor { return x.IndexSelect(1, idx.Reshape(-1)) },
		"masked_select": func(x *tensor.Tensor) *tensor.Tensor { return x.MaskedSelect(mask) },
		"scatter":       func(x *tensor.Tensor) *tensor.Tensor { return x.ScatterValue(1, idx.Slice(1, 1, 3, 1), 0) },
	}
	for name, f := range ops {
		w := tensor.Randn(2, 4).Double()
		gradcheck(t, name+"_2nd", func(in ...*tensor.Tensor) *tensor.Tensor {
			// Gradcheck evaluates f under NoGrad for finite differences;
			// the inner gradient needs recording either way.
			var out *tensor.Tensor
			autograd.EnableGrad(func() {
				y := f(in[0])
				gx := autograd.Grad([]*tensor.Tensor{y.Mul(y).Sum()}, []*tensor.Tensor{in[0]}, autograd.GradOptions{CreateGraph: true})[0]
				out = gx.Mul(w)
			})
			return out
		}, tensor.Randn(2, 4))
	}
}

func TestSplitViewsShareStorage(t *testing.T) {
	x := tensor.Arange(0, 12, 1).Reshape(3, 4)
	var parts []*tensor.Tensor
	parts = append(parts, x.Split(3, 1)...)
	parts = append(parts, x.SplitSizes([]int{1, 2}, 0)...)
	parts = append(parts, x.Chunk(2, 0)...)
	parts = append(parts, x.Unbind(1)...)
	for i, p := range parts {
		if !p.SharesStorage(x) {
			t.Errorf("piece %d of shape %v copied", i, p.Shape())
		}
	}
	x.Chunk(2, 1)[1].Fill_(-1)
	if x.At(2, 3) != -1 || x.At(2, 1) != 9 {
		t.Errorf("write through a chunk: %v", x.ToFloat32s())
	}
	if n := len(tensor.Arange(0, 6, 1).Chunk(4, 0)); n != 3 {
		t.Errorf("6 elements in 4 chunks gave %d chunks, want 3", n)
	}
}

func TestIndexOutOfPlace(t *testing.T) {
	x := tensor.Zeros(2, 3)
	idx := tensor.FromSlice([]int64{1, 0, 2}, 1, 3)
	_ = x.Scatter(1, idx, tensor.Ones(1, 3))
	_ = x.ScatterAdd(1, idx, tensor.Ones(1, 3))
	_ = x.IndexAdd(1, tensor.FromSlice([]int64{0}), tensor.Ones(2, 1))
	_ = x.IndexPut([]*tensor.Tensor{tensor.FromSlice([]int64{1})}, tensor.Ones(3), true)
	if !slices.Equal(x.ToFloat32s(), make([]float32, 6)) {
		t.Errorf("an out-of-place op changed its input: %v", x.ToFloat32s())
	}
}

func TestIndexGradValues(t *testing.T) {
	// Hand-checked gradients of ops with repeated indices, where PyTorch's
	// rules (accumulate for gather, gather for scatter's src) matter.
	x := tensor.FromSlice([]float64{1, 2, 3}).SetRequiresGrad(true)
	y := x.Gather(0, tensor.FromSlice([]int64{2, 2, 0, 2}))
	y.Sum().Backward()
	if got := x.Grad().ToFloat64s(); !slices.Equal(got, []float64{1, 0, 3}) {
		t.Errorf("gather grad %v, want [1 0 3]", got)
	}
	s := tensor.FromSlice([]float64{5, 6}).SetRequiresGrad(true)
	z := tensor.FromSlice([]float64{0, 0, 0}).SetRequiresGrad(true)
	out := z.Scatter(0, tensor.FromSlice([]int64{1, 1}), s)
	if got := out.ToFloat64s(); !slices.Equal(got, []float64{0, 6, 0}) {
		t.Errorf("scatter with repeated index %v, want last write [0 6 0]", got)
	}
	out.MulScalar(2).Sum().Backward()
	if got := s.Grad().ToFloat64s(); !slices.Equal(got, []float64{2, 2}) {
		t.Errorf("scatter src grad %v, want [2 2]", got)
	}
	if got := z.Grad().ToFloat64s(); !slices.Equal(got, []float64{2, 0, 2}) {
		t.Errorf("scatter self grad %v, want [2 0 2]", got)
	}
	r := tensor.FromSlice([]float64{1, 2, 3, 4}).Reshape(1, 1, 4).SetRequiresGrad(true)
	tensor.Pad(r, []int{2, 2}, "reflect", 0).Sum().Backward()
	// output: 3 2 | 1 2 3 4 | 3 2 -> counts 1,3,3,1
	if got := r.Grad().ToFloat64s(); !slices.Equal(got, []float64{1, 3, 3, 1}) {
		t.Errorf("reflect pad grad %v, want [1 3 3 1]", got)
	}
}

func TestIndexPanics(t *testing.T) {
	z23 := tensor.Zeros(2, 3)
	mustPanic(t, "cat: sizes of tensors must match except in dimension 0", func() { tensor.Cat([]*tensor.Tensor{z23, tensor.Zeros(2, 4)}, 0) })
	mustPanic(t, "cat: tensors must have the same number of dimensions", func() { tensor.Cat([]*tensor.Tensor{z23, tensor.Zeros(3)}, 0) })
	mustPanic(t, "cat: zero-dimensional tensor (at position 1)", func() { tensor.Cat([]*tensor.Tensor{tensor.Zeros(1), tensor.Scalar(1)}, 0) })
	mustPanic(t, "cat: dimension 2 out of range", func() { tensor.Cat([]*tensor.Tensor{z23, z23}, 2) })
	mustPanic(t, "cat: expected a non-empty list", func() { tensor.Cat(nil, 0) })
	mustPanic(t, "stack: expects each tensor to be equal size, but got [2 3] at entry 0 and [3 2] at entry 1", func() {
		tensor.Stack([]*tensor.Tensor{z23, tensor.Zeros(3, 2)}, 0)
	})
	mustPanic(t, "split: split size must be positive, got 0", func() { z23.Split(0, 1) })
	mustPanic(t, "split_with_sizes: split sizes [1 1] sum to 2, not 3", func() { z23.SplitSizes([]int{1, 1}, 1) })
	mustPanic(t, "chunk: number of chunks must be positive", func() { z23.Chunk(0, 1) })

	x := tensor.Zeros(1, 2, 3)
	mustPanic(t, "pad: reflect padding (3, 0) must be less than the size 3 of dimension 2", func() { tensor.Pad(x, []int{3, 0}, "reflect", 0) })
	mustPanic(t, "pad: reflect padding (0, 2) must be less than the size 2 of dimension 1", func() { tensor.Pad(x, []int{0, 0, 0, 2}, "reflect", 0) })
	mustPanic(t, "pad: circular padding (4, 1) wraps around more than once", func() { tensor.Pad(x, []int{4, 1}, "circular", 0) })
	mustPanic(t, "pad: circular padding (-2, 2) wraps around more than once", func() { tensor.Pad(x, []int{-2, 2}, "circular", 0) })
	mustPanic(t, "pad: replicate padding of dimension 2 of size 0", func() { tensor.Pad(tensor.Zeros(1, 2, 0), []int{1, 1}, "replicate", 0) })
	mustPanic(t, "pad: padding length must be divisible by 2", func() { tensor.Pad(x, []int{1}, "constant", 0) })
	mustPanic(t, "pad: padding [1 1 1 1 1 1 1 1] covers 4 dimensions", func() { tensor.Pad(x, []int{1, 1, 1, 1, 1, 1, 1, 1}, "constant", 0) })
	mustPanic(t, "pad: input size 3 with padding (-2, -2) gives a negative output size", func() { tensor.Pad(x, []int{-2, -2}, "constant", 0) })
	mustPanic(t, `pad: unknown mode "edge"`, func() { tensor.Pad(x, []int{1, 1}, "edge", 0) })

	g := tensor.Zeros(2, 3)
	mustPanic(t, "gather: index 3 is out of bounds for dimension 1 with size 3", func() {
		g.Gather(1, tensor.FromSlice([]int64{0, 3}, 1, 2))
	})
	mustPanic(t, "gather: index -1 is out of bounds for dimension 0 with size 2", func() {
		g.Gather(-2, tensor.FromSlice([]int32{-1}, 1, 1))
	})
	mustPanic(t, "gather: index must be an int64 or int32 tensor, got float32", func() { g.Gather(0, tensor.Zeros(1, 1)) })
	mustPanic(t, "gather: index of shape [2] must have as many dimensions as the input of shape [2 3]", func() {
		g.Gather(0, tensor.FromSlice([]int64{0, 1}))
	})
	mustPanic(t, "gather: index of shape [1 4] is larger than the input of shape [2 3] in dimension 1", func() {
		g.Gather(0, tensor.FromSlice([]int64{0, 0, 0, 0}, 1, 4))
	})
	mustPanic(t, "scatter: index 2 is out of bounds for dimension 0 with size 2", func() {
		g.Scatter(0, tensor.FromSlice([]int64{0, 2}, 1, 2), tensor.Ones(1, 2))
	})
	mustPanic(t, "scatter_add: index 5 is out of bounds for dimension 1 with size 3", func() {
		g.ScatterAdd(1, tensor.FromSlice([]int64{5}, 1, 1), tensor.Ones(1, 1))
	})
	mustPanic(t, "scatter: index -3 is out of bounds for dimension 1 with size 3", func() {
		g.ScatterValue(1, tensor.FromSlice([]int64{-3}, 1, 1), 1)
	})
	mustPanic(t, "scatter: expected self and src to have the same dtype, got float32 and float64", func() {
		g.Scatter(1, tensor.FromSlice([]int64{0}, 1, 1), tensor.Ones(1, 1).Double())
	})
	mustPanic(t, "scatter_add: index of shape [1 2] is larger than src of shape [1 1] in dimension 1", func() {
		g.ScatterAdd(1, tensor.FromSlice([]int64{0, 1}, 1, 2), tensor.Ones(1, 1))
	})
	mustPanic(t, "index_select: index 3 is out of bounds for dimension 1 with size 3", func() {
		g.IndexSelect(-1, tensor.FromSlice([]int64{0, 3}))
	})
	mustPanic(t, "index_select: index -1 is out of bounds for dimension 0 with size 2", func() {
		g.IndexSelect(0, tensor.FromSlice([]int64{-1}))
	})
	mustPanic(t, "index_select: index must be 0-D or 1-D", func() { g.IndexSelect(0, tensor.FromSlice([]int64{0}, 1, 1)) })
	mustPanic(t, "index_add: index 2 is out of bounds for dimension 0 with size 2", func() {
		g.IndexAdd(0, tensor.FromSlice([]int64{2}), tensor.Ones(1, 3))
	})
	mustPanic(t, "index_add: source of shape [1 2] does not match", func() {
		g.IndexAdd(0, tensor.FromSlice([]int64{1}), tensor.Ones(1, 2))
	})
	mustPanic(t, "index_put: index 4 is out of bounds for dimension 1 with size 3", func() {
		g.IndexPut([]*tensor.Tensor{tensor.FromSlice([]int64{0}), tensor.FromSlice([]int64{4})}, tensor.Ones(1), false)
	})
	mustPanic(t, "index_put: values of shape [4] cannot be broadcast to the indexed shape [1 3]", func() {
		g.IndexPut([]*tensor.Tensor{tensor.FromSlice([]int64{0})}, tensor.Ones(4), false)
	})
	mustPanic(t, "tril: input must have at least 2 dimensions, got shape [3]", func() { tensor.Zeros(3).Tril(0) })
	mustPanic(t, "triu: input must have at least 2 dimensions", func() { tensor.Scalar(1).Triu(0) })
	mustPanic(t, "masked_select: mask must be a bool tensor, got float32", func() { g.MaskedSelect(tensor.Ones(2, 3)) })
	mustPanic(t, "masked_select: shapes [2 3] and [2] cannot be broadcast", func() {
		g.MaskedSelect(tensor.FromSlice([]bool{true, false}))
	})
}
