package jit

import (
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// outerTraced is an eager module whose middle part is a scripted module
// (with a branch on the batch size); tracing it must keep the branch.
type outerTraced struct {
	nn.Base
	In  *nn.Linear
	Mid nn.Forwarder // a *Module from Script
	Out *nn.Linear
}

func (m *outerTraced) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Out.Forward(m.Mid.Forward(m.In.Forward(x).ReLU()))
}

// outerScripted is scripted with a traced submodule inside a loop.
type outerScripted struct {
	nn.Base
	Enc   *Module // from Trace
	Head  *nn.Linear
	Steps int
}

func (m *outerScripted) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := x
	for i := 0; i < m.Steps; i++ {
		h = m.Enc.Forward(h).Add(h)
	}
	if h.Sum().Item() > 0 {
		return m.Head.Forward(h)
	}
	return m.Head.Forward(h.Neg())
}

func countAll(m *Module, op string) int {
	n := 0
	for _, g := range m.IR().Methods {
		g.Walk(func(nd *ir.Node) bool {
			if nd.Op == op {
				n++
			}
			return true
		})
	}
	return n
}

// TestTraceCallsScript traces an eager model whose submodule is scripted:
// the trace inlines the scripted graph with its prim.if, so the traced model
// takes the other branch for batch 1 as eager does.
func TestTraceCallsScript(t *testing.T) {
	tensor.ManualSeed(7)
	inner := newBranchNet()
	nn.Eval(inner)
	scripted, err := Script(inner)
	if err != nil {
		t.Fatal(err)
	}
	eagerOuter := &outerTraced{In: nn.NewLinear(5, 4), Mid: inner, Out: nn.NewLinear(3, 2)}
	tracedOuter := &outerTraced{In: eagerOuter.In, Mid: scripted, Out: eagerOuter.Out}
	nn.Eval(eagerOuter)
	nn.Eval(tracedOuter)
	tm, err := Trace(tracedOuter, []*tensor.Tensor{tensor.Randn(3, 5)}, TraceOptions{DynamicBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	if countAll(tm, ir.OpIf) == 0 {
		t.Fatalf("the traced graph lost the scripted branch:\n%s", tm.Graph())
	}
	for _, b := range []int{1, 2, 3, 4} {
		x := tensor.Randn(b, 5)
		got, err := tm.Call(x)
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		if want := eagerOuter.Forward(x); !tensor.Equal(got[0], want) {
			t.Fatalf("batch %d: traced-over-scripted output differs from eager", b)
		}
	}
}

// TestScriptCallsTrace scripts a model whose submodule was traced: the
// scripted graph inlines the traced graph inside its loop and keeps its own
// data-dependent branch.
func TestScriptCallsTrace(t *testing.T) {
	tensor.ManualSeed(8)
	enc := nn.NewSequential(nn.NewLinear(4, 4), nn.NewTanh())
	traced, err := Trace(enc, []*tensor.Tensor{tensor.Randn(2, 4)}, TraceOptions{DynamicBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	head := nn.NewLinear(4, 3)
	m := &outerScripted{Enc: traced, Head: head, Steps: 3}
	sm, err := Script(m)
	if err != nil {
		t.Fatal(err)
	}
	if countAll(sm, ir.OpIf) == 0 || !strings.Contains(sm.Graph(), "tanh") {
		t.Fatalf("scripted graph lacks the branch or the traced ops:\n%s", sm.Graph())
	}
	pos, neg := 0, 0
	eager := func(x *tensor.Tensor) *tensor.Tensor {
		h := x
		for range 3 {
			h = enc.Forward(h).Add(h)
		}
		if h.Sum().Item() > 0 {
			pos++
			return head.Forward(h)
		}
		neg++
		return head.Forward(h.Neg())
	}
	for i := range 6 {
		x := tensor.Randn(2, 4).AddScalar(2)
		if i%2 == 1 {
			x = x.SubScalar(4)
		}
		got, err := sm.Call(x)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.Equal(got[0], eager(x)) {
			t.Fatalf("input %d: script-over-trace output differs from eager", i)
		}
	}
	if pos == 0 || neg == 0 {
		t.Fatalf("the inputs took one branch only (%d positive, %d negative)", pos, neg)
	}
}
