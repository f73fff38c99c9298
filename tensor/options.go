package tensor

import "math"

// Option structs follow one convention (see Conv2dOptions, MaxPool2dOptions,
// InterpolateOptions, ...):
//
//   - An option that PyTorch takes as "int or tuple" is a []int ([]float64
//     for a scale factor) in the 2-D ops: one value, used for every spatial
//     dimension, or one per dimension ([height, width]). Nil or empty means
//     PyTorch's default.
//   - The same option of a 1-D op is a plain int, and zero means PyTorch's
//     default.
//
// apiDims and apiDim below turn both forms into per-dimension values and
// panic, naming the op, the field and the value given, when an option is
// malformed.

// apiDims expands the "int or tuple" field of op's options, given as v, into
// nd per-dimension values. v may hold one value (used for every dimension)
// or nd values, each at least lo (0: not negative, 1: positive). When v is
// empty the result is def: one value (used for every dimension) or nd
// values; an empty def marks a required option, and leaving it empty
// panics.
func apiDims(op, field string, v []int, nd, lo int, def ...int) []int {
	return apiExpand(op, field, v, v, nd, def, func(x int) bool { return x >= lo }, apiWant(lo))
}

// apiDim resolves a 1-D op's option: zero means the default def (an empty
// def marks a required option), and any other value must be at least lo.
func apiDim(op, field string, v, lo int, def ...int) int {
	var s []int
	if v != 0 {
		s = []int{v}
	}
	return apiExpand(op, field, v, s, 1, def, func(x int) bool { return x >= lo }, apiWant(lo))[0]
}

// apiScales checks a []float64 "float or tuple" option such as
// InterpolateOptions.ScaleFactor and expands it into nd values, each
// positive and finite; an empty v gives nil (the option is not set).
func apiScales(op, field string, v []float64, nd int) []float64 {
	if len(v) == 0 {
		return nil
	}
	return apiExpand(op, field, v, v, nd, nil, func(x float64) bool { return x > 0 && !math.IsInf(x, 1) }, "positive and finite")
}

func apiWant(lo int) string {
	switch lo {
	case 0:
		return "non-negative"
	case 1:
		return "positive"
	}
	panic("tensor: apiWant: unsupported minimum")
}

// apiExpand is the shared body of apiDims, apiDim and apiScales; got is the
// field's value as the caller wrote it, for messages.
func apiExpand[T int | float64](op, field string, got any, v []T, nd int, def []T, valid func(T) bool, want string) []T {
	switch {
	case len(v) == 0 && len(def) == 0:
		panicf(op, "%s must be set (it has no default)", field)
	case len(v) == 0:
		v = def // defaults are not checked: DivisorOverride's 0 means none
	case len(v) != 1 && len(v) != nd:
		panicf(op, "%s must hold 1 or %d values, got %v", field, nd, got)
	default:
		for _, x := range v {
			if !valid(x) {
				panicf(op, "%s must be %s, got %v", field, want, got)
			}
		}
	}
	out := make([]T, nd)
	for i := range out {
		if len(v) == 1 {
			out[i] = v[0]
		} else {
			out[i] = v[i]
		}
	}
	return out
}
