package format

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestCheck lists invalid models: Encode refuses each with its reason.
func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(m *Model)
		want string
	}{
		{"format version", func(m *Model) { m.FormatVersion = 9 }, "format version 9"},
		{"opcode twice", func(m *Model) { m.OpCodes = append(m.OpCodes, OpCode{"relu", 1}) }, "listed twice"},
		{"opcode version", func(m *Model) { m.OpCodes[0].Version = 0 }, "version 0"},
		{"constant size", func(m *Model) { m.Constants[0].Data = m.Constants[0].Data[:8] }, "8 bytes of data, want 24"},
		{"constant dtype", func(m *Model) { m.Constants[0].DType = 77 }, "unknown dtype"},
		{"negative shape", func(m *Model) { m.Constants[0].Shape = []int{-2, -3} }, "negative"},
		{"huge shape", func(m *Model) { m.Constants[0].Shape = []int{1 << 30, 1 << 30, 1 << 30} }, "elements"},
		{"rank", func(m *Model) { m.Constants[0].Shape = make([]int, 17) }, "rank 17"},
		{"per-channel scales", func(m *Model) { m.Constants[1].Quant.Scales = []float32{1} }, "1 scales for 2 channels"},
		{"quant axis", func(m *Model) { m.Constants[1].Quant.Axis = 2 }, "axis 2"},
		{"quant of float", func(m *Model) { m.Constants[0].Quant = &Quant{Scheme: QuantPerTensor, Scales: []float32{1}} }, "quantization of a float32"},
		{"zero scale", func(m *Model) { m.Constants[1].Quant.Scales[0] = 0 }, "scale"},
		{"packed not float", func(m *Model) {
			c := &m.Constants[1]
			c.Packing, c.PackedShape, c.PackedKernel, c.Quant = PackGemmB, []int{2, 2}, "avx2", nil
		}, "packed data must be float32"},
		{"packed no kernel", func(m *Model) {
			c := &m.Constants[0]
			c.Packing, c.PackedShape = PackGemmB, []int{3, 2}
		}, "does not name its kernel"},
		{"sparse index", func(m *Model) { m.Constants[0].Sparse = &Sparse{Format: SparseCSR, Indptr: 9, Indices: 1} }, "sparse index constant 9"},
		{"method twice", func(m *Model) { m.Methods = append(m.Methods, m.Methods[0]) }, "defined twice"},
		{"arena size", func(m *Model) { m.Methods[0].ArenaSize = 70 }, "outside the arena"},
		{"arena misaligned", func(m *Model) { m.Methods[0].Values[1].ArenaOffset = 66 }, "multiple of 4"},
		{"value of constant mismatch", func(m *Model) { m.Methods[0].Values[2].Shape = []int{3, 2} }, "does not match its constant"},
		{"constant value with offset", func(m *Model) { m.Methods[0].Values[2].ArenaOffset = 0 }, "with an arena offset"},
		{"input constant", func(m *Model) { m.Methods[0].Inputs = []int{2} }, "is a constant"},
		{"input twice", func(m *Model) { m.Methods[0].Inputs = []int{0, 0} }, "an input twice"},
		{"output range", func(m *Model) { m.Methods[0].Outputs = []int{10} }, "out of range"},
		{"op range", func(m *Model) { m.Methods[0].Instructions[1].Op = 5 }, "op index 5"},
		{"write constant", func(m *Model) { m.Methods[0].Instructions[1].Outputs = []int{2} }, "writes constant"},
		{"jump target", func(m *Model) { m.Methods[0].Instructions[0].Target = 4 }, "jump target 4"},
		{"condition", func(m *Model) { m.Methods[0].Instructions[0].Inputs = []int{0} }, "not a bool scalar"},
		{"attr twice", func(m *Model) {
			in := &m.Methods[0].Instructions[2]
			in.Attrs = append(in.Attrs, IntAttr("i", 1))
		}, `"i" given twice`},
		{"bool attr", func(m *Model) { m.Methods[0].Instructions[2].Attrs[2].Int = 2 }, "bool attribute"},
		{"test method", func(m *Model) { m.Tests[0].Method = "nope" }, `no method "nope"`},
		{"test inputs", func(m *Model) { m.Tests[0].Inputs = nil }, "0 inputs"},
		{"test constant", func(m *Model) { m.Tests[0].Expected = []int{1} }, "expected outputs"},
		{"extra file twice", func(m *Model) { m.ExtraFiles = append(m.ExtraFiles, m.ExtraFiles[0]) }, "listed twice"},
		{"metadata", func(m *Model) { m.Metadata.Std = []float32{0} }, "non-zero std"},
	}
	for _, c := range cases {
		m := testModel()
		c.edit(m)
		_, err := Encode(m)
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestDecodeNeverPanics decodes every prefix of a file and files with
// bytes flipped: errors are fine, panics are not.
func TestDecodeNeverPanics(t *testing.T) {
	b, err := Encode(testModel())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		if _, err := Decode(b[:n]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", n)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		c := append([]byte{}, b...)
		for range 1 + r.IntN(4) {
			c[r.IntN(len(c))] = byte(r.Uint32())
		}
		Decode(c)
	}
}

func TestSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.ember")
	if err := Save(path, testModel()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); err != nil {
		t.Fatal(err)
	}
	m := testModel()
	m.FormatVersion = 99
	if err := Save(path, m); err == nil {
		t.Error("invalid model saved")
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := Save(filepath.Join(path, "sub", "x.ember"), testModel()); err == nil {
		t.Error("save into a file's subdirectory succeeded")
	}
}

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.ember")
	if err := Save(path, testModel()); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Method("forward") == nil || len(f.ExtraFiles) != 1 {
		t.Errorf("opened %+v", f.Model)
	}
	if _, err := Open(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(path, []byte("not a model at all"), 0o644)
	if _, err := Open(path); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: %v", err)
	}
}

func TestOpCodeNumbering(t *testing.T) {
	m := &Model{}
	a, b, c := m.OpCode("relu", 1), m.OpCode("add", 1), m.OpCode("relu", 2)
	if a != 0 || b != 1 || c != 0 || m.OpCodes[0].Version != 2 || len(m.OpCodes) != 2 {
		t.Errorf("%d %d %d %v", a, b, c, m.OpCodes)
	}
}
