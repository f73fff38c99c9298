package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/checkpoint"
	"github.com/emberml/ember/tensor"
)

// A training loop saves a checkpoint every epoch; a resumed run builds the
// same objects and loads it. Set Optimizer and Scheduler as well to resume
// their state (an optimizer built over the new model's parameters).
func ExampleSave() {
	dir, err := os.MkdirTemp("", "ckpt")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "last.safetensors")

	tensor.ManualSeed(0)
	model := nn.NewSequential(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewDropout(0.1), nn.NewLinear(8, 2))
	// ... train for an epoch ...
	err = checkpoint.Save(path, checkpoint.State{
		Model: model,
		Epoch: 1, Step: 500,
		RNG:   tensor.DefaultGenerator(),
		Extra: map[string]string{"best_acc": "0.91"},
	})
	if err != nil {
		panic(err)
	}
	want := tensor.NewGenerator(0)
	want.SetState(tensor.DefaultGenerator().State())

	// Later, in a new process:
	tensor.ManualSeed(123)
	fresh := nn.NewSequential(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewDropout(0.1), nn.NewLinear(8, 2))
	s := checkpoint.State{Model: fresh, RNG: tensor.DefaultGenerator()}
	if err := checkpoint.Load(path, &s); err != nil {
		panic(err)
	}
	fmt.Println("epoch", s.Epoch, "step", s.Step, "best_acc", s.Extra["best_acc"])
	fmt.Println("same weights:", tensor.Equal(nn.StateDict(fresh)["3.weight"], nn.StateDict(model)["3.weight"]))
	fmt.Println("same random numbers:", tensor.Rand().Item() == want.Rand().Item())
	// Output:
	// epoch 1 step 500 best_acc 0.91
	// same weights: true
	// same random numbers: true
}

// SaveModel writes the state dict that PyTorch users exchange; LoadModel
// reads one, here into a model with a new head (non-strict, as PyTorch's
// load_state_dict(sd, strict=False)).
func ExampleLoadModel() {
	dir, err := os.MkdirTemp("", "ckpt")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "backbone.safetensors")

	backbone := nn.NewSequential(nn.NewLinear(4, 8), nn.NewBatchNorm1d(8))
	if err := checkpoint.SaveModel(path, backbone); err != nil {
		panic(err)
	}
	withHead := nn.NewSequential(nn.NewLinear(4, 8), nn.NewBatchNorm1d(8), nn.NewLinear(8, 3))
	rep, err := checkpoint.LoadModel(path, withHead, false)
	if err != nil {
		panic(err)
	}
	fmt.Println("missing:", rep.Missing)
	fmt.Println("unexpected:", rep.Unexpected)
	// Output:
	// missing: [2.bias 2.weight]
	// unexpected: []
}
