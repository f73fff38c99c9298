package functional

import (
	"github.com/emberml/ember/tensor"
)

// KLDivOptions tune KLDivLoss.
type KLDivOptions struct {
	// Reduction is "mean" (also ""), "batchmean", "sum" or "none".
	// PyTorch's default "mean" averages over every element, which is not
	// the KL divergence; "batchmean" (the sum divided by the batch size,
	// input's first dimension) is.
	Reduction string
	// LogTarget says the target holds log-probabilities rather than
	// probabilities.
	LogTarget bool
}

// KLDivLoss returns the Kullback-Leibler divergence loss between
// log-probabilities input and target, as torch.nn.functional.kl_div:
// y·(log y - x) per element, 0 where y = 0 (exp(y)·(y - x) with
// LogTarget). Shapes broadcast. It is differentiable in both; where a
// probability target is exactly 0 its gradient is taken as 0 (PyTorch's
// is NaN there).
func KLDivLoss(input, target *tensor.Tensor, opts ...KLDivOptions) *tensor.Tensor {
	const op = "kl_div"
	var o KLDivOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	red := lossReduction(op, o.Reduction, true)
	target = lossPointwiseArgs(op, input, target)
	var l *tensor.Tensor
	if o.LogTarget {
		l = target.Exp().Mul(target.Sub(input))
	} else {
		// xlogy(y, y) - y·x, with xlogy(0, ·) = 0.
		safe := target.MaskedFill(target.EqScalar(0), 1)
		l = target.Mul(safe.Log()).Sub(target.Mul(input))
	}
	if red == lossRedBatchMean {
		s := l.Sum()
		if input.Dim() == 0 {
			return s
		}
		return s.DivScalar(float64(input.Size(0)))
	}
	return lossReduce(l, red)
}
