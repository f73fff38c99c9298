package optim_test

import (
	"fmt"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/optim"
	"github.com/emberml/ember/tensor"
)

// A training loop: fit y = 2x + 1 with SGD and momentum, decaying the
// learning rate tenfold every 100 epochs with StepLR.
func Example() {
	tensor.ManualSeed(0)
	model := nn.NewLinear(1, 1)
	x := tensor.Linspace(-1, 1, 32).Reshape(32, 1)
	y := x.MulScalar(2).AddScalar(1)

	opt := optim.NewSGD(nn.Parameters(model), optim.SGDOptions{LR: 0.1, Momentum: 0.9})
	sched := optim.NewStepLR(opt, 100, optim.StepLROptions{Gamma: 0.1})
	var loss *tensor.Tensor
	for epoch := 0; epoch < 200; epoch++ {
		opt.ZeroGrad()
		loss = model.Forward(x).Sub(y).Square().Mean()
		loss.Backward()
		opt.Step()
		sched.Step()
	}
	fmt.Printf("w=%.3f b=%.3f loss<1e-6: %v lr=%.0e\n",
		model.Weight.Item(), model.Bias.Item(), loss.Item() < 1e-6, sched.LastLR()[0])
	// Output: w=2.000 b=1.000 loss<1e-6: true lr=1e-03
}

// Parameter groups: the bias gets its own learning rate and no weight
// decay; the other hyperparameters come from the defaults.
func ExampleNewSGDGroups() {
	model := nn.NewLinear(4, 2)
	opt := optim.NewSGDGroups([]optim.GroupSpec{
		{Params: []*tensor.Tensor{model.Weight}},
		{Params: []*tensor.Tensor{model.Bias}, Options: map[string]float64{"lr": 0.01, "weight_decay": 0}},
	}, optim.SGDOptions{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4})
	for i, g := range opt.Groups() {
		fmt.Printf("group %d: lr=%g momentum=%g weight_decay=%g\n", i, g.LR, g.Hyper["momentum"], g.Hyper["weight_decay"])
	}
	// Output:
	// group 0: lr=0.1 momentum=0.9 weight_decay=0.0001
	// group 1: lr=0.01 momentum=0.9 weight_decay=0
}

// One-cycle training with AdamW: the learning rate warms up to max_lr and
// anneals, while β1 cycles the other way.
func ExampleNewOneCycleLR() {
	w := tensor.Zeros(3).SetRequiresGrad(true)
	opt := optim.NewAdamW([]*tensor.Tensor{w})
	sched := optim.NewOneCycleLR(opt, 0.01, 10)
	for step := 0; step < 10; step++ {
		w.SetGrad(tensor.Ones(3))
		opt.Step()
		sched.Step()
		if step%3 == 0 {
			g := opt.Groups()[0]
			fmt.Printf("step %d: lr=%.5f beta1=%.3f\n", step, g.LR, g.Hyper["beta1"])
		}
	}
	// Output:
	// step 0: lr=0.00520 beta1=0.900
	// step 3: lr=0.00812 beta1=0.869
	// step 6: lr=0.00188 beta1=0.931
	// step 9: lr=0.00050 beta1=0.945
}

// ReduceLROnPlateau watches a validation metric.
func ExampleReduceLROnPlateau() {
	w := tensor.Zeros(1).SetRequiresGrad(true)
	opt := optim.NewSGD([]*tensor.Tensor{w}, optim.SGDOptions{LR: 0.1})
	sched := optim.NewReduceLROnPlateau(opt, optim.ReduceLROnPlateauOptions{Patience: 2, Factor: 0.5})
	for _, valLoss := range []float64{1.0, 0.8, 0.8, 0.8, 0.8, 0.7} {
		sched.StepMetric(valLoss)
		fmt.Printf("%g ", opt.Groups()[0].LR)
	}
	fmt.Println()
	// Output: 0.1 0.1 0.1 0.1 0.05 0.05
}

// Gradient clipping between Backward and Step.
func ExampleClipGradNorm() {
	w := tensor.FromSlice([]float32{1, 2}).SetRequiresGrad(true)
	w.SetGrad(tensor.FromSlice([]float32{3, 4}))
	total := optim.ClipGradNorm([]*tensor.Tensor{w}, 1, 2)
	fmt.Printf("norm before: %.1f, grad after: %.3f\n", total, w.Grad().ToFloat64s())
	// Output: norm before: 5.0, grad after: [0.600 0.800]
}
