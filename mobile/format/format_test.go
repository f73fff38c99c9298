package format

import (
	"reflect"
	"testing"
)

// testModel returns a small model that uses every table of the schema.
func testModel() *Model {
	m := &Model{MinRuntimeVersion: 1}
	relu := m.OpCode("relu", 1)
	add := m.OpCode("add", 1)
	w := m.AddConstant(Constant{Name: "w", DType: Float32, Shape: []int{2, 3}, Data: Float32Bytes([]float32{1, 2, 3, 4, 5, 6})})
	q := m.AddConstant(Constant{Name: "q", DType: Int8, Shape: []int{2, 2}, Data: []byte{1, 2, 3, 4},
		Quant: &Quant{Scheme: QuantPerChannel, Axis: 0, Scales: []float32{0.5, 0.25}, ZeroPoints: []int64{0, 1}}})
	tin := m.AddConstant(Constant{Name: "test_in", DType: Float32, Shape: []int{2, 3}, Data: Float32Bytes([]float32{-1, 0, 1, 2, -3, 4})})
	tout := m.AddConstant(Constant{Name: "test_out", DType: Float32, Shape: []int{2, 3}, Data: Float32Bytes([]float32{1, 2, 4, 6, 5, 10})})
	cond := m.AddConstant(Constant{Name: "flag", DType: Bool, Shape: []int{}, Data: []byte{1}})
	m.Methods = []Method{{
		Name: "forward",
		Values: []Value{
			ArenaValue("x", Float32, []int{2, 3}, 0),
			ArenaValue("r", Float32, []int{2, 3}, 64),
			ConstantValue(m, w),
			ArenaValue("y", Float32, []int{2, 3}, 0),
			ConstantValue(m, q),
			ConstantValue(m, cond),
		},
		Inputs:  []int{0},
		Outputs: []int{3},
		Instructions: []Instruction{
			{Kind: InstrJumpIfFalse, Inputs: []int{5}, Target: 3},
			{Kind: InstrOp, Op: relu, Inputs: []int{0}, Outputs: []int{1}, Pos: "model.go:12"},
			{Kind: InstrOp, Op: add, Inputs: []int{1, 2}, Outputs: []int{3}, Attrs: []Attr{
				IntAttr("i", -3), FloatAttr("f", 0.5), BoolAttr("b", true), StringAttr("s", "same"),
				IntsAttr("is", 1, 2), FloatsAttr("fs", 1.5), DTypeAttr("dt", Int64), NoneAttr("n")}},
		},
		ArenaSize: 128,
	}}
	m.Metadata = &Metadata{Name: "tiny", Description: "a test", Author: "me", License: "MIT",
		Labels: []string{"a", "b"}, Mean: []float32{0.5}, Std: []float32{0.25}, Producer: "test"}
	m.ExtraFiles = []ExtraFile{{Key: "vocab.txt", Data: []byte("hello\n")}}
	m.Tests = []TestCase{{Method: "forward", Inputs: []int{tin}, Expected: []int{tout}, Tolerance: 1e-6}}
	return m
}

func TestRoundTrip(t *testing.T) {
	m := testModel()
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *m
	want.FormatVersion = FormatVersion
	if !reflect.DeepEqual(&f.Model, &want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", f.Model, want)
	}
	for i, l := range f.Locations {
		if l.FileOffset%SegmentAlign != 0 {
			t.Errorf("constant %d at %d", i, l.FileOffset)
		}
	}
}
