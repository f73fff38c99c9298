package tensor_test

import (
	"testing"

	"github.com/emberml/ember/tensor"
)

// TestValidNilArguments checks that a nil tensor where one is required
// panics naming the op and the argument, and that optional ones (bias, norm
// weights) may stay nil.
func TestValidNilArguments(t *testing.T) {
	x := tensor.Rand(1, 2, 4, 4)
	w := tensor.Rand(3, 2, 3, 3)
	v := tensor.Rand(3)
	m := tensor.Rand(2, 3)
	idx := tensor.FromSlice([]int64{0, 1, 0}, 3)
	idx2 := tensor.FromSlice([]int64{0, 1, 0, 1, 0, 1}, 2, 3)
	mask := v.GtScalar(0.5)
	var nilT *tensor.Tensor
	cases := []struct {
		want string
		f    func()
	}{
		{"conv2d: weight is nil", func() { tensor.Conv2d(x, nil, nil, tensor.Conv2dOptions{}) }},
		{"conv2d: input is nil", func() { tensor.Conv2d(nil, w, nil, tensor.Conv2dOptions{}) }},
		{"conv1d: weight is nil", func() { tensor.Conv1d(m.Unsqueeze(0), nil, nil, tensor.Conv1dOptions{}) }},
		{"conv_transpose2d: weight is nil", func() { tensor.ConvTranspose2d(x, nil, nil, tensor.ConvTranspose2dOptions{}) }},
		{"conv_transpose1d: input is nil", func() { tensor.ConvTranspose1d(nil, w, nil, tensor.ConvTranspose1dOptions{}) }},
		{"linear: weight is nil", func() { tensor.Linear(m, nil, nil) }},
		{"linear: input is nil", func() { tensor.Linear(nil, m, nil) }},
		{"matmul: other is nil", func() { tensor.MatMul(m, nil) }},
		{"matmul: input is nil", func() { tensor.MatMul(nil, m) }},
		{"mm: other is nil", func() { m.Mm(nil) }},
		{"bmm: other is nil", func() { m.Unsqueeze(0).Bmm(nil) }},
		{"dot: other is nil", func() { v.Dot(nil) }},
		{"outer: other is nil", func() { v.Outer(nil) }},
		{"batch_norm: input is nil", func() { tensor.BatchNorm(nil, nil, nil, nil, nil, true, 0.1, 1e-5) }},
		{"layer_norm: input is nil", func() { tensor.LayerNorm(nil, []int{3}, nil, nil, 1e-5) }},
		{"group_norm: input is nil", func() { tensor.GroupNorm(nil, 1, nil, nil, 1e-5) }},
		{"embedding: weight is nil", func() { tensor.Embedding(idx, nil, -1) }},
		{"embedding: indices is nil", func() { tensor.Embedding(nil, m, -1) }},
		{"where: condition is nil", func() { tensor.Where(nil, v, v) }},
		{"where: input is nil", func() { tensor.Where(mask, nil, v) }},
		{"where: other is nil", func() { tensor.Where(mask, v, nil) }},
		{"cat: tensors[1] is nil", func() { tensor.Cat([]*tensor.Tensor{v, nil}, 0) }},
		{"stack: tensors[0] is nil", func() { tensor.Stack([]*tensor.Tensor{nil, v}, 0) }},
		{"gather: index is nil", func() { m.Gather(1, nil) }},
		{"scatter: index is nil", func() { m.Scatter(1, nil, m) }},
		{"scatter: src is nil", func() { m.Scatter(1, idx2, nil) }},
		{"scatter_add: src is nil", func() { m.ScatterAdd(1, idx2, nil) }},
		{"scatter: index is nil", func() { m.ScatterValue(1, nil, 1) }},
		{"index_select: index is nil", func() { m.IndexSelect(1, nil) }},
		{"index_add: source is nil", func() { m.IndexAdd(1, idx, nil) }},
		{"index_copy: index is nil", func() { m.IndexCopy(1, nil, m) }},
		{"index_put: indices[0] is nil", func() { v.IndexPut([]*tensor.Tensor{nil}, v, false) }},
		{"index_put: values is nil", func() { v.IndexPut([]*tensor.Tensor{idx}, nil, false) }},
		{"masked_fill: mask is nil", func() { v.MaskedFill(nil, 0) }},
		{"masked_fill_: mask is nil", func() { v.Clone().MaskedFill_(nil, 0) }},
		{"masked_select: mask is nil", func() { v.MaskedSelect(nil) }},
		{"repeat_interleave: repeats is nil", func() { v.RepeatInterleaveTensor(nil, 0) }},
		{"add: other is nil", func() { v.Add(nil) }},
		{"add: input is nil", func() { nilT.Add(v) }},
		{"sub: other is nil", func() { v.Sub(nil) }},
		{"mul: other is nil", func() { v.Mul(nil) }},
		{"div: other is nil", func() { v.Div(nil) }},
		{"pow: other is nil", func() { v.Pow(nil) }},
		{"maximum: other is nil", func() { v.Maximum(nil) }},
		{"minimum: other is nil", func() { v.Minimum(nil) }},
		{"remainder: other is nil", func() { v.Remainder(nil) }},
		{"floor_divide: other is nil", func() { v.FloorDivide(nil) }},
		{"add_: other is nil", func() { v.Clone().Add_(nil) }},
		{"mul_: other is nil", func() { v.Clone().Mul_(nil) }},
		{"copy_: other is nil", func() { v.Clone().Copy_(nil) }},
		{"add_scaled_: other is nil", func() { v.Clone().AddScaled_(nil, 1) }},
		{"eq: other is nil", func() { v.Eq(nil) }},
		{"lt: input is nil", func() { nilT.Lt(v) }},
		{"logical_and: other is nil", func() { mask.LogicalAnd(nil) }},
		{"isclose: other is nil", func() { tensor.IsClose(v, nil, 1e-5, 1e-8, false) }},
		{"equal: other is nil", func() { tensor.Equal(v, nil) }},
	}
	for _, c := range cases {
		mustPanic(t, c.want, c.f)
	}
	// Optional arguments stay nil-able.
	tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{})
	tensor.Linear(m, m, nil)
	tensor.LayerNorm(m, []int{3}, nil, nil, 1e-5)
	tensor.GroupNorm(x, 2, nil, nil, 1e-5)
	tensor.BatchNorm(x, nil, nil, nil, nil, true, 0.1, 1e-5)
}

// TestValidNegativeDimensions checks that creation functions name
// themselves when given a negative dimension.
func TestValidNegativeDimensions(t *testing.T) {
	g := tensor.NewGenerator(1)
	cases := []struct {
		want string
		f    func()
	}{
		{"zeros: negative dimension -1 in shape [-1]", func() { tensor.Zeros(-1) }},
		{"ones: negative dimension -2 in shape [3 -2]", func() { tensor.Ones(3, -2) }},
		{"full: negative dimension -1 in shape [-1]", func() { tensor.Full(1, -1) }},
		{"empty: negative dimension -1 in shape [-1]", func() { tensor.Empty(tensor.Int64, -1) }},
		{"from_slice: negative dimension -1 in shape [-1 -1]", func() { tensor.FromSlice([]float32{1}, -1, -1) }},
		{"eye: negative dimension -3 in shape [2 -3]", func() { tensor.Eye(2, -3) }},
		{"rand: negative dimension -1 in shape [-1]", func() { tensor.Rand(-1) }},
		{"randn: negative dimension -1 in shape [-1]", func() { g.Randn(-1) }},
		{"uniform: negative dimension -1 in shape [-1]", func() { g.Uniform(0, 1, -1) }},
		{"normal: negative dimension -1 in shape [-1]", func() { g.Normal(0, 1, -1) }},
		{"randint: negative dimension -1 in shape [-1]", func() { g.RandInt(0, 5, -1) }},
		{"randperm: negative dimension -1 in shape [-1]", func() { g.RandPerm(-1) }},
		{"bernoulli: negative dimension -1 in shape [-1]", func() { g.Bernoulli(0.5, -1) }},
	}
	for _, c := range cases {
		mustPanic(t, c.want, c.f)
	}
}
