package functional

import (
	"slices"

	"github.com/emberml/ember/tensor"
)

// DefaultIgnoreIndex is PyTorch's default ignore_index, -100: a class-index
// target equal to it adds nothing to the loss, its gradient or the
// denominator of the mean.
const DefaultIgnoreIndex = -100

// CrossEntropyOptions tune CrossEntropy; the zero value is PyTorch's
// defaults (no weights, ignore_index -100, mean, no label smoothing).
type CrossEntropyOptions struct {
	// Weight holds a weight per class: a 1-D tensor of C elements, or nil
	// for all ones. It is a constant (no gradient flows to it).
	Weight *tensor.Tensor
	// IgnoreIndex is the class-index target to skip. Go has no "unset", so
	// it applies when it is non-zero or HasIgnoreIndex is set; otherwise
	// PyTorch's default DefaultIgnoreIndex (-100) does. IgnoreIndex: 5
	// skips class 5, and skipping class 0 takes IgnoreIndex: 0 together
	// with HasIgnoreIndex: true. Class-probability targets take none.
	IgnoreIndex int
	// HasIgnoreIndex makes a zero IgnoreIndex count (see IgnoreIndex).
	HasIgnoreIndex bool
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// LabelSmoothing in [0, 1] mixes the target with the uniform
	// distribution over the C classes, as PyTorch's label_smoothing.
	LabelSmoothing float64
}

// NLLOptions tune NLLLoss; the zero value is PyTorch's defaults.
type NLLOptions struct {
	// Weight holds a weight per class (1-D, C elements), or nil for ones.
	Weight *tensor.Tensor
	// IgnoreIndex and HasIgnoreIndex choose the skipped target as in
	// CrossEntropyOptions: IgnoreIndex when it is non-zero or
	// HasIgnoreIndex is set, DefaultIgnoreIndex otherwise.
	IgnoreIndex    int
	HasIgnoreIndex bool
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// lossIgnoreIndex resolves the IgnoreIndex convention of the options.
func lossIgnoreIndex(v int, has bool) int64 {
	if v != 0 || has {
		return int64(v)
	}
	return DefaultIgnoreIndex
}

// CrossEntropy returns the cross-entropy loss between logits input and
// target, as torch.nn.functional.cross_entropy: log_softmax over the class
// dimension (1, or 0 for an unbatched 1-D input) followed by the negative
// log-likelihood.
//
// The input has shape [C], [N, C] or [N, C, d1, ...]. The target is either
// class indices (int64 or int32) of the input's shape without the class
// dimension — [], [N] or [N, d1, ...] — or class probabilities, a
// floating-point tensor of the input's own shape (PyTorch tells the two
// apart the same way).
//
// With class indices, the mean divides by the summed weights of the targets
// that are not ignored (their count without weights), so an all-ignored
// batch gives NaN, as in PyTorch; with LabelSmoothing ε the loss of an
// element is (1-ε)·w[t]·(-log p[t]) + ε/C·Σc w[c]·(-log p[c]), averaged
// by the same denominator. With class probabilities, the target (smoothed
// to (1-ε)·t + ε/C) weights -log p, each class by its weight, and the mean
// divides by the number of elements N·d1·..., not by the weights; the
// gradient flows to the target as well.
//
// Class-index targets run as one fused op, tensor.CrossEntropyIndices,
// whose backward is (softmax(x)·A - B)·g, no intermediate log-probabilities
// kept; a trace records it as one node.
func CrossEntropy(input, target *tensor.Tensor, opts ...CrossEntropyOptions) *tensor.Tensor {
	const op = "cross_entropy"
	var o CrossEntropyOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	lossCheckFloat(op, "input", input)
	if target == nil {
		lossPanic(op, "target is nil")
	}
	red := lossReduction(op, o.Reduction, false)
	eps := o.LabelSmoothing
	if !(eps >= 0 && eps <= 1) {
		lossPanic(op, "label smoothing must be between 0.0 and 1.0, got %v", eps)
	}
	if input.Dim() == 0 {
		lossPanic(op, "input must have a class dimension ([C], [N, C] or [N, C, d1, ...]), got a scalar")
	}
	cd := lossClassDim(input)
	c := input.Size(cd)
	ignore := lossIgnoreIndex(o.IgnoreIndex, o.HasIgnoreIndex)
	if slices.Equal(input.Shape(), target.Shape()) {
		if !target.DType().IsFloat() {
			lossPanic(op, "target of shape %s has dtype %v: a target of the input's shape holds class probabilities and must be floating point (class indices have shape %s)",
				lossShape(target.Shape()), target.DType(), lossShape(lossIndexShape(input, cd)))
		}
		if ignore != DefaultIgnoreIndex {
			lossPanic(op, "ignore_index (%d) is not supported for class-probability targets", ignore)
		}
		lossCheckWeights(op, o.Weight, c)
		return lossCEProbs(input, target, o.Weight, cd, eps, red)
	}
	return tensor.CrossEntropyIndices(input, target, o.Weight,
		tensor.CrossEntropyIndicesOptions{IgnoreIndex: ignore, Reduction: o.Reduction, LabelSmoothing: eps})
}

// NLLLoss returns the negative log-likelihood loss of log-probabilities
// input (e.g. a LogSoftmax output) at the class indices target, as
// torch.nn.functional.nll_loss: -w[t]·input[t] per element, ignored
// targets contributing nothing; the mean divides by the summed weights of
// the targets that are not ignored. Shapes are CrossEntropy's with class
// indices: input [C], [N, C] or [N, C, d1, ...], target [], [N] or
// [N, d1, ...] (int64 or int32).
//
// It runs as one fused op, tensor.NLLLoss.
func NLLLoss(input, target *tensor.Tensor, opts ...NLLOptions) *tensor.Tensor {
	var o NLLOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return tensor.NLLLoss(input, target, o.Weight,
		tensor.NLLLossOptions{IgnoreIndex: lossIgnoreIndex(o.IgnoreIndex, o.HasIgnoreIndex), Reduction: o.Reduction})
}

// lossClassDim is the class dimension: 0 for an unbatched 1-D input, else 1.
func lossClassDim(input *tensor.Tensor) int {
	if input.Dim() == 1 {
		return 0
	}
	return 1
}

// lossIndexShape is the shape of class-index targets for input.
func lossIndexShape(input *tensor.Tensor, cd int) []int {
	s := input.Shape()
	return append(s[:cd:cd], s[cd+1:]...)
}

// lossCheckWeights checks class weights (nil for none): a floating-point
// tensor of shape [c].
func lossCheckWeights(op string, w *tensor.Tensor, c int) {
	if w == nil {
		return
	}
	if !w.DType().IsFloat() {
		lossPanic(op, "weight of shape %s has dtype %v; it must be floating point", lossShape(w.Shape()), w.DType())
	}
	if w.Dim() != 1 || w.Size(0) != c {
		lossPanic(op, "weight of shape %s does not fit input with %d classes; it must have shape [%d]", lossShape(w.Shape()), c, c)
	}
}

// lossCEProbs is cross entropy with class-probability targets, composed of
// differentiable tensor ops (the gradient reaches the target too).
func lossCEProbs(input, target, weight *tensor.Tensor, cd int, eps float64, red int) *tensor.Tensor {
	c := input.Size(cd)
	t := target.To(input.DType())
	if eps > 0 {
		t = t.MulScalar(1 - eps).AddScalar(eps / float64(c))
	}
	prod := input.LogSoftmax(cd).Mul(t)
	if weight != nil {
		ws := make([]int, input.Dim())
		for i := range ws {
			ws[i] = 1
		}
		ws[cd] = c
		prod = prod.Mul(lossWeightAs(weight, input.DType()).Reshape(ws...))
	}
	switch red {
	case lossRedNone:
		return prod.SumDims([]int{cd}, false).Neg()
	case lossRedSum:
		return prod.Sum().Neg()
	}
	n := 1
	for _, d := range lossIndexShape(input, cd) {
		n *= d
	}
	return prod.Sum().Neg().DivScalar(float64(n))
}
