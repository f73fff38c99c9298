package mobile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// Export a small network for the lite runtime: trace it in evaluation
// mode, optimize it, save it as a .ember file with a bundled self-check,
// and run the file.
func ExampleSave() {
	tensor.ManualSeed(0)
	net := nn.NewSequential(nn.NewConv2d(1, 4, 3), nn.NewReLU(), nn.NewFlatten(), nn.NewLinear(4*6*6, 3))
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
	dir, _ := os.MkdirTemp("", "ember")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.ember")
	err = mobile.Save(path, opt, mobile.ExportOptions{
		ExampleInputs: [][]*tensor.Tensor{{x}}, // the shapes of every value come from running these
		InputNames:    []string{"image"},
		OutputNames:   []string{"scores"},
		Metadata:      &format.Metadata{Name: "example", Labels: []string{"a", "b", "c"}},
		BundleTests:   true,
	})
	if err != nil {
		panic(err)
	}

	m, err := lite.Load(path)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	fmt.Println("self-check:", m.Verify())
	fwd := m.Method("forward")
	for _, in := range fwd.Inputs() {
		fmt.Println("input", in.Name, in.DType, in.Shape)
	}
	scores := make([]float32, 3)
	err = m.NewSession().Run(fwd, []lite.Tensor{{Name: "image", Data: x.ToFloat32s()}}, []lite.Tensor{{Name: "scores", Data: scores}})
	want, _ := opt.Call(x)
	fmt.Println("run:", err, "same as the jit module:", fmt.Sprint(scores) == fmt.Sprint(want[0].ToFloat32s()))
	// Output:
	// self-check: <nil>
	// input image float32 [1 1 8 8]
	// run: <nil> same as the jit module: true
}
