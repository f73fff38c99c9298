package jit

import (
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// handTraced builds, from IR, the kind of module jit.Trace makes: forward
// computes linear(x)·k (k an inline tensor constant), then calls the
// method post, which takes relu or tanh depending on the batch size.
func handTraced(t *testing.T) *Module {
	t.Helper()
	anyT := ir.UnrankedTensorType(tensor.Float32)
	m := ir.NewModule()
	w := m.AddTensor("weight", ir.Param, tensor.Randn(4, 3))
	b := m.AddTensor("bias", ir.Param, tensor.Randn(4))

	post := m.NewMethod("post")
	px := post.AddInput("h", anyT)
	pb := ir.NewBuilder(post.Body)
	pb.Pos = "traced.go:20"
	sz := pb.Op(ir.OpSize, []*ir.Value{px}, ir.Attrs{"dim": int64(0)}, ir.IntType())
	cond := pb.Op(ir.OpGt, []*ir.Value{sz, pb.Constant(2)}, nil, ir.BoolType())
	n, th, el := pb.If(cond, anyT)
	th.Returns = []*ir.Value{ir.NewBuilder(th).Op("relu", []*ir.Value{px}, nil, anyT)}
	el.Returns = []*ir.Value{ir.NewBuilder(el).Op("tanh", []*ir.Value{px}, nil, anyT)}
	post.Return(n.Output())

	g := m.NewMethod("forward")
	x := g.AddInput("x", anyT)
	bl := ir.NewBuilder(g.Body)
	bl.Pos = "traced.go:10"
	y := bl.Op("linear", []*ir.Value{x, bl.Param(w), bl.Param(b)}, nil, anyT)
	k := bl.TensorConstant(m, tensor.FromSlice([]float32{0.5, -1, 2, 0.25}))
	y = bl.Op("mul", []*ir.Value{y, k}, nil, anyT)
	g.Return(bl.Call("post", []*ir.Value{y}, anyT).Output())

	jm, err := NewModule(m)
	if err != nil {
		t.Fatal(err)
	}
	return jm
}

// hybridNet is a scripted module whose field holds a traced one, called
// directly and through nn.Call, with an early return.
type hybridNet struct {
	nn.Base
	Enc  nn.Forwarder
	Head *nn.Linear
	Tail *Module
}

func (m *hybridNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.Enc.Forward(x)
	if h.Size(0) == 1 {
		return h.Sigmoid()
	}
	return nn.Call(m.Tail, nn.Call(m.Head, h).ReLU())
}

func TestScriptCallsTracedSubmodule(t *testing.T) {
	tensor.ManualSeed(21)
	enc := handTraced(t)
	tail := handTraced(t)
	m := &hybridNet{Enc: enc, Head: nn.NewLinear(4, 3), Tail: tail}
	nn.Eval(m)
	sm := mustScript(t, m)
	sd := sm.StateDict()
	for _, name := range []string{"enc.weight", "enc.bias", "enc._const.0", "head.weight", "tail.weight", "tail._const.0"} {
		if sd[name] == nil {
			t.Errorf("the scripted module has no constant %s: %v", name, sm.Graph())
		}
	}
	if !tensor.Equal(sd["enc.weight"], enc.StateDict()["weight"]) || !tensor.Equal(sd["tail._const.0"], tail.StateDict()["_const.0"]) {
		t.Errorf("renamed constants do not hold the traced module's tensors")
	}
	g := sm.IR().Method("forward")
	if n := countOps(g, ir.OpCall); n != 0 {
		t.Errorf("%d prim.call left; the traced methods should be inlined", n)
	}
	if !strings.Contains(sm.Graph(), "traced.go:20") {
		t.Errorf("the inlined nodes lost their positions:\n%s", sm.Graph())
	}
	rm := roundTrip(t, sm)
	for n := 1; n <= 4; n++ {
		checkSame(t, fmt.Sprint("batch ", n), m.Forward, []*Module{sm, rm}, tensor.Randn(n, 3))
	}
}

// earlyNet returns from inside an if inside an unrolled loop.
type earlyNet struct {
	nn.Base
	Blocks []*nn.Linear
	Limit  float64
}

func (m *earlyNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	for i, l := range m.Blocks {
		x = l.Forward(x).Tanh()
		if x.Abs().Max().Item() < m.Limit {
			return x.MulScalar(float64(i + 1))
		}
	}
	return x.Neg()
}

func TestScriptEarlyReturn(t *testing.T) {
	tensor.ManualSeed(22)
	m := &earlyNet{Limit: 0.6}
	for range 3 {
		l := nn.NewLinear(3, 3)
		l.Weight = l.Weight.MulScalar(0.7).Detach()
		m.Blocks = append(m.Blocks, l)
	}
	nn.Eval(m)
	sm := mustScript(t, m)
	g := sm.IR().Method("forward")
	if countOps(g, ir.OpLoop) != 0 || countOps(g, ir.OpIf) == 0 {
		t.Fatalf("want the loop unrolled and the returns in prim.if nodes:\n%s", sm.Graph())
	}
	rm := roundTrip(t, sm)
	exits := map[string]bool{}
	for i, s := range []float64{0.05, 0.5, 1, 3, 30} {
		x := tensor.Randn(1, 3).MulScalar(s)
		checkSame(t, fmt.Sprint("input ", i), m.Forward, []*Module{sm, rm}, x)
		exits[fmt.Sprint(m.Forward(x).ToFloat64s()[0] < 0)] = true
	}
	if len(exits) < 2 {
		t.Errorf("the inputs did not take both the early and the final return")
	}
}

// multiNet takes and returns several values: ints, floats and bools drive
// a prim.loop and an if.
type multiNet struct {
	nn.Base
	Scale float64
}

func (m *multiNet) Forward(x *tensor.Tensor, k int, limit float64) (*tensor.Tensor, *tensor.Tensor, int, bool) {
	rows := x.Size(0)
	total := 0
	for i := 0; i < k; i++ {
		x = x.Tanh().MulScalar(m.Scale)
		total += i*rows + 1
	}
	big := float64(total) > limit
	if big {
		x = x.Neg()
	}
	return x, x.Sum(), total, big
}

func TestScriptSeveralResults(t *testing.T) {
	m := &multiNet{Scale: 1.5}
	sm := mustScript(t, m)
	g := sm.IR().Method("forward")
	if countOps(g, ir.OpLoop) != 1 {
		t.Fatalf("want a prim.loop for a trip count known at run time:\n%s", sm.Graph())
	}
	rm := roundTrip(t, sm)
	for _, tc := range []struct {
		rows, k int
		limit   float64
	}{{2, 0, 1}, {2, 3, 5}, {3, 3, 100}, {1, 5, 2.5}} {
		x := tensor.Randn(tc.rows, 2)
		w0, w1, w2, w3 := m.Forward(x, tc.k, tc.limit)
		for i, mod := range []*Module{sm, rm} {
			res, err := mod.Run("forward", x, int64(tc.k), tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.Equal(res[0].(*tensor.Tensor), w0) || !tensor.Equal(res[1].(*tensor.Tensor), w1) || res[2].(int64) != int64(w2) || res[3].(bool) != w3 {
				t.Fatalf("module %d, %+v: got %v, want %v %v %v %v", i, tc, res, w0, w1, w2, w3)
			}
		}
	}
}

// reshapeNet computes Reshape's dims from configuration: folded.
type reshapeNet struct {
	nn.Base
	Groups int
	Fc     *nn.Linear
}

func (m *reshapeNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	per := m.Fc.OutFeatures / m.Groups
	y := m.Fc.Forward(x).Reshape(-1, m.Groups, per).Softmax(2)
	return y.Reshape(-1, m.Groups*per)
}

// dynReshapeNet computes Reshape's dims from the input's shape.
type dynReshapeNet struct {
	nn.Base
}

func (m *dynReshapeNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	n := x.Size(0) * 2
	return x.Reshape(n, -1) // dynamic-reshape
}

func TestScriptReshapeDims(t *testing.T) {
	tensor.ManualSeed(23)
	m := &reshapeNet{Groups: 3, Fc: nn.NewLinear(4, 6)}
	nn.Eval(m)
	sm := checkLayer(t, m, tensor.Randn(5, 4))
	if !strings.Contains(sm.Graph(), "shape=[-1, 3, 2]") {
		t.Errorf("Reshape's dims were not folded:\n%s", sm.Graph())
	}
	_, err := Script(&dynReshapeNet{})
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("want a ScriptError for a Reshape of dims known at run time, got %v", err)
	}
	want := fmt.Sprintf("script_features_test.go:%d:", lineOf(t, "script_features_test.go", "// dynamic-reshape"))
	for _, s := range []string{want, "argument shape of Tensor.Reshape", "attribute shape of op reshape", "known when scripting"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// loopsNet has a counted loop (prim.loop: the same layer each trip), a
// loop that indexes submodules (unrolled), a ModuleList, a switch on
// configuration and a switch on a shape.
type loopsNet struct {
	nn.Base
	Steps  int
	Layer  *nn.Linear
	Blocks []nn.Forwarder
	List   *nn.ModuleList
	Act    string
}

func (m *loopsNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	for i := 0; i < m.Steps; i++ {
		x = m.Layer.Forward(x).Tanh()
	}
	for range m.Steps {
		x = x.MulScalar(0.9)
	}
	for i := 0; i < len(m.Blocks); i++ {
		x = m.Blocks[i].Forward(x)
	}
	for i := 0; i < m.List.Len(); i++ {
		x = m.List.At(i).(nn.Forwarder).Forward(x)
	}
	switch m.Act {
	case "relu":
		x = x.ReLU()
	case "tanh", "hardtanh":
		x = x.Tanh()
	default:
		x = x.Sigmoid()
	}
	switch x.Size(0) {
	case 1:
		return x.Neg()
	case 2, 3:
		x = x.MulScalar(2)
	}
	return x
}

func TestScriptLoopsAndSwitch(t *testing.T) {
	tensor.ManualSeed(24)
	m := &loopsNet{
		Steps:  3,
		Layer:  nn.NewLinear(4, 4),
		Blocks: []nn.Forwarder{nn.NewLinear(4, 4), nn.NewReLU(), nn.NewLinear(4, 4)},
		List:   nn.NewModuleList(nn.NewLinear(4, 4), nn.NewTanh()),
		Act:    "tanh",
	}
	nn.Eval(m)
	sm := mustScript(t, m)
	g := sm.IR().Method("forward")
	if n := countOps(g, ir.OpLoop); n != 2 {
		t.Errorf("want 2 prim.loop (the counted loops), got %d:\n%s", n, sm.Graph())
	}
	if n := countOps(g, "sigmoid") + countOps(g, "relu"); n != 1 {
		t.Errorf("the switch on configuration was not folded (%d relu/sigmoid):\n%s", n, sm.Graph())
	}
	rm := roundTrip(t, sm)
	for n := 1; n <= 4; n++ {
		checkSame(t, fmt.Sprint("batch ", n), m.Forward, []*Module{sm, rm}, tensor.Randn(n, 4))
	}
}

// rankNet branches on the rank of its input.
type rankNet struct {
	nn.Base
}

func (m *rankNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() == 2 {
		return x.Softmax(1)
	}
	return x.Flatten(1, -1).Softmax(1)
}

func TestScriptFoldsKnownInputTypes(t *testing.T) {
	m := &rankNet{}
	sm := mustScript(t, m)
	if countOps(sm.IR().Method("forward"), ir.OpIf) != 1 {
		t.Fatalf("without input types the branch on the rank should stay:\n%s", sm.Graph())
	}
	typed := mustScript(t, m, ScriptOptions{Inputs: []ir.Type{ir.TensorType(tensor.Float32, ir.SymDim("N"), ir.FixedDim(5))}})
	if countOps(typed.IR().Method("forward"), ir.OpIf) != 0 {
		t.Fatalf("with a rank-2 input type the branch should fold:\n%s", typed.Graph())
	}
	x := tensor.Randn(3, 5)
	checkSame(t, "rank 2", m.Forward, []*Module{sm, typed, roundTrip(t, typed)}, x)
	checkSame(t, "rank 3", m.Forward, []*Module{sm}, tensor.Randn(2, 2, 3))
	if _, err := typed.Call(tensor.Randn(3, 4)); err == nil {
		t.Errorf("the typed graph accepted an input of the wrong shape")
	}
}

// A model declared in a command's package main scripts when the command
// runs in its directory.
func TestScriptPackageMain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a command")
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = filepath.Join("testdata", "script", "mainprog")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("go run: %v\n%s", err, out)
	}
}

// flowNet mixes the control flow Script supports: nested ifs with returns,
// a while loop with continue and break, a switch with break inside a loop,
// a helper function with early returns, struct options built in Forward
// and int arithmetic on sizes.
type flowNet struct {
	nn.Base
	Conv  *nn.Conv2d
	Limit int
}

func flowClamp(x *tensor.Tensor, n int) *tensor.Tensor {
	if n <= 0 {
		return x
	}
	if n > 3 {
		return x.Clamp(-1, 1)
	}
	return x.MulScalar(0.5)
}

func (m *flowNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	o := tensor.Conv2dOptions{Padding: []int{1}}
	if m.Conv.Options.Stride != nil {
		o.Stride = m.Conv.Options.Stride
	}
	y := tensor.Conv2d(x, m.Conv.Weight, nil, o)
	n := y.Size(0)*y.Size(1) - min(y.Size(2), m.Limit)
	steps, unused := 0, y
	for i := 0; i < n; i++ {
		if i%2 == 1 {
			continue
		}
		switch {
		case y.Abs().Sum().Item() > 3:
			if i > 2 {
				break // leaves the switch, not the loop
			}
			y = y.MulScalar(0.25)
		case i > 6:
			y = y.Sigmoid()
		default:
			y = y.Tanh()
		}
		steps += i
		if steps > 10 {
			unused = y.Neg() // assigned, never used after the if
			break
		}
	}
	_ = unused
	if y.Size(0) > 1 {
		if steps > 5 {
			return flowClamp(y, steps)
		}
		y = y.AddScalar(1)
	} else if n < 4 {
		return y.Neg()
	}
	return flowClamp(y, n-steps)
}

func TestScriptControlFlow(t *testing.T) {
	tensor.ManualSeed(25)
	m := &flowNet{Conv: nn.NewConv2d(2, 3, 3), Limit: 2}
	nn.Eval(m)
	sm := mustScript(t, m)
	rm := roundTrip(t, sm)
	for _, shape := range [][]int{{1, 2, 3, 3}, {1, 2, 5, 4}, {2, 2, 3, 3}, {3, 2, 4, 4}, {1, 2, 1, 1}, {4, 2, 2, 6}} {
		checkSame(t, fmt.Sprint(shape), m.Forward, []*Module{sm, rm}, tensor.Randn(shape...))
	}
}

// shapeNet reads shapes into Go: Shape(), len, indexing, Numel, and int
// and float arithmetic on them; with the input's type declared, Reshape's
// dims fold from it.
type shapeNet struct {
	nn.Base
	Scale float64
}

func (m *shapeNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := x.Shape()
	cols := x.Size(1)
	rank := len(s)
	last := s[rank-1]
	k := max(last, x.Numel()/x.Size(0), 3) - min(rank, 2)
	f := float64(k) * math.Sqrt(m.Scale)
	if int(f) > 4 && s[0] != 1 {
		x = x.Tanh()
	}
	return x.Reshape(-1, cols).MulScalar(m.Scale)
}

func TestScriptShapes(t *testing.T) {
	m := &shapeNet{Scale: 2.25}
	_, err := Script(m)
	if err == nil || !strings.Contains(err.Error(), "argument shape of Tensor.Reshape") {
		t.Fatalf("without input types Reshape's dims are not known: want an error, got %v", err)
	}
	typed := ScriptOptions{Inputs: []ir.Type{ir.TensorType(tensor.Float32, ir.SymDim("N"), ir.FixedDim(4), ir.UnknownDim())}}
	sm := mustScript(t, m, typed)
	rm := roundTrip(t, sm)
	for _, shape := range [][]int{{1, 4, 1}, {2, 4, 1}, {3, 4, 2}, {1, 4, 7}, {5, 4, 3}} {
		checkSame(t, fmt.Sprint(shape), m.Forward, []*Module{sm, rm}, tensor.Randn(shape...))
	}
}
