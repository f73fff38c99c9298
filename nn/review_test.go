package nn_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "panic"
			}
		}
	}()
	f()
	return ""
}

// Sequential.Append refuses a nil module as NewSequential does, instead of
// storing it and failing later in Forward or a tree walk.
func TestSequentialAppendNil(t *testing.T) {
	var l *nn.Linear
	s := nn.NewSequential(nn.NewReLU())
	if msg := panicMessage(func() { s.Append(nil) }); !strings.Contains(msg, "nil") {
		t.Fatalf("Append(nil): panic %q, want one naming nil", msg)
	}
	if msg := panicMessage(func() { s.Append(l) }); !strings.Contains(msg, "nil") {
		t.Fatalf("Append((*Linear)(nil)): panic %q, want one naming nil", msg)
	}
	if s.Len() != 1 {
		t.Fatalf("Len %d after refused appends, want 1", s.Len())
	}
}

// A nil entry of a ModuleList or ModuleDict is no child, as PyTorch's
// named_children skips None; the other entries keep their names.
func TestContainersSkipNil(t *testing.T) {
	var nilLin *nn.Linear
	l := nn.NewModuleList(nil, nn.NewLinear(1, 1), nilLin)
	var names []string
	for _, p := range nn.NamedParameters(l) {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"1.weight", "1.bias"}) {
		t.Fatalf("ModuleList parameters %v", names)
	}
	d := nn.NewModuleDict().Set("a", nil).Set("b", nn.NewLinear(1, 1))
	if got := nn.StateKeys(d); !slices.Equal(got, []string{"b.weight", "b.bias"}) {
		t.Fatalf("ModuleDict state keys %v", got)
	}
}

// To converts a parameter shared by two modules once, so they still share it.
func TestToShared(t *testing.T) {
	type tied struct {
		nn.Base
		A, B *nn.Linear
	}
	m := &tied{A: nn.NewLinear(2, 2), B: nn.NewLinear(2, 2)}
	m.B.Weight = m.A.Weight
	nn.To(m, tensor.Float64)
	if m.A.Weight != m.B.Weight || m.A.Weight.DType() != tensor.Float64 {
		t.Fatal("To broke a shared weight")
	}
	if len(nn.Parameters(m)) != 3 {
		t.Fatalf("%d parameters, want 3", len(nn.Parameters(m)))
	}
}

// When To refuses (a tensor held in a map), it changes nothing.
func TestToMapLeavesModuleUnchanged(t *testing.T) {
	type withMap struct {
		nn.Base
		Extra map[string]*tensor.Tensor
	}
	type outer struct {
		nn.Base
		Lin  *nn.Linear
		Tail *withMap
	}
	m := &outer{Lin: nn.NewLinear(2, 2), Tail: &withMap{Extra: map[string]*tensor.Tensor{"s": tensor.Ones(1)}}}
	w := m.Lin.Weight
	msg := panicMessage(func() { nn.To(m, tensor.Float64) })
	if !strings.Contains(msg, "map") {
		t.Fatalf("To: panic %q, want one naming the map", msg)
	}
	if m.Lin.Weight != w || m.Lin.Weight.DType() != tensor.Float32 {
		t.Fatal("a refused To still converted the linear weight")
	}
}

// Removing hooks from inside a hook takes effect on the next call and does
// not disturb the current one.
func TestHookRemovesItself(t *testing.T) {
	l := nn.NewLinear(2, 2)
	n1, n2 := 0, 0
	var h1 *nn.HookHandle
	h1 = l.RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor {
		n1++
		h1.Remove()
		return nil
	})
	l.RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { n2++; return nil })
	x := tensor.Ones(1, 2)
	l.Forward(x)
	l.Forward(x)
	if n1 != 1 || n2 != 2 {
		t.Fatalf("hook calls %d, %d; want 1, 2", n1, n2)
	}
}

// A state dict with a non-persistent buffer's key: PyTorch reports it as
// unexpected and copies nothing into the buffer.
func TestLoadStateDictNonPersistent(t *testing.T) {
	m := newNet()
	m.Heads = nil
	sd := nn.StateDict(m)
	sd["cache"] = tensor.Ones(1)
	if _, err := nn.LoadStateDict(m, sd, true); err == nil || !strings.Contains(err.Error(), "cache") {
		t.Fatalf("strict load with a non-persistent key: %v", err)
	}
	rep, err := nn.LoadStateDict(m, sd, false)
	if err != nil || !slices.Equal(rep.Unexpected, []string{"cache"}) || m.Cache.Item() != 0 {
		t.Fatalf("non-strict: %+v %v cache %v", rep, err, m.Cache.Item())
	}
}

// TestLoadTiedWeights loads a state dict that names a shared (tied) weight
// under both of its names, as PyTorch's state_dict does: strict loading
// accepts it, and a dict with either name alone loads it too.
func TestLoadTiedWeights(t *testing.T) {
	type tied struct {
		nn.Base
		Emb  *nn.Linear
		Head *nn.Linear
	}
	newTied := func() *tied {
		a := nn.NewLinear(3, 3, nn.LinearOptions{NoBias: true})
		b := nn.NewLinear(3, 3, nn.LinearOptions{NoBias: true})
		b.Weight = a.Weight
		return &tied{Emb: a, Head: b}
	}
	src := newTied()
	w := src.Emb.Weight.Detach()
	for _, sd := range []map[string]*tensor.Tensor{
		{"emb.weight": w, "head.weight": w},
		{"emb.weight": w},
		{"head.weight": w},
	} {
		dst := newTied()
		if _, err := nn.LoadStateDict(dst, sd, true); err != nil {
			t.Fatalf("%v: %v", sd, err)
		}
		if !tensor.Equal(dst.Head.Weight, w) || dst.Head.Weight != dst.Emb.Weight {
			t.Fatalf("%v: the tied weight was not loaded", sd)
		}
	}
	rep, err := nn.LoadStateDict(newTied(), map[string]*tensor.Tensor{}, false)
	if err != nil || len(rep.Missing) != 1 || rep.Missing[0] != "emb.weight" {
		t.Fatalf("missing %v, %v", rep.Missing, err)
	}
}
