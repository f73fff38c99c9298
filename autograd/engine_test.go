package autograd_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = r.(string)
		}
	}()
	f()
	return ""
}

// A tensor a recorded op used, changed in place before Backward, would give
// a silently wrong gradient: Backward refuses, naming the op.
func TestBackwardDetectsInPlaceModification(t *testing.T) {
	w := tensor.FromSlice([]float64{1, 2, 3}).SetRequiresGrad(true)
	a := tensor.FromSlice([]float64{1, 2, 3})
	y := a.Mul(w).Sum()
	a.Add_(tensor.Scalar(10).Double())
	msg := panicMessage(func() { y.Backward() })
	if !strings.Contains(msg, "modified by an in-place operation") || !strings.Contains(msg, "mul") {
		t.Fatalf("panic %q", msg)
	}
	// A parameter updated under NoGrad between forward and backward.
	y = w.Mul(w).Sum()
	autograd.NoGrad(func() { w.Sub_(tensor.OnesLike(w)) })
	if msg := panicMessage(func() { y.Backward() }); !strings.Contains(msg, "modified by an in-place operation") {
		t.Fatalf("panic %q", msg)
	}
	// The output of an op that reuses its output in the backward (exp).
	x := tensor.FromSlice([]float64{0, 1}).SetRequiresGrad(true)
	e := x.Exp()
	autograd.NoGrad(func() { e.Fill_(0) })
	if msg := panicMessage(func() { e.Sum().Backward() }); !strings.Contains(msg, "output") {
		t.Fatalf("panic %q", msg)
	}
	// Writes through a view count for the whole storage.
	b := tensor.FromSlice([]float64{1, 2, 3, 4})
	z := b.Mul(w.Sum()).Sum()
	b.Slice(0, 1, 2, 1).Fill_(5)
	if msg := panicMessage(func() { z.Backward() }); !strings.Contains(msg, "modified") {
		t.Fatalf("panic %q", msg)
	}
	// Modifying after Backward is fine.
	w.ZeroGrad()
	c := tensor.FromSlice([]float64{1, 2, 3})
	c.Mul(w).Sum().Backward()
	c.Add_(c)
	wantValues(t, "grad after a later in-place write", w.Grad(), 1, 2, 3)
}

// Backward must not change the grad mode other goroutines see: a goroutine
// training its own model keeps recording while another runs Backward.
func TestBackwardLeavesGradModeAlone(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				x := tensor.FromSlice([]float64{float64(g), 2}).SetRequiresGrad(true)
				y := x.Mul(x).Exp().Sum()
				if !y.RequiresGrad() {
					errs <- "an op was not recorded while another goroutine ran Backward"
					return
				}
				y.Backward()
				if x.Grad() == nil {
					errs <- "no gradient"
					return
				}
				if autograd.Grad([]*tensor.Tensor{x.Mul(x).Sum()}, []*tensor.Tensor{x}, autograd.GradOptions{})[0].RequiresGrad() {
					errs <- "Grad without CreateGraph returned a gradient with a graph"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// Record never marks an integer or bool result as requiring grad.
func TestIntegerOutputsAreNotRecorded(t *testing.T) {
	x := tensor.FromSlice([]float64{1.5, -2}).SetRequiresGrad(true)
	if x.Gt(tensor.Scalar(0).Double()).RequiresGrad() || x.Long().RequiresGrad() {
		t.Fatal("integer result requires grad")
	}
	out := tensor.Record("custom", tensor.FromSlice([]int64{1, 2}), []*tensor.Tensor{x}, func(g *tensor.Tensor) []*tensor.Tensor { return nil })
	if out.RequiresGrad() {
		t.Fatal("Record marked an int64 result")
	}
}
