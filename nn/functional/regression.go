package functional

import (
	"github.com/emberml/ember/tensor"
)

// ReductionOptions tune the losses whose only option is the reduction
// (MSELoss, L1Loss).
type ReductionOptions struct {
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// SmoothL1Options tune SmoothL1Loss.
type SmoothL1Options struct {
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// Beta is where the loss turns from quadratic to linear; zero means
	// PyTorch's default 1. (PyTorch's beta=0 is the L1 loss: use L1Loss.)
	// It must not be negative.
	Beta float64
}

// HuberOptions tune HuberLoss.
type HuberOptions struct {
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// Delta is where the loss turns from quadratic to linear; zero means
	// PyTorch's default 1. It must not be negative.
	Delta float64
}

// lossPointwiseArgs checks a pointwise loss's operands; target follows the
// input's dtype.
func lossPointwiseArgs(op string, input, target *tensor.Tensor) *tensor.Tensor {
	lossCheckFloat(op, "input", input)
	lossCheckFloat(op, "target", target)
	lossBroadcast(op, input, target)
	return target.To(input.DType())
}

// MSELoss returns the mean squared error (x - y)², reduced, as
// torch.nn.functional.mse_loss. Input and target should have the same
// shape; like PyTorch, Ember broadcasts them when they differ (a target of
// shape [N] against an input [N, 1] gives an [N, N] loss, rarely what was
// meant). It is differentiable in both.
func MSELoss(input, target *tensor.Tensor, opts ...ReductionOptions) *tensor.Tensor {
	const op = "mse_loss"
	var o ReductionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	red := lossReduction(op, o.Reduction, false)
	target = lossPointwiseArgs(op, input, target)
	return lossReduce(input.Sub(target).Square(), red)
}

// L1Loss returns the mean absolute error |x - y|, reduced, as
// torch.nn.functional.l1_loss (shapes broadcast as in MSELoss). Its
// gradient at x = y is 0.
func L1Loss(input, target *tensor.Tensor, opts ...ReductionOptions) *tensor.Tensor {
	const op = "l1_loss"
	var o ReductionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	red := lossReduction(op, o.Reduction, false)
	target = lossPointwiseArgs(op, input, target)
	return lossReduce(input.Sub(target).Abs(), red)
}

// SmoothL1Loss returns the smooth L1 loss, as
// torch.nn.functional.smooth_l1_loss: 0.5·d²/β where |d| < β and
// |d| - 0.5·β elsewhere, d = x - y (shapes broadcast as in MSELoss).
func SmoothL1Loss(input, target *tensor.Tensor, opts ...SmoothL1Options) *tensor.Tensor {
	const op = "smooth_l1_loss"
	var o SmoothL1Options
	if len(opts) > 0 {
		o = opts[0]
	}
	red := lossReduction(op, o.Reduction, false)
	beta := o.Beta
	if beta < 0 || beta != beta {
		lossPanic(op, "beta must not be negative, got %v", beta)
	}
	if beta == 0 {
		beta = 1
	}
	target = lossPointwiseArgs(op, input, target)
	d := input.Sub(target)
	ad := d.Abs()
	l := tensor.Where(ad.LtScalar(beta), d.Square().MulScalar(0.5/beta), ad.SubScalar(0.5*beta))
	return lossReduce(l, red)
}

// HuberLoss returns the Huber loss, as torch.nn.functional.huber_loss:
// 0.5·d² where |d| < δ and δ·(|d| - 0.5·δ) elsewhere, d = x - y (shapes
// broadcast as in MSELoss). It is SmoothL1Loss scaled by δ.
func HuberLoss(input, target *tensor.Tensor, opts ...HuberOptions) *tensor.Tensor {
	const op = "huber_loss"
	var o HuberOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	red := lossReduction(op, o.Reduction, false)
	delta := o.Delta
	if delta < 0 || delta != delta {
		lossPanic(op, "delta must be positive, got %v", delta)
	}
	if delta == 0 {
		delta = 1
	}
	target = lossPointwiseArgs(op, input, target)
	d := input.Sub(target)
	ad := d.Abs()
	l := tensor.Where(ad.LtScalar(delta), d.Square().MulScalar(0.5), ad.SubScalar(0.5*delta).MulScalar(delta))
	return lossReduce(l, red)
}
