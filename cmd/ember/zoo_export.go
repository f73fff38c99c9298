package main

import (
	"fmt"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// network builds the zoo model's network.
func (z zooModel) network() nn.Module {
	switch z.name {
	case "mobilenet_v2":
		return models.NewMobileNetV2(1000)
	case "resnet18":
		return models.NewResNet18(1000)
	case "smallcnn":
		return models.NewSmallCNN()
	case "examplesnet":
		return models.NewExamplesNet()
	}
	panic("ember: no network " + z.name)
}

// save writes the zoo model to path: the network with seeded random
// weights (tensor.ManualSeed(0)) in evaluation mode, traced on a batch-1
// example, optimized for mobile, exported with metadata and the example
// as a bundled test.
func (z zooModel) save(path string) error {
	tensor.ManualSeed(0)
	net := z.network()
	nn.Eval(net)
	x := tensor.Randn(z.shape...)
	traced, err := jit.Trace(net, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		return fmt.Errorf("trace %s: %w", z.name, err)
	}
	opt, err := mobile.OptimizeForMobile(traced)
	if err != nil {
		return fmt.Errorf("optimize %s: %w", z.name, err)
	}
	md := &format.Metadata{Name: z.name, Description: z.desc, License: "Apache-2.0",
		Labels: z.labels, Mean: z.mean, Std: z.std, Producer: "ember zoo"}
	return mobile.Save(path, opt, mobile.ExportOptions{
		ExampleInputs: [][]*tensor.Tensor{{x}},
		InputNames:    []string{"image"},
		OutputNames:   []string{"logits"},
		Metadata:      md,
		BundleTests:   true,
	})
}
