// Package models holds ready-made networks built from package nn's modules,
// with the structure and parameter names of their PyTorch definitions so
// that PyTorch state dicts load strictly (nn.LoadStateDict with strict set,
// for instance from a safetensors file written by safetensors.torch):
//
//   - MobileNetV2 and ResNet18 as torchvision defines them
//     (torchvision.models.mobilenet_v2 and resnet18): parameter names such
//     as features.1.conv.0.0.weight, classifier.1.weight, conv1.weight,
//     bn1.running_mean, layer2.0.downsample.0.weight and fc.weight, and
//     torchvision's default initialisation;
//   - three MNIST-sized networks, MLP, SmallCNN and ExamplesNet, the models
//     Ember's benchmarks train (shared/bench/pytorch/torch_models.py).
//
// Each model is a Module whose Forward takes a batch of images ([N, C, H, W])
// and returns logits (log-probabilities for ExamplesNet). Inference should
// run with the model in evaluation mode (nn.Eval) and under autograd.NoGrad,
// where the in-place activations that torchvision uses (ReLU(inplace=True))
// overwrite their inputs instead of allocating.
package models
