package optim

import "github.com/emberml/ember/tensor"

// Optimizer updates parameters from their gradients, as torch.optim's
// optimizers: SGD, Adam, AdamW, RMSprop, Adagrad.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad clears the parameters' gradients (sets them to nil, as
	// PyTorch's zero_grad(set_to_none=True)).
	ZeroGrad()
	// Groups returns the parameter groups; schedulers change their LR.
	Groups() []*Group
	// StateDict returns the optimizer's state (per-parameter buffers such as
	// momentum, and each group's hyperparameters), as PyTorch's
	// optimizer.state_dict().
	StateDict() StateDict
	// LoadStateDict restores a state from StateDict; the groups must have
	// the same sizes.
	LoadStateDict(sd StateDict) error
}

// Group is a parameter group: parameters and the hyperparameters that apply
// to them, as an entry of PyTorch's optimizer.param_groups.
type Group struct {
	Params []*tensor.Tensor
	// LR is the current learning rate; schedulers set it.
	LR float64
	// InitialLR is the learning rate when the first scheduler attached
	// (PyTorch's initial_lr); 0 until then.
	InitialLR float64
	// Hyper holds the optimizer's other hyperparameters under PyTorch's
	// names ("momentum", "weight_decay", "beta1", "beta2", "eps", ...).
	Hyper map[string]float64
}

// StateDict is an optimizer's state in PyTorch's layout: per-parameter
// tensors by the parameter's index across all groups in order (PyTorch's
// integer keys), with PyTorch's buffer names ("momentum_buffer", "exp_avg",
// "exp_avg_sq", "step", ...), and each group's hyperparameters with its
// parameters' indices under "params". Groups holds only JSON-encodable
// values, so checkpoints can store it.
type StateDict struct {
	State  map[int]map[string]*tensor.Tensor
	Groups []map[string]any
}

// Scheduler changes the learning rates of an optimizer's groups over
// training, as torch.optim.lr_scheduler's schedulers. Call Step after the
// optimizer's Step, once per epoch (or per batch for OneCycleLR).
type Scheduler interface {
	Step()
	// LastLR returns the learning rate of each group after the last Step.
	LastLR() []float64
	// StateDict returns the scheduler's counters and settings, all
	// JSON-encodable.
	StateDict() map[string]any
	// LoadStateDict restores a state from StateDict.
	LoadStateDict(sd map[string]any) error
}
