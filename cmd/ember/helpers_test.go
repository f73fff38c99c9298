package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// testModel describes the model files the tests build: an image input
// [1, ch, h, w], conv2d_act (3x3, pad 1, 4 channels, relu), flatten, then
// linear to 10 classes, with metadata (labels, mean/std), an extra file
// and, when test is set, a bundled test whose expected output is the
// runtime's own.
type testModel struct {
	ch, h, w int
	test     bool
	op       string // the conv's op name (default conv2d_act)
}

func (tm testModel) build(t testing.TB) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int, s float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64()) * s
		}
		return v
	}
	m := &format.Model{MinRuntimeVersion: 1}
	mt := format.Method{Name: "forward"}
	var off int64
	arena := func(name string, shape ...int) int {
		v := format.ArenaValue(name, format.Float32, shape, off)
		off += (v.Bytes() + 63) / 64 * 64
		mt.Values = append(mt.Values, v)
		return len(mt.Values) - 1
	}
	konst := func(name string, data []float32, shape ...int) int {
		c := m.AddConstant(format.Constant{Name: name, DType: format.Float32, Shape: shape, Data: format.Float32Bytes(data)})
		mt.Values = append(mt.Values, format.ConstantValue(m, c))
		return len(mt.Values) - 1
	}
	hw := tm.h * tm.w
	x := arena("image", 1, tm.ch, tm.h, tm.w)
	w1 := konst("conv.weight", rnd(4*tm.ch*9, 0.5), 4, tm.ch, 3, 3)
	b1 := konst("conv.bias", rnd(4, 0.1), 4)
	w2 := konst("fc.weight", rnd(10*4*hw, 0.1), 10, 4*hw)
	b2 := konst("fc.bias", rnd(10, 0.1), 10)
	c := arena("conv", 1, 4, tm.h, tm.w)
	f := arena("flat", 1, 4*hw)
	y := arena("logits", 1, 10)
	op := tm.op
	if op == "" {
		op = "conv2d_act"
	}
	attrs := []format.Attr{format.IntsAttr("padding", 1, 1)}
	if op == "conv2d_act" {
		attrs = append(attrs, format.StringAttr("act", "relu"))
	}
	mt.Instructions = []format.Instruction{
		{Kind: format.InstrOp, Op: m.OpCode(op, 1), Inputs: []int{x, w1, b1}, Outputs: []int{c}, Attrs: attrs},
		{Kind: format.InstrOp, Op: m.OpCode("flatten", 1), Inputs: []int{c}, Outputs: []int{f}, Attrs: []format.Attr{format.IntAttr("start", 1)}},
		{Kind: format.InstrOp, Op: m.OpCode("linear", 1), Inputs: []int{f, w2, b2}, Outputs: []int{y}},
	}
	mt.Inputs, mt.Outputs, mt.ArenaSize = []int{x}, []int{y}, off
	m.Methods = []format.Method{mt}
	labels := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	m.Metadata = &format.Metadata{Name: "testnet", Description: "a test network", Author: "ember tests",
		License: "MIT", Labels: labels, Producer: "cmd/ember tests"}
	if tm.ch == 3 {
		m.Metadata.Mean, m.Metadata.Std = []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	} else {
		m.Metadata.Mean, m.Metadata.Std = []float32{0.1307}, []float32{0.3081}
	}
	m.ExtraFiles = []format.ExtraFile{{Key: "README.txt", Data: []byte("hello")}}
	if tm.test {
		b, err := format.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		in := rnd(tm.ch*hw, 1)
		want := runModel(t, b, in)
		ci := m.AddConstant(format.Constant{Name: "test.x", DType: format.Float32, Shape: []int{1, tm.ch, tm.h, tm.w}, Data: format.Float32Bytes(in)})
		co := m.AddConstant(format.Constant{Name: "test.y", DType: format.Float32, Shape: []int{1, 10}, Data: format.Float32Bytes(want)})
		m.Tests = []format.TestCase{{Method: "forward", Inputs: []int{ci}, Expected: []int{co}, Tolerance: 1e-5}}
	}
	b, err := format.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runModel runs the forward method of the model file b on x with the lite
// runtime.
func runModel(t testing.TB, b []byte, x []float32) []float32 {
	t.Helper()
	m, err := lite.LoadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	y := make([]float32, 10)
	if err := m.NewSession().Run(m.Method("forward"), []lite.Tensor{{Data: x}}, []lite.Tensor{{Data: y}}); err != nil {
		t.Fatal(err)
	}
	return y
}

// writeFile writes b into a file of the test's temporary folder.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ember runs the command in-process and returns its exit status, stdout
// and stderr. A panic trace is never acceptable.
func ember(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	if s := errb.String(); strings.Contains(s, "internal error") || strings.Contains(s, "goroutine ") {
		t.Fatalf("ember %v: a panic: %s", args, s)
	}
	return code, out.String(), errb.String()
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
