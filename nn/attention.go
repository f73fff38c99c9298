package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/emberml/ember/tensor"
)

// MultiheadAttentionOptions configure NewMultiheadAttention; the zero value
// is PyTorch's defaults.
type MultiheadAttentionOptions struct {
	// Dropout is the probability of dropping attention weights in training
	// mode (dropout).
	Dropout float64
	// NoBias leaves out in_proj_bias and out_proj.bias (bias=False).
	NoBias bool
	// AddBiasKV adds the learned vectors bias_k and bias_v as one more key
	// and value at the end of every sequence (add_bias_kv).
	AddBiasKV bool
	// AddZeroAttn adds a zero key and value, after the projections, at the
	// end of every sequence (add_zero_attn).
	AddZeroAttn bool
	// KDim and VDim are the numbers of features of the keys and values
	// (kdim, vdim); 0 means EmbedDim. When either differs from EmbedDim
	// the layer has separate q_proj_weight, k_proj_weight and v_proj_weight
	// instead of the packed in_proj_weight.
	KDim, VDim int
	// BatchFirst makes batched inputs and outputs (N, L, E) instead of
	// (L, N, E).
	BatchFirst bool
}

// MultiheadAttention is torch.nn.MultiheadAttention: NumHeads heads of
// scaled dot-product attention over projections of the query, key and value,
// concatenated and projected by OutProj. Its parameters have PyTorch's names
// and order: in_proj_weight (3·EmbedDim × EmbedDim, Xavier-uniform) or
// q_proj_weight, k_proj_weight and v_proj_weight when KDim or VDim differ
// from EmbedDim, in_proj_bias (zeros), bias_k and bias_v with AddBiasKV
// (Xavier-normal), then out_proj.weight and out_proj.bias (zeros).
type MultiheadAttention struct {
	Base
	// EmbedDim is split into NumHeads heads of HeadDim features; KDim and
	// VDim are the features of the keys and values.
	EmbedDim, NumHeads, HeadDim, KDim, VDim int
	// Dropout, BatchFirst and AddZeroAttn are as in the options.
	Dropout                 float64
	BatchFirst, AddZeroAttn bool

	// The projection weights and biases, nil where PyTorch has None.
	InProjWeight *tensor.Tensor `nn:"in_proj_weight"`
	QProjWeight  *tensor.Tensor `nn:"q_proj_weight"`
	KProjWeight  *tensor.Tensor `nn:"k_proj_weight"`
	VProjWeight  *tensor.Tensor `nn:"v_proj_weight"`
	InProjBias   *tensor.Tensor `nn:"in_proj_bias"`
	BiasK        *tensor.Tensor `nn:"bias_k"`
	BiasV        *tensor.Tensor `nn:"bias_v"`
	// OutProj is the output projection. Forward uses its weight and bias
	// directly, as PyTorch does, so hooks on OutProj do not run.
	OutProj *Linear `nn:"out_proj"`

	// Generator, when set, draws the dropout masks (else the default
	// generator).
	Generator *tensor.Generator
}

// AttentionOptions are the optional arguments of MultiheadAttention.Forward;
// the zero value is PyTorch's defaults.
type AttentionOptions struct {
	// KeyPaddingMask marks keys to ignore: (N, S), or (S) for unbatched
	// input. A bool mask ignores the keys where it is true; a float mask is
	// added to the attention scores (key_padding_mask).
	KeyPaddingMask *tensor.Tensor
	// AttnMask masks (query, key) pairs: (L, S) for every batch entry and
	// head, or (N·NumHeads, L, S) (for unbatched input (NumHeads, L, S)).
	// A bool (or uint8) mask forbids the pairs where it is true; a float mask
	// is added to the attention scores (attn_mask).
	AttnMask *tensor.Tensor
	// NoWeights skips the attention weights: Forward returns nil weights
	// (need_weights=False).
	NoWeights bool
	// NoAverageWeights returns the weights of every head, (N, NumHeads, L, S),
	// instead of their mean over heads, (N, L, S)
	// (average_attn_weights=False).
	NoAverageWeights bool
	// IsCausal, when AttnMask is nil, lets each query position i attend to
	// key positions j ≤ i only. PyTorch 1.13 has no is_causal; as in
	// PyTorch 2 it is only a hint when AttnMask is set, which is then used
	// as given.
	IsCausal bool
}

// NewMultiheadAttention returns a MultiheadAttention of numHeads heads over
// embedDim features (which numHeads must divide).
func NewMultiheadAttention(embedDim, numHeads int, opts ...MultiheadAttentionOptions) *MultiheadAttention {
	const op = "nn.NewMultiheadAttention"
	var o MultiheadAttentionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	switch {
	case embedDim <= 0 || numHeads <= 0:
		panic(fmt.Sprintf("%s: embed_dim and num_heads must be positive, got %d and %d", op, embedDim, numHeads))
	case embedDim%numHeads != 0:
		panic(fmt.Sprintf("%s: embed_dim must be divisible by num_heads, got %d and %d", op, embedDim, numHeads))
	case o.KDim < 0 || o.VDim < 0:
		panic(fmt.Sprintf("%s: kdim and vdim must not be negative, got %d and %d", op, o.KDim, o.VDim))
	case !(o.Dropout >= 0 && o.Dropout <= 1):
		panic(fmt.Sprintf("%s: dropout probability must be between 0 and 1, got %g", op, o.Dropout))
	}
	m := &MultiheadAttention{
		EmbedDim: embedDim, NumHeads: numHeads, HeadDim: embedDim / numHeads, KDim: o.KDim, VDim: o.VDim,
		Dropout: o.Dropout, BatchFirst: o.BatchFirst, AddZeroAttn: o.AddZeroAttn,
	}
	if m.KDim == 0 {
		m.KDim = embedDim
	}
	if m.VDim == 0 {
		m.VDim = embedDim
	}
	// PyTorch builds out_proj (a Linear, initialised as one) before it
	// resets the other parameters; the draws follow the same order.
	m.OutProj = NewLinear(embedDim, embedDim, LinearOptions{NoBias: o.NoBias})
	if m.KDim == embedDim && m.VDim == embedDim {
		m.InProjWeight = attnXavierUniform(3*embedDim, embedDim)
	} else {
		m.QProjWeight = attnXavierUniform(embedDim, embedDim)
		m.KProjWeight = attnXavierUniform(embedDim, m.KDim)
		m.VProjWeight = attnXavierUniform(embedDim, m.VDim)
	}
	if !o.NoBias {
		m.InProjBias = param(tensor.Zeros(3 * embedDim))
		m.OutProj.Bias = param(tensor.Zeros(embedDim))
	}
	if o.AddBiasKV {
		// xavier_normal_ of a (1, 1, E) tensor: fan_in = fan_out = E.
		std := math.Sqrt(1 / float64(embedDim))
		m.BiasK = param(tensor.DefaultGenerator().Normal(0, std, 1, 1, embedDim))
		m.BiasV = param(tensor.DefaultGenerator().Normal(0, std, 1, 1, embedDim))
	}
	return m
}

// attnXavierUniform is PyTorch's xavier_uniform_ for a 2-D weight.
func attnXavierUniform(out, in int) *tensor.Tensor {
	return uniformParam(math.Sqrt(6/float64(in+out)), out, in)
}

// Forward attends from query to key and value and returns the attention
// output and the attention weights, as PyTorch's
// attn_output, attn_output_weights = mha(query, key, value, ...).
//
// query is (L, N, EmbedDim), key (S, N, KDim) and value (S, N, VDim);
// (N, L, ·) and (N, S, ·) with BatchFirst; without N for unbatched input.
// The output has query's shape. The weights are (N, L, S), averaged over
// heads, or (N, NumHeads, L, S) with NoAverageWeights (without N when
// unbatched), or nil with NoWeights; in training mode they are the weights
// after dropout. Forward hooks see the inputs [query, key, value,
// KeyPaddingMask, AttnMask] and the outputs [output, weights].
func (m *MultiheadAttention) Forward(query, key, value *tensor.Tensor, opts ...AttentionOptions) (out, weights *tensor.Tensor) {
	var o AttentionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	res := CallHooks(m, []*tensor.Tensor{query, key, value, o.KeyPaddingMask, o.AttnMask}, func(in []*tensor.Tensor) []*tensor.Tensor {
		if len(in) != 5 {
			panic(fmt.Sprintf("nn.MultiheadAttention: a forward pre-hook returned %d inputs, want 5 (query, key, value, key_padding_mask, attn_mask)", len(in)))
		}
		o := o
		o.KeyPaddingMask, o.AttnMask = in[3], in[4]
		out, w := m.attnForward(in[0], in[1], in[2], o)
		return []*tensor.Tensor{out, w}
	})
	if len(res) != 2 {
		panic(fmt.Sprintf("nn.MultiheadAttention: a forward hook returned %d outputs, want 2 (output, weights)", len(res)))
	}
	return res[0], res[1]
}

func (m *MultiheadAttention) hooksInForward() {}

func (m *MultiheadAttention) attnForward(q, k, v *tensor.Tensor, o AttentionOptions) (out, weights *tensor.Tensor) {
	const op = "nn.MultiheadAttention"
	if q == nil || k == nil || v == nil {
		panic(op + ": query, key and value must not be nil")
	}
	kpm, mask := o.KeyPaddingMask, o.AttnMask
	H := m.NumHeads
	batched := q.Dim() == 3
	switch q.Dim() {
	case 3:
		if k.Dim() != 3 || v.Dim() != 3 {
			panic(fmt.Sprintf("%s: for batched (3-D) query, expected key and value to be 3-D but found %d-D and %d-D tensors (shapes %v and %v)", op, k.Dim(), v.Dim(), k.Shape(), v.Shape()))
		}
		if kpm != nil && kpm.Dim() != 2 {
			panic(fmt.Sprintf("%s: for batched (3-D) query, expected key_padding_mask to be nil or 2-D but found %d-D tensor of shape %v", op, kpm.Dim(), kpm.Shape()))
		}
	case 2:
		if k.Dim() != 2 || v.Dim() != 2 {
			panic(fmt.Sprintf("%s: for unbatched (2-D) query, expected key and value to be 2-D but found %d-D and %d-D tensors (shapes %v and %v)", op, k.Dim(), v.Dim(), k.Shape(), v.Shape()))
		}
		if kpm != nil && kpm.Dim() != 1 {
			panic(fmt.Sprintf("%s: for unbatched (2-D) query, expected key_padding_mask to be nil or 1-D but found %d-D tensor of shape %v", op, kpm.Dim(), kpm.Shape()))
		}
		if mask != nil && mask.Dim() == 3 {
			if want := []int{H, q.Size(0), k.Size(0)}; !slices.Equal(mask.Shape(), want) {
				panic(fmt.Sprintf("%s: expected attn_mask shape to be %v but got %v", op, want, mask.Shape()))
			}
		}
	default:
		panic(fmt.Sprintf("%s: query should be unbatched 2-D or batched 3-D tensor but received %d-D query tensor of shape %v", op, q.Dim(), q.Shape()))
	}
	if mask != nil && mask.Dim() != 2 && mask.Dim() != 3 {
		panic(fmt.Sprintf("%s: expected attn_mask to be nil, 2-D or 3-D but found %d-D tensor of shape %v", op, mask.Dim(), mask.Shape()))
	}
	selfAttn, kvSame := q == k && k == v, k == v
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if !batched {
		q, k, v = q.Unsqueeze(1), k.Unsqueeze(1), v.Unsqueeze(1)
		if kpm != nil {
			kpm = kpm.Unsqueeze(0)
		}
	} else if m.BatchFirst {
		q, k, v = q.Transpose(0, 1), k.Transpose(0, 1), v.Transpose(0, 1)
	}
	L, N, E := q.Size(0), q.Size(1), q.Size(2)
	S := k.Size(0)
	if E != m.EmbedDim {
		panic(fmt.Sprintf("%s: was expecting embedding dimension of %d, but got %d (query shape %v)", op, m.EmbedDim, E, qs))
	}
	if k.Size(2) != m.KDim || v.Size(2) != m.VDim {
		panic(fmt.Sprintf("%s: expected key and value with %d and %d features (kdim, vdim), got shapes %v and %v", op, m.KDim, m.VDim, ks, vs))
	}
	if v.Size(0) != S || k.Size(1) != N || v.Size(1) != N {
		panic(fmt.Sprintf("%s: key and value must have the same sequence length and the query's batch size: query %v, key %v, value %v", op, qs, ks, vs))
	}
	dt := m.OutProj.Weight.DType()
	for i, t := range []*tensor.Tensor{q, k, v} {
		if t.DType() != dt {
			panic(fmt.Sprintf("%s: %s has dtype %v but the weights have dtype %v", op, [...]string{"query", "key", "value"}[i], t.DType(), dt))
		}
	}

	// In-projection.
	var qp, kp, vp *tensor.Tensor
	if w := m.InProjWeight; w != nil {
		b := m.InProjBias
		switch {
		case selfAttn:
			c := tensor.Linear(q, w, b).Chunk(3, -1)
			qp, kp, vp = c[0], c[1], c[2]
		case kvSame:
			ws := w.SplitSizes([]int{E, 2 * E}, 0)
			var bq, bkv *tensor.Tensor
			if b != nil {
				bs := b.SplitSizes([]int{E, 2 * E}, 0)
				bq, bkv = bs[0], bs[1]
			}
			qp = tensor.Linear(q, ws[0], bq)
			c := tensor.Linear(k, ws[1], bkv).Chunk(2, -1)
			kp, vp = c[0], c[1]
		default:
			ws := w.Chunk(3, 0)
			bs := []*tensor.Tensor{nil, nil, nil}
			if b != nil {
				bs = b.Chunk(3, 0)
			}
			qp, kp, vp = tensor.Linear(q, ws[0], bs[0]), tensor.Linear(k, ws[1], bs[1]), tensor.Linear(v, ws[2], bs[2])
		}
	} else {
		bs := []*tensor.Tensor{nil, nil, nil}
		if m.InProjBias != nil {
			bs = m.InProjBias.Chunk(3, 0)
		}
		qp = tensor.Linear(q, m.QProjWeight, bs[0])
		kp = tensor.Linear(k, m.KProjWeight, bs[1])
		vp = tensor.Linear(v, m.VProjWeight, bs[2])
	}

	// The masks become additive float masks of q's dtype.
	var add *tensor.Tensor
	if mask != nil {
		switch mask.Dim() {
		case 2:
			if want := []int{L, S}; !slices.Equal(mask.Shape(), want) {
				panic(fmt.Sprintf("%s: the shape of the 2-D attn_mask is %v, but should be %v", op, mask.Shape(), want))
			}
			add = attnAdditive(op, "attn_mask", mask, dt).Unsqueeze(0)
		case 3:
			if want := []int{N * H, L, S}; !slices.Equal(mask.Shape(), want) {
				panic(fmt.Sprintf("%s: the shape of the 3-D attn_mask is %v, but should be %v", op, mask.Shape(), want))
			}
			add = attnAdditive(op, "attn_mask", mask, dt)
		}
	} else if o.IsCausal {
		add = attnAdditive(op, "", attnCausal(L, S).LogicalNot(), dt).Unsqueeze(0)
	}
	var kpmAdd *tensor.Tensor
	if kpm != nil {
		if want := []int{N, S}; !slices.Equal(kpm.Shape(), want) {
			got := kpm.Shape()
			if !batched {
				want, got = want[1:], got[1:]
			}
			panic(fmt.Sprintf("%s: expecting key_padding_mask shape of %v, but got %v", op, want, got))
		}
		kpmAdd = attnAdditive(op, "key_padding_mask", kpm, dt)
	}
	if m.BiasK != nil && m.BiasV != nil {
		kp = tensor.Cat([]*tensor.Tensor{kp, m.BiasK.Repeat(1, N, 1)}, 0)
		vp = tensor.Cat([]*tensor.Tensor{vp, m.BiasV.Repeat(1, N, 1)}, 0)
		add = attnPadLast(add)
		kpmAdd = attnPadLast(kpmAdd)
	}

	// Heads become batch entries: (N·H, ·, HeadDim).
	hd := m.HeadDim
	qh := qp.Contiguous().View(L, N*H, hd).Transpose(0, 1)
	kh := kp.Contiguous().View(kp.Size(0), N*H, hd).Transpose(0, 1)
	vh := vp.Contiguous().View(vp.Size(0), N*H, hd).Transpose(0, 1)
	if m.AddZeroAttn {
		z := tensor.Zeros(N*H, 1, hd).To(dt)
		kh = tensor.Cat([]*tensor.Tensor{kh, z}, 1)
		vh = tensor.Cat([]*tensor.Tensor{vh, z}, 1)
		add = attnPadLast(add)
		kpmAdd = attnPadLast(kpmAdd)
	}
	src := kh.Size(1)
	if kpmAdd != nil {
		kpmAdd = kpmAdd.View(N, 1, 1, src).Expand(N, H, 1, src).Reshape(N*H, 1, src)
		if add == nil {
			add = kpmAdd
		} else {
			add = add.Add(kpmAdd)
		}
	}

	scores := qh.DivScalar(math.Sqrt(float64(hd))).Bmm(kh.Transpose(1, 2))
	if add != nil {
		scores = scores.Add(add)
	}
	attn := scores.Softmax(-1)
	if m.Dropout > 0 && m.Training() {
		g := m.Generator
		if g == nil {
			g = tensor.DefaultGenerator()
		}
		attn = tensor.Dropout(attn, m.Dropout, true, g)
	}
	out = attn.Bmm(vh).Transpose(0, 1).Contiguous().View(L*N, E)
	out = tensor.Linear(out, m.OutProj.Weight, m.OutProj.Bias).View(L, N, E)
	if !o.NoWeights {
		weights = attn.Reshape(N, H, L, src)
		if !o.NoAverageWeights {
			weights = weights.SumDims([]int{1}, false).DivScalar(float64(H))
		}
	}
	switch {
	case !batched:
		out = out.Squeeze(1)
		if weights != nil {
			weights = weights.Squeeze(0)
		}
	case m.BatchFirst:
		out = out.Transpose(0, 1)
	}
	return out, weights
}

// attnAdditive converts a bool (or uint8) mask to 0 where false and -inf
// where true, and a float mask to dtype dt.
func attnAdditive(op, what string, mask *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	switch d := mask.DType(); {
	case d == tensor.Uint8:
		mask = mask.To(tensor.Bool)
	case d != tensor.Bool && !d.IsFloat():
		panic(fmt.Sprintf("%s: only bool, uint8 and floating-point %s masks are supported, not %v", op, what, d))
	}
	if mask.DType() == tensor.Bool {
		return tensor.Zeros(mask.Shape()...).To(dt).MaskedFill(mask, math.Inf(-1))
	}
	return mask.To(dt)
}

// attnPadLast appends a zero column to an additive mask (nil stays nil).
func attnPadLast(m *tensor.Tensor) *tensor.Tensor {
	if m == nil {
		return nil
	}
	return tensor.Pad(m, []int{0, 1}, "constant", 0)
}

// attnCausal returns the (l, s) bool mask that is true where key position
// j may be attended from query position i: j ≤ i.
func attnCausal(l, s int) *tensor.Tensor {
	v := make([]bool, l*s)
	for i := 0; i < l; i++ {
		for j := 0; j <= i && j < s; j++ {
			v[i*s+j] = true
		}
	}
	return tensor.FromSlice(v, l, s)
}

// ScaledDotProductAttention returns softmax(q·kᵀ/√E + mask)·v over the
// last two dimensions of q (..., L, E), k (..., S, E) and v (..., S, Ev),
// the leading dimensions broadcasting, as PyTorch 2's
// F.scaled_dot_product_attention. A bool mask (broadcasting to (..., L, S))
// marks the pairs that take part: where it is false the score is -inf. Note
// that this is the opposite of MultiheadAttention's bool masks, as in
// PyTorch. A float mask is added to the scores. isCausal lets query i
// attend to keys j ≤ i only, and requires a nil mask. With dropoutP > 0 the
// attention weights are dropped with that probability (from the default
// generator), whatever the training mode, as in PyTorch's functional form.
func ScaledDotProductAttention(q, k, v, mask *tensor.Tensor, dropoutP float64, isCausal bool) *tensor.Tensor {
	const op = "nn.ScaledDotProductAttention"
	if q == nil || k == nil || v == nil {
		panic(op + ": query, key and value must not be nil")
	}
	if q.Dim() < 2 || k.Dim() < 2 || v.Dim() < 2 || q.Size(-1) != k.Size(-1) || k.Size(-2) != v.Size(-2) {
		panic(fmt.Sprintf("%s: want query (..., L, E), key (..., S, E) and value (..., S, Ev), got %v, %v and %v", op, q.Shape(), k.Shape(), v.Shape()))
	}
	if !(dropoutP >= 0 && dropoutP <= 1) {
		panic(fmt.Sprintf("%s: dropout probability must be between 0 and 1, got %g", op, dropoutP))
	}
	L, S := q.Size(-2), k.Size(-2)
	scores := q.MatMul(k.Transpose(k.Dim()-2, k.Dim()-1)).MulScalar(1 / math.Sqrt(float64(q.Size(-1))))
	if isCausal {
		if mask != nil {
			panic(fmt.Sprintf("%s: is_causal requires a nil mask, got one of shape %v", op, mask.Shape()))
		}
		scores = scores.MaskedFill(attnCausal(L, S).LogicalNot(), math.Inf(-1))
	}
	if mask != nil {
		ms := mask.Shape()
		if len(ms) < 2 || ms[len(ms)-2] != L && ms[len(ms)-2] != 1 || ms[len(ms)-1] != S && ms[len(ms)-1] != 1 {
			panic(fmt.Sprintf("%s: mask of shape %v does not broadcast to the scores (..., %d, %d) of query %v and key %v", op, ms, L, S, q.Shape(), k.Shape()))
		}
		switch {
		case mask.DType() == tensor.Bool:
			scores = scores.MaskedFill(mask.LogicalNot(), math.Inf(-1))
		case mask.DType().IsFloat():
			scores = scores.Add(mask.To(scores.DType()))
		default:
			panic(fmt.Sprintf("%s: the mask must be bool or floating point, not %v", op, mask.DType()))
		}
	}
	attn := scores.Softmax(-1)
	if dropoutP > 0 {
		attn = tensor.Dropout(attn, dropoutP, true, tensor.DefaultGenerator())
	}
	return attn.MatMul(v)
}
