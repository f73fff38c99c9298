package tensor

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// srcDecl is an exported function or method of the package's source.
type srcDecl struct {
	goName string // "Conv2d" or "Tensor.ReLU"
	decl   *ast.FuncDecl
	fset   *token.FileSet
}

// parseExported parses the package's non-test source (ops_gen.go
// included) and returns its exported functions and the exported methods of
// its exported types, by Go name.
func parseExported(t *testing.T) map[string]srcDecl {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]srcDecl{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil {
				typ := fd.Recv.List[0].Type
				if st, ok := typ.(*ast.StarExpr); ok {
					typ = st.X
				}
				id, ok := typ.(*ast.Ident)
				if !ok || !id.IsExported() {
					continue
				}
				name = id.Name + "." + name
			}
			if _, dup := out[name]; dup {
				t.Fatalf("%s declared twice", name)
			}
			out[name] = srcDecl{name, fd, fset}
		}
	}
	return out
}

// TestOpTableCoversExportedAPI checks that every exported function and
// method is an op of the table or excluded with a reason, and that the
// table and the exclusion list name only what exists: a new exported
// function fails here until go generate has classified it.
func TestOpTableCoversExportedAPI(t *testing.T) {
	decls := parseExported(t)
	ops := map[string]*OpDef{}
	for _, d := range opTable {
		if _, dup := ops[d.GoName]; dup {
			t.Errorf("%s appears twice in the table", d.GoName)
		}
		ops[d.GoName] = d
		if _, ok := decls[d.GoName]; !ok {
			t.Errorf("op %s: %s is not an exported function or method of the source (stale ops_gen.go: run go generate)", d.Name, d.GoName)
		}
		if _, ok := opExcluded[d.GoName]; ok {
			t.Errorf("%s is both an op and excluded", d.GoName)
		}
	}
	for name, e := range opExcluded {
		if _, ok := decls[name]; !ok {
			t.Errorf("excluded %s is not an exported function or method of the source", name)
		}
		if e.reason == "" {
			t.Errorf("excluded %s has no reason", name)
		}
	}
	var missing []string
	for name := range decls {
		if ops[name] == nil && opExcluded[name].reason == "" {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("exported but neither an op nor excluded (run go generate in tensor; opgen says why): %v", missing)
	}
	if want := len(decls) - len(opExcluded); len(opTable) != want {
		t.Errorf("%d ops in the table, want %d exported functions and methods less %d excluded", len(opTable), want, len(opExcluded))
	}
	t.Logf("%d exported functions and methods: %d ops, %d excluded", len(decls), len(opTable), len(opExcluded))
}

// TestOpFunctionsCallTheHook parses every op function and checks that it
// starts with its tracing hook, passing all its parameters; and that every
// read starts with traceRead (or readNow) of its kind.
func TestOpFunctionsCallTheHook(t *testing.T) {
	decls := parseExported(t)
	for _, d := range opTable {
		sd, ok := decls[d.GoName]
		if !ok {
			continue // reported by TestOpTableCoversExportedAPI
		}
		fd := sd.decl
		var args []string
		if fd.Recv != nil {
			args = append(args, fd.Recv.List[0].Names[0].Name)
		}
		for _, f := range fd.Type.Params.List {
			for _, n := range f.Names {
				args = append(args, n.Name)
			}
		}
		fn := d.GoName[strings.LastIndexByte(d.GoName, '.')+1:]
		want := fmt.Sprintf("if tracing.Load() && outermost() {\n\treturn trace%s(%s)\n}", fn, strings.Join(args, ", "))
		if got := firstStmt(t, sd); got != want {
			t.Errorf("%s does not start with its hook:\n%s\nwant:\n%s", d.GoName, got, want)
		}
	}
	reads := 0
	for name, e := range opExcluded {
		sd, ok := decls[name]
		if !ok {
			continue
		}
		got := firstStmt(t, sd)
		hasHook := strings.Contains(got, "traceRead(") || strings.Contains(got, "readNow(")
		if e.read == "" {
			if hasHook {
				t.Errorf("%s reports a read but the exclusion list gives it no kind", name)
			}
			continue
		}
		reads++
		// Size, Shape and Numel run no op and use the cheaper readNow.
		prefix := fmt.Sprintf("if tracing.Load() {\n\tdefer traceRead(%q, ", e.read)
		now := fmt.Sprintf("if tracing.Load() {\n\treadNow(%q, t)\n}", e.read)
		if got != now && (!strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, ")()\n}")) {
			t.Errorf("%s does not start with its read hook:\n%s\nwant %s...)() or %s", name, got, prefix, now)
		}
	}
	if reads == 0 {
		t.Error("no reads found")
	}
}

// firstStmt formats the first statement of sd's body.
func firstStmt(t *testing.T, sd srcDecl) string {
	if sd.decl.Body == nil || len(sd.decl.Body.List) == 0 {
		return ""
	}
	var b strings.Builder
	if err := format.Node(&b, sd.fset, sd.decl.Body.List[0]); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestOpDefs checks the table's invariants.
func TestOpDefs(t *testing.T) {
	ops := Ops()
	if len(ops) != len(opTable) || len(ops) < 200 {
		t.Fatalf("Ops() has %d ops, the table %d", len(ops), len(opTable))
	}
	for i, d := range ops {
		if i > 0 && ops[i-1].Name >= d.Name {
			t.Errorf("Ops() not sorted by name: %s before %s", ops[i-1].Name, d.Name)
		}
		if got, ok := LookupOp(d.Name); !ok || got != d {
			t.Errorf("LookupOp(%q) = %v, %v", d.Name, got, ok)
		}
		if d.Run == nil || d.Version < 1 {
			t.Errorf("%s: Run %v, version %d", d.Name, d.Run != nil, d.Version)
		}
		if d.Name != strings.ToLower(d.Name) || strings.Contains(d.Name, "__") {
			t.Errorf("%s is not snake_case", d.Name)
		}
		if d.InPlace != strings.HasSuffix(d.Name, "_") || d.InPlace != strings.HasSuffix(d.GoName, "_") {
			t.Errorf("%s (%s): InPlace %v", d.Name, d.GoName, d.InPlace)
		}
		if d.InPlace && (len(d.Inputs) == 0 || d.Inputs[0] != "self" || d.Outputs != 1) {
			t.Errorf("in-place %s: inputs %v, outputs %d", d.Name, d.Inputs, d.Outputs)
		}
		if strings.HasPrefix(d.GoName, "Tensor.") != (len(d.Inputs) > 0 && d.Inputs[0] == "self") {
			t.Errorf("%s: inputs %v", d.GoName, d.Inputs)
		}
		for j, in := range d.Inputs {
			if strings.HasSuffix(in, "...") && j != len(d.Inputs)-1 {
				t.Errorf("%s: list input %s is not last", d.Name, in)
			}
		}
		seen := map[string]bool{}
		for _, a := range d.Attrs {
			if seen[a.Name] || a.Name == "" || a.Kind < AttrInt || a.Kind > AttrDType {
				t.Errorf("%s: attribute %+v", d.Name, a)
			}
			seen[a.Name] = true
		}
		if d.Outputs == 0 || d.Outputs < -1 {
			t.Errorf("%s: %d outputs", d.Name, d.Outputs)
		}
	}
	if _, ok := LookupOp("no_such_op"); ok {
		t.Error("LookupOp found no_such_op")
	}
	for name, want := range map[string]string{
		"conv2d":     "conv2d(x, w, b; stride ints, padding ints, padding_mode string, dilation ints, groups int) -> 1",
		"cat":        "cat(ts...; dim int) -> 1",
		"max_dim":    "max_dim(self; dim int, keepdim bool) -> 2",
		"split":      "split(self; size int, dim int) -> -1",
		"index_put":  "index_put(self, values, indices...; accumulate bool) -> 1",
		"zeros":      "zeros(shape ints) -> 1",
		"to":         "to(self; dt dtype) -> 1",
		"dropout":    "dropout(x; p float, training bool) -> 1",
		"relu_":      "relu_(self) -> 1",
		"add_scalar": "add_scalar(self; s float) -> 1",
		"randint":    "randint(low int, high int, shape ints) -> 1",
	} {
		d, ok := LookupOp(name)
		if !ok {
			t.Errorf("no op %s", name)
			continue
		}
		if got := d.String(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	if d, _ := LookupOp("relu_"); !d.InPlace {
		t.Error("relu_ is not in place")
	}
}

// sameBits reports whether a and b have the same dtype, shape and element
// bits.
func sameBits(a, b *Tensor) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.dtype != b.dtype || !slices.Equal(a.shape, b.shape) {
		return false
	}
	x, y := toSlice[float64](a, Float64), toSlice[float64](b, Float64)
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}

func runOp(t *testing.T, name string, in []*Tensor, a Attrs) []*Tensor {
	t.Helper()
	d, ok := LookupOp(name)
	if !ok {
		t.Fatalf("no op %s", name)
	}
	return d.Run(in, a)
}

func checkSame(t *testing.T, name string, got, want []*Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: Run returned %d tensors, the function %d", name, len(got), len(want))
	}
	for i := range got {
		if !sameBits(got[i], want[i]) {
			t.Errorf("%s: output %d differs: Run gives %v, the function %v", name, i, got[i], want[i])
		}
	}
}

// TestRunMatchesFunctions checks that Run of a sample of ops (option
// structs, list inputs and outputs, several outputs, scalars, in place,
// creation, dtypes, random) equals calling the Go function, bit for bit.
func TestRunMatchesFunctions(t *testing.T) {
	g := NewGenerator(3)
	x := g.Randn(2, 3, 7, 6)
	w := g.Randn(4, 3, 3, 3)
	b := g.Randn(4)

	o := Conv2dOptions{Stride: []int{2, 1}, Padding: []int{1}, Dilation: []int{1, 2}}
	checkSame(t, "conv2d", runOp(t, "conv2d", []*Tensor{x, w, b},
		Attrs{"stride": []int64{2, 1}, "padding": []int64{1}, "padding_mode": "", "dilation": []int64{1, 2}, "groups": int64(0)}),
		[]*Tensor{Conv2d(x, w, b, o)})
	wg := g.Randn(3, 1, 3, 3)
	checkSame(t, "conv2d", runOp(t, "conv2d", []*Tensor{x, wg, nil},
		Attrs{"stride": nil, "padding": nil, "padding_mode": "same", "dilation": nil, "groups": int64(3)}),
		[]*Tensor{Conv2d(x, wg, nil, Conv2dOptions{PaddingMode: "same", Groups: 3})})

	y, z := g.Randn(2, 5), g.Randn(2, 1)
	checkSame(t, "cat", runOp(t, "cat", []*Tensor{y, z, y}, Attrs{"dim": int64(1)}),
		[]*Tensor{Cat([]*Tensor{y, z, y}, 1)})
	checkSame(t, "stack", runOp(t, "stack", []*Tensor{y, y}, Attrs{"dim": int64(-1)}),
		[]*Tensor{Stack([]*Tensor{y, y}, -1)})

	v, i := y.MaxDim(1, true)
	checkSame(t, "max_dim", runOp(t, "max_dim", []*Tensor{y}, Attrs{"dim": int64(1), "keepdim": true}), []*Tensor{v, i})
	v, i = y.TopK(3, 1, false, true)
	checkSame(t, "topk", runOp(t, "topk", []*Tensor{y}, Attrs{"k": int64(3), "dim": int64(1), "largest": false, "sorted": true}), []*Tensor{v, i})

	checkSame(t, "split", runOp(t, "split", []*Tensor{y}, Attrs{"size": int64(2), "dim": int64(1)}), y.Split(2, 1))
	checkSame(t, "split_sizes", runOp(t, "split_sizes", []*Tensor{y}, Attrs{"sizes": []int64{1, 4}, "dim": int64(-1)}), y.SplitSizes([]int{1, 4}, -1))

	checkSame(t, "add_scalar", runOp(t, "add_scalar", []*Tensor{y}, Attrs{"s": 0.25}), []*Tensor{y.AddScalar(0.25)})
	checkSame(t, "add", runOp(t, "add", []*Tensor{y, z}, Attrs{}), []*Tensor{y.Add(z)})

	r1, r2 := y.Clone(), y.Clone()
	got := runOp(t, "relu_", []*Tensor{r1}, nil)
	if got[0] != r1 {
		t.Error("relu_: Run did not return its input")
	}
	checkSame(t, "relu_", got, []*Tensor{r2.ReLU_()})

	checkSame(t, "zeros", runOp(t, "zeros", nil, Attrs{"shape": []int64{2, 3}}), []*Tensor{Zeros(2, 3)})
	checkSame(t, "zeros", runOp(t, "zeros", nil, Attrs{"shape": nil}), []*Tensor{Zeros()})
	checkSame(t, "eye", runOp(t, "eye", nil, Attrs{"n": int64(3), "m": []int64{4}}), []*Tensor{Eye(3, 4)})
	checkSame(t, "full", runOp(t, "full", nil, Attrs{"v": 1.5, "shape": []int64{2}}), []*Tensor{Full(1.5, 2)})
	checkSame(t, "arange", runOp(t, "arange", nil, Attrs{"start": 0.0, "end": 2.0, "step": 0.25}), []*Tensor{Arange(0, 2, 0.25)})
	checkSame(t, "to", runOp(t, "to", []*Tensor{y}, Attrs{"dt": Float64}), []*Tensor{y.To(Float64)})
	checkSame(t, "reshape", runOp(t, "reshape", []*Tensor{y}, Attrs{"shape": []int64{5, -1}}), []*Tensor{y.Reshape(5, -1)})
	checkSame(t, "sum_dims", runOp(t, "sum_dims", []*Tensor{x}, Attrs{"dims": []int64{1, 3}, "keepdim": true}), []*Tensor{x.SumDims([]int{1, 3}, true)})

	img := g.Randn(1, 2, 3, 4)
	io := InterpolateOptions{ScaleFactor: []float64{1.5, 2}, Mode: "bilinear", AlignCorners: true}
	checkSame(t, "interpolate", runOp(t, "interpolate", []*Tensor{img},
		Attrs{"size": nil, "scale_factor": []float64{1.5, 2}, "mode": "bilinear", "align_corners": true, "recompute_scale_factor": false}),
		[]*Tensor{Interpolate(img, io)})

	base := g.Randn(4, 3)
	idx := FromSlice([]int64{0, 2, 2}, 3)
	vals := g.Randn(3, 3)
	checkSame(t, "index_put", runOp(t, "index_put", []*Tensor{base, vals, idx}, Attrs{"accumulate": true}),
		[]*Tensor{base.IndexPut([]*Tensor{idx}, vals, true)})

	mp := MaxPool2dOptions{KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}, CeilMode: true}
	pv, pi := MaxPool2dWithIndices(x, mp)
	checkSame(t, "max_pool2d_with_indices", runOp(t, "max_pool2d_with_indices", []*Tensor{x},
		Attrs{"kernel_size": []int64{3}, "stride": []int64{2}, "padding": []int64{1}, "dilation": nil, "ceil_mode": true}), []*Tensor{pv, pi})

	// Random ops draw from the default generator, as the functions do.
	ManualSeed(7)
	want := []*Tensor{Randn(3, 2), RandInt(-4, 9, 5), Dropout(y, 0.5, true, nil)}
	ManualSeed(7)
	checkSame(t, "randn", runOp(t, "randn", nil, Attrs{"shape": []int64{3, 2}}), want[:1])
	checkSame(t, "randint", runOp(t, "randint", nil, Attrs{"low": int64(-4), "high": int64(9), "shape": []int64{5}}), want[1:2])
	checkSame(t, "dropout", runOp(t, "dropout", []*Tensor{y}, Attrs{"p": 0.5, "training": true}), want[2:])
}

// TestRunChecksItsArguments checks that Run panics, naming the op, on
// inputs and attributes that do not fit.
func TestRunChecksItsArguments(t *testing.T) {
	y := Ones(2, 3)
	cases := []struct {
		op   string
		in   []*Tensor
		a    Attrs
		want string
	}{
		{"add", []*Tensor{y}, nil, "add: Run: 1 inputs, want 2"},
		{"cat", nil, Attrs{"dim": int64(0)}, "cat: expected a non-empty list of tensors"},
		{"index_put", []*Tensor{y}, Attrs{"accumulate": true}, "index_put: Run: 1 inputs, want at least 2"},
		{"sum_dims", []*Tensor{y}, Attrs{"dims": []int64{0}}, `sum_dims: Run: missing attribute "keepdim" (bool)`},
		{"sum_dims", []*Tensor{y}, Attrs{"dims": []int{0}, "keepdim": true}, `sum_dims: Run: attribute "dims" is []int, want ints`},
		{"add_scalar", []*Tensor{y}, Attrs{"s": 1}, `add_scalar: Run: attribute "s" is int, want float`},
		{"add_scalar", []*Tensor{y}, Attrs{"s": 1.0, "alpha": 2.0}, `add_scalar: Run: unknown attribute "alpha"`},
		{"to", []*Tensor{y}, Attrs{"dt": nil}, `to: Run: attribute "dt" is <nil>, want dtype`},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s %v %v: no panic", c.op, c.in, c.a)
					return
				}
				if msg := fmt.Sprint(r); !strings.HasPrefix(msg, c.want) {
					t.Errorf("%s: panic %q, want %q...", c.op, msg, c.want)
				}
			}()
			runOp(t, c.op, c.in, c.a)
		}()
	}
}
