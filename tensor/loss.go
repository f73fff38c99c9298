package tensor

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// The fused losses: PyTorch's cross entropy with class-index targets,
// nll_loss and binary_cross_entropy, which read their targets to compute,
// are ops of this package so that a trace records each as one node.
// Package nn/functional wraps them with PyTorch's option conventions
// (CrossEntropy, NLLLoss, BCELoss); its doc comments give the formulas.

// CrossEntropyIndicesOptions tune CrossEntropyIndices. Unlike
// nn/functional's options, the zero value is not PyTorch's default: an
// IgnoreIndex of 0 skips class 0; pass PyTorch's default, -100, to skip
// no class.
type CrossEntropyIndicesOptions struct {
	// IgnoreIndex is the class-index target that adds nothing to the
	// loss, its gradient or the mean's denominator (PyTorch's
	// ignore_index, whose default is -100).
	IgnoreIndex int64
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// LabelSmoothing in [0, 1] mixes the target with the uniform
	// distribution over the C classes, as PyTorch's label_smoothing.
	LabelSmoothing float64
}

// CrossEntropyIndices returns the cross-entropy loss of logits input at
// the class indices target, as torch.nn.functional.cross_entropy with
// class-index targets: log_softmax over the class dimension (1, or 0 for
// an unbatched 1-D input) followed by the negative log-likelihood,
// computed as one fused op whose backward is (softmax(x)·A - B)·g, no
// intermediate log-probabilities kept (see nn/functional.CrossEntropy,
// which also takes class-probability targets).
//
// The input ([C], [N, C] or [N, C, d1, ...]) is floating point (float16
// computes in float32); target holds int64 or int32 class indices of the
// input's shape without the class dimension; weight is nil or holds one
// weight per class (C elements), a constant that gets no gradient. With
// label smoothing ε an element's loss is (1-ε)·w[t]·(-log p[t]) +
// ε/C·Σc w[c]·(-log p[c]); the mean divides by Σ w[t] over the targets that
// are not ignored (NaN when all are). The op panics, naming
// "cross_entropy", on bad shapes, dtypes, options or an index outside
// [0, C).
func CrossEntropyIndices(input, target, weight *Tensor, o CrossEntropyIndicesOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceCrossEntropyIndices(input, target, weight, o)
	}
	const op = "cross_entropy"
	lossCheckFloat(op, "input", input)
	if target == nil {
		panicf(op, "target is nil")
	}
	red := lossReduction(op, o.Reduction)
	eps := o.LabelSmoothing
	if !(eps >= 0 && eps <= 1) {
		panicf(op, "label smoothing must be between 0.0 and 1.0, got %v", eps)
	}
	lossCheckClassDim(op, input)
	return lossIndexLoss(op, input, target, weight, o.IgnoreIndex, eps, red, true)
}

// NLLLossOptions tune NLLLoss. As with CrossEntropyIndicesOptions, the
// zero value's IgnoreIndex skips class 0; PyTorch's default is -100.
type NLLLossOptions struct {
	// IgnoreIndex is the class-index target that adds nothing to the
	// loss, its gradient or the mean's denominator (PyTorch's
	// ignore_index, whose default is -100).
	IgnoreIndex int64
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NLLLoss returns the negative log-likelihood loss of log-probabilities
// input at the class indices target, as torch.nn.functional.nll_loss:
// -w[t]·input[t] per element, ignored targets contributing nothing; the
// mean divides by Σ w[t] over the targets that are not ignored. Shapes,
// dtypes and weight are CrossEntropyIndices's. It panics naming
// "nll_loss".
func NLLLoss(input, target, weight *Tensor, o NLLLossOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceNLLLoss(input, target, weight, o)
	}
	const op = "nll_loss"
	lossCheckFloat(op, "input", input)
	if target == nil {
		panicf(op, "target is nil")
	}
	red := lossReduction(op, o.Reduction)
	lossCheckClassDim(op, input)
	return lossIndexLoss(op, input, target, weight, o.IgnoreIndex, 0, red, false)
}

// BinaryCrossEntropy returns the binary cross entropy between
// probabilities input (each in [0, 1]) and target of the same shape, as
// torch.nn.functional.binary_cross_entropy: -w·(y·log x + (1-y)·log(1-x)),
// each logarithm clamped at -100, reduced by reduction ("mean" or "",
// "sum", "none"). weight is nil or broadcasts to the input's shape; it is
// a constant. The gradients are PyTorch's: w·(x-y)/max(x·(1-x), 1e-12)
// for the input and w·(log(1-x) - log x) for the target. It panics naming
// "binary_cross_entropy".
func BinaryCrossEntropy(input, target, weight *Tensor, reduction string) *Tensor {
	if tracing.Load() && outermost() {
		return traceBinaryCrossEntropy(input, target, weight, reduction)
	}
	const op = "binary_cross_entropy"
	lossCheckFloat(op, "input", input)
	lossCheckFloat(op, "target", target)
	red := lossReduction(op, reduction)
	if !slices.Equal(input.shape, target.shape) {
		panicf(op, "target of shape %s does not match input %s; they must have the same shape", lossShape(target.shape), lossShape(input.shape))
	}
	var w *Tensor
	if weight != nil {
		lossCheckFloat(op, "weight", weight)
		if s, ok := BroadcastShapes(weight.shape, input.shape); !ok || !slices.Equal(s, input.shape) {
			panicf(op, "weight of shape %s does not broadcast to input %s", lossShape(weight.shape), lossShape(input.shape))
		}
		w = weight.Detach().To(input.dtype)
	}
	out := lossBCE(op, input, target)
	if w != nil {
		out = out.Mul(w)
	}
	return lossReduce(out, red)
}

// lossBCEEps bounds x·(1-x) from below in BinaryCrossEntropy's input
// gradient; it is PyTorch's EPSILON, a float holding 1e-12.
const lossBCEEps = float64(float32(1e-12))

// lossLogClamp is PyTorch's clamped logarithm in binary_cross_entropy:
// log(v), never below -100, so that a certain wrong prediction costs 100
// rather than infinity.
func lossLogClamp(v float64) float64 { return math.Max(math.Log(v), -100) }

// lossBCE is the elementwise binary cross entropy, unweighted, and its
// backward.
func lossBCE(op string, input, target *Tensor) *Tensor {
	x := toSlice[float64](input, Float64)
	for _, v := range x {
		if !(v >= 0 && v <= 1) {
			panicf(op, "all elements of input (shape %s) should be between 0 and 1, found %v", lossShape(input.shape), v)
		}
	}
	dt := input.dtype
	y := toSlice[float64](target, Float64)
	l := make([]float64, len(x))
	for i := range x {
		l[i] = -(y[i]*lossLogClamp(x[i]) + (1-y[i])*lossLogClamp(1-x[i]))
	}
	shape := slices.Clone(input.shape)
	out := FromSlice(l).Reshape(shape...).To(dt)
	tdt := target.dtype
	return record(op, out, []*Tensor{input, target}, func(g *Tensor) []*Tensor {
		if NeedsGraph(g) {
			xt, yt := input, target.To(dt)
			one := xt.RSubScalar(1)
			gx := xt.Sub(yt).Div(xt.Mul(one).ClampMin(lossBCEEps)).Mul(g)
			gy := one.Log().ClampMin(-100).Sub(xt.Log().ClampMin(-100)).Mul(g)
			return []*Tensor{gx, gy.To(tdt)}
		}
		gv := toSlice[float64](g, Float64)
		gx := make([]float64, len(x))
		gy := make([]float64, len(x))
		for i := range x {
			gx[i] = gv[i] * (x[i] - y[i]) / math.Max(x[i]*(1-x[i]), lossBCEEps)
			gy[i] = gv[i] * (lossLogClamp(1-x[i]) - lossLogClamp(x[i]))
		}
		return []*Tensor{FromSlice(gx).Reshape(shape...).To(dt), FromSlice(gy).Reshape(shape...).To(tdt)}
	})
}

// Reduction modes, parsed from the ops' reduction strings.
const (
	lossRedMean = iota
	lossRedSum
	lossRedNone
)

// lossReduction parses a reduction: "" and "mean" are the mean, "sum" and
// "none" as in PyTorch.
func lossReduction(op, r string) int {
	switch r {
	case "", "mean":
		return lossRedMean
	case "sum":
		return lossRedSum
	case "none":
		return lossRedNone
	}
	panicf(op, "reduction %q is not valid; use %s (\"\" means \"mean\")", r, `"mean", "sum" or "none"`)
	return 0
}

// lossReduce applies a reduction to the elementwise losses l.
func lossReduce(l *Tensor, red int) *Tensor {
	switch red {
	case lossRedSum:
		return l.Sum()
	case lossRedNone:
		return l
	}
	return l.Mean()
}

// lossShape formats a shape as PyTorch prints sizes: [4, 5], [] for a
// scalar.
func lossShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// lossCheckFloat panics unless t is a floating-point tensor.
func lossCheckFloat(op, what string, t *Tensor) {
	if t == nil {
		panicf(op, "%s is nil", what)
	}
	if !t.dtype.IsFloat() {
		panicf(op, "%s of shape %s has dtype %v; it must be floating point", what, lossShape(t.shape), t.dtype)
	}
}

// lossCheckClassDim panics when input, of a class-index loss, is a
// scalar.
func lossCheckClassDim(op string, input *Tensor) {
	if len(input.shape) == 0 {
		panicf(op, "input must have a class dimension ([C], [N, C] or [N, C, d1, ...]), got a scalar")
	}
}
