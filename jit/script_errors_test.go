package jit

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// Each module below uses one construct a scripted Forward does not
// support, on the line marked with a comment naming it.

type deferNet struct{ nn.Base }

func (m *deferNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	defer x.ReLU() // err: defer
	return x
}

type goNet struct{ nn.Base }

func (m *goNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	go x.ReLU() // err: go
	return x
}

type closureNet struct{ nn.Base }

func (m *closureNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	f := func(t *tensor.Tensor) *tensor.Tensor { return t.ReLU() } // err: closure
	return f(x)
}

type mapNet struct{ nn.Base }

func (m *mapNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	scales := map[string]float64{"a": 2} // err: map
	return x.MulScalar(scales["a"])
}

type chanNet struct{ nn.Base }

func (m *chanNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	ch := make(chan int, 1) // err: chan
	ch <- 1
	return x
}

type selectNet struct{ nn.Base }

func (m *selectNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	select {} // err: select
}

type callNet struct{ nn.Base }

func (m *callNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	fmt.Println("forward") // err: call
	return x
}

type readNet struct{ nn.Base }

func (m *readNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	v := x.ToFloat64s() // err: read
	return x.MulScalar(v[0])
}

type oneBranchNet struct{ nn.Base }

func (m *oneBranchNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	var y *tensor.Tensor
	if x.Size(0) > 1 {
		y = x.ReLU()
	}
	return y // err: one branch
}

type labeledNet struct {
	nn.Base
	N int
}

func (m *labeledNet) Forward(x *tensor.Tensor) *tensor.Tensor {
outer:
	for i := 0; i < m.N; i++ { // err: label
		for j := 0; j < m.N; j++ {
			if x.Size(0) > i+j {
				break outer
			}
		}
	}
	return x
}

type pointerNet struct{ nn.Base }

func (m *pointerNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	p := &x // err: pointer
	return *p
}

type methodValueNet struct{ nn.Base }

func (m *methodValueNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	f := x.ReLU // err: method value
	return f()
}

type typeSwitchNet struct {
	nn.Base
	Act nn.Module
}

func (m *typeSwitchNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	switch m.Act.(type) { // err: type switch
	case *nn.ReLU:
		return x.ReLU()
	}
	return x
}

type dynAttrNet struct{ nn.Base }

func (m *dynAttrNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return x.MulScalar(x.Max().Item()) // err: attribute
}

type loopReturnNet struct{ nn.Base }

func (m *loopReturnNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	for x.Sum().Item() > 1 {
		return x // err: loop return
	}
	return x.Neg()
}

type pkgVarNet struct{ nn.Base }

var scriptTestScale = 2.0

func (m *pkgVarNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return x.MulScalar(scriptTestScale) // err: package var
}

type hookedNet struct {
	nn.Base
	Fc *nn.Linear
}

func (m *hookedNet) Forward(x *tensor.Tensor) *tensor.Tensor { return m.Fc.Forward(x) }

type lstmNet struct {
	nn.Base
	RNN *nn.LSTM
}

func (m *lstmNet) Forward(x *tensor.Tensor) *tensor.Tensor { return m.RNN.Forward(x) } // err: lstm

// lineOf returns the line of file holding marker.
func lineOf(t *testing.T, file, marker string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, marker) && !strings.Contains(l, `"`+marker) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, marker)
	return 0
}

func TestScriptUnsupported(t *testing.T) {
	hooked := &hookedNet{Fc: nn.NewLinear(2, 2)}
	hooked.Fc.RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { return nil })
	cases := []struct {
		m        nn.Module
		marker   string // the line the error names; "" for none
		contains []string
	}{
		{&deferNet{}, "// err: defer", []string{"defer is not supported in a scripted Forward"}},
		{&goNet{}, "// err: go", []string{"a go statement is not supported in a scripted Forward"}},
		{&closureNet{}, "// err: closure", []string{"a function literal (closure) is not supported"}},
		{&mapNet{}, "// err: map", []string{"a map is not supported"}},
		{&chanNet{}, "// err: chan", []string{"make(chan int) is not supported"}},
		{&selectNet{}, "// err: select", []string{"select is not supported"}},
		{&callNet{}, "// err: call", []string{"calling fmt.Println is not supported"}},
		{&readNet{}, "// err: read", []string{"the tensor method ToFloat64s is not supported", "reads or writes tensor values"}},
		{&oneBranchNet{}, "// err: one branch", []string{"variable y is a tensor[...] graph value after the then branch of the if at script_errors_test.go:" + fmt.Sprint(lineOf(t, "script_errors_test.go", "y = x.ReLU()")-1), "and nil after the else branch"}},
		{&labeledNet{N: 2}, "outer:", []string{"a labeled statement is not supported"}},
		{&pointerNet{}, "// err: pointer", []string{"taking an address (&) is not supported"}},
		{&methodValueNet{}, "// err: method value", []string{"the method value x.ReLU is not supported"}},
		{&typeSwitchNet{Act: nn.NewReLU()}, "// err: type switch", []string{"a type switch is not supported"}},
		{&dynAttrNet{}, "// err: attribute", []string{"argument s of Tensor.MulScalar", "must be known when scripting"}},
		{&loopReturnNet{}, "// err: loop return", []string{"a return inside a loop whose trip count is known only when the graph runs"}},
		{&pkgVarNet{}, "// err: package var", []string{"the package-level variable scriptTestScale is not supported"}},
		{hooked, "", []string{"a module with forward hooks (fc, *nn.Linear) is not supported", "Script does not run hooks"}},
		{&lstmNet{RNN: nn.NewLSTM(3, 4)}, "", []string{"rnn.go:", "is not supported in a scripted Forward", "[in submodule rnn (*nn.LSTM) called at script_errors_test.go:" + fmt.Sprint(lineOf(t, "script_errors_test.go", "// err: lstm")), "jit.Trace that submodule"}},
		{nn.NewGRU(3, 4), "", []string{"rnn.go:", "is not supported in a scripted Forward", "[in *nn.GRU.Forward", "trace it with jit.Trace"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%T", tc.m), func(t *testing.T) {
			_, err := Script(tc.m)
			if err == nil {
				t.Fatal("Script succeeded")
			}
			var se *ScriptError
			if !errors.As(err, &se) {
				t.Fatalf("want a *ScriptError, got %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), ": jit.Script: ") {
				t.Errorf("error %q has no file:line:col: jit.Script: prefix", err)
			}
			if tc.marker != "" {
				want := fmt.Sprintf("script_errors_test.go:%d:", lineOf(t, "script_errors_test.go", tc.marker))
				if !strings.HasPrefix(se.Pos+":", want) {
					t.Errorf("error %q is not at %s", err, want)
				}
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// The hooked and LSTM modules script once the offending part is traced
// (here: built by hand) and kept in an interface-typed field.
type fixedLSTMNet struct {
	nn.Base
	RNN nn.Forwarder
	Fc  *nn.Linear
}

func (m *fixedLSTMNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Fc.Forward(m.RNN.Forward(x))
}

func TestScriptWithTracedReplacement(t *testing.T) {
	tensor.ManualSeed(31)
	// A stand-in for jit.Trace(lstm): the IR of a one-step recurrent cell.
	im := ir.NewModule()
	w := im.AddTensor("weight_ih_l0", ir.Param, tensor.Randn(4, 3))
	g := im.NewMethod("forward")
	x := g.AddInput("x", ir.UnrankedTensorType(tensor.Float32))
	b := ir.NewBuilder(g.Body)
	h := b.Op("linear", []*ir.Value{x, b.Param(w), nil}, nil, ir.UnrankedTensorType(tensor.Float32))
	g.Return(b.Op("tanh", []*ir.Value{h}, nil, ir.UnrankedTensorType(tensor.Float32)))
	traced, err := NewModule(im)
	if err != nil {
		t.Fatal(err)
	}
	m := &fixedLSTMNet{RNN: traced, Fc: nn.NewLinear(4, 2)}
	nn.Eval(m)
	sm := mustScript(t, m)
	if sm.StateDict()["rnn.weight_ih_l0"] == nil {
		t.Errorf("the traced part's constant is not under rnn.:\n%s", sm.Graph())
	}
	checkSame(t, "traced lstm", m.Forward, []*Module{sm, roundTrip(t, sm)}, tensor.Randn(5, 2, 3))
}
