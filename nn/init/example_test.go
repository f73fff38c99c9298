package nninit_test

import (
	"fmt"

	nninit "github.com/emberml/ember/nn/init"
	"github.com/emberml/ember/tensor"
)

// Re-initialising a convolution weight for ReLU networks (He init on the
// fan-out, as torchvision's ResNets do) and a bias with zeros.
func Example_kaimingNormal() {
	w := tensor.Empty(tensor.Float32, 64, 3, 7, 7).SetRequiresGrad(true)
	b := tensor.Empty(tensor.Float32, 64).SetRequiresGrad(true)
	gen := tensor.NewGenerator(0)
	nninit.KaimingNormal_(w, nninit.KaimingOptions{Mode: "fan_out", Nonlinearity: "relu"}, gen)
	nninit.Zeros_(b)

	fanIn, fanOut := nninit.FanInAndFanOut(w)
	fmt.Println("fans:", fanIn, fanOut)
	fmt.Printf("relu gain: %.4f\n", nninit.CalculateGain("relu"))
	fmt.Printf("std ≈ %.3f (gain/√fanOut = %.3f)\n", w.Detach().Std().Item(), 1.4142/56.0)
	fmt.Println("still a parameter:", w.IsLeaf() && w.RequiresGrad(), "bias sum:", b.Detach().Sum().Item())
	// Output:
	// fans: 147 3136
	// relu gain: 1.4142
	// std ≈ 0.025 (gain/√fanOut = 0.025)
	// still a parameter: true bias sum: 0
}
