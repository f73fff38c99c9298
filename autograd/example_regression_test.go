package autograd_test

import (
	"fmt"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// Fit y = x·w by gradient descent: the README's example.
func Example_linearRegression() {
	tensor.ManualSeed(0)
	x := tensor.Randn(64, 3)
	y := x.MatMul(tensor.FromSlice([]float32{2, -1, 0.5}, 3, 1))
	w := tensor.Zeros(3, 1).SetRequiresGrad(true)
	for range 100 {
		diff := x.MatMul(w).Sub(y)
		loss := diff.Mul(diff).Mean()
		loss.Backward()
		autograd.NoGrad(func() { w.Sub_(w.Grad().MulScalar(0.1)) })
		w.ZeroGrad()
	}
	fmt.Println(w.Detach().T())
	// Output:
	// tensor([[ 2.0000, -1.0000,  0.5000]])
}
