package autograd

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// GradcheckOptions tune Gradcheck. Zero values take the defaults shown.
type GradcheckOptions struct {
	Eps  float64 // finite-difference step (1e-6)
	Atol float64 // absolute tolerance (1e-5)
	Rtol float64 // relative tolerance (1e-3)
}

// Gradcheck compares the analytic gradients of f at inputs with central
// finite differences, as torch.autograd.gradcheck. Inputs must be float64;
// those that require grad are checked. f may return a tensor of any shape:
// each output element is checked (the Jacobian is compared row by row). It
// returns nil when every entry agrees within atol + rtol*|numeric|, and an
// error naming the first disagreement otherwise.
func Gradcheck(f func(inputs ...*tensor.Tensor) *tensor.Tensor, inputs []*tensor.Tensor, o GradcheckOptions) error {
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.Atol == 0 {
		o.Atol = 1e-5
	}
	if o.Rtol == 0 {
		o.Rtol = 1e-3
	}
	var diff []*tensor.Tensor
	var diffIdx []int
	for i, in := range inputs {
		if in.RequiresGrad() {
			if in.DType() != tensor.Float64 {
				return fmt.Errorf("gradcheck: input %d is %v; use float64 inputs", i, in.DType())
			}
			diff = append(diff, in)
			diffIdx = append(diffIdx, i)
		}
	}
	if len(diff) == 0 {
		return fmt.Errorf("gradcheck: no input requires grad")
	}
	// Numeric evaluations keep grad mode as it is: f may itself call Grad
	// (to check a second derivative), which needs the graph.
	eval := func() []float64 { return f(inputs...).ToFloat64s() }
	out := f(inputs...)
	if !out.RequiresGrad() {
		return fmt.Errorf("gradcheck: output does not require grad")
	}
	nOut := out.Numel()
	shape := out.Shape()
	// Analytic Jacobian, one output element at a time.
	analytic := make([][][]float64, len(diff)) // [input][outIdx][inElem]
	for k := range diff {
		analytic[k] = make([][]float64, nOut)
	}
	for j := range nOut {
		g := tensor.Empty(out.DType(), shape...)
		flat := g.Data().([]float64)
		flat[j] = 1
		var o2 *tensor.Tensor
		if j == 0 {
			o2 = out
		} else {
			o2 = f(inputs...)
		}
		gs := Grad([]*tensor.Tensor{o2}, diff, GradOptions{GradOutputs: []*tensor.Tensor{g}, AllowUnused: true})
		for k, gk := range gs {
			if gk == nil {
				analytic[k][j] = make([]float64, diff[k].Numel())
				continue
			}
			analytic[k][j] = gk.ToFloat64s()
		}
	}
	// Numeric Jacobian by central differences.
	for k, in := range diff {
		for e := range in.Numel() {
			idx := unravel(e, in.Shape())
			orig := in.At(idx...)
			NoGrad(func() { in.Set(orig+o.Eps, idx...) })
			plus := eval()
			NoGrad(func() { in.Set(orig-o.Eps, idx...) })
			minus := eval()
			NoGrad(func() { in.Set(orig, idx...) })
			for j := range nOut {
				num := (plus[j] - minus[j]) / (2 * o.Eps)
				ana := analytic[k][j][e]
				if math.IsNaN(num) != math.IsNaN(ana) || math.Abs(num-ana) > o.Atol+o.Rtol*math.Abs(num) {
					return fmt.Errorf("gradcheck: input %d element %v, output element %d: analytic %.8g, numeric %.8g", diffIdx[k], idx, j, ana, num)
				}
			}
		}
	}
	return nil
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}
