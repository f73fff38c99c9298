package mobile_test

import (
	"fmt"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// Trace a small network in evaluation mode and optimize it: the batch norm
// folds into the convolution, the ReLUs fuse into it and into the linear
// layer, and the dropout goes.
func ExampleOptimizeForMobile() {
	tensor.ManualSeed(0)
	net := nn.NewSequential(
		nn.NewConv2d(1, 4, 3),
		nn.NewBatchNorm2d(4),
		nn.NewReLU(),
		nn.NewFlatten(),
		nn.NewDropout(0.2),
		nn.NewLinear(4*6*6, 10),
		nn.NewReLU(),
	)
	nn.Eval(net)
	x := tensor.Randn(1, 1, 8, 8)
	traced, err := jit.Trace(net, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		panic(err)
	}
	opt, err := mobile.OptimizeForMobile(traced)
	if err != nil {
		panic(err)
	}
	printOps := func(m *jit.Module) {
		m.IR().Method("forward").Walk(func(n *ir.Node) bool {
			if n.Op != ir.OpParam && n.Op != ir.OpConstant {
				if act, ok := n.Attrs.Str("act"); ok {
					fmt.Printf("  %s act=%s\n", n.Op, act)
				} else {
					fmt.Printf("  %s\n", n.Op)
				}
			}
			return true
		})
	}
	fmt.Println("traced:")
	printOps(traced)
	fmt.Println("optimized:")
	printOps(opt)
	a, _ := traced.Call(x)
	b, _ := opt.Call(x)
	fmt.Println("same outputs:", tensor.AllClose(a[0], b[0], 1e-5, 1e-6))
	// Output:
	// traced:
	//   conv2d
	//   batch_norm
	//   relu
	//   flatten
	//   dropout
	//   linear
	//   relu
	// optimized:
	//   conv2d_act act=relu
	//   flatten
	//   linear_act act=relu
	// same outputs: true
}
