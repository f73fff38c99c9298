// Package nn builds neural networks from modules, as torch.nn does.
//
// A module is any struct that embeds [Base]. Its parameters, buffers and
// submodules are its fields: a *tensor.Tensor field is a parameter (a buffer
// with the tag `nn:"buffer"`), a field holding a [Module] is a child, and
// slices, arrays and string-keyed maps of either are numbered or keyed
// children, exactly as PyTorch's ModuleList, ParameterList and ModuleDict
// name them. Names follow PyTorch: a Go field name becomes snake_case
// (Conv1 → conv1, RunningMean → running_mean) unless a tag names it
// (`nn:"fc"`), and `nn:"-"` hides a field. So
//
//	type Net struct {
//		nn.Base
//		Features   *nn.Sequential
//		Classifier *nn.Linear
//	}
//
// has the parameters features.0.weight, ..., classifier.weight, the names a
// PyTorch state dict of the same network uses. The package functions walk a
// module tree: [Parameters], [NamedParameters], [Buffers], [Children],
// [NamedModules], [Train], [Eval], [ZeroGrad], [Apply], [StateDict] and
// [LoadStateDict]; Go cannot give an embedded Base's methods the outer
// struct, so these are functions rather than methods.
//
// The layers (Linear, Conv2d, BatchNorm2d, LSTM, MultiheadAttention, ...)
// have PyTorch's defaults: initialisation, eps, momentum, bias on. Their
// options structs use zero values for PyTorch's defaults, so a negated name
// (NoBias) stands where PyTorch's default is true. Loss functions live in
// package nn/functional and as modules here (CrossEntropyLoss, MSELoss, ...);
// optimizers and learning-rate schedules in nn/optim; initialisers in nn/init.
package nn
