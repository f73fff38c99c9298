package functional

import (
	"slices"

	"github.com/emberml/ember/tensor"
)

// BCEOptions tune BCELoss.
type BCEOptions struct {
	// Weight rescales each element's loss; it broadcasts to the input's
	// shape (nil for ones). It is a constant.
	Weight *tensor.Tensor
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// BCEWithLogitsOptions tune BCEWithLogitsLoss.
type BCEWithLogitsOptions struct {
	// Weight rescales each element's loss; it broadcasts to the input's
	// shape (nil for ones).
	Weight *tensor.Tensor
	// PosWeight weighs the positive term y·log σ(x), one weight per class
	// along the last dimension (it broadcasts with the target), as
	// PyTorch's pos_weight; nil for ones.
	PosWeight *tensor.Tensor
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// BCELoss returns the binary cross entropy between probabilities input
// (each in [0, 1], e.g. a Sigmoid output) and target of the same shape, as
// torch.nn.functional.binary_cross_entropy:
// -w·(y·log x + (1-y)·log(1-x)), each logarithm clamped at -100. The
// gradients are PyTorch's: w·(x-y)/max(x·(1-x), 1e-12) for the input and
// w·(log(1-x) - log x) for the target. BCEWithLogitsLoss on logits is the
// numerically safer choice. It runs as one op,
// tensor.BinaryCrossEntropy.
func BCELoss(input, target *tensor.Tensor, opts ...BCEOptions) *tensor.Tensor {
	var o BCEOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return tensor.BinaryCrossEntropy(input, target, o.Weight, o.Reduction)
}

// BCEWithLogitsLoss returns the binary cross entropy of sigmoid(input)
// against target of the same shape, computed from the logits in a stable
// form, as torch.nn.functional.binary_cross_entropy_with_logits:
// w·((1-y)·x + (1 + (p-1)·y)·log(1 + exp(-x))) with p the positive weight.
// It is differentiable in the input and the target.
func BCEWithLogitsLoss(input, target *tensor.Tensor, opts ...BCEWithLogitsOptions) *tensor.Tensor {
	const op = "binary_cross_entropy_with_logits"
	var o BCEWithLogitsOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	lossCheckFloat(op, "input", input)
	lossCheckFloat(op, "target", target)
	red := lossReduction(op, o.Reduction, false)
	lossSameShape(op, input, target)
	dt := input.DType()
	y := target.To(dt)
	// log(1 + exp(-x)) as PyTorch writes it: m + log(exp(-m) + exp(-x-m))
	// with m = max(-x, 0); the derivative through m cancels exactly.
	m := input.Neg().ClampMin(0)
	sp := m.Neg().Exp().Add(input.Neg().Sub(m).Exp()).Log().Add(m)
	l := y.RSubScalar(1).Mul(input)
	if o.PosWeight != nil {
		lossCheckFloat(op, "pos_weight", o.PosWeight)
		if s, ok := tensor.BroadcastShapes(o.PosWeight.Shape(), target.Shape()); !ok || !slices.Equal(s, input.Shape()) {
			lossPanic(op, "pos_weight of shape %s does not broadcast to target %s", lossShape(o.PosWeight.Shape()), lossShape(target.Shape()))
		}
		pw := lossWeightAs(o.PosWeight, dt)
		l = l.Add(pw.SubScalar(1).Mul(y).AddScalar(1).Mul(sp))
	} else {
		l = l.Add(sp)
	}
	if o.Weight != nil {
		lossCheckFloat(op, "weight", o.Weight)
		if s, ok := tensor.BroadcastShapes(o.Weight.Shape(), input.Shape()); !ok || !slices.Equal(s, input.Shape()) {
			lossPanic(op, "weight of shape %s does not broadcast to input %s", lossShape(o.Weight.Shape()), lossShape(input.Shape()))
		}
		l = l.Mul(lossWeightAs(o.Weight, dt))
	}
	return lossReduce(l, red)
}
