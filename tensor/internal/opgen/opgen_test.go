package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2d":               "conv2d",
		"AddScalar":            "add_scalar",
		"ReLU_":                "relu_",
		"ReLU6":                "relu6",
		"LeakyReLU":            "leaky_relu",
		"MatMul":               "matmul",
		"MaxPool2dWithIndices": "max_pool2d_with_indices",
		"ConvTranspose1d":      "conv_transpose1d",
		"IsClose":              "is_close",
		"MT":                   "mt",
		"T":                    "t",
		"GELU":                 "gelu",
		"SiLU":                 "silu",
		"LogSumExp":            "logsumexp",
		"TopK":                 "topk",
		"RSubScalar":           "rsub_scalar",
		"Log1p":                "log1p",
		"equalNaN":             "equal_nan",
		"normalizedShape":      "normalized_shape",
		"outH":                 "out_h",
		"d0":                   "d0",
		"RandInt":              "randint",
		"KernelSize":           "kernel_size",
		"AddScaled_":           "add_scaled_",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTensorOpsUpToDate checks that the committed ops_gen.go is what opgen
// makes from package tensor's source.
func TestTensorOpsUpToDate(t *testing.T) {
	if err := run("../..", "ops_gen.go", true, false, exclusions); err != nil {
		t.Fatal(err)
	}
}

// fakeTensor is a small package tensor to generate for: op functions with
// one-line bodies, a local named out, an option struct, variadic and list
// arguments, a list result and two results, and two functions opgen cannot
// describe unless they are excluded.
const fakeTensor = `package tensor

import "fmt"

// Tensor is a vector.
type Tensor struct{ v []float64 }

// DType is a dtype.
type DType int

// Generator is a random generator.
type Generator struct{}

func panicf(op, format string, args ...any) { panic(op + ": " + fmt.Sprintf(format, args...)) }

// New makes a tensor from values.
func New(v ...float64) *Tensor { return &Tensor{v} }

// Scale multiplies by s.
func (t *Tensor) Scale(s float64) *Tensor { return t.Map(func(x float64) float64 { return x * s }) }

// Map is not an op: it takes a func.
func (t *Tensor) Map(f func(float64) float64) *Tensor {
	out := &Tensor{make([]float64, len(t.v))}
	for i, x := range t.v {
		out.v[i] = f(x)
	}
	return out
}

// Cat joins tensors; skip drops the first skip elements of each.
func Cat(ts []*Tensor, skip int) *Tensor {
	out := &Tensor{}
	for _, t := range ts {
		out.v = append(out.v, t.v[skip:]...)
	}
	return out
}

// PadOptions configure Pad.
type PadOptions struct {
	Before []int
	Value  float64
}

// Pad pads with Value; gen is ignored.
func Pad(x *Tensor, o PadOptions, gen *Generator) *Tensor {
	v := make([]float64, 0, len(x.v))
	for range o.Before {
		v = append(v, o.Value)
	}
	return &Tensor{append(v, x.v...)}
}

// Split cuts t into pieces of n.
func (t *Tensor) Split(n int) []*Tensor {
	var out []*Tensor
	for i := 0; i < len(t.v); i += n {
		out = append(out, &Tensor{t.v[i:min(i+n, len(t.v))]})
	}
	return out
}

// MinMax returns the smallest and largest element.
func (t *Tensor) MinMax() (lo, hi *Tensor) {
	lo, hi = &Tensor{[]float64{t.v[0]}}, &Tensor{[]float64{t.v[0]}}
	for _, x := range t.v {
		lo.v[0], hi.v[0] = min(lo.v[0], x), max(hi.v[0], x)
	}
	return lo, hi
}

// Zeros makes zeros.
func Zeros(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Tensor{make([]float64, n)}
}

// Len is not an op.
func (t *Tensor) Len() int { return len(t.v) }
`

const fakeTest = `package tensor

import (
	"reflect"
	"slices"
	"testing"
)

type rec struct{ ops []string; attrs []Attrs }

func (r *rec) Op(d *OpDef, in []*Tensor, a Attrs, out []*Tensor) {
	r.ops = append(r.ops, d.Name)
	r.attrs = append(r.attrs, a)
	got := d.Run(in, a)
	if !reflect.DeepEqual(got, out) {
		panic(d.Name + ": Run differs")
	}
}
func (r *rec) Read(string, *Tensor, string) {}

func TestFake(t *testing.T) {
	r := &rec{}
	defer SetTracer(r)()
	x := New(1, 2, 3)
	Cat([]*Tensor{x.Scale(2), Pad(x, PadOptions{Before: []int{0, 0}, Value: 9}, nil)}, 1).Split(2)
	x.MinMax()
	Zeros(2, 2)
	want := []string{"new", "scale", "pad", "cat", "split", "min_max", "zeros"}
	if !slices.Equal(r.ops, want) {
		t.Fatalf("ops %v, want %v", r.ops, want)
	}
	if !reflect.DeepEqual(r.attrs[2], Attrs{"before": []int64{0, 0}, "value": 9.0}) {
		t.Errorf("pad attrs %v", r.attrs[2])
	}
	if len(Ops()) != 7 {
		t.Errorf("%d ops", len(Ops()))
	}
}
`

// TestGenerateFreshPackage runs opgen on a small package tensor with the
// real ops.go and trace.go: it must refuse the functions it cannot
// describe, insert the hooks (-hooks), generate code that builds and
// vets, trace every op once and rebuild each call with Run; and -check
// must notice a new op.
func TestGenerateFreshPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package")
	}
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fake\n\ngo 1.26\n")
	write("tensor.go", fakeTensor)
	for _, f := range []string{"ops.go", "trace.go"} {
		src, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		write(f, strings.Replace(string(src), "//go:generate go run ./internal/opgen\n", "", 1))
	}
	excl := map[string]exclusion{}
	for _, n := range []string{"SetTracer", "Tracing", "LookupOp", "Ops", "OpDef.String", "AttrKind.String"} {
		excl[n] = exclusions[n] // ops.go's and trace.go's API
	}
	err := run(dir, "ops_gen.go", false, true, excl)
	if err == nil || !strings.Contains(err.Error(), "Tensor.Map: parameter f: type func(float64) float64 cannot be an attribute") ||
		!strings.Contains(err.Error(), "Tensor.Len: result of type int") {
		t.Fatalf("opgen without exclusions: %v", err)
	}
	excl["Tensor.Map"] = exclusion{"takes a func", ""}
	excl["Tensor.Len"] = exclusion{"accessor", ""}
	excl["Gone"] = exclusion{"stale", ""}
	if err := run(dir, "ops_gen.go", false, true, excl); err == nil || !strings.Contains(err.Error(), "Gone is excluded but") {
		t.Fatalf("opgen with a stale exclusion: %v", err)
	}
	delete(excl, "Gone")
	if err := run(dir, "ops_gen.go", false, true, excl); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "tensor.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"func (t *Tensor) Scale(s float64) *Tensor {\n\tif tracing.Load() && outermost() {\n\t\treturn traceScale(t, s)\n\t}\n\treturn t.Map(",
		"func Cat(ts []*Tensor, skip int) *Tensor {\n\tif tracing.Load() && outermost() {\n\t\treturn traceCat(ts, skip)\n\t}\n\tout := ",
		"func (t *Tensor) MinMax() (lo, hi *Tensor) {\n\tif tracing.Load() && outermost() {\n\t\treturn traceMinMax(t)\n\t}\n",
		"func Zeros(shape ...int) *Tensor {\n\tif tracing.Load() && outermost() {\n\t\treturn traceZeros(shape)\n\t}\n",
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("tensor.go after -hooks lacks\n%s\n--- tensor.go:\n%s", want, src)
		}
	}
	if err := run(dir, "ops_gen.go", true, false, excl); err != nil {
		t.Errorf("-check right after generating: %v", err)
	}
	write("fake_test.go", fakeTest)
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	cmd = exec.Command("go", "test", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	write("more.go", "package tensor\n\n// Twice doubles.\nfunc (t *Tensor) Twice() *Tensor { return t.Scale(2) }\n")
	if err := run(dir, "ops_gen.go", true, false, excl); err == nil || !strings.Contains(err.Error(), "not up to date") {
		t.Errorf("-check after adding an op: %v", err)
	}
}
