package jit_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// scaleAdd is an op outside package tensor's table: a*s + b.
var scaleAdd = &tensor.OpDef{
	Name:    "test_scale_add",
	Version: 3,
	Inputs:  []string{"a", "b"},
	Attrs:   []tensor.AttrDef{{Name: "s", Kind: tensor.AttrFloat}},
	Outputs: 1,
	Run: func(in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor {
		s, ok := a["s"].(float64)
		if !ok {
			panic("test_scale_add: no attribute s")
		}
		return []*tensor.Tensor{in[0].MulScalar(s).Add(in[1])}
	},
}

func init() { jit.RegisterOp(scaleAdd) }

func TestRegisterOp(t *testing.T) {
	def, ok := jit.LookupOp("test_scale_add")
	if !ok || def != scaleAdd {
		t.Fatalf("LookupOp = %v, %v", def, ok)
	}
	if def, ok := jit.LookupOp("conv2d"); !ok || def.Name != "conv2d" {
		t.Errorf("LookupOp(conv2d) = %v, %v", def, ok)
	}
	if _, ok := jit.LookupOp("nope"); ok {
		t.Error("LookupOp(nope) found an op")
	}
	sig, ok := jit.Schema("test_scale_add")
	if !ok || sig.Inputs != 2 || sig.Outputs != 1 || len(sig.Attrs) != 1 || sig.Attrs[0] != "s" {
		t.Errorf("Schema = %+v, %v", sig, ok)
	}
	text := `module {
  method forward(%a: float32[3], %b: float32[3]) -> (float32[3]) {
    %0 = test_scale_add(%a, %b) {%s} : float32[3]
    return %0
  }
}`
	m := parseModule(t, strings.Replace(text, "%s", "s=2.0", 1), nil)
	a, b := tensor.FromSlice([]float32{1, 2, 3}), tensor.FromSlice([]float32{10, 20, 30})
	out, err := m.Call(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].ToFloat32s(); fmt.Sprint(got) != "[12 24 36]" {
		t.Errorf("test_scale_add = %v", got)
	}
	// A panic of Run is the node's error.
	m = parseModule(t, strings.Replace(text, "%s", "s=1", 1), nil)
	if _, err := m.Call(a, b); err == nil || !strings.Contains(err.Error(), "no attribute s") {
		t.Errorf("error %v", err)
	}
	// The verifier checks attribute names against the def.
	mod, err := ir.Parse(strings.Replace(text, "%s", "scale=2.0", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jit.NewModule(mod); err == nil || !strings.Contains(err.Error(), "takes no attribute scale") {
		t.Errorf("NewModule with an unknown attribute: %v", err)
	}
}

func TestRegisterOpPanics(t *testing.T) {
	run := func(in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor { return in }
	for name, def := range map[string]*tensor.OpDef{
		"nil":          nil,
		"no name":      {Run: run},
		"no run":       {Name: "test_no_run"},
		"prim":         {Name: "prim.mine", Run: run},
		"tensor op":    {Name: "relu", Run: run},
		"twice":        {Name: "test_scale_add", Run: run},
		"in place":     {Name: "test_inplace_", Run: run},
		"not in place": {Name: "test_out", InPlace: true, Run: run},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			jit.RegisterOp(def)
		})
	}
}
