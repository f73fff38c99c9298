package tensor_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// goldenTensor is a tensor as the testdata/gen_*.py scripts write it.
type goldenTensor struct {
	Shape []int  `json:"shape"`
	DType string `json:"dtype"`
	Data  []any  `json:"data"`
}

// goldenCase is one PyTorch reference computation.
type goldenCase struct {
	Name    string         `json:"name"`
	Op      string         `json:"op"`
	Inputs  []goldenTensor `json:"inputs"`
	Attrs   goldenAttrs    `json:"attrs"`
	Outputs []goldenTensor `json:"outputs"`
}

// goldenAttrs are an op's keyword arguments.
type goldenAttrs map[string]any

func (a goldenAttrs) has(k string) bool { _, ok := a[k]; return ok }

func (a goldenAttrs) Float(k string) float64 {
	v, ok := a[k]
	if !ok {
		panic("golden: missing attr " + k)
	}
	return num(v)
}

func (a goldenAttrs) Int(k string) int { return int(a.Float(k)) }

func (a goldenAttrs) Bool(k string) bool {
	v, ok := a[k].(bool)
	if !ok {
		panic("golden: missing bool attr " + k)
	}
	return v
}

func (a goldenAttrs) String(k string) string {
	v, ok := a[k].(string)
	if !ok {
		panic("golden: missing string attr " + k)
	}
	return v
}

func (a goldenAttrs) Ints(k string) []int {
	v, ok := a[k].([]any)
	if !ok {
		if _, isNum := a[k].(float64); isNum {
			return []int{a.Int(k)}
		}
		panic("golden: missing int list attr " + k)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(num(x))
	}
	return out
}

func num(v any) float64 { return golden.Number(v) }

// Tensor builds the tensor the case describes.
func (g goldenTensor) Tensor() *tensor.Tensor {
	return golden.Tensor(g).Decode()
}

func loadGolden(t *testing.T, file string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("reading golden file: %v", err)
	}
	var f struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parsing %s: %v", file, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s holds no cases", file)
	}
	return f.Cases
}

// goldenOp runs an op on the case's inputs.
type goldenOp func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor

// tol is a comparison tolerance.
type tol struct{ rtol, atol float64 }

var defaultTol = tol{rtol: 1e-5, atol: 1e-6}

// runGolden checks every case of file against ops, once with contiguous
// inputs and once with the same values in non-contiguous views. A case whose
// op has no entry fails the test, so nothing is skipped silently.
func runGolden(t *testing.T, file string, ops map[string]goldenOp, tl tol) {
	t.Helper()
	for _, c := range loadGolden(t, file) {
		f, ok := ops[c.Op]
		if !ok {
			t.Errorf("%s: no Go op registered for %q", c.Name, c.Op)
			continue
		}
		for _, nc := range []bool{false, true} {
			name := c.Name
			if nc {
				name += "/noncontig"
			}
			t.Run(name, func(t *testing.T) {
				in := make([]*tensor.Tensor, len(c.Inputs))
				for i, g := range c.Inputs {
					in[i] = g.Tensor()
					if nc {
						in[i] = nonContig(in[i])
					}
				}
				got := f(in, c.Attrs)
				if len(got) != len(c.Outputs) {
					t.Fatalf("%d outputs, want %d", len(got), len(c.Outputs))
				}
				for i, want := range c.Outputs {
					assertClose(t, fmt.Sprintf("output %d", i), got[i], want, tl)
				}
			})
		}
	}
}

// assertClose compares got with a golden tensor: shape, dtype and values
// within tl (NaNs must match NaNs; infinities must match exactly).
func assertClose(t *testing.T, what string, got *tensor.Tensor, want goldenTensor, tl tol) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
	}
	if got.DType().String() != want.DType {
		t.Fatalf("%s: dtype %v, want %s", what, got.DType(), want.DType)
	}
	g := got.ToFloat64s()
	for i, wv := range want.Data {
		w := num(wv)
		switch {
		case math.IsNaN(w):
			if !math.IsNaN(g[i]) {
				t.Fatalf("%s: element %d is %v, want NaN", what, i, g[i])
			}
		case math.IsInf(w, 0):
			if g[i] != w {
				t.Fatalf("%s: element %d is %v, want %v", what, i, g[i], w)
			}
		default:
			if !(math.Abs(g[i]-w) <= tl.atol+tl.rtol*math.Abs(w)) { // NaN fails too
				t.Fatalf("%s: element %d is %.9g, want %.9g (shape %v)", what, i, g[i], w, want.Shape)
			}
		}
	}
}

// nonContig returns a tensor with x's values in a non-contiguous layout: the
// values sit at every other position of a buffer twice as wide. 0-d tensors
// come back as they are.
func nonContig(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() == 0 {
		return x
	}
	shape := x.Shape()
	wide := slices.Clone(shape)
	wide[len(wide)-1] *= 2
	buf := tensor.Empty(x.DType(), wide...)
	v := buf.Slice(-1, 0, wide[len(wide)-1], 2)
	v.Copy_(x)
	if x.Numel() > 1 && v.IsContiguous() {
		panic("nonContig made a contiguous tensor")
	}
	return v
}

// gradcheck runs autograd.Gradcheck on f with float64 copies of inputs that
// require grad (inputs that are not floating point are passed unchanged and
// not checked), both contiguous and as non-contiguous views.
func gradcheck(t *testing.T, name string, f func(in ...*tensor.Tensor) *tensor.Tensor, inputs ...*tensor.Tensor) {
	t.Helper()
	for _, nc := range []bool{false, true} {
		in := make([]*tensor.Tensor, len(inputs))
		for i, x := range inputs {
			if !x.DType().IsFloat() {
				in[i] = x
				continue
			}
			y := x.Double().Detach().Clone()
			if nc {
				y = nonContig(y).Detach()
			}
			in[i] = y.SetRequiresGrad(true)
		}
		if err := autograd.Gradcheck(f, in, autograd.GradcheckOptions{}); err != nil {
			t.Errorf("%s (noncontig=%v): %v", name, nc, err)
		}
	}
}

// mustPanic asserts that f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one containing %q", want)
		}
		msg := fmt.Sprint(r)
		if !contains(msg, want) {
			t.Fatalf("panic %q does not contain %q", msg, want)
		}
	}()
	f()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
