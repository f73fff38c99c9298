package jit_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.jit")
	w := tensor.FromSlice([]float32{1, -2, 0.5, 3})
	part := parseModule(t, hybridIR, map[string]*tensor.Tensor{"w": w})
	m := &outer{Pre: nn.NewTanh(), Part: part, W: randn(4)}
	var ws []string
	tm, err := jit.Trace(&saveModel{Net: models.NewSmallCNN(), Hybrid: m}, ins(randn(2, 1, 8, 8), randn(3, 4)), collect(&ws, jit.TraceOptions{DynamicBatch: true}))
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.Save(path); err != nil {
		t.Fatal(err)
	}
	lm, err := jit.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if lm.Graph() != tm.Graph() {
		t.Fatalf("the loaded graph differs:\n%s\n---\n%s", tm.Graph(), lm.Graph())
	}
	for name, c := range tm.StateDict() {
		l := lm.StateDict()[name]
		if l == nil || !tensor.Equal(l, c) || l == c {
			t.Errorf("constant %s: loaded %v, saved %v (want an equal copy)", name, l, c)
		}
		if kind := lm.IR().Const(name).Kind; l != nil && l.RequiresGrad() != (kind == ir.Param) {
			t.Errorf("constant %s (%v): requires grad %v", name, kind, l.RequiresGrad())
		}
	}
	for _, b := range []int{1, 2, 3} {
		x := ins(randn(4-b, 1, 8, 8), randn(b, 4))
		want, err := tm.Call(x...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lm.Call(x...)
		if err != nil {
			t.Fatal(err)
		}
		sameTensors(t, "loaded", got, want)
	}
	// The file is a safetensors state dict with the IR in its metadata.
	sd, meta, err := safetensors.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != jit.FormatName || meta["format_version"] != "1" || meta["ir"] != tm.Graph() || len(sd) != len(tm.StateDict()) {
		t.Errorf("metadata %q, %d tensors", meta["format"], len(sd))
	}
	// Save replaces a file; SaveTo and LoadFrom stream it.
	if err := tm.Save(path); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tm.SaveTo(&buf); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(path)
	if !bytes.Equal(buf.Bytes(), file) {
		t.Error("SaveTo and Save write different bytes")
	}
	if lm, err := jit.LoadFrom(&buf); err != nil || lm.Graph() != tm.Graph() {
		t.Errorf("LoadFrom: %v", err)
	}
	if err := tm.Save(filepath.Join(dir, "no", "such", "dir")); err == nil {
		t.Error("Save into a missing folder succeeded")
	}
	if _, err := jit.Load(filepath.Join(dir, "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("Save left files behind: %v", ents)
	}
}

// saveModel has two inputs, a CNN and a hybrid part with a prim.if.
type saveModel struct {
	nn.Base
	Net    *models.SmallCNN
	Hybrid *outer
}

func (m *saveModel) Forward(img, x *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	return m.Net.Forward(img), m.Hybrid.Forward(x).Add(tensor.FromSlice([]float32{1, 2, 3, 4}))
}

// savedLinear returns the saved form of a traced Linear(3, 2), its
// tensors and metadata.
func savedLinear(t testing.TB) ([]byte, map[string]*tensor.Tensor, map[string]string) {
	tm, err := jit.Trace(nn.NewLinear(3, 2), ins(randn(2, 3)), jit.TraceOptions{DynamicBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tm.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	sd, meta, err := safetensors.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, sd, meta
}

func TestLoadMalformed(t *testing.T) {
	good, sd, meta := savedLinear(t)
	if _, err := jit.LoadBytes(good); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	save := func(sd map[string]*tensor.Tensor, meta map[string]string) []byte {
		var buf bytes.Buffer
		if err := safetensors.Save(&buf, sd, meta); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range meta {
			m[a] = b
		}
		if v == "\x00delete" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	without := func(name string) map[string]*tensor.Tensor {
		m := map[string]*tensor.Tensor{}
		for a, b := range sd {
			if a != name {
				m[a] = b
			}
		}
		return m
	}
	plus := func(name string, x *tensor.Tensor) map[string]*tensor.Tensor {
		m := without(name)
		m[name] = x
		return m
	}
	ir := meta["ir"]
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "jit: Load"},
		{"not safetensors", []byte("hello, world, this is not a model"), "jit: Load"},
		{"truncated", good[:len(good)-3], "jit: Load"},
		{"no metadata", save(sd, nil), "not a saved jit module"},
		{"other format", save(sd, with("format", "pytorch")), `format is "pytorch"`},
		{"no version", save(sd, with("format_version", "\x00delete")), "no format_version"},
		{"bad version", save(sd, with("format_version", "1x")), "bad format_version"},
		{"newer version", save(sd, with("format_version", "2")), "format version 2"},
		{"no IR", save(sd, with("ir", "\x00delete")), "no IR text"},
		{"corrupt IR", save(sd, with("ir", strings.Replace(ir, "linear(", "linear((", 1))), "the IR text"},
		{"unknown op", save(sd, with("ir", strings.Replace(ir, "linear(", "no_such_op(", 1))), "no_such_op"},
		{"missing constant", save(without("bias"), meta), "no tensor for the constants [bias]"},
		{"extra tensor", save(plus("extra", tensor.Zeros(2)), meta), "tensors [extra] are not constants"},
		{"wrong shape", save(plus("weight", tensor.Zeros(3, 2)), meta), "weight"},
		{"wrong dtype", save(plus("bias", tensor.Zeros(2).Double()), meta), "bias"},
	}
	for _, c := range cases {
		m, err := jit.LoadBytes(c.b)
		if err == nil || m != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, %v; want an error with %q", c.name, m, err, c.want)
		}
	}
	var se *irSyntaxError
	if _, err := jit.LoadBytes(cases[9].b); !errors.As(err, &se) {
		t.Errorf("a syntax error in the IR should wrap *ir.SyntaxError: %v", err)
	}
	// Every single-byte change and every truncation is an error or a
	// module, never a panic.
	for i := range good {
		for _, delta := range []byte{1, 0x80} {
			b := bytes.Clone(good)
			b[i] += delta
			loadNoPanic(t, b)
		}
		loadNoPanic(t, good[:i])
	}
}

type irSyntaxError = ir.SyntaxError

func loadNoPanic(t testing.TB, b []byte) {
	m, err := jit.LoadBytes(b)
	if err != nil && strings.Contains(err.Error(), "internal error") {
		t.Fatalf("LoadBytes panicked: %v", err)
	}
	if err == nil && m == nil {
		t.Fatal("LoadBytes returned neither a module nor an error")
	}
}

func FuzzLoadBytes(f *testing.F) {
	good, _, _ := savedLinear(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		loadNoPanic(t, b)
	})
}
