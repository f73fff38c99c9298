package benchnets

import (
	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// CrossEntropy is F.cross_entropy(logits, target) with mean reduction,
// composed as -mean(log_softmax(logits)[i, target[i]]): logits is [N, K],
// target holds N int64 class indices.
func CrossEntropy(logits, target *tensor.Tensor) *tensor.Tensor {
	return logits.LogSoftmax(1).Gather(1, target.Unsqueeze(1)).Mean().Neg()
}

// SGD is torch.optim.SGD without weight decay, dampening or Nesterov:
// with momentum μ it keeps a buffer b = μ·b + grad (b = grad on the first
// step) and updates p -= lr·b; with μ = 0, p -= lr·grad.
type SGD struct {
	Params   []*tensor.Tensor
	LR       float64
	Momentum float64
	bufs     []*tensor.Tensor
}

// NewSGD returns an SGD optimiser over params.
func NewSGD(params []*tensor.Tensor, lr, momentum float64) *SGD {
	return &SGD{Params: params, LR: lr, Momentum: momentum, bufs: make([]*tensor.Tensor, len(params))}
}

// ZeroGrad drops every parameter's gradient (set_to_none, PyTorch's
// default since 2.0).
func (o *SGD) ZeroGrad() {
	for _, p := range o.Params {
		p.ZeroGrad()
	}
}

// Step updates the parameters from their gradients, without recording.
func (o *SGD) Step() {
	autograd.NoGrad(func() {
		for i, p := range o.Params {
			g := p.Grad()
			if g == nil {
				continue
			}
			if o.Momentum != 0 {
				if o.bufs[i] == nil {
					o.bufs[i] = g.Clone()
				} else {
					o.bufs[i].Mul_(tensor.Scalar(o.Momentum)).Add_(g)
				}
				g = o.bufs[i]
			}
			p.AddScaled_(g, -o.LR) // p.add_(g, alpha=-lr), as torch.optim.SGD
		}
	})
}

// TrainStep runs one training step of net on the batch (x, y), as
// torch_mnist.py's step does: zero the gradients, forward, cross-entropy
// loss, backward, optimiser step. It returns the loss before the update.
func TrainStep(net Net, opt *SGD, x, y *tensor.Tensor) float64 {
	opt.ZeroGrad()
	loss := CrossEntropy(net.Forward(x), y)
	loss.Backward()
	opt.Step()
	return loss.Item()
}
