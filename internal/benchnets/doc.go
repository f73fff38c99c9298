// Package benchnets defines the networks that Ember's CPU kernels are
// measured on, written with the functional tensor API (the nn package comes
// later): the MNIST-shaped MLP, SmallCNN and ExamplesNet of
// shared/bench/pytorch/torch_models.py, and torchvision's MobileNetV2 and
// ResNet18 for eager inference. Parameters are plain tensors with PyTorch's
// shapes and the scale of its default initialisation (values drawn from a
// seeded stream, so they differ from PyTorch's).
//
// The package also has a training step (cross-entropy, Backward, SGD) that
// mirrors torch_mnist.py, and its tests hold the benchmarks that compare
// Ember with PyTorch on the same machine:
//
//	go test -run '^$' -bench . -benchtime 5x ./internal/benchnets/
//	/usr/bin/python3 shared/bench/pytorch/torch_mnist.py 1   # TrainStep
//	/usr/bin/python3 internal/benchnets/torch_eager.py 1     # Forward
package benchnets
