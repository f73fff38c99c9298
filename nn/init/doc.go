// Package nninit fills parameter tensors in place with PyTorch's
// initialisation schemes, as torch.nn.init: Uniform_, Normal_, TruncNormal_,
// Constant_, Zeros_, Ones_, Eye_, Dirac_, XavierUniform_, XavierNormal_,
// KaimingUniform_, KaimingNormal_ and Orthogonal_, with CalculateGain and
// FanInAndFanOut computing gains and fans exactly as PyTorch does. Go does
// not let a package be imported under the name init, so the package in
// folder nn/init is called nninit:
//
//	import nninit "github.com/emberml/ember/nn/init"
//
//	nninit.KaimingNormal_(conv.Weight, nninit.KaimingOptions{Mode: "fan_out", Nonlinearity: "relu"}, nil)
//
// Every initialiser writes into its tensor with gradient recording off (as
// PyTorch's run under torch.no_grad), so it works on parameters that
// require grad, and returns the tensor. The random ones take a
// *tensor.Generator; nil means tensor.DefaultGenerator(), the generator
// tensor.ManualSeed seeds. Values are drawn in the tensor's dtype when it is
// the default dtype (or narrower), and in float64 for a float64 tensor. An
// empty tensor is left alone. Misuse (too few dimensions for a fan, an
// unknown mode or nonlinearity) panics with a message naming the function.
package nninit
