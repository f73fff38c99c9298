package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
)

// model writes a model computing y = x @ w^T for w = [[1, 0, 0], [0, 0, 1]]
// (x of shape [1, 3]).
func model(t *testing.T) string {
	m := &format.Model{MinRuntimeVersion: 1}
	w := m.AddConstant(format.Constant{Name: "w", DType: format.Float32, Shape: []int{2, 3},
		Data: format.Float32Bytes([]float32{1, 0, 0, 0, 0, 1})})
	m.Methods = []format.Method{{Name: "forward",
		Values: []format.Value{format.ArenaValue("x", format.Float32, []int{1, 3}, 0), format.ConstantValue(m, w),
			format.ArenaValue("y", format.Float32, []int{1, 2}, 64)},
		Inputs: []int{0}, Outputs: []int{2}, ArenaSize: 128,
		Instructions: []format.Instruction{{Kind: format.InstrOp, Op: m.OpCode("linear", 1), Inputs: []int{0, 1}, Outputs: []int{2}}}}}
	p := filepath.Join(t.TempDir(), "m.ember")
	if err := format.Save(p, m); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	p := model(t)
	var out strings.Builder
	// The pattern is -1, -7/8, -3/4: the second output (-0.75) is larger.
	if err := run([]string{p}, &out); err != nil || !strings.HasPrefix(out.String(), "argmax 1 (-0.75) of 2 outputs; first run ") {
		t.Fatalf("%v: %q", err, out.String())
	}
	raw := filepath.Join(t.TempDir(), "x.raw")
	os.WriteFile(raw, format.Float32Bytes([]float32{5, 0, 2}), 0o644)
	out.Reset()
	if err := run([]string{p, raw}, &out); err != nil || !strings.HasPrefix(out.String(), "argmax 0 (5) of 2 outputs") {
		t.Fatalf("%v: %q", err, out.String())
	}
	os.WriteFile(raw, format.Float32Bytes([]float32{5, 0}), 0o644)
	if err := run([]string{p, raw}, &out); err == nil || !strings.Contains(err.Error(), "8 bytes; the input takes 3 float32 values") {
		t.Fatalf("short input: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.ember")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	if err := run([]string{bad}, &out); !errors.Is(err, format.ErrMalformed) {
		t.Fatalf("bad model: %v", err)
	}
	if err := run(nil, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no arguments: %v", err)
	}
}
