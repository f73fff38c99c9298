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

// inplaceGradFn's backward scales its incoming gradient in place.
type inplaceGradFn struct{}

func (inplaceGradFn) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	return in[0].Clone()
}

func (inplaceGradFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g.Mul_(tensor.FullLike(g, 10))}
}

// A leaf must not adopt a gradient storage that another pending gradient
// still shares: add hands the same gradient to both inputs, and a custom
// backward or a hook that changes its gradient in place must not change the
// leaf's Grad.
func TestLeafGradNotSharedWithPendingGradients(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 2, 3}).SetRequiresGrad(true)
	w := tensor.FromSlice([]float32{1, 2, 3}).SetRequiresGrad(true)
	y := autograd.Apply("f", inplaceGradFn{}, w)
	y.Add(a).Mul(tensor.FromSlice([]float32{1, 1, 1})).Sum().Backward()
	wantValues(t, "a.Grad with a custom in-place backward", a.Grad(), 1, 1, 1)
	wantValues(t, "w.Grad", w.Grad(), 10, 10, 10)

	a2 := tensor.FromSlice([]float32{1, 2, 3}).SetRequiresGrad(true)
	w2 := tensor.FromSlice([]float32{1, 2, 3}).SetRequiresGrad(true)
	y2 := w2.MulScalar(1)
	y2.RegisterHook(func(g *tensor.Tensor) *tensor.Tensor { g.Mul_(tensor.FullLike(g, 10)); return nil })
	y2.Add(a2).Mul(tensor.FromSlice([]float32{1, 1, 1})).Sum().Backward()
	wantValues(t, "a.Grad with an in-place hook", a2.Grad(), 1, 1, 1)
	wantValues(t, "w.Grad with an in-place hook", w2.Grad(), 10, 10, 10)
}

// In a CreateGraph pass, a custom Function's saved inputs carry their graph,
// so its gradient can be differentiated again: d²(x²)/dx² = 2.
func TestCustomFunctionSecondDerivative(t *testing.T) {
	x := tensor.FromSlice([]float64{1, -2, 3}).SetRequiresGrad(true)
	y := autograd.Apply("square", square{}, x).Sum()
	g := autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{x}, autograd.GradOptions{CreateGraph: true})[0]
	wantValues(t, "first derivative 2x", g, 2, -4, 6)
	g2 := autograd.Grad([]*tensor.Tensor{g.Sum()}, []*tensor.Tensor{x}, autograd.GradOptions{})[0]
	wantValues(t, "second derivative 2", g2, 2, 2, 2)
}
