package nn_test

import (
	"fmt"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// TinyNet is a user-defined module: a struct embedding nn.Base whose fields
// are its layers. Field names become PyTorch-style snake_case names
// (Features → features, FC → fc); a tag can set another name.
type TinyNet struct {
	nn.Base
	Features *nn.Sequential
	Pool     *nn.AdaptiveAvgPool2d
	Flatten  *nn.Flatten
	FC       *nn.Linear
	Scale    *tensor.Tensor // a parameter of the module itself
	Steps    *tensor.Tensor `nn:"steps,buffer"`
}

// NewTinyNet builds the network for 1-channel images and 10 classes.
func NewTinyNet() *TinyNet {
	return &TinyNet{
		Features: nn.NewSequential(
			nn.NewConv2d(1, 8, 3, nn.Conv2dOptions{Padding: []int{1}}),
			nn.NewBatchNorm2d(8),
			nn.NewReLU(),
		),
		Pool:    nn.NewAdaptiveAvgPool2d(1),
		Flatten: nn.NewFlatten(),
		FC:      nn.NewLinear(8, 10),
		Scale:   tensor.Ones(1).SetRequiresGrad(true),
		Steps:   tensor.Zeros(1),
	}
}

// Forward maps images [N, 1, H, W] to class scores [N, 10].
func (n *TinyNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = n.Flatten.Forward(n.Pool.Forward(n.Features.Forward(x)))
	return n.FC.Forward(x).Mul(n.Scale)
}

// A user module is a struct embedding nn.Base; the package functions find
// its parameters, buffers and children through its fields.
func Example_module() {
	tensor.ManualSeed(0)
	net := NewTinyNet()
	y := net.Forward(tensor.Randn(4, 1, 28, 28))
	fmt.Println("output:", y.Shape())
	for _, p := range nn.NamedParameters(net) {
		fmt.Println(p.Name, p.Tensor.Shape())
	}
	// Output:
	// output: [4 10]
	// scale [1]
	// features.0.weight [8 1 3 3]
	// features.0.bias [8]
	// features.1.weight [8]
	// features.1.bias [8]
	// fc.weight [10 8]
	// fc.bias [10]
}

// StateDict holds parameters and persistent buffers under the names a
// PyTorch state dict of the same network uses; StateKeys lists them in
// PyTorch's order.
func ExampleStateDict() {
	net := NewTinyNet()
	sd := nn.StateDict(net)
	fmt.Println(len(sd), "tensors")
	for _, k := range nn.StateKeys(net) {
		fmt.Println(k, sd[k].DType())
	}
	// A state dict loads into another network of the same shape.
	other := NewTinyNet()
	if _, err := nn.LoadStateDict(other, sd, true); err != nil {
		fmt.Println(err)
	}
	fmt.Println(tensor.Equal(other.FC.Weight, net.FC.Weight))
	// Output:
	// 11 tensors
	// scale float32
	// steps float32
	// features.0.weight float32
	// features.0.bias float32
	// features.1.weight float32
	// features.1.bias float32
	// features.1.running_mean float32
	// features.1.running_var float32
	// features.1.num_batches_tracked int64
	// fc.weight float32
	// fc.bias float32
	// true
}

// LoadStateDict without strict reports the keys it skipped.
func ExampleLoadStateDict() {
	net := NewTinyNet()
	sd := nn.StateDict(NewTinyNet())
	delete(sd, "fc.bias")
	sd["head.weight"] = tensor.Zeros(2, 2)
	rep, err := nn.LoadStateDict(net, sd, false)
	fmt.Println(rep.Missing, rep.Unexpected, err)
	_, err = nn.LoadStateDict(net, sd, true)
	fmt.Println(err)
	// Output:
	// [fc.bias] [head.weight] <nil>
	// nn: LoadStateDict: missing keys: fc.bias; unexpected keys: head.weight
}

// Repr prints a module tree as PyTorch's print(model) does.
func ExampleRepr() {
	fmt.Println(nn.Repr(NewTinyNet()))
	fmt.Println(nn.Repr(nn.NewSequential(nn.NewConv2d(1, 16, 3, nn.Conv2dOptions{Padding: []int{1}}), nn.NewReLU())))
	// Output:
	// TinyNet(
	//   (features): Sequential(
	//     (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	//     (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
	//     (2): ReLU()
	//   )
	//   (pool): AdaptiveAvgPool2d(output_size=1)
	//   (flatten): Flatten(start_dim=1, end_dim=-1)
	//   (fc): Linear(in_features=8, out_features=10, bias=True)
	// )
	// Sequential(
	//   (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	//   (1): ReLU()
	// )
}

// NamedModules walks the tree depth first; Train and Eval switch every
// module's mode.
func ExampleNamedModules() {
	net := NewTinyNet()
	nn.Eval(net)
	var names []string
	for _, m := range nn.NamedModules(net) {
		names = append(names, fmt.Sprintf("%q", m.Name))
	}
	fmt.Println(names)
	fmt.Println(net.Features.At(1).(*nn.BatchNorm).Training())
	// Output:
	// ["" "features" "features.0" "features.1" "features.2" "pool" "flatten" "fc"]
	// false
}
