package functional

import (
	"math"
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

// lossBCEEps bounds x·(1-x) from below in BCELoss's input gradient; it is
// PyTorch's EPSILON, a float holding 1e-12.
const lossBCEEps = float64(float32(1e-12))

// lossLogClamp is PyTorch's clamped logarithm in binary_cross_entropy:
// log(v), never below -100, so that a certain wrong prediction costs 100
// rather than infinity.
func lossLogClamp(v float64) float64 { return math.Max(math.Log(v), -100) }

// BCELoss returns the binary cross entropy between probabilities input
// (each in [0, 1], e.g. a Sigmoid output) and target of the same shape, as
// torch.nn.functional.binary_cross_entropy:
// -w·(y·log x + (1-y)·log(1-x)), each logarithm clamped at -100. The
// gradients are PyTorch's: w·(x-y)/max(x·(1-x), 1e-12) for the input and
// w·(log(1-x) - log x) for the target. BCEWithLogitsLoss on logits is the
// numerically safer choice.
func BCELoss(input, target *tensor.Tensor, opts ...BCEOptions) *tensor.Tensor {
	const op = "binary_cross_entropy"
	var o BCEOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	lossCheckFloat(op, "input", input)
	lossCheckFloat(op, "target", target)
	red := lossReduction(op, o.Reduction, false)
	lossSameShape(op, input, target)
	var w *tensor.Tensor
	if o.Weight != nil {
		lossCheckFloat(op, "weight", o.Weight)
		if s, ok := tensor.BroadcastShapes(o.Weight.Shape(), input.Shape()); !ok || !slices.Equal(s, input.Shape()) {
			lossPanic(op, "weight of shape %s does not broadcast to input %s", lossShape(o.Weight.Shape()), lossShape(input.Shape()))
		}
		w = lossWeightAs(o.Weight, input.DType())
	}
	x := input.Detach().ToFloat64s()
	for _, v := range x {
		if !(v >= 0 && v <= 1) {
			lossPanic(op, "all elements of input (shape %s) should be between 0 and 1, found %v", lossShape(input.Shape()), v)
		}
	}
	dt := input.DType()
	y := target.Detach().ToFloat64s()
	l := make([]float64, len(x))
	for i := range x {
		l[i] = -(y[i]*lossLogClamp(x[i]) + (1-y[i])*lossLogClamp(1-x[i]))
	}
	out := tensor.FromSlice(l).Reshape(input.Shape()...).To(dt)
	tdt := target.DType()
	out = tensor.Record(op, out, []*tensor.Tensor{input, target}, func(g *tensor.Tensor) []*tensor.Tensor {
		if tensor.NeedsGraph(g) {
			xt, yt := input, target.To(dt)
			one := xt.RSubScalar(1)
			gx := xt.Sub(yt).Div(xt.Mul(one).ClampMin(lossBCEEps)).Mul(g)
			gy := one.Log().ClampMin(-100).Sub(xt.Log().ClampMin(-100)).Mul(g)
			return []*tensor.Tensor{gx, gy.To(tdt)}
		}
		gv := g.Detach().Contiguous().ToFloat64s()
		gx := make([]float64, len(x))
		gy := make([]float64, len(x))
		for i := range x {
			gx[i] = gv[i] * (x[i] - y[i]) / math.Max(x[i]*(1-x[i]), lossBCEEps)
			gy[i] = gv[i] * (lossLogClamp(1-x[i]) - lossLogClamp(x[i]))
		}
		shape := input.Shape()
		return []*tensor.Tensor{tensor.FromSlice(gx).Reshape(shape...).To(dt), tensor.FromSlice(gy).Reshape(shape...).To(tdt)}
	})
	if w != nil {
		out = out.Mul(w)
	}
	return lossReduce(out, red)
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
