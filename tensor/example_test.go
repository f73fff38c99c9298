package tensor_test

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// Tensors are created from Go slices or by the creation functions, combine
// with broadcasting arithmetic, and print as PyTorch prints them.
func Example_basics() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	y := tensor.Ones(2, 2).MulScalar(0.5)
	fmt.Println(x.Add(y))
	fmt.Println(x.Mul(y).SubScalar(1))
	fmt.Println(tensor.Arange(0, 5, 1))
	fmt.Println(tensor.Linspace(0, 1, 5))
	fmt.Println(tensor.Eye(2, 3).Double())
	fmt.Println(tensor.ArangeInt(0, 5, 1))
	// Output:
	// tensor([[1.5000, 2.5000],
	//         [3.5000, 4.5000]])
	// tensor([[-0.5000,  0.0000],
	//         [ 0.5000,  1.0000]])
	// tensor([0., 1., 2., 3., 4.])
	// tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
	// tensor([[1., 0., 0.],
	//         [0., 1., 0.]], dtype=torch.float64)
	// tensor([0, 1, 2, 3, 4])
}

// String switches to scientific notation for wide ranges and summarises
// large tensors, as PyTorch does.
func ExampleTensor_String() {
	fmt.Println(tensor.FromSlice([]float32{1e-5, 1, 1e5}))
	fmt.Println(tensor.Arange(0, 2000, 1).DivScalar(7))
	x := tensor.FromSlice([]float64{1, 2, 3}).SetRequiresGrad(true)
	fmt.Println(x)
	fmt.Println(x.Mul(x).Sum())
	// Output:
	// tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])
	// tensor([0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 2.8529e+02, 2.8543e+02,
	//         2.8557e+02])
	// tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)
	// tensor(14., dtype=torch.float64, grad_fn=<SumBackward0>)
}

// Views share storage with the tensor they come from: transposing copies
// nothing, and writing through a slice changes the original.
func Example_views() {
	x := tensor.Arange(0, 6, 1).Reshape(2, 3)
	t := x.T()
	fmt.Println(t, t.IsContiguous(), t.SharesStorage(x))
	x.Slice(1, 0, 3, 2).Fill_(-1) // x[:, ::2] = -1
	fmt.Println(x)
	fmt.Println(x.Select(0, 1))
	fmt.Println(t.Contiguous().SharesStorage(x))
	// Output:
	// tensor([[0., 3.],
	//         [1., 4.],
	//         [2., 5.]]) false true
	// tensor([[-1.,  1., -1.],
	//         [-1.,  4., -1.]])
	// tensor([-1.,  4., -1.])
	// false
}

// Backward computes the gradient of a scalar with respect to every leaf that
// requires grad.
func ExampleTensor_Backward() {
	x := tensor.FromSlice([]float64{1, 2, 3}).SetRequiresGrad(true)
	y := x.Mul(x).Sum() // y = Σ x²
	y.Backward()
	fmt.Println(x.Grad()) // dy/dx = 2x
	// Output:
	// tensor([2., 4., 6.], dtype=torch.float64)
}
