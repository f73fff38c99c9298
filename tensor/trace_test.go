package tensor_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emberml/ember/tensor"
)

// event is one report to the recorder.
type event struct {
	op      string
	in      []*tensor.Tensor
	attrs   tensor.Attrs
	out     []*tensor.Tensor
	read    string
	t       *tensor.Tensor
	pos     string
	defName string
}

// recorder is a Tracer that keeps what it is told.
type recorder struct {
	ev []event
}

func (r *recorder) Op(def *tensor.OpDef, in []*tensor.Tensor, attrs tensor.Attrs, out []*tensor.Tensor) {
	r.ev = append(r.ev, event{op: def.Name, in: in, attrs: attrs, out: out, defName: def.GoName})
}

func (r *recorder) Read(kind string, t *tensor.Tensor, pos string) {
	r.ev = append(r.ev, event{read: kind, t: t, pos: pos})
}

// ops returns the names of the reported ops and "read:kind@pos" for reads.
func (r *recorder) names() []string {
	var s []string
	for _, e := range r.ev {
		if e.read != "" {
			s = append(s, "read:"+e.read+"@"+e.pos)
		} else {
			s = append(s, e.op)
		}
	}
	return s
}

// here returns "trace_test.go:N" for the line that calls it, offset by d.
func here(d int) string {
	_, file, line, _ := runtime.Caller(1)
	return file[strings.LastIndexByte(file, '/')+1:] + ":" + strconv.Itoa(line+d)
}

func TestTraceSeesTopLevelOps(t *testing.T) {
	g := tensor.NewGenerator(1)
	x, w, b := g.Randn(2, 3), g.Randn(3, 4), g.Randn(4)
	rec := &recorder{}
	if tensor.Tracing() {
		t.Fatal("Tracing() before SetTracer")
	}
	restore := tensor.SetTracer(rec)
	if !tensor.Tracing() {
		t.Fatal("not Tracing() after SetTracer")
	}
	mm := x.MatMul(w)
	a := mm.Add(b)
	r := a.ReLU()
	s := r.Sum()
	restore()
	if tensor.Tracing() {
		t.Fatal("Tracing() after restore")
	}
	if got, want := rec.names(), []string{"matmul", "add", "relu", "sum"}; !slices.Equal(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	chain := []struct {
		in, out []*tensor.Tensor
	}{{[]*tensor.Tensor{x, w}, []*tensor.Tensor{mm}}, {[]*tensor.Tensor{mm, b}, []*tensor.Tensor{a}},
		{[]*tensor.Tensor{a}, []*tensor.Tensor{r}}, {[]*tensor.Tensor{r}, []*tensor.Tensor{s}}}
	for i, c := range chain {
		e := rec.ev[i]
		if !slices.Equal(e.in, c.in) || !slices.Equal(e.out, c.out) || len(e.attrs) != 0 {
			t.Errorf("%s: inputs %p, outputs %p, attrs %v; want %p, %p, none", e.op, e.in, e.out, e.attrs, c.in, c.out)
		}
	}
}

func TestTraceNestedOpsAreHidden(t *testing.T) {
	g := tensor.NewGenerator(2)
	x, w, b := g.Randn(2, 3), g.Randn(4, 3), g.Randn(4)
	rec := &recorder{}
	restore := tensor.SetTracer(rec)
	y := tensor.Linear(x, w, b)                                // matmul and add inside
	z := y.AddScalar(1).Softmax(-1)                            // add inside add_scalar
	u := tensor.RandnLike(z)                                   // to inside randn_like
	v := tensor.LayerNorm(y, []int{4}, nil, nil, 1e-5).Float() // to inside float
	n, pos := tensor.Equal(y, v.Detach()), here(0)             // eq and all inside: one read per tensor
	restore()
	_, _ = u, n
	want := []string{"linear", "add_scalar", "softmax", "randn_like", "layer_norm", "float", "detach",
		"read:equal@" + pos, "read:equal@" + pos}
	if got := rec.names(); !slices.Equal(got, want) {
		t.Fatalf("reports %v\nwant %v", got, want)
	}
}

func TestTraceAttrs(t *testing.T) {
	g := tensor.NewGenerator(3)
	x, w := g.Randn(1, 2, 5, 5), g.Randn(3, 2, 3, 3)
	rec := &recorder{}
	restore := tensor.SetTracer(rec)
	c := tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Stride: []int{2}, Padding: []int{1, 0}, Groups: 1})
	r := c.Reshape(3, -1)
	cat := tensor.Cat([]*tensor.Tensor{r, r}, 1)
	vals, idx := cat.MaxDim(-1, false)
	parts := cat.Split(4, 1)
	z := tensor.Zeros(2, 3)
	e := tensor.Empty(tensor.Int64, 4)
	sd := cat.SumDims(nil, true)
	restore()
	want := []struct {
		op    string
		in    []*tensor.Tensor
		attrs tensor.Attrs
		out   []*tensor.Tensor
	}{
		{"conv2d", []*tensor.Tensor{x, w, nil}, tensor.Attrs{"stride": []int64{2}, "padding": []int64{1, 0},
			"padding_mode": "", "dilation": nil, "groups": int64(1)}, []*tensor.Tensor{c}},
		{"reshape", []*tensor.Tensor{c}, tensor.Attrs{"shape": []int64{3, -1}}, []*tensor.Tensor{r}},
		{"cat", []*tensor.Tensor{r, r}, tensor.Attrs{"dim": int64(1)}, []*tensor.Tensor{cat}},
		{"max_dim", []*tensor.Tensor{cat}, tensor.Attrs{"dim": int64(-1), "keepdim": false}, []*tensor.Tensor{vals, idx}},
		{"split", []*tensor.Tensor{cat}, tensor.Attrs{"size": int64(4), "dim": int64(1)}, parts},
		{"zeros", []*tensor.Tensor{}, tensor.Attrs{"shape": []int64{2, 3}}, []*tensor.Tensor{z}},
		{"empty", []*tensor.Tensor{}, tensor.Attrs{"dt": tensor.Int64, "shape": []int64{4}}, []*tensor.Tensor{e}},
		{"sum_dims", []*tensor.Tensor{cat}, tensor.Attrs{"dims": nil, "keepdim": true}, []*tensor.Tensor{sd}},
	}
	if len(rec.ev) != len(want) {
		t.Fatalf("reports %v", rec.names())
	}
	for i, w := range want {
		e := rec.ev[i]
		if e.op != w.op || !slices.Equal(e.in, w.in) || !reflect.DeepEqual(e.attrs, w.attrs) || !slices.Equal(e.out, w.out) {
			t.Errorf("report %d: %s %p %#v -> %p\nwant %s %p %#v -> %p", i, e.op, e.in, e.attrs, e.out, w.op, w.in, w.attrs, w.out)
		}
		// Run on the reported inputs and attributes computes the same.
		def, _ := tensor.LookupOp(e.op)
		got := def.Run(e.in, e.attrs)
		for j := range got {
			if !sameTensor(got[j], e.out[j]) {
				t.Errorf("%s: Run's output %d differs from the traced one", e.op, j)
			}
		}
	}
}

// sameTensor reports whether a and b have the same dtype, shape and bits.
func sameTensor(a, b *tensor.Tensor) bool {
	if a.DType() != b.DType() || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	x, y := a.ToFloat64s(), b.ToFloat64s()
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}

func TestTraceReads(t *testing.T) {
	x := tensor.Arange(0, 6, 1).Reshape(2, 3)
	y := tensor.Ones(2, 3).SetRequiresGrad(true)
	rec := &recorder{}
	restore := tensor.SetTracer(rec)
	var want []string
	var of []*tensor.Tensor // the tensor of each report
	read := func(kind, pos string, t *tensor.Tensor) {
		want = append(want, "read:"+kind+"@"+pos)
		of = append(of, t)
	}
	s := x.Sum()
	want, of = append(want, "sum"), append(of, nil)
	_, p := s.Item(), here(0)
	read("item", p, s)
	_, p = x.Size(0), here(0)
	read("size", p, x)
	_, p = x.Shape(), here(0)
	read("shape", p, x)
	_, p = x.Numel(), here(0)
	read("numel", p, x)
	_, p = x.At(1, 2), here(0)
	read("at", p, x)
	_, p = x.ToFloat32s(), here(0)
	read("to_float32s", p, x)
	_, p = x.ToFloat64s(), here(0)
	read("to_float64s", p, x)
	_, p = x.ToInt64s(), here(0)
	read("to_int64s", p, x)
	_, p = x.ToBools(), here(0)
	read("to_bools", p, x)
	_, p = x.Data(), here(0)
	read("data", p, x)
	p = here(1)
	x.Set(1, 0, 0)
	read("set", p, x)
	_, p = tensor.AllClose(x, s, 0, 0), here(0)
	read("all_close", p, x)
	read("all_close", p, s)
	numel := x.Numel // a method value: its wrapper is skipped
	_, p = numel(), here(0)
	read("numel", p, x)
	ys := y.Sum()
	want, of = append(want, "sum"), append(of, nil)
	p = here(1)
	ys.Backward() // the ops of the backward pass are not reported
	read("backward", p, ys)
	_ = x.Dim() + len(x.Strides()) + x.Offset() // not reads
	_ = x.DType().String() + x.String()
	restore()
	if got := rec.names(); !slices.Equal(got, want) {
		t.Fatalf("reports\n%v\nwant\n%v", got, want)
	}
	for i, e := range rec.ev {
		if e.read != "" && e.t != of[i] {
			t.Errorf("read %s of tensor %p, want %p", e.read, e.t, of[i])
		}
	}
	if y.Grad() == nil {
		t.Error("Backward while tracing computed no gradient")
	}
}

// TestTraceReadsInsideOpsAreHidden checks that the shape and value reads
// the ops make themselves (Numel, Size, Item, ...) are not reported.
func TestTraceReadsInsideOpsAreHidden(t *testing.T) {
	g := tensor.NewGenerator(4)
	x := g.Randn(2, 3, 8, 8)
	w := g.Randn(4, 3, 3, 3)
	rec := &recorder{}
	restore := tensor.SetTracer(rec)
	y := tensor.Conv2d(x, w, nil, tensor.Conv2dOptions{Padding: []int{1}})
	y = tensor.BatchNorm(y, nil, nil, nil, nil, true, 0.1, 1e-5)
	y = tensor.MaxPool2d(y.ReLU(), tensor.MaxPool2dOptions{KernelSize: []int{2}})
	y = y.Flatten(1, -1).LogSoftmax(1).Nonzero()
	_ = y.String()
	restore()
	for _, e := range rec.ev {
		if e.read != "" {
			t.Errorf("read %s at %s reported from inside an op", e.read, e.pos)
		}
	}
	if got, want := rec.names(), []string{"conv2d", "batch_norm", "relu", "max_pool2d", "flatten", "log_softmax", "nonzero"}; !slices.Equal(got, want) {
		t.Errorf("ops %v, want %v", got, want)
	}
}

func TestTraceRestore(t *testing.T) {
	x := tensor.Ones(3)
	outer, inner := &recorder{}, &recorder{}
	r1 := tensor.SetTracer(outer)
	x.Neg()
	r2 := tensor.SetTracer(inner)
	x.Exp()
	_ = x.Numel()
	r2()
	x.Abs()
	r1()
	x.Sin()
	_ = x.Sum().Item()
	_ = x.Shape()
	if got := outer.names(); !slices.Equal(got, []string{"neg", "abs"}) {
		t.Errorf("outer tracer saw %v", got)
	}
	if got := inner.names(); len(got) != 2 || got[0] != "exp" || !strings.HasPrefix(got[1], "read:numel@") {
		t.Errorf("inner tracer saw %v", got)
	}
	r := tensor.SetTracer(nil)
	if tensor.Tracing() {
		t.Error("Tracing() with a nil tracer")
	}
	r()
}

// TestTracePanickingOp checks that an op that panics is not reported and
// leaves the depth count as it was.
func TestTracePanickingOp(t *testing.T) {
	rec := &recorder{}
	restore := tensor.SetTracer(rec)
	defer restore()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3))
	}()
	tensor.Ones(2).Neg()
	if got := rec.names(); !slices.Equal(got, []string{"ones", "ones", "ones", "neg"}) {
		t.Errorf("reports %v", got)
	}
}

// rerunner is a Tracer that runs each op again through its OpDef, as a
// graph executor would.
type rerunner struct {
	ops  []string
	same bool
}

func (r *rerunner) Op(def *tensor.OpDef, in []*tensor.Tensor, attrs tensor.Attrs, out []*tensor.Tensor) {
	r.ops = append(r.ops, def.Name)
	got := def.Run(in, attrs)
	r.same = len(got) == len(out)
	for i := range got {
		r.same = r.same && sameTensor(got[i], out[i])
	}
}

func (r *rerunner) Read(string, *tensor.Tensor, string) {}

// TestTracerRunsOps checks that the ops a tracer runs are not reported.
func TestTracerRunsOps(t *testing.T) {
	rr := &rerunner{}
	restore := tensor.SetTracer(rr)
	tensor.Linear(tensor.Ones(2, 3), tensor.Ones(4, 3), nil)
	restore()
	if !slices.Equal(rr.ops, []string{"ones", "ones", "linear"}) || !rr.same {
		t.Errorf("ops %v, same %v", rr.ops, rr.same)
	}
}

// replay is the Tracer of the suite's replay mode (see TestMain): it runs
// every op again through OpDef.Run with the reported inputs and
// attributes and records whether the results are bit-identical.
type replay struct {
	mu       sync.Mutex
	calls    map[string]int
	failures []string
}

// notReplayed are ops that a second run would change state for: random
// ops (they advance the default generator) and batch_norm (it updates its
// running statistics in training mode).
var notReplayed = map[string]bool{
	"rand": true, "randn": true, "randint": true, "randperm": true, "rand_like": true, "randn_like": true,
	"dropout": true, "dropout2d": true, "batch_norm": true,
}

func (r *replay) Op(def *tensor.OpDef, in []*tensor.Tensor, attrs tensor.Attrs, out []*tensor.Tensor) {
	if def.InPlace || notReplayed[def.Name] {
		return
	}
	defer tensor.SetGradEnabled(false)()
	fail := func(format string, args ...any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.failures) < 50 {
			r.failures = append(r.failures, def.Name+": "+fmt.Sprintf(format, args...))
		}
	}
	defer func() {
		if p := recover(); p != nil {
			fail("Run panicked: %v (attrs %v)", p, attrs)
		}
	}()
	got := def.Run(in, attrs)
	if len(got) != len(out) {
		fail("Run returned %d tensors, the op %d", len(got), len(out))
		return
	}
	for i := range got {
		if !sameTensor(got[i], out[i]) {
			fail("output %d differs (attrs %v)", i, attrs)
			return
		}
	}
	r.mu.Lock()
	r.calls[def.Name]++
	r.mu.Unlock()
}

func (r *replay) Read(string, *tensor.Tensor, string) {}

const replayEnv = "EMBER_TENSOR_REPLAY_OPS"

// TestMain runs the tests as usual or, with EMBER_TENSOR_REPLAY_OPS=1 in
// the environment, under the replay tracer, which checks that every op
// call of the suite is reproduced exactly by its OpDef's Run.
func TestMain(m *testing.M) {
	if os.Getenv(replayEnv) != "1" {
		os.Exit(m.Run())
	}
	r := &replay{calls: map[string]int{}}
	tensor.SetTracer(r)
	code := m.Run()
	names := make([]string, 0, len(r.calls))
	total := 0
	for n, c := range r.calls {
		names = append(names, n)
		total += c
	}
	sort.Strings(names)
	fmt.Printf("replay: %d op calls of %d ops replayed: %s\n", total, len(names), strings.Join(names, " "))
	for _, f := range r.failures {
		fmt.Println("replay failure:", f)
	}
	if len(r.failures) > 0 && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// TestRunReplaysTheSuite runs this test binary again in replay mode (see
// TestMain): every op that the suite calls is run a second time through
// its OpDef.Run, from the reported inputs and attributes, and must give
// the same bits.
func TestRunReplaysTheSuite(t *testing.T) {
	if os.Getenv(replayEnv) == "1" {
		t.Skip("already replaying")
	}
	if testing.Short() {
		t.Skip("runs the suite again")
	}
	cmd := exec.Command(os.Args[0], "-test.run=.", "-test.skip=^(TestRunReplaysTheSuite|TestTrace.*|TestTracerRunsOps|Example.*)$")
	cmd.Env = append(os.Environ(), replayEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("replay run failed: %v\n%s", err, tail(string(out), 4000))
	}
	m := regexp.MustCompile(`replay: (\d+) op calls of (\d+) ops replayed: (.*)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no replay summary in\n%s", tail(string(out), 2000))
	}
	calls, _ := strconv.Atoi(m[1])
	nops, _ := strconv.Atoi(m[2])
	replayed := map[string]bool{}
	for _, n := range strings.Fields(m[3]) {
		replayed[n] = true
	}
	var never []string
	for _, d := range tensor.Ops() {
		if !replayed[d.Name] && !d.InPlace && !notReplayed[d.Name] {
			never = append(never, d.Name)
		}
	}
	t.Logf("replayed %d op calls of %d ops; never called by the suite (or always panicking): %v", calls, nops, never)
	if nops < len(tensor.Ops())*3/4 {
		t.Errorf("only %d of %d ops replayed", nops, len(tensor.Ops()))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// BenchmarkOpLoop times a loop of small ops with no tracer installed: the
// hook's cost there is one atomic load per op. Compare with the same
// benchmark on a tree without the hooks.
func BenchmarkOpLoop(b *testing.B) {
	x := tensor.Ones(16)
	y := tensor.Ones(16)
	b.Run("AddReLUSum", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Add(y).ReLU().Sum()
		}
	})
	b.Run("ViewChain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			x.Reshape(4, 4).Transpose(0, 1).Unsqueeze(0)
		}
	})
	xl, wl, bl := tensor.Ones(16, 64), tensor.Ones(64, 64), tensor.Ones(64)
	b.Run("LinearReLU", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tensor.Linear(xl, wl, bl).ReLU()
		}
	})
	b.Run("Numel", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n += x.Numel()
		}
		_ = n
	})
}

// BenchmarkOpLoopTracing is BenchmarkOpLoop's first loop with a tracer
// that drops what it is told, for the cost of tracing itself.
func BenchmarkOpLoopTracing(b *testing.B) {
	x := tensor.Ones(16)
	y := tensor.Ones(16)
	defer tensor.SetTracer(discard{})()
	b.ReportAllocs()
	for b.Loop() {
		x.Add(y).ReLU().Sum()
	}
}

type discard struct{}

func (discard) Op(*tensor.OpDef, []*tensor.Tensor, tensor.Attrs, []*tensor.Tensor) {}
func (discard) Read(string, *tensor.Tensor, string)                                {}

// printer is a Tracer that prints what it is told.
type printer struct{}

func (printer) Op(def *tensor.OpDef, in []*tensor.Tensor, attrs tensor.Attrs, out []*tensor.Tensor) {
	fmt.Printf("op %s: %d inputs, attrs %v, %d outputs\n", def.Name, len(in), attrs, len(out))
}

func (printer) Read(kind string, t *tensor.Tensor, pos string) {
	fmt.Printf("read %s of a %v tensor\n", kind, t.DType()) // pos is this file's line
}

// ExampleSetTracer traces a small computation: each top-level op once,
// and the reads of values or shapes that Go code makes.
func ExampleSetTracer() {
	w := tensor.Ones(3, 2)
	x := tensor.Arange(0, 6, 1).Reshape(2, 3)
	restore := tensor.SetTracer(printer{})
	y := x.MatMul(w).AddScalar(1).ReLU().SumDims([]int{1}, false)
	if y.Size(0) > 1 { // a decision a trace would bake in
		fmt.Println(y.ToFloat32s())
	}
	restore()
	y.Neg() // not reported
	// Output:
	// op matmul: 2 inputs, attrs map[], 1 outputs
	// op add_scalar: 1 inputs, attrs map[s:1], 1 outputs
	// op relu: 1 inputs, attrs map[], 1 outputs
	// op sum_dims: 1 inputs, attrs map[dims:[1] keepdim:false], 1 outputs
	// read size of a float32 tensor
	// read to_float32s of a float32 tensor
	// [8 26]
}

// ExampleLookupOp runs an op from its name and attributes, as a graph
// executor does.
func ExampleLookupOp() {
	def, _ := tensor.LookupOp("conv2d")
	fmt.Println(def)
	x := tensor.Ones(1, 1, 4, 4)
	w := tensor.Ones(1, 1, 3, 3)
	out := def.Run([]*tensor.Tensor{x, w, nil}, tensor.Attrs{
		"stride": []int64{2}, "padding": []int64{1}, "padding_mode": "", "dilation": nil, "groups": int64(1),
	})
	fmt.Println(out[0].Shape(), out[0].ToFloat32s())
	// Output:
	// conv2d(x, w, b; stride ints, padding ints, padding_mode string, dilation ints, groups int) -> 1
	// [1 1 2 2] [4 6 6 9]
}
