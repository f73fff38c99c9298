package jit_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// parseModule parses IR text with tensors and makes a jit.Module of it.
func parseModule(t *testing.T, text string, tensors map[string]*tensor.Tensor) *jit.Module {
	t.Helper()
	m, err := ir.Parse(text, tensors)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	jm, err := jit.NewModule(m)
	if err != nil {
		t.Fatalf("NewModule: %v\n%s", err, text)
	}
	return jm
}

// scalarModule builds a module with one method f(a, b) -> op(a, b) (or
// f(a) -> op(a) for one input type).
func scalarModule(t *testing.T, op string, out ir.Type, in ...ir.Type) *jit.Module {
	t.Helper()
	m := ir.NewModule()
	g := m.NewMethod("f")
	var args []*ir.Value
	for i, ty := range in {
		args = append(args, g.AddInput(string(rune('a'+i)), ty))
	}
	b := ir.NewBuilder(g.Body)
	b.Pos = "scalar.go:1"
	g.Return(b.Op(op, args, nil, out))
	jm, err := jit.NewModule(m)
	if err != nil {
		t.Fatalf("%s: NewModule: %v\n%s", op, err, m)
	}
	return jm
}

func run1(t *testing.T, m *jit.Module, method string, args ...any) any {
	t.Helper()
	out, err := m.Run(method, args...)
	if err != nil {
		t.Fatalf("Run(%s, %v): %v", method, args, err)
	}
	if len(out) != 1 {
		t.Fatalf("Run(%s): %d results", method, len(out))
	}
	return out[0]
}

func TestExecScalarOps(t *testing.T) {
	I, F, B := ir.IntType(), ir.FloatType(), ir.BoolType()
	ints := [][2]int64{{7, 2}, {-7, 2}, {7, -2}, {-7, -2}, {0, 5}, {6, 3}}
	floats := [][2]float64{{7.5, 2}, {-7.5, 2}, {1, 3}, {-0.5, 0.25}, {2, 2}}
	floorDiv := func(a, b int64) int64 {
		return int64(math.Floor(float64(a) / float64(b)))
	}
	intOps := map[string]func(a, b int64) any{
		ir.OpAdd: func(a, b int64) any { return a + b }, ir.OpSub: func(a, b int64) any { return a - b },
		ir.OpMul: func(a, b int64) any { return a * b }, ir.OpDiv: func(a, b int64) any { return a / b },
		ir.OpMod: func(a, b int64) any { return a % b }, ir.OpFloorDiv: func(a, b int64) any { return floorDiv(a, b) },
		ir.OpLt: func(a, b int64) any { return a < b }, ir.OpLe: func(a, b int64) any { return a <= b },
		ir.OpGt: func(a, b int64) any { return a > b }, ir.OpGe: func(a, b int64) any { return a >= b },
		ir.OpEq: func(a, b int64) any { return a == b }, ir.OpNe: func(a, b int64) any { return a != b },
	}
	for op, f := range intOps {
		out := I
		if _, ok := f(1, 1).(bool); ok {
			out = B
		}
		m := scalarModule(t, op, out, I, I)
		for _, p := range ints {
			if got, want := run1(t, m, "f", p[0], p[1]), f(p[0], p[1]); got != want {
				t.Errorf("%s(%d, %d) = %v, want %v", op, p[0], p[1], got, want)
			}
		}
	}
	floatOps := map[string]func(a, b float64) any{
		ir.OpAdd: func(a, b float64) any { return a + b }, ir.OpSub: func(a, b float64) any { return a - b },
		ir.OpMul: func(a, b float64) any { return a * b }, ir.OpDiv: func(a, b float64) any { return a / b },
		ir.OpMod: func(a, b float64) any { return math.Mod(a, b) }, ir.OpFloorDiv: func(a, b float64) any { return math.Floor(a / b) },
		ir.OpLt: func(a, b float64) any { return a < b }, ir.OpLe: func(a, b float64) any { return a <= b },
		ir.OpGt: func(a, b float64) any { return a > b }, ir.OpGe: func(a, b float64) any { return a >= b },
		ir.OpEq: func(a, b float64) any { return a == b }, ir.OpNe: func(a, b float64) any { return a != b },
	}
	for op, f := range floatOps {
		out := F
		if _, ok := f(1, 1).(bool); ok {
			out = B
		}
		m := scalarModule(t, op, out, F, F)
		for _, p := range floats {
			if got, want := run1(t, m, "f", p[0], p[1]), f(p[0], p[1]); got != want {
				t.Errorf("%s(%g, %g) = %v, want %v", op, p[0], p[1], got, want)
			}
		}
	}
	boolOps := map[string]func(a, b bool) bool{
		ir.OpAnd: func(a, b bool) bool { return a && b }, ir.OpOr: func(a, b bool) bool { return a || b },
		ir.OpEq: func(a, b bool) bool { return a == b }, ir.OpNe: func(a, b bool) bool { return a != b },
	}
	for op, f := range boolOps {
		m := scalarModule(t, op, B, B, B)
		for _, a := range []bool{false, true} {
			for _, b := range []bool{false, true} {
				if got := run1(t, m, "f", a, b); got != f(a, b) {
					t.Errorf("%s(%v, %v) = %v", op, a, b, got)
				}
			}
		}
	}
	for _, p := range [][2]string{{"a", "a"}, {"a", "b"}} {
		if got := run1(t, scalarModule(t, ir.OpEq, B, ir.StrType(), ir.StrType()), "f", p[0], p[1]); got != (p[0] == p[1]) {
			t.Errorf("eq(%q, %q) = %v", p[0], p[1], got)
		}
		if got := run1(t, scalarModule(t, ir.OpNe, B, ir.StrType(), ir.StrType()), "f", p[0], p[1]); got != (p[0] != p[1]) {
			t.Errorf("ne(%q, %q) = %v", p[0], p[1], got)
		}
	}
	not := scalarModule(t, ir.OpNot, B, B)
	if run1(t, not, "f", true) != false || run1(t, not, "f", false) != true {
		t.Error("prim.not is wrong")
	}
	if got := run1(t, scalarModule(t, ir.OpNeg, I, I), "f", int64(5)); got != int64(-5) {
		t.Errorf("neg(5) = %v", got)
	}
	if got := run1(t, scalarModule(t, ir.OpNeg, F, F), "f", 2.5); got != -2.5 {
		t.Errorf("neg(2.5) = %v", got)
	}
	conv := []struct {
		op      string
		out, in ir.Type
		arg     any
		want    any
	}{
		{ir.OpInt, I, F, -2.7, int64(-2)}, {ir.OpInt, I, B, true, int64(1)}, {ir.OpInt, I, I, int64(3), int64(3)},
		{ir.OpFloat, F, I, int64(-3), -3.0}, {ir.OpFloat, F, B, false, 0.0}, {ir.OpFloat, F, F, 0.5, 0.5},
		{ir.OpBool, B, I, int64(0), false}, {ir.OpBool, B, F, 0.1, true}, {ir.OpBool, B, B, true, true},
	}
	for _, c := range conv {
		if got := run1(t, scalarModule(t, c.op, c.out, c.in), "f", c.arg); got != c.want {
			t.Errorf("%s(%v) = %v, want %v", c.op, c.arg, got, c.want)
		}
	}
	// Integer division by zero is a run-time error naming the op.
	_, err := scalarModule(t, ir.OpDiv, I, I, I).Run("f", int64(1), int64(0))
	var re *jit.RunError
	if !errors.As(err, &re) || re.Op != ir.OpDiv || re.Pos != "scalar.go:1" || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("1 / 0: got %v", err)
	}
}

const tensorPrimsIR = `module {
  const w : float32[2, 3] param
  const _const.0 : float32[] constant
  method forward(%x: float32[N, 3], %d: int) -> (int, int, int, int, int, float, bool, bool, int, int, list<float>, none, float32[2, 3], float32[], float32[N, 3]) {
    %0 = prim.size(%x) {dim=0} : int
    %1 = prim.size(%x) {dim=-1} : int
    %2 = prim.size(%x, %d) : int
    %3 = prim.dim(%x) : int
    %4 = prim.numel(%x) : int
    %c = prim.constant() {tensor="_const.0"} : float32[]
    %5 = prim.item(%c) : float
    %6 = prim.tensor_to_bool(%c) : bool
    %zero = zeros() {shape=[]} : float32[]
    %7 = prim.tensor_to_bool(%zero) : bool
    %8 = prim.list_construct(%0, %1) : list<int>
    %9, %10 = prim.list_unpack(%8) : int, int
    %11 = prim.constant() {value=[0.5, -1.0]} : list<float>
    %12 = prim.constant() {value=none} : none
    %w = prim.param() {name="w"} : float32[2, 3]
    %13 = add(%x, %x) : float32[N, 3]
    return %0, %1, %2, %3, %4, %5, %6, %7, %9, %10, %11, %12, %w, %c, %13
  }
}`

func TestExecTensorPrims(t *testing.T) {
	w := tensor.Randn(2, 3)
	c := tensor.Scalar(-1.5).Float()
	m := parseModule(t, tensorPrimsIR, map[string]*tensor.Tensor{"w": w, "_const.0": c})
	x := tensor.Randn(4, 3)
	out, err := m.Run("forward", x, int64(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(4), int64(3), int64(3), int64(2), int64(12), -1.5, true, false, int64(4), int64(3)}
	for i, v := range want {
		if out[i] != v {
			t.Errorf("result %d = %v (%T), want %v", i, out[i], out[i], v)
		}
	}
	if l, ok := out[10].([]float64); !ok || len(l) != 2 || l[0] != 0.5 || l[1] != -1 {
		t.Errorf("list constant = %#v", out[10])
	}
	if out[11] != nil {
		t.Errorf("none constant = %#v", out[11])
	}
	if out[12].(*tensor.Tensor) != w || out[13].(*tensor.Tensor) != c {
		t.Error("prim.param and the tensor prim.constant must give the module's own tensors")
	}
	if !tensor.Equal(out[14].(*tensor.Tensor), x.Add(x)) {
		t.Error("add differs from eager")
	}
	// A dim out of range is a RunError of prim.size.
	_, err = m.Run("forward", x, int64(5))
	var re *jit.RunError
	if !errors.As(err, &re) || re.Op != ir.OpSize || re.Method != "forward" {
		t.Errorf("size(x, 5): got %v", err)
	}
}

// loopIR sums a for loop with an if nested in it: x = x + 1 on even
// iterations and x * 2 on odd ones, n times; and a while loop that doubles
// y while its sum is below limit (a data-dependent loop), counting turns.
const loopIR = `module {
  method forward(%x: float32[N], %n: int, %y: float32[N], %limit: float) -> (float32[N], float32[N], int) {
    %t = prim.constant() {value=true} : bool
    %0 = prim.loop(%n, %t, %x) : float32[N] {
      block(%i: int, %acc: float32[N]):
      %two = prim.constant() {value=2} : int
      %r = prim.mod(%i, %two) : int
      %zero = prim.constant() {value=0} : int
      %even = prim.eq(%r, %zero) : bool
      %1 = prim.if(%even) : float32[N] {
        %2 = add_scalar(%acc) {s=1.0} : float32[N]  # loop.go:3
        return %2
      } else {
        %3 = mul_scalar(%acc) {s=2.0} : float32[N]  # loop.go:5
        return %3
      }
      return %t, %1
    }
    %max = prim.constant() {value=9223372036854775807} : int
    %s0 = sum(%y) : float32[]
    %lim = prim.float(%limit) : float
    %v0 = prim.item(%s0) : float
    %c0 = prim.lt(%v0, %lim) : bool
    %k0 = prim.constant() {value=0} : int
    %4, %5 = prim.loop(%max, %c0, %y, %k0) : float32[N], int {
      block(%j: int, %cur: float32[N], %k: int):
      %6 = mul_scalar(%cur) {s=2.0} : float32[N]  # loop.go:9
      %s = sum(%6) : float32[]
      %v = prim.item(%s) : float
      %c = prim.lt(%v, %lim) : bool
      %one = prim.constant() {value=1} : int
      %k1 = prim.add(%k, %one) : int
      return %c, %6, %k1
    }
    return %0, %4, %5
  }
}`

func TestExecLoopWithNestedIf(t *testing.T) {
	m := parseModule(t, loopIR, nil)
	for _, n := range []int64{0, 1, 2, 5} {
		for trial := 0; trial < 5; trial++ {
			x := tensor.Randn(3)
			y := tensor.Rand(4).AddScalar(0.1 * float64(trial+1))
			limit := 10.0 * float64(trial+1)
			out, err := m.Run("forward", x, n, y, limit)
			if err != nil {
				t.Fatal(err)
			}
			// The same ops, eagerly.
			want := x
			for i := int64(0); i < n; i++ {
				if i%2 == 0 {
					want = want.AddScalar(1)
				} else {
					want = want.MulScalar(2)
				}
			}
			wy, k := y, int64(0)
			for wy.Sum().Item() < limit {
				wy = wy.MulScalar(2)
				k++
			}
			if !tensor.Equal(out[0].(*tensor.Tensor), want) {
				t.Errorf("n=%d: for loop gives %v, want %v", n, out[0], want)
			}
			if !tensor.Equal(out[1].(*tensor.Tensor), wy) || out[2] != k {
				t.Errorf("while loop gives %v after %v turns, want %v after %d", out[1], out[2], wy, k)
			}
			if k == 0 && out[1].(*tensor.Tensor) != y {
				t.Error("a loop that never runs must return its initial value")
			}
		}
	}
}

const callIR = `module {
  const w : float32[3, 3] param
  method double(%a: float32[N, 3]) -> (float32[N, 3]) {
    %w = prim.param() {name="w"} : float32[3, 3]
    %0 = matmul(%a, %w) : float32[N, 3]  # call.go:2
    %1 = mul_scalar(%0) {s=2.0} : float32[N, 3]
    return %1
  }
  method fact(%n: int) -> (int) {
    %one = prim.constant() {value=1} : int
    %c = prim.le(%n, %one) : bool
    %0 = prim.if(%c) : int {
      return %one
    } else {
      %m = prim.sub(%n, %one) : int
      %r = prim.call(%m) {method="fact"} : int
      %p = prim.mul(%n, %r) : int
      return %p
    }
    return %0
  }
  method forever(%n: int) -> (int) {
    %r = prim.call(%n) {method="forever"} : int
    return %r
  }
  method forward(%x: float32[N, 3]) -> (float32[N, 3], float32[N, 3]) {
    %0 = prim.call(%x) {method="double"} : float32[N, 3]
    %1 = prim.call(%0) {method="double"} : float32[N, 3]
    return %0, %1
  }
}`

func TestExecCall(t *testing.T) {
	w := tensor.Randn(3, 3)
	m := parseModule(t, callIR, map[string]*tensor.Tensor{"w": w})
	x := tensor.Randn(2, 3)
	out, err := m.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	d1 := x.MatMul(w).MulScalar(2)
	d2 := d1.MatMul(w).MulScalar(2)
	if !tensor.Equal(out[0], d1) || !tensor.Equal(out[1], d2) {
		t.Error("prim.call results differ from eager")
	}
	for n, want := range map[int64]int64{0: 1, 1: 1, 5: 120, 10: 3628800} {
		if got := run1(t, m, "fact", n); got != want {
			t.Errorf("fact(%d) = %v, want %d", n, got, want)
		}
	}
	if _, err := m.Run("forever", int64(1)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("endless recursion: got %v", err)
	}
	// Inputs are checked against the method's types.
	_, err = m.Call(tensor.Randn(2, 4))
	var re *jit.RunError
	if !errors.As(err, &re) || re.Method != "forward" || !strings.Contains(err.Error(), "fixes dimension 1 to 3") {
		t.Errorf("bad input shape: got %v", err)
	}
	if got := m.Methods(); strings.Join(got, ",") != "double,fact,forever,forward" {
		t.Errorf("Methods() = %v", got)
	}
}

const raiseIR = `module {
  method forward(%x: float32[N, 3], %w: float32[?, 2]) -> (float32[N, 2]) {
    %n = prim.size(%x) {dim=0} : int
    %lim = prim.constant() {value=4} : int
    %big = prim.gt(%n, %lim) : bool
    %0 = prim.if(%big) : float32[N, 2] {  # model.go:10
      prim.raise() {msg="batch too large"}  # model.go:11
      %z = matmul(%x, %w) : float32[N, 2]
      return %z
    } else {
      %1 = matmul(%x, %w) : float32[N, 2]  # model.go:14
      return %1
    }
    return %0
  }
}`

func TestExecErrors(t *testing.T) {
	m := parseModule(t, raiseIR, nil)
	w := tensor.Randn(3, 2)
	if out, err := m.Run("forward", tensor.Randn(2, 3), w); err != nil || out[0] == nil {
		t.Fatalf("good input: %v", err)
	}
	check := func(name string, err error, op, pos, msg string) {
		t.Helper()
		var re *jit.RunError
		if !errors.As(err, &re) {
			t.Errorf("%s: got %v (%T), want a *jit.RunError", name, err, err)
			return
		}
		if re.Method != "forward" || re.Op != op || re.Pos != pos || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got method %q op %q pos %q: %v; want op %q pos %q, %q", name, re.Method, re.Op, re.Pos, err, op, pos, msg)
		}
	}
	_, err := m.Run("forward", tensor.Randn(5, 3), w)
	check("raise", err, ir.OpRaise, "model.go:11", "batch too large")
	_, err = m.Run("forward", tensor.Randn(2, 3), tensor.Randn(4, 2))
	check("matmul of bad shapes", err, "matmul", "model.go:14", "")
	_, err = m.Run("forward", tensor.Randn(2, 3))
	check("too few inputs", err, "", "", "takes 2 inputs, got 1")
	_, err = m.Run("forward", int64(1), w)
	check("not a tensor", err, "", "", "input 0 must be a tensor")
	_, err = m.Run("forward", tensor.Randn(2, 3).Double(), w)
	check("dtype", err, "", "", "input 0 must be float32")
	_, err = m.Run("forward", tensor.Randn(2, 3, 1), w)
	check("rank", err, "", "", "input 0 must have 2 dimensions")
	_, err = m.Run("forward", tensor.Randn(2, 4), w)
	check("fixed dim", err, "", "", "the graph fixes dimension 1 to 3")
	_, err = m.Run("nosuch")
	if err == nil || !strings.Contains(err.Error(), "no method") {
		t.Errorf("unknown method: got %v", err)
	}
}

// TestExecForwardAndNone covers Forward, Call with a none result and the
// IR/Graph accessors.
func TestExecForwardAndNone(t *testing.T) {
	m := parseModule(t, `module {
  method forward(%x: float32[N]) -> (float32[N], none) {
    %0 = neg(%x) : float32[N]  # f.go:1
    %1 = prim.constant() {value=none} : none
    return %0, %1
  }
  method one(%x: float32[N]) -> (float32[N]) {
    %n = prim.size(%x) {dim=0} : int
    %two = prim.constant() {value=2} : int
    %c = prim.lt(%n, %two) : bool
    %0 = prim.if(%c) : float32[N] {
      prim.raise() {msg="too long"}  # f.go:9
      return %x
    } else {
      return %x
    }
    return %0
  }
}`, nil)
	x := tensor.Randn(3)
	out, err := m.Call(x)
	if err != nil || len(out) != 2 || out[1] != nil || !tensor.Equal(out[0], x.Neg()) {
		t.Fatalf("Call = %v, %v", out, err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "use Call") {
				t.Errorf("Forward with two results: recovered %v", r)
			}
		}()
		m.Forward(x)
	}()
	if !strings.Contains(m.Graph(), "neg(%x)") || m.IR().Method("one") == nil {
		t.Errorf("Graph or IR is wrong:\n%s", m.Graph())
	}
	if _, err := m.Run("one", tensor.Randn(1)); err == nil || !strings.Contains(err.Error(), "f.go:9") {
		t.Errorf("raise in method one: %v", err)
	}
}
