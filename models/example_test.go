package models_test

import (
	"fmt"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

// A torchvision model with PyTorch's parameter names, run for inference:
// evaluation mode (BatchNorm uses its running statistics) and no autograd
// recording.
func ExampleNewResNet18() {
	tensor.ManualSeed(0)
	m := models.NewResNet18(1000)
	n := 0
	for _, p := range nn.Parameters(m) {
		n += p.Numel()
	}
	keys := nn.StateKeys(m)
	fmt.Println(n, "parameters;", len(keys), "state-dict entries:", keys[0], keys[1], "...", keys[len(keys)-1])

	nn.Eval(m)
	var logits *tensor.Tensor
	autograd.NoGrad(func() { logits = m.Forward(tensor.Randn(1, 3, 224, 224)) })
	fmt.Println(logits.Shape())
	// Output:
	// 11689512 parameters; 122 state-dict entries: conv1.weight bn1.weight ... fc.bias
	// [1 1000]
}

// Loading weights that PyTorch saved: a state dict written in the
// safetensors format (safetensors.torch.save_file(model.state_dict(),
// path)) loads strictly into the model with the same structure.
func ExampleNewSmallCNN() {
	sd, _, err := safetensors.LoadFile("testdata/smallcnn.safetensors")
	if err != nil {
		fmt.Println(err)
		return
	}
	m := models.NewSmallCNN()
	if _, err := nn.LoadStateDict(m, sd, true); err != nil {
		fmt.Println(err)
		return
	}
	nn.Eval(m)
	var logits *tensor.Tensor
	autograd.NoGrad(func() { logits = m.Forward(tensor.Zeros(1, 1, 28, 28)) })
	fmt.Printf("%.3f\n", logits.ToFloat64s()) // PyTorch prints the same logits
	fmt.Println("class", logits.Argmax().Item())
	// Output:
	// [-0.112 -0.162 0.112 0.113 -0.042 -0.156 0.008 -0.152 -0.082 0.129]
	// class 9
}
