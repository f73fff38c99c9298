package nn

import (
	"math"

	"github.com/emberml/ember/tensor"
)

// param returns t as a fresh leaf that requires grad.
func param(t *tensor.Tensor) *tensor.Tensor {
	return t.Contiguous().SetRequiresGrad(true)
}

// uniformParam returns a parameter of the given shape, uniform in
// [-bound, bound) from the default generator: PyTorch's default
// initialisation of linear and convolution layers, where
// kaiming_uniform_(a=√5) gives the weight the bound 1/√fan_in and the bias
// the same bound.
func uniformParam(bound float64, shape ...int) *tensor.Tensor {
	return param(tensor.DefaultGenerator().Uniform(-bound, bound, shape...))
}

func fanInBound(fanIn int) float64 {
	if fanIn <= 0 {
		return 0
	}
	return 1 / math.Sqrt(float64(fanIn))
}
