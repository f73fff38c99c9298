package functional_test

import (
	"fmt"

	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// A classification step's loss: logits for 3 samples of 4 classes, class
// indices as targets (the last one ignored), and the gradient that flows
// back to the logits.
func ExampleCrossEntropy() {
	logits := tensor.FromSlice([]float32{
		2, 0, 0, 0,
		0, 3, 0, 0,
		1, 1, 1, 1,
	}, 3, 4).SetRequiresGrad(true)
	target := tensor.FromSlice([]int64{0, 1, F.DefaultIgnoreIndex})
	loss := F.CrossEntropy(logits, target)
	loss.Backward()
	fmt.Printf("loss %.4f\n", loss.Item())
	fmt.Printf("grad row 0 %.4f\n", logits.Grad().Select(0, 0).ToFloat32s())
	fmt.Printf("grad row 2 %.4f\n", logits.Grad().Select(0, 2).ToFloat32s())

	// Class weights, label smoothing and the unreduced losses.
	w := tensor.FromSlice([]float32{1, 2, 1, 1})
	per := F.CrossEntropy(logits, target, F.CrossEntropyOptions{Weight: w, LabelSmoothing: 0.1, Reduction: "none"})
	fmt.Printf("per sample %.4f\n", per.ToFloat32s())
	// Output:
	// loss 0.2400
	// grad row 0 [-0.1444 0.0481 0.0481 0.0481]
	// grad row 2 [0.0000 0.0000 0.0000 0.0000]
	// per sample [0.5493 0.4930 0.0000]
}

// Regression and binary classification losses take a target of the
// input's shape.
func ExampleMSELoss() {
	pred := tensor.FromSlice([]float64{0.5, 2, -1})
	target := tensor.FromSlice([]float64{1, 2, 1})
	fmt.Printf("mse %.4f\n", F.MSELoss(pred, target).Item())
	fmt.Printf("sum of squares %.4f\n", F.MSELoss(pred, target, F.ReductionOptions{Reduction: "sum"}).Item())
	fmt.Printf("huber %.4f\n", F.HuberLoss(pred, target, F.HuberOptions{Delta: 0.5}).Item())
	fmt.Printf("bce with logits %.4f\n", F.BCEWithLogitsLoss(pred, tensor.FromSlice([]float64{1, 1, 0})).Item())
	// Output:
	// mse 1.4167
	// sum of squares 4.2500
	// huber 0.3333
	// bce with logits 0.3048
}
