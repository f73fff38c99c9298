package jit_test

import (
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// TestRunObserved checks that the observer sees the method's inputs,
// every node's outputs and the loop body's parameters, once per
// iteration, and nothing of a branch that does not run.
func TestRunObserved(t *testing.T) {
	const src = `module {
  method forward(%x: float32[2], %n: int) -> (float32[2]) {
    %t = prim.constant() {value=true} : bool
    %y = prim.loop(%n, %t, %x) : float32[2] {
      block(%i: int, %h: float32[2]):
      %h2 = add(%h, %h) : float32[2]
      return %t, %h2
    }
    %c = prim.constant() {value=false} : bool
    %z = prim.if(%c) : float32[2] {
      %never = relu(%y) : float32[2]
      return %never
    } else {
      return %y
    }
    return %z
  }
}`
	m := parseModule(t, src, nil)
	seen := map[string]int{}
	x := tensor.FromSlice([]float32{1, 2}, 2)
	out, err := m.RunObserved("forward", func(v *ir.Value, val any) {
		seen[v.Name]++
		if v.Name == "h2" {
			if _, ok := val.(*tensor.Tensor); !ok {
				t.Errorf("h2 observed as %T", val)
			}
		}
	}, x, int64(3))
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].(*tensor.Tensor).ToFloat32s(); got[0] != 8 || got[1] != 16 {
		t.Errorf("result %v", got)
	}
	want := map[string]int{"x": 1, "n": 1, "t": 1, "i": 3, "h": 3, "h2": 3, "y": 1, "c": 1, "z": 1}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("%s observed %d times, want %d", k, seen[k], n)
		}
	}
	if seen["never"] != 0 {
		t.Error("a value of a branch that did not run was observed")
	}
}
