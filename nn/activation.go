package nn

import (
	"fmt"
	"math"
	"strconv"

	"github.com/emberml/ember/tensor"
)

// ReLU applies max(x, 0), as torch.nn.ReLU. With Inplace set it overwrites
// its input (PyTorch's inplace=True) when that input needs no gradient;
// Ember's autograd does not record in-place ops, so an input that requires
// grad gets a new output instead, with the same values and gradients.
type ReLU struct {
	Base
	Inplace bool
}

// NewReLU returns a ReLU module.
func NewReLU() *ReLU { return &ReLU{} }

// Forward applies the activation.
func (m *ReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		if m.Inplace && actCanInplace(x) {
			return x.ReLU_()
		}
		return x.ReLU()
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *ReLU) ExtraRepr() string { return actInplace("", m.Inplace) }

// ReLU6 applies min(max(x, 0), 6), as torch.nn.ReLU6; Inplace works as
// ReLU's.
type ReLU6 struct {
	Base
	Inplace bool
}

// NewReLU6 returns a ReLU6 module.
func NewReLU6() *ReLU6 { return &ReLU6{} }

// Forward applies the activation.
func (m *ReLU6) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		if m.Inplace && actCanInplace(x) {
			return x.ReLU6_()
		}
		return x.ReLU6()
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *ReLU6) ExtraRepr() string { return actInplace("", m.Inplace) }

// LeakyReLU applies x for x >= 0 and NegativeSlope·x below, as
// torch.nn.LeakyReLU (default slope 0.01).
type LeakyReLU struct {
	Base
	NegativeSlope float64
}

// NewLeakyReLU returns a LeakyReLU with the given negative slope.
func NewLeakyReLU(slope float64) *LeakyReLU { return &LeakyReLU{NegativeSlope: slope} }

// Forward applies the activation.
func (m *LeakyReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.LeakyReLU(m.NegativeSlope) })
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *LeakyReLU) ExtraRepr() string { return "negative_slope=" + reprFloat(m.NegativeSlope) }

// ELU applies x for x > 0 and Alpha·(eˣ-1) below, as torch.nn.ELU.
type ELU struct {
	Base
	Alpha float64
}

// NewELU returns an ELU with the given alpha (PyTorch's default is 1).
func NewELU(alpha float64) *ELU { return &ELU{Alpha: alpha} }

// Forward applies the activation.
func (m *ELU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.ELU(m.Alpha) })
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *ELU) ExtraRepr() string { return "alpha=" + reprFloat(m.Alpha) }

// GELU applies x·Φ(x), as torch.nn.GELU; Approximate "tanh" uses the tanh
// approximation, "" or "none" the exact erf form.
type GELU struct {
	Base
	Approximate string
}

// NewGELU returns an exact GELU module.
func NewGELU() *GELU { return &GELU{} }

// Forward applies the activation.
func (m *GELU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		a := m.Approximate
		if a == "" {
			a = "none"
		}
		return x.GELU(a)
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *GELU) ExtraRepr() string {
	a := m.Approximate
	if a == "" {
		a = "none"
	}
	return "approximate='" + a + "'"
}

// Hardtanh clamps to [Min, Max], as torch.nn.Hardtanh (default [-1, 1]).
// Inplace works as ReLU's.
type Hardtanh struct {
	Base
	Min, Max float64
	Inplace  bool
}

// NewHardtanh returns a Hardtanh clamping to [lo, hi].
func NewHardtanh(lo, hi float64) *Hardtanh {
	if lo > hi {
		panic(fmt.Sprintf("nn.NewHardtanh: min %g is greater than max %g", lo, hi))
	}
	return &Hardtanh{Min: lo, Max: hi}
}

// Forward applies the activation.
func (m *Hardtanh) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		if m.Inplace && actCanInplace(x) {
			return x.Hardtanh_(m.Min, m.Max)
		}
		return x.Hardtanh(m.Min, m.Max)
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *Hardtanh) ExtraRepr() string {
	return actInplace("min_val="+reprFloat(m.Min)+", max_val="+reprFloat(m.Max), m.Inplace)
}

// Softplus applies log(1+e^(βx))/β, linear above Threshold, as
// torch.nn.Softplus (defaults β = 1, threshold 20; zero values take them).
type Softplus struct {
	Base
	Beta, Threshold float64
}

// NewSoftplus returns a Softplus with PyTorch's defaults.
func NewSoftplus() *Softplus { return &Softplus{Beta: 1, Threshold: 20} }

// Forward applies the activation.
func (m *Softplus) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		b, t := m.Beta, m.Threshold
		if b == 0 {
			b = 1
		}
		if t == 0 {
			t = 20
		}
		return x.Softplus(b, t)
	})
}

// ExtraRepr describes the layer as PyTorch prints it; whole numbers print
// without a fraction, as PyTorch's integer defaults (beta=1, threshold=20)
// do.
func (m *Softplus) ExtraRepr() string {
	b, t := m.Beta, m.Threshold
	if b == 0 {
		b = 1
	}
	if t == 0 {
		t = 20
	}
	return "beta=" + actNumber(b) + ", threshold=" + actNumber(t)
}

// Softmax normalises along Dim to probabilities, as torch.nn.Softmax.
type Softmax struct {
	Base
	Dim int
}

// NewSoftmax returns a Softmax along dim.
func NewSoftmax(dim int) *Softmax { return &Softmax{Dim: dim} }

// Forward applies the softmax.
func (m *Softmax) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.Softmax(m.Dim) })
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *Softmax) ExtraRepr() string { return fmt.Sprintf("dim=%d", m.Dim) }

// LogSoftmax is the logarithm of Softmax along Dim, as torch.nn.LogSoftmax.
type LogSoftmax struct {
	Base
	Dim int
}

// NewLogSoftmax returns a LogSoftmax along dim.
func NewLogSoftmax(dim int) *LogSoftmax { return &LogSoftmax{Dim: dim} }

// Forward applies the log-softmax.
func (m *LogSoftmax) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(m.Dim) })
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *LogSoftmax) ExtraRepr() string { return fmt.Sprintf("dim=%d", m.Dim) }

// Sigmoid applies 1/(1+e⁻ˣ), as torch.nn.Sigmoid.
type Sigmoid struct{ Base }

// NewSigmoid returns a Sigmoid module.
func NewSigmoid() *Sigmoid { return &Sigmoid{} }

// Forward applies the activation.
func (m *Sigmoid) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).Sigmoid)
}

// Tanh applies the hyperbolic tangent, as torch.nn.Tanh.
type Tanh struct{ Base }

// NewTanh returns a Tanh module.
func NewTanh() *Tanh { return &Tanh{} }

// Forward applies the activation.
func (m *Tanh) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).Tanh)
}

// SiLU applies x·sigmoid(x), as torch.nn.SiLU.
type SiLU struct{ Base }

// NewSiLU returns a SiLU module.
func NewSiLU() *SiLU { return &SiLU{} }

// Forward applies the activation.
func (m *SiLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).SiLU)
}

// Mish applies x·tanh(softplus(x)), as torch.nn.Mish.
type Mish struct{ Base }

// NewMish returns a Mish module.
func NewMish() *Mish { return &Mish{} }

// Forward applies the activation.
func (m *Mish) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).Mish)
}

// Hardswish applies x·relu6(x+3)/6, as torch.nn.Hardswish.
type Hardswish struct{ Base }

// NewHardswish returns a Hardswish module.
func NewHardswish() *Hardswish { return &Hardswish{} }

// Forward applies the activation.
func (m *Hardswish) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).Hardswish)
}

// Hardsigmoid applies relu6(x+3)/6, as torch.nn.Hardsigmoid.
type Hardsigmoid struct{ Base }

// NewHardsigmoid returns a Hardsigmoid module.
func NewHardsigmoid() *Hardsigmoid { return &Hardsigmoid{} }

// Forward applies the activation.
func (m *Hardsigmoid) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, (*tensor.Tensor).Hardsigmoid)
}

func (m *ReLU) hooksInForward()        {}
func (m *ReLU6) hooksInForward()       {}
func (m *LeakyReLU) hooksInForward()   {}
func (m *ELU) hooksInForward()         {}
func (m *GELU) hooksInForward()        {}
func (m *Hardtanh) hooksInForward()    {}
func (m *Softplus) hooksInForward()    {}
func (m *Softmax) hooksInForward()     {}
func (m *LogSoftmax) hooksInForward()  {}
func (m *Sigmoid) hooksInForward()     {}
func (m *Tanh) hooksInForward()        {}
func (m *SiLU) hooksInForward()        {}
func (m *Mish) hooksInForward()        {}
func (m *Hardswish) hooksInForward()   {}
func (m *Hardsigmoid) hooksInForward() {}

// actInplace appends PyTorch's inplace note to an activation's extra_repr.
func actInplace(s string, inplace bool) string {
	if !inplace {
		return s
	}
	if s == "" {
		return "inplace=True"
	}
	return s + ", inplace=True"
}

// actNumber prints a whole number as an int and anything else as Python
// prints a float.
func actNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return reprFloat(v)
}

// actCanInplace reports whether an in-place activation may overwrite x:
// only when no gradient has to flow through it.
func actCanInplace(x *tensor.Tensor) bool { return !x.RequiresGrad() || !tensor.GradEnabled() }
