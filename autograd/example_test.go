package autograd_test

import (
	"fmt"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// Operations inside NoGrad are not recorded: use it for evaluation and for
// updating parameters in place.
func ExampleNoGrad() {
	w := tensor.FromSlice([]float64{1, 2}).SetRequiresGrad(true)
	loss := w.Mul(w).Sum()
	loss.Backward()
	autograd.NoGrad(func() {
		w.Sub_(w.Grad().MulScalar(0.1)) // a gradient-descent step
		fmt.Println(w.MulScalar(2).RequiresGrad())
	})
	fmt.Println(w)
	fmt.Println(w.MulScalar(2).RequiresGrad())
	// Output:
	// false
	// tensor([0.8000, 1.6000], dtype=torch.float64, requires_grad=True)
	// true
}

// Grad with CreateGraph returns gradients that can be differentiated again:
// here the second derivative of x³, 6x.
func ExampleGrad() {
	x := tensor.FromSlice([]float64{1, 2}).SetRequiresGrad(true)
	y := x.Mul(x).Mul(x).Sum()
	dx := autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{x}, autograd.GradOptions{CreateGraph: true})[0]
	d2x := autograd.Grad([]*tensor.Tensor{dx.Sum()}, []*tensor.Tensor{x}, autograd.GradOptions{})[0]
	fmt.Println(dx.Detach())
	fmt.Println(d2x)
	// Output:
	// tensor([ 3., 12.], dtype=torch.float64)
	// tensor([ 6., 12.], dtype=torch.float64)
}

// Gradcheck compares analytic gradients with finite differences; inputs
// must be float64.
func ExampleGradcheck() {
	f := func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Mul(in[1]).Div(in[1].AddScalar(2)) }
	x := tensor.FromSlice([]float64{0.5, -1, 2}).SetRequiresGrad(true)
	y := tensor.FromSlice([]float64{1, 3, -0.5}).SetRequiresGrad(true)
	fmt.Println(autograd.Gradcheck(f, []*tensor.Tensor{x, y}, autograd.GradcheckOptions{}))

	x32 := tensor.FromSlice([]float32{1}).SetRequiresGrad(true)
	fmt.Println(autograd.Gradcheck(f, []*tensor.Tensor{x32, x32}, autograd.GradcheckOptions{}))
	// Output:
	// <nil>
	// gradcheck: input 0 is float32; use float64 inputs
}

// square is a user-defined op: x² with its derivative 2x.
type square struct{}

func (square) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	ctx.SaveForBackward(in[0])
	return in[0].Mul(in[0])
}

func (square) Backward(ctx *autograd.Context, grad *tensor.Tensor) []*tensor.Tensor {
	x := ctx.Saved()[0]
	return []*tensor.Tensor{grad.Mul(x).MulScalar(2)}
}

// Apply records a custom Function so that Backward calls its Backward.
func ExampleApply() {
	x := tensor.FromSlice([]float64{1, -2, 3}).SetRequiresGrad(true)
	y := autograd.Apply("square", square{}, x)
	fmt.Println(y.GradFn())
	y.Sum().Backward()
	fmt.Println(x.Grad())
	sq := func(in ...*tensor.Tensor) *tensor.Tensor { return autograd.Apply("square", square{}, in[0]) }
	fmt.Println(autograd.Gradcheck(sq, []*tensor.Tensor{x}, autograd.GradcheckOptions{}))
	// Output:
	// square
	// tensor([ 2., -4.,  6.], dtype=torch.float64)
	// <nil>
}
