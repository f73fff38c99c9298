package jit_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// exampleNet is a linear layer followed by ReLU.
type exampleNet struct {
	nn.Base
	FC *nn.Linear
}

func (n *exampleNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return n.FC.Forward(x).ReLU()
}

func newExampleNet() *exampleNet {
	fc := nn.NewLinear(3, 2)
	fc.Weight = tensor.FromSlice([]float32{1, 0, -1, 0.5, 0.5, 0.5}, 2, 3)
	fc.Bias = tensor.FromSlice([]float32{0, -1}, 2)
	return &exampleNet{FC: fc}
}

// Trace records the ops that Forward ran on an example input; Graph prints
// them, and Call runs them on other inputs. Linear checks its input's
// features (a size read), so the batch dimension stays concrete unless
// DynamicBatch asks for it.
func ExampleTrace() {
	net := newExampleNet()
	nn.Eval(net)
	example := tensor.Randn(4, 3)
	tm, err := jit.Trace(net, []*tensor.Tensor{example}, jit.TraceOptions{DynamicBatch: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(tm.Graph())
	out, err := tm.Call(tensor.FromSlice([]float32{1, 2, 3, 3, 2, 1}, 2, 3))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0].ToFloat32s())
	// Output:
	// module {
	//   meta "producer" = "ember jit.Trace"
	//   meta "source" = "*jit_test.exampleNet"
	//   const fc.weight : float32[2, 3] param
	//   const fc.bias : float32[2] param
	//   method forward(%x: float32[N, 3]) -> (float32[N, 2]) {
	//     %fc.weight = prim.param() {name="fc.weight"} : float32[2, 3]  # example_test.go:20
	//     %fc.bias = prim.param() {name="fc.bias"} : float32[2]  # example_test.go:20
	//     %0 = linear(%x, %fc.weight, %fc.bias) : float32[N, 2]  # example_test.go:20
	//     %1 = relu(%0) : float32[N, 2]  # example_test.go:20
	//     return %1
	//   }
	// }
	// [0 2 2 2]
}

// branchy decides on the batch size in Go.
type branchy struct{ nn.Base }

func (branchy) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Size(0) > 1 {
		return x.ReLU()
	}
	return x.Neg()
}

// A branch on a shape in Forward would be baked into a trace: Trace
// reports the read with its source line instead.
func ExampleReadError() {
	_, err := jit.Trace(&branchy{}, []*tensor.Tensor{tensor.Randn(2, 3)})
	fmt.Println(err)
	// Output:
	// jit.Trace: Go code read tensor values or shapes during the trace:
	// 	example_test.go:71: size of float32[2, 3]
	// the trace would bake in this value; use jit.Script to keep the decision, or set TraceOptions.AllowReads to accept it
}

// Save writes a traced module to one file, which Load reads back.
func ExampleModule_Save() {
	tm, err := jit.Trace(newExampleNet(), []*tensor.Tensor{tensor.Randn(1, 3)})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "jit")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.jit")
	if err := tm.Save(path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := jit.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := loaded.Call(tensor.FromSlice([]float32{1, 2, 3}, 1, 3))
	fmt.Println(loaded.Methods(), out[0].ToFloat32s())
	// Output:
	// [forward] [0 2]
}
