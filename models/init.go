package models

import (
	"fmt"
	"math"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// modelsFanOut returns PyTorch's fan_out of a weight: size(0) times the
// receptive field (the product of the sizes after the first two). Like
// PyTorch's it ignores groups, so a depthwise convolution's fan-out is
// out_channels·kh·kw.
func modelsFanOut(w *tensor.Tensor) int {
	s := w.Shape()
	n := s[0]
	for _, d := range s[2:] {
		n *= d
	}
	return n
}

// modelsKaimingNormalFanOut returns a fresh parameter shaped like w drawn
// from N(0, 2/fan_out) by the default generator, as
// nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu") (the gain
// √2 is also what the default leaky_relu with a=0 gives).
func modelsKaimingNormalFanOut(w *tensor.Tensor) *tensor.Tensor {
	std := math.Sqrt(2 / float64(modelsFanOut(w)))
	return modelsParam(tensor.DefaultGenerator().Normal(0, std, w.Shape()...))
}

// modelsParam makes t a leaf that requires grad, as nn's parameters are.
func modelsParam(t *tensor.Tensor) *tensor.Tensor { return t.SetRequiresGrad(true) }

// modelsInitConvs re-initialises every Conv2d below m as torchvision's
// ResNet and MobileNetV2 do: kaiming_normal_(mode="fan_out") weights and
// zero biases. BatchNorm layers keep nn's ones and zeros.
func modelsInitConvs(m nn.Module) {
	nn.Apply(m, func(mod nn.Module) {
		if c, ok := mod.(*nn.Conv2d); ok {
			c.Weight = modelsKaimingNormalFanOut(c.Weight)
			if c.Bias != nil {
				c.Bias = modelsParam(tensor.Zeros(c.Bias.Shape()...))
			}
		}
	})
}

// modelsConv2d returns a bias-free k×k Conv2d with padding (k-1)/2, the
// convolution of torchvision's Conv2dNormActivation and ResNet blocks.
func modelsConv2d(in, out, k, stride, groups int) *nn.Conv2d {
	return nn.NewConv2d(in, out, k, nn.Conv2dOptions{
		Stride: []int{stride}, Padding: []int{(k - 1) / 2}, Groups: groups, NoBias: true})
}

// modelsCanInPlace reports whether an in-place op may overwrite x: Ember's
// autograd does not record in-place ops, so only when x is not part of a
// graph being recorded (under NoGrad, or when x needs no gradient).
func modelsCanInPlace(x *tensor.Tensor) bool { return !tensor.GradEnabled() || !x.RequiresGrad() }

func modelsCheckClasses(op string, n int) {
	if n <= 0 {
		panic(fmt.Sprintf("models.%s: numClasses must be positive, got %d", op, n))
	}
}
