// Package functional holds Ember's loss functions as plain functions, the
// counterpart of torch.nn.functional's losses: CrossEntropy, NLLLoss,
// MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss and
// KLDivLoss, with PyTorch 1.13's options, reductions and gradients. Package
// nn wraps each one in a module (nn.CrossEntropyLoss, ...). Import it as
//
//	import F "github.com/emberml/ember/nn/functional"
//
// Every loss takes the input (predictions), the target and an optional
// options struct whose zero value is PyTorch's defaults; in particular
// Reduction "" means "mean", and the other values are "sum" and "none"
// (KLDivLoss also takes "batchmean"). Losses are differentiable with
// respect to the input, and with respect to the target wherever PyTorch
// differentiates it (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss,
// BCEWithLogitsLoss, KLDivLoss and CrossEntropy with class probabilities);
// class weights are constants.
//
// CrossEntropy and NLLLoss with class-index targets run as one fused
// operation with its own backward, softmax(x) - onehot(target) scaled by
// the weights and the reduction, since they sit in every classification
// training step; the other losses are compositions of tensor operations.
//
// Misuse (shapes that do not fit, a target of the wrong dtype, an unknown
// reduction) panics with a message that names the loss and the shapes, as
// the tensor package does.
package functional
