package nn

import (
	"strconv"

	"github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// The loss modules wrap the functions of package nn/functional, as
// torch.nn's loss classes wrap torch.nn.functional. Each holds its options
// as fields (class weights as buffers, under PyTorch's state-dict names),
// is built by NewXLoss(opts...) from the functional options struct, and is
// called as loss.Forward(input, target). Forward runs the module's hooks
// with the two tensors as inputs.

// lossForward runs f between m's forward hooks, with input and target as
// the hooks' inputs.
func lossForward(m Module, input, target *tensor.Tensor, f func(input, target *tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
	b := m.base()
	if len(b.preHooks) == 0 && len(b.hooks) == 0 {
		return f(input, target)
	}
	out := CallHooks(m, []*tensor.Tensor{input, target}, func(in []*tensor.Tensor) []*tensor.Tensor {
		if len(in) != 2 {
			panic("nn: a forward pre-hook of a loss module returned " + strconv.Itoa(len(in)) + " inputs, want 2 (input, target)")
		}
		return []*tensor.Tensor{f(in[0], in[1])}
	})
	if len(out) != 1 {
		panic("nn: a forward hook of a loss module returned " + strconv.Itoa(len(out)) + " outputs, want 1")
	}
	return out[0]
}

// CrossEntropyLoss is torch.nn.CrossEntropyLoss: log_softmax over the
// class dimension followed by the negative log-likelihood, for class-index
// or class-probability targets (see [functional.CrossEntropy] for shapes, weights,
// ignored targets and label smoothing).
type CrossEntropyLoss struct {
	Base
	// Weight holds one weight per class, or nil; a buffer named "weight".
	Weight *tensor.Tensor `nn:",buffer"`
	// IgnoreIndex applies when non-zero or HasIgnoreIndex is set; else
	// PyTorch's -100 (see functional.CrossEntropyOptions).
	IgnoreIndex    int
	HasIgnoreIndex bool
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// LabelSmoothing is in [0, 1].
	LabelSmoothing float64
}

// NewCrossEntropyLoss returns a CrossEntropyLoss with the given options
// (PyTorch's defaults without any).
func NewCrossEntropyLoss(opts ...functional.CrossEntropyOptions) *CrossEntropyLoss {
	var o functional.CrossEntropyOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &CrossEntropyLoss{Weight: o.Weight, IgnoreIndex: o.IgnoreIndex, HasIgnoreIndex: o.HasIgnoreIndex,
		Reduction: o.Reduction, LabelSmoothing: o.LabelSmoothing}
}

// Forward returns the loss of input (logits) against target.
func (m *CrossEntropyLoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.CrossEntropy(x, t, functional.CrossEntropyOptions{Weight: m.Weight, IgnoreIndex: m.IgnoreIndex,
			HasIgnoreIndex: m.HasIgnoreIndex, Reduction: m.Reduction, LabelSmoothing: m.LabelSmoothing})
	})
}

// NLLLoss is torch.nn.NLLLoss, the negative log-likelihood of
// log-probabilities at class-index targets (see [functional.NLLLoss]).
type NLLLoss struct {
	Base
	// Weight holds one weight per class, or nil; a buffer named "weight".
	Weight *tensor.Tensor `nn:",buffer"`
	// IgnoreIndex applies when non-zero or HasIgnoreIndex is set; else
	// PyTorch's -100.
	IgnoreIndex    int
	HasIgnoreIndex bool
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NewNLLLoss returns an NLLLoss with the given options.
func NewNLLLoss(opts ...functional.NLLOptions) *NLLLoss {
	var o functional.NLLOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &NLLLoss{Weight: o.Weight, IgnoreIndex: o.IgnoreIndex, HasIgnoreIndex: o.HasIgnoreIndex, Reduction: o.Reduction}
}

// Forward returns the loss of input (log-probabilities) against target.
func (m *NLLLoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.NLLLoss(x, t, functional.NLLOptions{Weight: m.Weight, IgnoreIndex: m.IgnoreIndex, HasIgnoreIndex: m.HasIgnoreIndex,
			Reduction: m.Reduction})
	})
}

// MSELoss is torch.nn.MSELoss, the mean squared error (see [functional.MSELoss]).
type MSELoss struct {
	Base
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NewMSELoss returns an MSELoss with the given options.
func NewMSELoss(opts ...functional.ReductionOptions) *MSELoss {
	var o functional.ReductionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &MSELoss{Reduction: o.Reduction}
}

// Forward returns the loss of input against target.
func (m *MSELoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.MSELoss(x, t, functional.ReductionOptions{Reduction: m.Reduction})
	})
}

// L1Loss is torch.nn.L1Loss, the mean absolute error (see [functional.L1Loss]).
type L1Loss struct {
	Base
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NewL1Loss returns an L1Loss with the given options.
func NewL1Loss(opts ...functional.ReductionOptions) *L1Loss {
	var o functional.ReductionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &L1Loss{Reduction: o.Reduction}
}

// Forward returns the loss of input against target.
func (m *L1Loss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.L1Loss(x, t, functional.ReductionOptions{Reduction: m.Reduction})
	})
}

// SmoothL1Loss is torch.nn.SmoothL1Loss (see [functional.SmoothL1Loss]).
type SmoothL1Loss struct {
	Base
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// Beta is where the loss turns linear; zero means PyTorch's 1.
	Beta float64
}

// NewSmoothL1Loss returns a SmoothL1Loss with the given options.
func NewSmoothL1Loss(opts ...functional.SmoothL1Options) *SmoothL1Loss {
	var o functional.SmoothL1Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return &SmoothL1Loss{Reduction: o.Reduction, Beta: o.Beta}
}

// Forward returns the loss of input against target.
func (m *SmoothL1Loss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.SmoothL1Loss(x, t, functional.SmoothL1Options{Reduction: m.Reduction, Beta: m.Beta})
	})
}

// HuberLoss is torch.nn.HuberLoss (see [functional.HuberLoss]).
type HuberLoss struct {
	Base
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
	// Delta is where the loss turns linear; zero means PyTorch's 1.
	Delta float64
}

// NewHuberLoss returns a HuberLoss with the given options.
func NewHuberLoss(opts ...functional.HuberOptions) *HuberLoss {
	var o functional.HuberOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &HuberLoss{Reduction: o.Reduction, Delta: o.Delta}
}

// Forward returns the loss of input against target.
func (m *HuberLoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.HuberLoss(x, t, functional.HuberOptions{Reduction: m.Reduction, Delta: m.Delta})
	})
}

// BCELoss is torch.nn.BCELoss, the binary cross entropy of probabilities
// (see [functional.BCELoss]).
type BCELoss struct {
	Base
	// Weight rescales each element's loss (it broadcasts to the input), or
	// nil; a buffer named "weight".
	Weight *tensor.Tensor `nn:",buffer"`
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NewBCELoss returns a BCELoss with the given options.
func NewBCELoss(opts ...functional.BCEOptions) *BCELoss {
	var o functional.BCEOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &BCELoss{Weight: o.Weight, Reduction: o.Reduction}
}

// Forward returns the loss of input (probabilities) against target.
func (m *BCELoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.BCELoss(x, t, functional.BCEOptions{Weight: m.Weight, Reduction: m.Reduction})
	})
}

// BCEWithLogitsLoss is torch.nn.BCEWithLogitsLoss, the binary cross
// entropy of logits (see [functional.BCEWithLogitsLoss]).
type BCEWithLogitsLoss struct {
	Base
	// Weight rescales each element's loss, or nil; a buffer named "weight".
	Weight *tensor.Tensor `nn:",buffer"`
	// PosWeight weighs the positive term per class, or nil; a buffer named
	// "pos_weight".
	PosWeight *tensor.Tensor `nn:",buffer"`
	// Reduction is "mean" (also ""), "sum" or "none".
	Reduction string
}

// NewBCEWithLogitsLoss returns a BCEWithLogitsLoss with the given options.
func NewBCEWithLogitsLoss(opts ...functional.BCEWithLogitsOptions) *BCEWithLogitsLoss {
	var o functional.BCEWithLogitsOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &BCEWithLogitsLoss{Weight: o.Weight, PosWeight: o.PosWeight, Reduction: o.Reduction}
}

// Forward returns the loss of input (logits) against target.
func (m *BCEWithLogitsLoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.BCEWithLogitsLoss(x, t, functional.BCEWithLogitsOptions{Weight: m.Weight, PosWeight: m.PosWeight, Reduction: m.Reduction})
	})
}

// KLDivLoss is torch.nn.KLDivLoss, the Kullback-Leibler divergence of
// log-probabilities input from target (see [functional.KLDivLoss]).
type KLDivLoss struct {
	Base
	// Reduction is "mean" (also ""), "batchmean", "sum" or "none";
	// "batchmean" is the true KL divergence.
	Reduction string
	// LogTarget says the target holds log-probabilities.
	LogTarget bool
}

// NewKLDivLoss returns a KLDivLoss with the given options.
func NewKLDivLoss(opts ...functional.KLDivOptions) *KLDivLoss {
	var o functional.KLDivOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return &KLDivLoss{Reduction: o.Reduction, LogTarget: o.LogTarget}
}

// Forward returns the loss of input (log-probabilities) against target.
func (m *KLDivLoss) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	return lossForward(m, input, target, func(x, t *tensor.Tensor) *tensor.Tensor {
		return functional.KLDivLoss(x, t, functional.KLDivOptions{Reduction: m.Reduction, LogTarget: m.LogTarget})
	})
}

func (m *CrossEntropyLoss) hooksInForward()  {}
func (m *NLLLoss) hooksInForward()           {}
func (m *MSELoss) hooksInForward()           {}
func (m *L1Loss) hooksInForward()            {}
func (m *SmoothL1Loss) hooksInForward()      {}
func (m *HuberLoss) hooksInForward()         {}
func (m *BCELoss) hooksInForward()           {}
func (m *BCEWithLogitsLoss) hooksInForward() {}
func (m *KLDivLoss) hooksInForward()         {}
