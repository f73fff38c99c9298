package functional

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emberml/ember/tensor"
)

// Reduction modes, parsed from the options' Reduction strings.
const (
	lossRedMean = iota
	lossRedSum
	lossRedNone
	lossRedBatchMean
)

// lossReduction parses a Reduction option: "" and "mean" are the mean,
// "sum" and "none" as in PyTorch, "batchmean" only where allowed (kl_div).
func lossReduction(op, r string, batchMean bool) int {
	switch r {
	case "", "mean":
		return lossRedMean
	case "sum":
		return lossRedSum
	case "none":
		return lossRedNone
	case "batchmean":
		if batchMean {
			return lossRedBatchMean
		}
	}
	valid := `"mean", "sum" or "none"`
	if batchMean {
		valid = `"mean", "batchmean", "sum" or "none"`
	}
	lossPanic(op, "reduction %q is not valid; use %s (\"\" means \"mean\")", r, valid)
	return 0
}

// lossReduce applies a reduction to the elementwise losses l.
func lossReduce(l *tensor.Tensor, red int) *tensor.Tensor {
	switch red {
	case lossRedSum:
		return l.Sum()
	case lossRedNone:
		return l
	}
	return l.Mean()
}

// lossPanic panics with a message that starts with the loss's name.
func lossPanic(op, format string, args ...any) {
	panic(op + ": " + fmt.Sprintf(format, args...))
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

// lossCheckFloat panics unless t is floating point.
func lossCheckFloat(op, what string, t *tensor.Tensor) {
	if t == nil {
		lossPanic(op, "%s is nil", what)
	}
	if !t.DType().IsFloat() {
		lossPanic(op, "%s of shape %s has dtype %v; it must be floating point", what, lossShape(t.Shape()), t.DType())
	}
}

// lossBroadcast returns the shape input and target broadcast to, panicking
// with both shapes when they do not broadcast. PyTorch broadcasts the
// pointwise regression losses too (with a warning); so does Ember.
func lossBroadcast(op string, input, target *tensor.Tensor) []int {
	s, ok := tensor.BroadcastShapes(input.Shape(), target.Shape())
	if !ok {
		lossPanic(op, "target of shape %s does not broadcast with input %s", lossShape(target.Shape()), lossShape(input.Shape()))
	}
	return s
}

// lossSameShape panics unless target has input's shape.
func lossSameShape(op string, input, target *tensor.Tensor) {
	is, ts := input.Shape(), target.Shape()
	if !slices.Equal(is, ts) {
		lossPanic(op, "target of shape %s does not match input %s; they must have the same shape", lossShape(ts), lossShape(is))
	}
}

// lossWeightAs returns w converted to dt (class weights and the like are
// constants of the loss, so they follow the input's dtype).
func lossWeightAs(w *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	if w == nil {
		return nil
	}
	return w.Detach().To(dt)
}
