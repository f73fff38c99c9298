package ir_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
)

// method returns the printed text of m's method name after parsing text,
// applying fn and verifying.
func transform(t *testing.T, text string, fn func(m *ir.Module) int) (string, int) {
	t.Helper()
	m := mustParse(t, text)
	if err := ir.Verify(m, nil); err != nil {
		t.Fatalf("input does not verify: %v", err)
	}
	n := fn(m)
	if err := ir.Verify(m, nil); err != nil {
		t.Fatalf("result does not verify: %v\n%s", err, m)
	}
	return m.String(), n
}

func module(methods string) string { return "module {\n" + methods + "}\n" }

func TestDeadCode(t *testing.T) {
	in := module(`  method f(%x: float32[3], %c: bool) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    %1 = neg(%0) : float32[3]
    %2 = exp(%1) : float32[3]
    %3 = add_(%x, %x) : float32[3]
    %4, %u = prim.if(%c) : float32[3], float32[3] {
      %5 = sigmoid(%x) : float32[3]
      %6 = tanh(%x) : float32[3]
      return %5, %6
    } else {
      %7 = dropout(%x) : float32[3]
      return %x, %7
    }
    prim.if(%c) {
      prim.raise() {msg="boom"}
      return
    } else {
      return
    }
    %9 = prim.if(%c) : float32[3] {
      %10 = relu(%x) : float32[3]
      return %10
    } else {
      return %x
    }
    %11 = prim.call(%x) {method="pure"} : float32[3]
    %12 = prim.call(%x) {method="effectful"} : float32[3]
    return %4
  }
  method pure(%x: float32[3]) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    return %0
  }
  method effectful(%x: float32[3]) -> (float32[3]) {
    %0 = relu_(%x) : float32[3]
    return %0
  }
`)
	got, removed := transform(t, in, func(m *ir.Module) int { return ir.EliminateDeadCode(m, nil) })
	want := module(`  method f(%x: float32[3], %c: bool) -> (float32[3]) {
    %0 = add_(%x, %x) : float32[3]
    %1 = prim.if(%c) : float32[3] {
      %2 = sigmoid(%x) : float32[3]
      return %2
    } else {
      return %x
    }
    prim.if(%c) {
      prim.raise() {msg="boom"}
      return
    } else {
      return
    }
    %3 = prim.call(%x) {method="effectful"} : float32[3]
    return %1
  }
  method pure(%x: float32[3]) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    return %0
  }
  method effectful(%x: float32[3]) -> (float32[3]) {
    %0 = relu_(%x) : float32[3]
    return %0
  }
`)
	if got != want {
		t.Fatalf("DCE:\n%s\n%s", got, diff(want, got))
	}
	// relu, neg, exp, tanh, dropout, the third if and its relu, the pure call.
	if removed != 8 {
		t.Errorf("removed %d nodes, want 8", removed)
	}

	// A predicate naming dropout as effectful keeps it (its output is
	// unused, the if's output 1 still goes).
	got, _ = transform(t, in, func(m *ir.Module) int {
		return ir.EliminateDeadCode(m, func(n *ir.Node) bool { return n.Op == "dropout" || ir.DefaultSideEffects(n) })
	})
	if !strings.Contains(got, "dropout(%x)") {
		t.Fatalf("dropout removed despite the predicate:\n%s", got)
	}
	if strings.Contains(got, "relu(%x) : float32[3]\n      return") {
		t.Fatalf("dead relu inside the if kept:\n%s", got)
	}
}

func TestDeadCodeLoop(t *testing.T) {
	in := module(`  method f(%x: float32[3], %n: int) -> (float32[3]) {
    %t = prim.constant() {value=true} : bool
    %0 = prim.loop(%n, %t, %x) : float32[3] {
      block(%i: int, %h: float32[3]):
      %dead = exp(%h) : float32[3]
      %1 = relu(%h) : float32[3]
      return %t, %1
    }
    %unused = prim.loop(%n, %t, %x) : float32[3] {
      block(%j: int, %g: float32[3]):
      return %t, %g
    }
    return %0
  }
`)
	got, removed := transform(t, in, func(m *ir.Module) int { return ir.EliminateDeadCode(m, nil) })
	if removed != 2 || strings.Contains(got, "exp(") || strings.Contains(got, "%unused") || !strings.Contains(got, "relu(%h)") {
		t.Fatalf("removed %d:\n%s", removed, got)
	}
}

func TestCSE(t *testing.T) {
	in := module(`  method f(%x: float32[3], %c: bool) -> (float32[3], float32[3], float32[3], float32[3], float32[3], float32[3]) {
    %0 = mul_scalar(%x) {s=0.5} : float32[3]
    %1 = mul_scalar(%x) {s=0.5} : float32[3]
    %2 = mul_scalar(%x) {s=0.25} : float32[3]
    %3 = mul_scalar(%x) {s=nan} : float32[3]
    %4 = mul_scalar(%x) {s=nan} : float32[3]
    %5 = mul_scalar(%x) {s=0.0} : float32[3]
    %6 = mul_scalar(%x) {s=-0.0} : float32[3]
    %7 = add(%0, %x) : float32[3]
    %8 = add(%1, %x) : float32[3]
    %9 = add_(%x, %x) : float32[3]
    %10 = add_(%x, %x) : float32[3]
    %11 = rand_like(%x) : float32[3]
    %12 = rand_like(%x) : float32[3]
    %13 = mul_scalar(%x) {s=0.5} : float64[3]
    %14 = prim.if(%c) : float32[3] {
      %15 = add(%1, %x) : float32[3]
      %16 = exp(%x) : float32[3]
      return %16
    } else {
      %17 = exp(%x) : float32[3]
      return %17
    }
    %19 = exp(%x) : float32[3]
    return %8, %2, %4, %6, %12, %19
  }
`)
	got, removed := transform(t, in, func(m *ir.Module) int {
		return ir.EliminateCommonSubexpressions(m, func(n *ir.Node) bool {
			return strings.HasPrefix(n.Op, "rand") || ir.DefaultSideEffects(n)
		})
	})
	want := module(`  method f(%x: float32[3], %c: bool) -> (float32[3], float32[3], float32[3], float32[3], float32[3], float32[3]) {
    %0 = mul_scalar(%x) {s=0.5} : float32[3]
    %1 = mul_scalar(%x) {s=0.25} : float32[3]
    %2 = mul_scalar(%x) {s=nan} : float32[3]
    %3 = mul_scalar(%x) {s=0.0} : float32[3]
    %4 = mul_scalar(%x) {s=-0.0} : float32[3]
    %5 = add(%0, %x) : float32[3]
    %6 = add_(%x, %x) : float32[3]
    %7 = add_(%x, %x) : float32[3]
    %8 = rand_like(%x) : float32[3]
    %9 = rand_like(%x) : float32[3]
    %10 = mul_scalar(%x) {s=0.5} : float64[3]
    %11 = prim.if(%c) : float32[3] {
      %12 = exp(%x) : float32[3]
      return %12
    } else {
      %13 = exp(%x) : float32[3]
      return %13
    }
    %14 = exp(%x) : float32[3]
    return %5, %1, %2, %4, %9, %14
  }
`)
	if got != want {
		t.Fatalf("CSE:\n%s\n%s", got, diff(want, got))
	}
	if removed != 4 { // %1, %4, %8 and %15 inside the then block
		t.Errorf("removed %d, want 4", removed)
	}
}

func TestReplaceAndRemove(t *testing.T) {
	m := mustParse(t, module(`  method f(%x: float32[3]) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    %1 = neg(%0) : float32[3]
    %2 = add(%0, %1) : float32[3]
    return %0
  }
`))
	g := m.Method("f")
	relu, neg := g.Body.Nodes[0], g.Body.Nodes[1]
	if err := ir.RemoveNode(relu); err == nil {
		t.Fatal("removed a node whose output is used")
	}
	if u := ir.Uses(g, relu.Output()); len(u) != 3 || u[2].Node != nil || u[2].Block != g.Body {
		t.Fatalf("uses: %+v", u)
	}
	if n := ir.ReplaceAllUsesWith(g, relu.Output(), g.Inputs()[0]); n != 3 {
		t.Fatalf("replaced %d uses, want 3", n)
	}
	if err := ir.RemoveNode(relu); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m, nil); err != nil {
		t.Fatal(err)
	}
	want := "    %0 = neg(%x) : float32[3]\n    %1 = add(%x, %0) : float32[3]\n    return %x\n"
	if !strings.Contains(m.String(), want) || neg.Parent != g.Body || relu.Parent != nil {
		t.Fatalf("got\n%s", m)
	}
}

func TestBuilderInsertPoints(t *testing.T) {
	m := ir.NewModule()
	g := m.NewMethod("f")
	x := g.AddInput("x", ir.IntType())
	b := ir.NewBuilder(g.Body)
	last := b.Op(ir.OpNeg, []*ir.Value{x}, nil, ir.IntType())
	b.SetInsertBefore(last.Def)
	first := b.Op(ir.OpAdd, []*ir.Value{x, x}, nil, ir.IntType())
	second := b.Op(ir.OpMul, []*ir.Value{first, x}, nil, ir.IntType())
	b.SetInsertAfter(first.Def)
	b.Op(ir.OpSub, []*ir.Value{first, x}, nil, ir.IntType())
	b.SetInsertAtEnd(g.Body)
	end := b.Op(ir.OpAdd, []*ir.Value{second, last}, nil, ir.IntType())
	g.Return(end)
	var ops []string
	for _, n := range g.Body.Nodes {
		ops = append(ops, n.Op)
	}
	if got := strings.Join(ops, " "); got != "prim.add prim.sub prim.mul prim.neg prim.add" {
		t.Fatalf("order: %s", got)
	}
	if err := ir.Verify(m, nil); err != nil {
		t.Fatal(err)
	}
	if b.Constant(struct{}{}) != nil {
		t.Error("Constant of a struct should be nil")
	}
}

func TestInlineCall(t *testing.T) {
	m := mustParse(t, module(`  method double(%a: float32[N], %k: float) -> (float32[N]) {
    %0 = mul_scalar(%a) {s=2.0} : float32[N]  # lib.go:3
    %c = prim.gt(%k, %k) : bool
    %1 = prim.if(%c) : float32[N] {
      %2 = relu(%0) : float32[N]
      return %2
    } else {
      return %a
    }
    return %1
  }
  method forward(%x: float32[N]) -> (float32[N]) {
    %k = prim.constant() {value=1.0} : float
    %0 = prim.call(%x, %k) {method="double"} : float32[N]
    %1 = prim.call(%0, %k) {method="double"} : float32[N]
    return %1
  }
`))
	if err := ir.InlineCalls(m); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m, nil); err != nil {
		t.Fatalf("%v\n%s", err, m)
	}
	want := `  method forward(%x: float32[N]) -> (float32[N]) {
    %k = prim.constant() {value=1.0} : float
    %0 = mul_scalar(%x) {s=2.0} : float32[N]  # lib.go:3
    %c = prim.gt(%k, %k) : bool
    %1 = prim.if(%c) : float32[N] {
      %2 = relu(%0) : float32[N]
      return %2
    } else {
      return %x
    }
    %3 = mul_scalar(%1) {s=2.0} : float32[N]  # lib.go:3
    %c.1 = prim.gt(%k, %k) : bool
    %4 = prim.if(%c.1) : float32[N] {
      %5 = relu(%3) : float32[N]
      return %5
    } else {
      return %1
    }
    return %4
  }
`
	if !strings.Contains(m.String(), want) {
		t.Fatalf("got\n%s", m)
	}

	rec := mustParse(t, module(`  method a(%x: int) -> (int) {
    %0 = prim.call(%x) {method="b"} : int
    return %0
  }
  method b(%x: int) -> (int) {
    %0 = prim.call(%x) {method="a"} : int
    return %0
  }
`))
	before := rec.String()
	if err := ir.InlineCalls(rec); err == nil || !strings.Contains(err.Error(), "recursion") {
		t.Fatalf("recursion: got %v", err)
	}
	if rec.String() != before {
		t.Fatal("failed InlineCalls changed the module")
	}
	self := findNode(rec, "a", ir.OpCall)
	self.Attrs["method"] = "a"
	if err := ir.InlineCall(rec, self); err == nil {
		t.Fatal("inlined a method into itself")
	}
}

func TestPassManager(t *testing.T) {
	text := module(`  method f(%x: float32[3]) -> (float32[3]) {
    %0 = relu(%x) : float32[3]
    %1 = relu(%x) : float32[3]
    %2 = add(%0, %1) : float32[3]
    %3 = exp(%2) : float32[3]
    return %2
  }
`)
	var order []string
	record := func(name string) ir.Pass {
		return ir.Pass{Name: name, Run: func(*ir.Module) error { order = append(order, name); return nil }}
	}

	// Disabled passes do not run; the others run in order and are dumped.
	m := mustParse(t, text)
	var dump bytes.Buffer
	pm := ir.NewPassManager(record("first"), ir.CSEPass(nil), record("second"), ir.DeadCodePass(nil))
	pm.Add(record("third"))
	pm.Disable("second", "dce")
	pm.Dump = &dump
	if err := pm.Run(m); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "first,third" {
		t.Errorf("ran %s", got)
	}
	if !strings.Contains(m.String(), "exp(") || strings.Contains(m.String(), "%3 = add") {
		t.Errorf("cse should have run and dce not:\n%s", m)
	}
	for _, h := range []string{"# before the passes\nmodule {", "# after pass first\n", "# after pass cse\n", "# pass second disabled\n", "# pass dce disabled\n", "# after pass third\n"} {
		if !strings.Contains(dump.String(), h) {
			t.Errorf("dump lacks %q", h)
		}
	}
	if strings.Count(dump.String(), "module {") != 4 {
		t.Errorf("dump has %d modules, want 4", strings.Count(dump.String(), "module {"))
	}

	// A misspelt disabled pass is an error.
	pm = ir.NewPassManager(ir.DeadCodePass(nil))
	pm.Disable("dead")
	if err := pm.Run(mustParse(t, text)); err == nil || !strings.Contains(err.Error(), "dead") {
		t.Errorf("unknown disabled pass: %v", err)
	}

	// A pass that breaks the module is named.
	breaker := ir.Pass{Name: "breaker", Run: func(m *ir.Module) error {
		g := m.Method("f")
		g.Body.Nodes = g.Body.Nodes[1:]
		return nil
	}}
	pm = ir.NewPassManager(ir.CSEPass(nil), breaker, ir.DeadCodePass(nil))
	err := pm.Run(mustParse(t, text))
	if err == nil || !strings.Contains(err.Error(), "pass breaker left an invalid module") || !strings.Contains(err.Error(), "not defined before use") {
		t.Errorf("breaking pass: %v", err)
	}
	pm.Disable("breaker")
	if err := pm.Run(mustParse(t, text)); err != nil {
		t.Errorf("with breaker disabled: %v", err)
	}

	// A pass's own error is wrapped.
	boom := errors.New("boom")
	pm = ir.NewPassManager(ir.Pass{Name: "failing", Run: func(*ir.Module) error { return boom }})
	if err := pm.Run(mustParse(t, text)); !errors.Is(err, boom) || !strings.Contains(err.Error(), "pass failing") {
		t.Errorf("failing pass: %v", err)
	}

	// An invalid input is reported before any pass runs.
	bad := mustParse(t, text)
	bad.Method("f").Results = nil
	order = nil
	pm = ir.NewPassManager(record("first"))
	if err := pm.Run(bad); err == nil || !strings.Contains(err.Error(), "before the passes") || len(order) != 0 {
		t.Errorf("invalid input: %v (ran %v)", err, order)
	}
}
