// Package optim holds optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) with
// parameter groups and state dicts, learning-rate schedulers (StepLR,
// MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR for warm-up,
// ConstantLR, OneCycleLR, ReduceLROnPlateau, SequentialLR,
// ChainedScheduler) and gradient clipping, following torch.optim 1.13's
// update rules exactly, so that a parameter follows the same trajectory as
// in PyTorch: given the same gradients, float32 and float64 parameters
// match PyTorch's bit for bit after every step (the golden tests check 40
// configurations), and the schedules' learning rates and momenta match to
// the last bit too.
//
// A training step reads as in PyTorch:
//
//	opt := optim.NewSGD(nn.Parameters(model), optim.SGDOptions{LR: 0.1, Momentum: 0.9})
//	sched := optim.NewStepLR(opt, 30, optim.StepLROptions{Gamma: 0.1})
//	for epoch := range epochs {
//		for _, batch := range batches {
//			opt.ZeroGrad()
//			loss := lossFn(model.Forward(batch.X), batch.Y)
//			loss.Backward()
//			optim.ClipGradNorm(nn.Parameters(model), 1.0, 2) // optional
//			opt.Step()
//		}
//		sched.Step()
//	}
//
// # Options and parameter groups
//
// Each optimizer takes an options struct whose zero values are PyTorch's
// defaults (Adam's LR 1e-3, betas (0.9, 0.999), eps 1e-8; AdamW's weight
// decay 0.01; RMSprop's LR 1e-2 and alpha 0.99; Adagrad's LR 1e-2 and eps
// 1e-10). SGD's LR has no default, in PyTorch as here: leaving it 0 panics.
// A hyperparameter that must be exactly 0 where 0 means the default is set
// by a flag (AdamWOptions.NoWeightDecay) or through GroupSpec.Options,
// which names hyperparameters as PyTorch's param_groups dicts do and wins
// even with 0. The New*Groups constructors take several groups, each
// overriding the defaults per hyperparameter, as PyTorch's list of dicts.
// After construction, Groups returns the live groups: a group's LR and
// Hyper (by PyTorch's names; booleans as 0 or 1) are read at every Step,
// which is how schedulers work.
//
// Steps update parameters in place, outside autograd (nothing is recorded,
// whatever the grad mode), and mark them written as an in-place op does.
// Parameters without a gradient are skipped. Parameters must be float32 or
// float64. The update of a parameter runs as PyTorch's sequence of
// elementwise ops, each rounded as PyTorch's CPU kernels round it, but
// fused: blocks of a few thousand elements pass through every op while in
// cache, with accel/cpu's vector kernels, and large parameters spread over
// the worker pool. An optimizer is not safe for concurrent use.
//
// # State dicts
//
// StateDict returns PyTorch's layout: per-parameter state under the
// parameter's index across all groups ("momentum_buffer", "exp_avg",
// "exp_avg_sq", "max_exp_avg_sq", "square_avg", "grad_avg", "sum", and
// "step" as a 0-dim float32 tensor, or int64 for RMSprop, whose PyTorch
// 1.13 step is a Python int), and per group its hyperparameters under
// PyTorch's keys (Adam's "betas" as a pair, booleans as bools, the keys
// PyTorch keeps but Ember does not use, such as "foreach", with PyTorch's
// defaults), "initial_lr" once a scheduler set it, and "params". The group
// maps hold only JSON-encodable values. Unlike PyTorch, the state tensors
// are copies, so a saved state does not change with later steps; and an
// SGD parameter stepped without momentum has no entry (PyTorch lists a
// None buffer). LoadStateDict copies a saved state in, checking group
// sizes, shapes and keys, and changes nothing when it fails.
//
// # Schedulers
//
// Constructing a scheduler records each group's initial_lr (unless an
// earlier scheduler did) and performs PyTorch's initial step, so the
// learning rate right after construction is the schedule's value at epoch
// 0. Call Step after the optimizer's Step: once per epoch, or once per batch
// for OneCycleLR. ReduceLROnPlateau is driven by StepMetric(v) instead; its
// Step panics. Scheduler state dicts use PyTorch's attribute names and hold
// JSON-encodable values only (an infinite best metric is the string "inf").
package optim
