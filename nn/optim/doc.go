// Package optim holds optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) with
// parameter groups and state dicts, learning-rate schedulers (StepLR,
// MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR,
// ReduceLROnPlateau, linear warm-up) and gradient clipping, following
// torch.optim's update rules exactly so that a parameter follows the same
// trajectory as in PyTorch.
package optim
