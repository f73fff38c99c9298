package lite_test

import (
	"fmt"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// Load a model and run its forward method. The file here is built in
// memory with package format, as an exporter does.
func Example() {
	m := &format.Model{MinRuntimeVersion: 1}
	w := m.AddConstant(format.Constant{Name: "w", DType: format.Float32, Shape: []int{2, 3},
		Data: format.Float32Bytes([]float32{1, 1, 1, 1, -1, 0})})
	m.Methods = []format.Method{{
		Name: "forward",
		Values: []format.Value{
			format.ArenaValue("x", format.Float32, []int{1, 3}, 0),
			format.ConstantValue(m, w),
			format.ArenaValue("y", format.Float32, []int{1, 2}, 64),
		},
		Inputs: []int{0}, Outputs: []int{2},
		Instructions: []format.Instruction{{Kind: format.InstrOp, Op: m.OpCode("linear_act", 1),
			Inputs: []int{0, 1, format.NoValue}, Outputs: []int{2}, Attrs: []format.Attr{format.StringAttr("act", "relu")}}},
		ArenaSize: 128,
	}}
	file, err := format.Encode(m)
	if err != nil {
		fmt.Println(err)
		return
	}

	model, err := lite.LoadBytes(file) // lite.Load(path) maps a file
	if err != nil {
		fmt.Println(err)
		return
	}
	defer model.Close()
	fwd := model.Method("forward")
	fmt.Println(fwd.Inputs(), fwd.Outputs())
	s := model.NewSession() // one per goroutine
	y := make([]float32, 2)
	if err := s.Run(fwd, []lite.Tensor{{Name: "x", Data: []float32{1, 2, 3}}}, []lite.Tensor{{Data: y}}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y)
	err = s.Run(fwd, []lite.Tensor{{Name: "x", Data: []float32{1, 2}}}, nil)
	fmt.Println(err)
	// Output:
	// [{x float32 [1 3]}] [{y float32 [1 2]}]
	// [6 0]
	// lite: method "forward": input "x": 2 elements, want 3 (shape [1 3])
}
