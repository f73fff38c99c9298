package ir_test

import (
	"fmt"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// Build a small method with a Builder, verify it and print it.
func Example() {
	m := ir.NewModule()
	w := m.AddTensor("fc.weight", ir.Param, tensor.Zeros(10, 784))
	bias := m.AddTensor("fc.bias", ir.Param, tensor.Zeros(10))

	g := m.NewMethod("forward")
	n := ir.SymDim("N")
	x := g.AddInput("x", ir.TensorType(tensor.Float32, n, ir.FixedDim(784)))
	b := ir.NewBuilder(g.Body)
	out := ir.TensorType(tensor.Float32, n, ir.FixedDim(10))

	b.Pos = "model.go:31"
	y := b.Op("linear", []*ir.Value{x, b.Param(w), b.Param(bias)}, nil, out)
	b.Pos = "model.go:32"
	batch := b.Op(ir.OpSize, []*ir.Value{x}, ir.Attrs{"dim": 0}, ir.IntType())
	big := b.Op(ir.OpGt, []*ir.Value{batch, b.Constant(1)}, nil, ir.BoolType())
	ifNode, then, els := b.If(big, out)
	then.Returns = []*ir.Value{ir.NewBuilder(then).Op("relu", []*ir.Value{y}, nil, out)}
	els.Returns = []*ir.Value{y}
	g.Return(ifNode.Output())

	if err := ir.Verify(m, nil); err != nil {
		fmt.Println(err)
	}
	fmt.Print(m)
	// Output:
	// module {
	//   const fc.weight : float32[10, 784] param
	//   const fc.bias : float32[10] param
	//   method forward(%x: float32[N, 784]) -> (float32[N, 10]) {
	//     %fc.weight = prim.param() {name="fc.weight"} : float32[10, 784]  # model.go:31
	//     %fc.bias = prim.param() {name="fc.bias"} : float32[10]  # model.go:31
	//     %0 = linear(%x, %fc.weight, %fc.bias) : float32[N, 10]  # model.go:31
	//     %1 = prim.size(%x) {dim=0} : int  # model.go:32
	//     %2 = prim.constant() {value=1} : int  # model.go:32
	//     %3 = prim.gt(%1, %2) : bool  # model.go:32
	//     %4 = prim.if(%3) : float32[N, 10] {  # model.go:32
	//       %5 = relu(%0) : float32[N, 10]
	//       return %5
	//     } else {
	//       return %0
	//     }
	//     return %4
	//   }
	// }
}

// Parse the text form back; constants' tensors come from a map.
func ExampleParse() {
	text := `module {
  const w : float32[2, 2] param
  method forward(%x: float32[N, 2]) -> (float32[N, 2]) {
    %w = prim.param() {name="w"} : float32[2, 2]
    %0 = matmul(%x, %w) : float32[N, 2]
    return %0
  }
}
`
	m, err := ir.Parse(text, map[string]*tensor.Tensor{"w": tensor.Eye(2)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ir.Verify(m, nil), m.Const("w").Tensor.Shape(), m.String() == text)

	_, err = ir.Parse("module {\n  method f() -> () {\n    return %x\n  }\n}\n", nil)
	fmt.Println(err)
	// Output:
	// <nil> [2 2] true
	// ir: 3:12: undefined value %x
}

// Run passes with one of them disabled by name.
func ExamplePassManager() {
	m, err := ir.Parse(`module {
  method forward(%x: float32[3]) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    %1 = relu(%x) : float32[3]
    %2 = add(%0, %1) : float32[3]
    %unused = neg(%2) : float32[3]
    return %2
  }
}
`, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	pm := ir.NewPassManager(ir.CSEPass(nil), ir.DeadCodePass(nil))
	pm.Disable("dce")
	if err := pm.Run(m); err != nil {
		fmt.Println(err)
	}
	fmt.Print(m.Method("forward"))
	// Output:
	// method forward(%x: float32[3]) -> (float32[3]) {
	//   %0 = relu(%x) : float32[3]
	//   %1 = add(%0, %0) : float32[3]
	//   %unused = neg(%1) : float32[3]
	//   return %1
	// }
}
