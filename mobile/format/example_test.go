package format_test

import (
	"fmt"
	"math"

	"github.com/emberml/ember/mobile/format"
)

// An exporter's view: a linear layer with a fused ReLU, y = relu(x·wᵀ + b),
// for an input of shape [1, 4], as a .ember file.
func Example() {
	m := &format.Model{MinRuntimeVersion: 1}
	w := m.AddConstant(format.Constant{Name: "fc.weight", DType: format.Float32, Shape: []int{3, 4},
		Data: format.Float32Bytes([]float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1})})
	b := m.AddConstant(format.Constant{Name: "fc.bias", DType: format.Float32, Shape: []int{3},
		Data: format.Float32Bytes([]float32{0, -5, 0.5})})
	m.Methods = []format.Method{{
		Name: "forward",
		Values: []format.Value{
			format.ArenaValue("x", format.Float32, []int{1, 4}, 0), // bytes [0, 16) of the arena
			format.ConstantValue(m, w),
			format.ConstantValue(m, b),
			format.ArenaValue("y", format.Float32, []int{1, 3}, 64), // bytes [64, 76)
		},
		Inputs:  []int{0},
		Outputs: []int{3},
		Instructions: []format.Instruction{{
			Kind: format.InstrOp, Op: m.OpCode("linear_act", 1),
			Inputs: []int{0, 1, 2}, Outputs: []int{3},
			Attrs: []format.Attr{format.StringAttr("act", "relu"), format.FloatAttr("act_min", 0), format.FloatAttr("act_max", math.Inf(1))},
		}},
		ArenaSize: 128,
	}}
	m.Metadata = &format.Metadata{Name: "tiny", Producer: "example"}
	// A bundled self-check: this input must give this output.
	in := m.AddConstant(format.Constant{Name: "test.x", DType: format.Float32, Shape: []int{1, 4},
		Data: format.Float32Bytes([]float32{1, 2, 3, 4})})
	out := m.AddConstant(format.Constant{Name: "test.y", DType: format.Float32, Shape: []int{1, 3},
		Data: format.Float32Bytes([]float32{1, 0, 7.5})})
	m.Tests = []format.TestCase{{Method: "forward", Inputs: []int{in}, Expected: []int{out}}}

	data, err := format.Encode(m) // or format.Save(path, m)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := format.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data[4:8]), f.FormatVersion, f.Metadata.Name)
	fmt.Println(f.OpCodes, len(f.Constants), "constants in", len(f.Segments), "segment")
	for i, l := range f.Locations {
		fmt.Println(f.Constants[i].Name, "at", l.FileOffset%format.SegmentAlign == 0, l.Size)
	}
	// Output:
	// EMBR 1 tiny
	// [{linear_act 1}] 4 constants in 1 segment
	// fc.weight at true 48
	// fc.bias at true 12
	// test.x at true 16
	// test.y at true 12
}
