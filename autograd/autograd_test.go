package autograd_test

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

// Grad mode is process-wide, so none of these tests runs in parallel.

func leaf(v ...float64) *tensor.Tensor { return tensor.FromSlice(v).SetRequiresGrad(true) }

func wantValues(t *testing.T, what string, got *tensor.Tensor, want ...float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil tensor, want %v", what, want)
	}
	g := got.ToFloat64s()
	if len(g) != len(want) {
		t.Fatalf("%s: %v, want %v", what, g, want)
	}
	for i := range g {
		if math.Abs(g[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
			t.Fatalf("%s: %v, want %v", what, g, want)
		}
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one containing %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q does not contain %q", msg, want)
		}
	}()
	f()
}

func TestBackwardScalar(t *testing.T) {
	x := leaf(1, -2, 3)
	y := x.Mul(x).Sum()
	if y.IsLeaf() || !y.RequiresGrad() || y.GradFn() != "sum" {
		t.Fatalf("y: leaf=%v requires_grad=%v grad_fn=%q", y.IsLeaf(), y.RequiresGrad(), y.GradFn())
	}
	y.Backward()
	wantValues(t, "dy/dx", x.Grad(), 2, -4, 6)
	if x.Grad().RequiresGrad() {
		t.Error("the gradient of a plain backward requires grad")
	}
	// A leaf root: d x / d x = 1.
	s := tensor.Scalar(5).Double().SetRequiresGrad(true)
	s.Backward()
	wantValues(t, "leaf root", s.Grad(), 1)
	// Inputs that do not require grad get no gradient.
	c := tensor.FromSlice([]float64{1, 2, 3})
	x.ZeroGrad()
	x.Mul(c).Sum().Backward()
	wantValues(t, "d(x*c)/dx", x.Grad(), 1, 2, 3)
	if c.Grad() != nil {
		t.Error("a constant received a gradient")
	}
}

func TestBackwardWithGradient(t *testing.T) {
	x := leaf(1, 2, 3)
	y := x.MulScalar(3)
	y.BackwardWith(tensor.BackwardOptions{Grad: tensor.FromSlice([]float64{1, 0.5, -2})})
	wantValues(t, "vjp", x.Grad(), 3, 1.5, -6)

	mustPanic(t, "backward: grad can be implicitly created only for one-element outputs, got shape [3]", func() {
		x.MulScalar(2).Backward()
	})
	mustPanic(t, "backward: gradient of shape [2] for an output of shape [3]", func() {
		x.MulScalar(2).BackwardWith(tensor.BackwardOptions{Grad: tensor.FromSlice([]float64{1, 2})})
	})
	mustPanic(t, "backward: tensor of shape [] does not require grad", func() {
		tensor.FromSlice([]float64{1, 2, 3}).Sum().Backward()
	})
	// A one-element non-scalar output takes the implicit gradient 1.
	z := leaf(4)
	z.Mul(z).Backward()
	wantValues(t, "one-element output", z.Grad(), 8)
}

func TestGradAccumulates(t *testing.T) {
	x := leaf(1, 2)
	for range 2 {
		x.Mul(x).Sum().Backward()
	}
	wantValues(t, "two backward calls", x.Grad(), 4, 8)
	x.ZeroGrad()
	if x.Grad() != nil {
		t.Fatal("ZeroGrad left a gradient")
	}
	x.MulScalar(5).Sum().Backward()
	wantValues(t, "after ZeroGrad", x.Grad(), 5, 5)

	// Gradients are fresh tensors: writing into one leaf's gradient must
	// not change another's or the output gradient passed in.
	a, b := leaf(1, 2), leaf(3, 4)
	og := tensor.FromSlice([]float64{1, 1})
	a.Add(b).BackwardWith(tensor.BackwardOptions{Grad: og})
	autograd.NoGrad(func() { a.Grad().Fill_(7) })
	wantValues(t, "b.grad after writing a.grad", b.Grad(), 1, 1)
	wantValues(t, "output gradient after writing a.grad", og, 1, 1)
	if a.Grad().SharesStorage(b.Grad()) || a.Grad().SharesStorage(og) {
		t.Error("leaf gradients share storage")
	}

	mustPanic(t, "set_grad: gradient of shape [3] for a tensor of shape [2]", func() { x.SetGrad(tensor.Zeros(3)) })
	x.SetGrad(tensor.FromSlice([]float64{10, 20}))
	x.Sum().Backward()
	wantValues(t, "SetGrad then backward", x.Grad(), 11, 21)
	x.SetGrad(nil)
	if x.Grad() != nil {
		t.Error("SetGrad(nil) kept the gradient")
	}
}

func TestDetach(t *testing.T) {
	x := leaf(1, 2, 3)
	d := x.Detach()
	if d.RequiresGrad() || !d.IsLeaf() || !d.SharesStorage(x) {
		t.Fatalf("detach: requires_grad=%v leaf=%v shares=%v", d.RequiresGrad(), d.IsLeaf(), d.SharesStorage(x))
	}
	// The gradient flows only through the attached factor.
	x.Mul(d).Sum().Backward()
	wantValues(t, "d(x*detach(x))/dx", x.Grad(), 1, 2, 3)
	// Writes through the detached tensor show in x.
	d.Set(10, 0)
	if x.At(0) != 10 {
		t.Fatalf("write through Detach not visible: %v", x.ToFloat64s())
	}
	// Detaching a non-leaf cuts the graph there.
	x.ZeroGrad()
	h := x.MulScalar(2)
	y := h.Detach().Mul(x).Sum()
	y.Backward()
	wantValues(t, "through detached non-leaf", x.Grad(), 20, 4, 6)
}

func TestNoGrad(t *testing.T) {
	x := leaf(1, 2)
	if !autograd.IsGradEnabled() {
		t.Fatal("grad mode is off at start")
	}
	autograd.NoGrad(func() {
		if autograd.IsGradEnabled() {
			t.Error("grad mode on inside NoGrad")
		}
		y := x.MulScalar(2)
		if y.RequiresGrad() || !y.IsLeaf() {
			t.Errorf("op recorded inside NoGrad: requires_grad=%v grad_fn=%q", y.RequiresGrad(), y.GradFn())
		}
		autograd.NoGrad(func() {})
		if autograd.IsGradEnabled() {
			t.Error("leaving a nested NoGrad turned grad mode on")
		}
		autograd.EnableGrad(func() {
			if !autograd.IsGradEnabled() {
				t.Error("grad mode off inside EnableGrad")
			}
			z := x.MulScalar(3)
			if !z.RequiresGrad() || z.GradFn() != "mul" {
				t.Error("EnableGrad inside NoGrad did not record")
			}
			autograd.NoGrad(func() {
				if autograd.IsGradEnabled() {
					t.Error("NoGrad inside EnableGrad left grad mode on")
				}
			})
			if !autograd.IsGradEnabled() {
				t.Error("leaving NoGrad inside EnableGrad turned grad mode off")
			}
			z.Sum().Backward()
		})
		if autograd.IsGradEnabled() {
			t.Error("leaving EnableGrad inside NoGrad turned grad mode on")
		}
	})
	wantValues(t, "grad from EnableGrad", x.Grad(), 3, 3)
	if !autograd.IsGradEnabled() {
		t.Fatal("grad mode off after NoGrad")
	}
	// A panic inside NoGrad restores grad mode.
	func() {
		defer func() { _ = recover() }()
		autograd.NoGrad(func() { panic("boom") })
	}()
	if !autograd.IsGradEnabled() {
		t.Fatal("grad mode off after a panic inside NoGrad")
	}
	// In-place updates of a leaf are allowed inside NoGrad only.
	mustPanic(t, "add_: in-place operation on a tensor of shape [2] that requires grad", func() {
		x.Add_(tensor.FromSlice([]float64{1, 1}))
	})
	autograd.NoGrad(func() { x.Add_(tensor.FromSlice([]float64{1, 1})) })
	wantValues(t, "in-place under NoGrad", x, 2, 3)
}

func TestRetainGraph(t *testing.T) {
	x := leaf(1, 2)
	y := x.Mul(x).Sum()
	y.BackwardWith(tensor.BackwardOptions{RetainGraph: true})
	y.Backward()
	wantValues(t, "two passes over a retained graph", x.Grad(), 4, 8)
	mustPanic(t, "backward: trying to backward through the graph a second time (op sum); set RetainGraph on the first call", func() {
		y.Backward()
	})
	// A graph shared by two outputs is freed by the first backward.
	h := x.MulScalar(2)
	a, b := h.Sum(), h.Mul(h).Sum()
	a.Backward()
	mustPanic(t, "trying to backward through the graph a second time (op mul)", func() { b.Backward() })
	// autograd.Backward with retainGraph.
	x.ZeroGrad()
	z := x.Mul(x).Sum()
	autograd.Backward([]*tensor.Tensor{z}, nil, true)
	autograd.Backward([]*tensor.Tensor{z}, nil, false)
	wantValues(t, "autograd.Backward twice", x.Grad(), 4, 8)
}

func TestMultipleRoots(t *testing.T) {
	x := leaf(1, 2)
	y1 := x.Mul(x).Sum()
	y2 := x.MulScalar(3)
	autograd.Backward([]*tensor.Tensor{y1, y2}, []*tensor.Tensor{nil, tensor.FromSlice([]float64{1, 2})}, false)
	wantValues(t, "two roots", x.Grad(), 2+3, 4+6)
	mustPanic(t, "backward: 1 gradients for 2 outputs", func() {
		autograd.Backward([]*tensor.Tensor{x.Sum(), x.Sum()}, []*tensor.Tensor{nil}, false)
	})
}

func TestRetainGrad(t *testing.T) {
	x := leaf(1, 2)
	h := x.MulScalar(3)
	h.RetainGrad()
	k := x.MulScalar(4)
	y := h.Mul(h).Add(k).Sum()
	y.Backward()
	wantValues(t, "retained non-leaf grad", h.Grad(), 6, 12)
	if k.Grad() != nil {
		t.Error("a non-leaf without RetainGrad kept its gradient")
	}
	wantValues(t, "leaf grad", x.Grad(), 18+4, 36+4)
}

func TestHooks(t *testing.T) {
	// Observe.
	x := leaf(1, 2)
	var seen []float64
	x.RegisterHook(func(g *tensor.Tensor) *tensor.Tensor {
		seen = g.ToFloat64s()
		return nil
	})
	x.MulScalar(3).Sum().Backward()
	if !slices.Equal(seen, []float64{3, 3}) {
		t.Fatalf("hook saw %v", seen)
	}
	wantValues(t, "observing hook", x.Grad(), 3, 3)

	// Replace, in order: the second hook sees the first one's result.
	w := leaf(1, 2)
	var order []string
	w.RegisterHook(func(g *tensor.Tensor) *tensor.Tensor {
		order = append(order, "double")
		return g.MulScalar(2)
	})
	w.RegisterHook(func(g *tensor.Tensor) *tensor.Tensor {
		order = append(order, fmt.Sprint("add1:", g.ToFloat64s()))
		return g.AddScalar(1)
	})
	w.Mul(w).Sum().Backward()
	if got := strings.Join(order, " "); got != "double add1:[4 8]" {
		t.Fatalf("hook order: %s", got)
	}
	wantValues(t, "replacing hooks", w.Grad(), 5, 9)

	// A hook on a non-leaf changes what flows further back.
	z := leaf(1, 2)
	h := z.MulScalar(2)
	h.RegisterHook(func(g *tensor.Tensor) *tensor.Tensor { return g.MulScalar(0) })
	h.Add(z).Sum().Backward()
	wantValues(t, "non-leaf hook zeroing its branch", z.Grad(), 1, 1)

	// Hooks also run for autograd.Grad.
	gs := autograd.Grad([]*tensor.Tensor{w.Sum()}, []*tensor.Tensor{w}, autograd.GradOptions{})
	wantValues(t, "hooked autograd.Grad", gs[0], 3, 3)

	mustPanic(t, "register_hook: cannot register a hook on a tensor that does not require grad", func() {
		tensor.Zeros(2).RegisterHook(func(g *tensor.Tensor) *tensor.Tensor { return nil })
	})
}

func TestAutogradGrad(t *testing.T) {
	x, w, u := leaf(1, 2), leaf(3, 4), leaf(5, 6)
	y := x.Mul(w).Sum()
	gs := autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{x, w, u}, autograd.GradOptions{AllowUnused: true, RetainGraph: true})
	wantValues(t, "dy/dx", gs[0], 3, 4)
	wantValues(t, "dy/dw", gs[1], 1, 2)
	if gs[2] != nil {
		t.Errorf("unused input got %v", gs[2].ToFloat64s())
	}
	if x.Grad() != nil || w.Grad() != nil {
		t.Error("autograd.Grad wrote into Grad")
	}
	mustPanic(t, "autograd.Grad: input 1 was not used in the graph; set AllowUnused", func() {
		autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{x, u}, autograd.GradOptions{RetainGraph: true})
	})
	mustPanic(t, "autograd.Grad: input 0 does not require grad", func() {
		autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{tensor.Zeros(2)}, autograd.GradOptions{})
	})
	// Gradient with respect to a non-leaf, with an explicit output gradient.
	h := x.MulScalar(2)
	out := h.Mul(h)
	gh := autograd.Grad([]*tensor.Tensor{out}, []*tensor.Tensor{h}, autograd.GradOptions{GradOutputs: []*tensor.Tensor{tensor.FromSlice([]float64{1, 10})}})
	wantValues(t, "d(h*h)/dh", gh[0], 4, 80)
}

func TestCreateGraph(t *testing.T) {
	x := leaf(0.5, -1.5, 2)
	y := x.Mul(x).Mul(x).Sum() // sum x³
	g1 := autograd.Grad([]*tensor.Tensor{y}, []*tensor.Tensor{x}, autograd.GradOptions{CreateGraph: true})[0]
	wantValues(t, "first derivative 3x²", g1, 0.75, 6.75, 12)
	if !g1.RequiresGrad() {
		t.Fatal("a CreateGraph gradient does not require grad")
	}
	g2 := autograd.Grad([]*tensor.Tensor{g1.Sum()}, []*tensor.Tensor{x}, autograd.GradOptions{CreateGraph: true})[0]
	wantValues(t, "second derivative 6x", g2, 3, -9, 12)
	g3 := autograd.Grad([]*tensor.Tensor{g2.Sum()}, []*tensor.Tensor{x}, autograd.GradOptions{})[0]
	wantValues(t, "third derivative 6", g3, 6, 6, 6)

	// Backward with CreateGraph leaves a differentiable Grad.
	z := leaf(2, 3)
	z.Mul(z).Mul(z).Sum().BackwardWith(tensor.BackwardOptions{CreateGraph: true})
	wantValues(t, "grad 3z²", z.Grad(), 12, 27)
	gz := z.Grad()
	z.ZeroGrad()
	gz.Sum().Backward()
	wantValues(t, "d(sum 3z²)/dz", z.Grad(), 12, 18)

	// CreateGraph records the backward pass even inside NoGrad, as PyTorch's
	// engine turns grad mode on for create_graph.
	var g *tensor.Tensor
	autograd.NoGrad(func() {
		q := leaf(1, 2)
		var out *tensor.Tensor
		autograd.EnableGrad(func() { out = q.Mul(q).Sum() })
		g = autograd.Grad([]*tensor.Tensor{out}, []*tensor.Tensor{q}, autograd.GradOptions{CreateGraph: true})[0]
	})
	if !g.RequiresGrad() {
		t.Error("CreateGraph inside NoGrad gave a gradient without a graph")
	}
}

func TestDiamond(t *testing.T) {
	x := leaf(1, -2)
	a := x.MulScalar(2)
	b := x.MulScalar(3)
	y := a.Mul(b).Add(x).Sum() // 6x² + x
	y.Backward()
	wantValues(t, "diamond", x.Grad(), 13, -23)
	// The same tensor as both operands of one op.
	z := leaf(3)
	z.Add(z).Mul(z).Sum().Backward() // 2z²
	wantValues(t, "z used twice in one op", z.Grad(), 12)
}

func TestLongChain(t *testing.T) {
	const n = 10_000
	x := leaf(1)
	y := x
	want := 1.0
	for range n {
		y = y.MulScalar(1.0001)
		want *= 1.0001
	}
	// A recursive walk of 10,000 nodes would need far more than 256 KiB of
	// stack; the engine must not recurse.
	prev := debug.SetMaxStack(256 << 10)
	defer debug.SetMaxStack(prev)
	y.Sum().Backward()
	debug.SetMaxStack(prev)
	if g := x.Grad().Item(); math.Abs(g-want) > 1e-12*want {
		t.Fatalf("gradient through %d ops: %v, want %v", n, g, want)
	}
}

// expFn is a user-defined exp: Backward uses the saved output.
type expFn struct{}

func (expFn) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	out := in[0].Contiguous().Clone()
	d := out.Data().([]float64)
	for i := range d {
		d[i] = math.Exp(d[i])
	}
	ctx.SaveForBackward(out)
	return out
}

func (expFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g.Mul(ctx.Saved()[0])}
}

// wrongExpFn has a backward that is off by a factor of 2.
type wrongExpFn struct{ expFn }

func (wrongExpFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g.Mul(ctx.Saved()[0]).MulScalar(2)}
}

// clampSTE clamps to [lo, hi] and passes the gradient straight through.
type clampSTE struct{ lo, hi float64 }

func (c clampSTE) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	out := in[0].Contiguous().Clone()
	d := out.Data().([]float64)
	for i := range d {
		d[i] = min(max(d[i], c.lo), c.hi)
	}
	return out
}

func (c clampSTE) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g}
}

// scaledAdd computes a + s*b for a float s carried in ctx.Values; it has
// two tensor inputs.
type scaledAdd struct{}

func (scaledAdd) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	ctx.Values["s"] = 2.5
	return in[0].Add(in[1].MulScalar(2.5))
}

func (scaledAdd) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g, g.MulScalar(ctx.Values["s"].(float64))}
}

func TestCustomFunction(t *testing.T) {
	x := leaf(0.5, -1, 2)
	y := autograd.Apply("my_exp", expFn{}, x)
	if y.GradFn() != "my_exp" || !y.RequiresGrad() {
		t.Fatalf("custom function output: grad_fn=%q requires_grad=%v", y.GradFn(), y.RequiresGrad())
	}
	wantValues(t, "my_exp forward", y, math.Exp(0.5), math.Exp(-1), math.Exp(2))
	y.Sum().Backward()
	wantValues(t, "my_exp backward", x.Grad(), math.Exp(0.5), math.Exp(-1), math.Exp(2))

	exp := func(in ...*tensor.Tensor) *tensor.Tensor { return autograd.Apply("my_exp", expFn{}, in[0]) }
	if err := autograd.Gradcheck(exp, []*tensor.Tensor{leaf(0.3, -0.7, 1.1, 0)}, autograd.GradcheckOptions{}); err != nil {
		t.Errorf("gradcheck of my_exp: %v", err)
	}
	// Composed with built-in ops on both sides.
	comp := func(in ...*tensor.Tensor) *tensor.Tensor {
		return autograd.Apply("my_exp", expFn{}, in[0].Mul(in[1])).Add(in[1])
	}
	if err := autograd.Gradcheck(comp, []*tensor.Tensor{leaf(0.3, -0.7), leaf(1.5, 0.2)}, autograd.GradcheckOptions{}); err != nil {
		t.Errorf("gradcheck of a composition: %v", err)
	}
	// Two inputs and values passed through the context.
	sa := func(in ...*tensor.Tensor) *tensor.Tensor {
		return autograd.Apply("scaled_add", scaledAdd{}, in[0], in[1])
	}
	if err := autograd.Gradcheck(sa, []*tensor.Tensor{leaf(1, 2), leaf(3, 4)}, autograd.GradcheckOptions{}); err != nil {
		t.Errorf("gradcheck of scaled_add: %v", err)
	}

	// Straight-through clamp: inside the range it is the identity and
	// passes gradcheck; outside, the gradient still passes through.
	c := clampSTE{-1, 1}
	clamp := func(in ...*tensor.Tensor) *tensor.Tensor { return autograd.Apply("clamp_ste", c, in[0]) }
	if err := autograd.Gradcheck(clamp, []*tensor.Tensor{leaf(-0.5, 0.25, 0.9)}, autograd.GradcheckOptions{}); err != nil {
		t.Errorf("gradcheck of clamp_ste inside its range: %v", err)
	}
	v := leaf(-3, 0.5, 4)
	out := clamp(v)
	wantValues(t, "clamp forward", out, -1, 0.5, 1)
	out.Mul(tensor.FromSlice([]float64{1, 2, 3})).Sum().Backward()
	wantValues(t, "straight-through gradient", v.Grad(), 1, 2, 3)
	// Gradcheck notices that the straight-through gradient is not the
	// derivative where the clamp is active.
	if err := autograd.Gradcheck(clamp, []*tensor.Tensor{leaf(-3, 0.5)}, autograd.GradcheckOptions{}); err == nil {
		t.Error("gradcheck accepted the straight-through gradient outside the clamp range")
	}

	// Under NoGrad the function is not recorded.
	autograd.NoGrad(func() {
		if r := autograd.Apply("my_exp", expFn{}, x); r.RequiresGrad() {
			t.Error("Apply recorded under NoGrad")
		}
	})
	// Forward sees detached inputs and its output is a new leaf of the graph.
	var sawGrad bool
	autograd.Apply("probe", probeFn{&sawGrad}, x)
	if sawGrad {
		t.Error("Forward saw inputs that require grad, or recorded an op")
	}
}

type probeFn struct{ saw *bool }

func (p probeFn) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	y := in[0].MulScalar(1)
	*p.saw = in[0].RequiresGrad() || y.RequiresGrad()
	return y
}

func (probeFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g}
}

// badCountFn returns two gradients for one input; badShapeFn returns a
// gradient of the wrong shape.
type badCountFn struct{ expFn }

func (badCountFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g, g}
}

type badShapeFn struct{ expFn }

func (badShapeFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g.Sum()}
}

func TestCustomFunctionMisuse(t *testing.T) {
	mustPanic(t, "autograd.bad_count: Backward returned 2 gradients for 1 inputs", func() {
		autograd.Apply("bad_count", badCountFn{}, leaf(1, 2)).Sum().Backward()
	})
	mustPanic(t, "backward: op bad_shape produced a gradient of shape [] for input 0 of shape [2]", func() {
		autograd.Apply("bad_shape", badShapeFn{}, leaf(1, 2)).Sum().Backward()
	})
}

func TestGradcheckDetectsErrors(t *testing.T) {
	wrong := func(in ...*tensor.Tensor) *tensor.Tensor { return autograd.Apply("wrong_exp", wrongExpFn{}, in[0]) }
	err := autograd.Gradcheck(wrong, []*tensor.Tensor{leaf(0.1, 0.2)}, autograd.GradcheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "analytic") {
		t.Fatalf("gradcheck did not report the wrong backward: %v", err)
	}
	// A wrong gradient for only the second input is found too.
	half := func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].Add(autograd.Apply("wrong_exp", wrongExpFn{}, in[1]))
	}
	err = autograd.Gradcheck(half, []*tensor.Tensor{leaf(1), leaf(0.5)}, autograd.GradcheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "input 1") {
		t.Fatalf("gradcheck did not name input 1: %v", err)
	}
	// A small error (1e-2 on gradients of 2 and 4) slips under a loose
	// tolerance and is caught by the default one.
	off := func(in ...*tensor.Tensor) *tensor.Tensor {
		return autograd.Apply("off", offFn{}, in[0])
	}
	if err := autograd.Gradcheck(off, []*tensor.Tensor{leaf(1, 2)}, autograd.GradcheckOptions{Atol: 0.05}); err != nil {
		t.Errorf("a 1e-2 error failed with atol 0.05: %v", err)
	}
	if err := autograd.Gradcheck(off, []*tensor.Tensor{leaf(1, 2)}, autograd.GradcheckOptions{}); err == nil {
		t.Error("a 1e-2 error passed the default tolerances")
	}

	// float32 inputs are rejected.
	x32 := tensor.FromSlice([]float32{1, 2}).SetRequiresGrad(true)
	err = autograd.Gradcheck(func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Mul(in[0]) }, []*tensor.Tensor{x32}, autograd.GradcheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "float64") {
		t.Fatalf("gradcheck accepted a float32 input: %v", err)
	}
	err = autograd.Gradcheck(func(in ...*tensor.Tensor) *tensor.Tensor { return in[0] }, []*tensor.Tensor{tensor.Zeros(2).Double()}, autograd.GradcheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "no input requires grad") {
		t.Fatalf("gradcheck without differentiable inputs: %v", err)
	}
	err = autograd.Gradcheck(func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Detach() }, []*tensor.Tensor{leaf(1)}, autograd.GradcheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "output does not require grad") {
		t.Fatalf("gradcheck of a detached output: %v", err)
	}
	// Built-in ops pass, with a non-scalar output and two inputs.
	mul := func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Mul(in[1]).Div(in[1].AddScalar(3)) }
	if err := autograd.Gradcheck(mul, []*tensor.Tensor{leaf(1, 2, 3), leaf(0.5, -1, 2)}, autograd.GradcheckOptions{}); err != nil {
		t.Errorf("gradcheck of built-in ops: %v", err)
	}
	// Gradcheck leaves its inputs' values as they were.
	in := leaf(0.25, 0.5)
	_ = autograd.Gradcheck(mul, []*tensor.Tensor{in, leaf(1, 1)}, autograd.GradcheckOptions{})
	wantValues(t, "input after gradcheck", in, 0.25, 0.5)
}

// offFn is x*x with a backward 1e-2 too large.
type offFn struct{}

func (offFn) Forward(ctx *autograd.Context, in ...*tensor.Tensor) *tensor.Tensor {
	ctx.SaveForBackward(in[0])
	return in[0].Mul(in[0])
}

func (offFn) Backward(ctx *autograd.Context, g *tensor.Tensor) []*tensor.Tensor {
	return []*tensor.Tensor{g.Mul(ctx.Saved()[0].MulScalar(2).AddScalar(1e-2))}
}

func TestCreateGraphThroughViews(t *testing.T) {
	// Second derivatives through slice, select, and the other views.
	x := leaf(1, 2, 3, 4)
	views := map[string]func(*tensor.Tensor) *tensor.Tensor{
		"slice":   func(x *tensor.Tensor) *tensor.Tensor { return x.Slice(0, 1, 4, 2) },
		"narrow":  func(x *tensor.Tensor) *tensor.Tensor { return x.Narrow(0, 0, 2) },
		"select":  func(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(2, 2).Select(1, 0) },
		"permute": func(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(2, 2).T() },
		"expand":  func(x *tensor.Tensor) *tensor.Tensor { return x.Unsqueeze(0).Expand(3, 4) },
	}
	for name, v := range views {
		f := func(in ...*tensor.Tensor) *tensor.Tensor {
			y := v(in[0])
			return y.Mul(y).Mul(y).Sum()
		}
		g1 := autograd.Grad([]*tensor.Tensor{f(x)}, []*tensor.Tensor{x}, autograd.GradOptions{CreateGraph: true})[0]
		if !g1.RequiresGrad() {
			t.Errorf("%s: first derivative has no graph", name)
			continue
		}
		// d/dx sum(3 v(x)²) compared with finite differences of the first
		// derivative's sum.
		first := func(in ...*tensor.Tensor) *tensor.Tensor {
			return autograd.Grad([]*tensor.Tensor{f(in[0])}, []*tensor.Tensor{in[0]}, autograd.GradOptions{CreateGraph: true})[0]
		}
		if err := autograd.Gradcheck(first, []*tensor.Tensor{leaf(0.5, -1, 1.5, 2)}, autograd.GradcheckOptions{}); err != nil {
			t.Errorf("%s: second derivative: %v", name, err)
		}
	}
}
