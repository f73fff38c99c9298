package tensor_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/tensor"
)

// lossTargetMatrix returns B of x's shape (class dimension cd) for the
// class-index targets tg: on a row whose target t is not ignore,
// B[c] = (1-ε)·w[t]·[c=t] + ε·w[c]/C; zero on ignored rows. It also
// returns Σ w[t] over the rows not ignored (the mean's denominator).
func lossTargetMatrix(shape []int, cd int, tg []int64, w []float64, eps float64, ignore int64) (*tensor.Tensor, float64) {
	c := shape[cd]
	outer, inner := 1, 1
	for _, d := range shape[:cd] {
		outer *= d
	}
	for _, d := range shape[cd+1:] {
		inner *= d
	}
	wc := func(j int) float64 {
		if w == nil {
			return 1
		}
		return w[j]
	}
	b := make([]float64, outer*c*inner)
	denom := 0.0
	for o := range outer {
		for i := range inner {
			t := tg[o*inner+i]
			if t == ignore {
				continue
			}
			denom += wc(int(t))
			for j := range c {
				v := eps * wc(j) / float64(c)
				if int64(j) == t {
					v += (1 - eps) * wc(j)
				}
				b[(o*c+j)*inner+i] = v
			}
		}
	}
	return tensor.FromSlice(b, shape...), denom
}

// lossReduceRef reduces per-element losses as the ops do, the mean
// dividing by denom.
func lossReduceRef(l *tensor.Tensor, red string, denom float64) *tensor.Tensor {
	switch red {
	case "none":
		return l
	case "sum":
		return l.Sum()
	}
	return l.Sum().DivScalar(denom)
}

// lossClose fails unless got and want have the same shape and dtype and
// agree within tol.
func lossClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: got %v %v, want %v %v", what, got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	g, w := got.ToFloat64s(), want.ToFloat64s()
	for i := range g {
		if math.Abs(g[i]-w[i]) > tol*(1+math.Abs(w[i])) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, g[i], w[i])
		}
	}
}

// TestClassIndexLossesMatchComposition checks CrossEntropyIndices and
// NLLLoss, values and input gradients, against the same losses composed
// of other ops (log_softmax, a target matrix, a sum over classes), for
// unbatched, batched and spatial inputs, weights, label smoothing, an
// ignored target and every reduction.
func TestClassIndexLossesMatchComposition(t *testing.T) {
	g := tensor.NewGenerator(11)
	shapes := [][]int{{5}, {6, 5}, {2, 5, 3, 2}}
	for _, shape := range shapes {
		cd := 1
		if len(shape) == 1 {
			cd = 0
		}
		c := shape[cd]
		tshape := slices.Delete(slices.Clone(shape), cd, cd+1)
		n := 1
		for _, d := range tshape {
			n *= d
		}
		tg := make([]int64, n)
		for i := range tg {
			tg[i] = int64((i*3 + 1) % c)
		}
		if n > 1 {
			tg[1] = -7 // ignored below
		}
		target := tensor.FromSlice(tg).Reshape(tshape...)
		wv := g.Rand(c).AddScalar(0.25).Double()
		for _, red := range []string{"mean", "sum", "none"} {
			for _, eps := range []float64{0, 0.2} {
				for _, useW := range []bool{false, true} {
					name := fmt.Sprintf("%v/%s/eps%v/w%v", shape, red, eps, useW)
					var w *tensor.Tensor
					var wf []float64
					if useW {
						w, wf = wv, wv.ToFloat64s()
					}
					b, denom := lossTargetMatrix(shape, cd, tg, wf, eps, -7)
					x := g.Randn(shape...).Double().SetRequiresGrad(true)
					xr := x.Detach().SetRequiresGrad(true)

					got := tensor.CrossEntropyIndices(x, target, w, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -7, Reduction: red, LabelSmoothing: eps})
					want := lossReduceRef(xr.LogSoftmax(cd).Mul(b).SumDims([]int{cd}, false).Neg(), red, denom)
					lossClose(t, "cross_entropy_indices "+name, got, want, 1e-12)
					got.Sum().Backward()
					want.Sum().Backward()
					lossClose(t, "cross_entropy_indices grad "+name, x.Grad(), xr.Grad(), 1e-12)

					if eps != 0 {
						continue
					}
					x.ZeroGrad()
					xr.ZeroGrad()
					got = tensor.NLLLoss(x, target, w, tensor.NLLLossOptions{IgnoreIndex: -7, Reduction: red})
					want = lossReduceRef(xr.Mul(b).SumDims([]int{cd}, false).Neg(), red, denom)
					lossClose(t, "nll_loss "+name, got, want, 1e-12)
					got.Sum().Backward()
					want.Sum().Backward()
					lossClose(t, "nll_loss grad "+name, x.Grad(), xr.Grad(), 1e-12)
				}
			}
		}
	}
}

// TestClassIndexLossDTypes checks float32 and float16 inputs (the result
// keeps the input's dtype) and int32 targets against float64.
func TestClassIndexLossDTypes(t *testing.T) {
	x := tensor.NewGenerator(2).Randn(4, 7)
	tg := tensor.FromSlice([]int64{6, 0, 3, 3})
	want := tensor.CrossEntropyIndices(x.Double(), tg, nil, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -100}).Item()
	for _, c := range []struct {
		dt  tensor.DType
		tol float64
	}{{tensor.Float32, 1e-6}, {tensor.Float16, 1e-2}} {
		got := tensor.CrossEntropyIndices(x.To(c.dt), tg.To(tensor.Int32), nil, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -100})
		if got.DType() != c.dt || math.Abs(got.Item()-want) > c.tol {
			t.Errorf("%v: %v %v, want %v", c.dt, got.DType(), got.Item(), want)
		}
	}
}

// TestBinaryCrossEntropyMatchesComposition checks BinaryCrossEntropy's
// values and both gradients against the formula composed of other ops,
// with and without a broadcast weight, for every reduction.
func TestBinaryCrossEntropyMatchesComposition(t *testing.T) {
	g := tensor.NewGenerator(4)
	w := g.Rand(4).AddScalar(0.5).Double()
	for _, red := range []string{"mean", "sum", "none"} {
		for _, weight := range []*tensor.Tensor{nil, w} {
			name := fmt.Sprintf("%s/weight%v", red, weight != nil)
			x := g.Uniform(0.05, 0.95, 3, 4).Double().SetRequiresGrad(true)
			y := g.Rand(3, 4).Double().SetRequiresGrad(true)
			xr := x.Detach().SetRequiresGrad(true)
			yr := y.Detach().SetRequiresGrad(true)
			got := tensor.BinaryCrossEntropy(x, y, weight, red)
			l := yr.Mul(xr.Log().ClampMin(-100)).Add(yr.RSubScalar(1).Mul(xr.RSubScalar(1).Log().ClampMin(-100))).Neg()
			if weight != nil {
				l = l.Mul(weight)
			}
			want := lossReduceRef(l, red, 12)
			lossClose(t, "binary_cross_entropy "+name, got, want, 1e-12)
			got.Sum().Backward()
			want.Sum().Backward()
			lossClose(t, "binary_cross_entropy input grad "+name, x.Grad(), xr.Grad(), 1e-10)
			lossClose(t, "binary_cross_entropy target grad "+name, y.Grad(), yr.Grad(), 1e-10)
		}
	}
	// A certain wrong prediction costs 100, not infinity.
	got := tensor.BinaryCrossEntropy(tensor.FromSlice([]float64{0, 1}), tensor.FromSlice([]float64{1, 0}), nil, "none")
	if v := got.ToFloat64s(); v[0] != 100 || v[1] != 100 {
		t.Errorf("clamped log: %v, want [100 100]", v)
	}
}

// TestLossOpsTraceAsOneNode checks that each loss reports itself as one
// op with its inputs (weight nil when absent) and attributes, and no read,
// and that its OpDef's Run gives the same bits.
func TestLossOpsTraceAsOneNode(t *testing.T) {
	g := tensor.NewGenerator(6)
	x := g.Randn(3, 4, 2)
	tg := tensor.FromSlice([]int64{0, 3, -100, 1, 2, 2}, 3, 2)
	w := g.Rand(4)
	p, y := g.Rand(3, 4), g.Rand(3, 4)
	cases := []struct {
		op    string
		f     func() *tensor.Tensor
		in    []*tensor.Tensor
		attrs tensor.Attrs
	}{
		{"cross_entropy_indices", func() *tensor.Tensor {
			return tensor.CrossEntropyIndices(x, tg, w, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -100, Reduction: "sum", LabelSmoothing: 0.1})
		}, []*tensor.Tensor{x, tg, w}, tensor.Attrs{"ignore_index": int64(-100), "reduction": "sum", "label_smoothing": 0.1}},
		{"nll_loss", func() *tensor.Tensor {
			return tensor.NLLLoss(x, tg, nil, tensor.NLLLossOptions{IgnoreIndex: -100})
		}, []*tensor.Tensor{x, tg, nil}, tensor.Attrs{"ignore_index": int64(-100), "reduction": ""}},
		{"binary_cross_entropy", func() *tensor.Tensor {
			return tensor.BinaryCrossEntropy(p, y, w, "none")
		}, []*tensor.Tensor{p, y, w}, tensor.Attrs{"reduction": "none"}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			r := &recorder{}
			restore := tensor.SetTracer(r)
			out := c.f()
			restore()
			if names := r.names(); !slices.Equal(names, []string{c.op}) {
				t.Fatalf("reported %v, want only %s", names, c.op)
			}
			e := r.ev[0]
			if !slices.Equal(e.in, c.in) || len(e.out) != 1 || e.out[0] != out {
				t.Errorf("inputs %v outputs %v", e.in, e.out)
			}
			if fmt.Sprint(e.attrs) != fmt.Sprint(c.attrs) {
				t.Errorf("attrs %v, want %v", e.attrs, c.attrs)
			}
			d, ok := tensor.LookupOp(c.op)
			if !ok {
				t.Fatalf("no op %s", c.op)
			}
			got := d.Run(c.in, c.attrs)
			if len(got) != 1 || !sameTensor(got[0], out) {
				t.Errorf("Run gives %v, the function %v", got, out)
			}
		})
	}
}

// TestLossOpPanics checks that bad input panics with a message naming the
// PyTorch op.
func TestLossOpPanics(t *testing.T) {
	x := tensor.Randn(4, 5)
	idx := tensor.FromSlice([]int64{0, 1, 2, 3})
	ce := func(tg, w *tensor.Tensor, o tensor.CrossEntropyIndicesOptions) func() {
		return func() { tensor.CrossEntropyIndices(x, tg, w, o) }
	}
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"ce bounds", ce(tensor.FromSlice([]int64{0, 5, 1, 1}), nil, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -100}),
			"cross_entropy: target 5 is out of bounds for 5 classes (input [4, 5])"},
		{"ce ignore 0 is a class", ce(tensor.FromSlice([]int64{0, -100, 1, 1}), nil, tensor.CrossEntropyIndicesOptions{}),
			"cross_entropy: target -100 is out of bounds"},
		{"ce shape", ce(tensor.FromSlice([]int64{0, 1}), nil, tensor.CrossEntropyIndicesOptions{}),
			"cross_entropy: target of shape [2] does not match input [4, 5]; class indices need shape [4]"},
		{"ce dtype", ce(tensor.Zeros(4), nil, tensor.CrossEntropyIndicesOptions{}), "cross_entropy: target of shape [4] has dtype float32"},
		{"ce weight", ce(idx, tensor.Ones(4), tensor.CrossEntropyIndicesOptions{}), "cross_entropy: weight of shape [4] does not fit input with 5 classes"},
		{"ce smoothing", ce(idx, nil, tensor.CrossEntropyIndicesOptions{LabelSmoothing: -0.1}), "cross_entropy: label smoothing must be between 0.0 and 1.0"},
		{"ce reduction", ce(idx, nil, tensor.CrossEntropyIndicesOptions{Reduction: "avg"}), `cross_entropy: reduction "avg" is not valid; use "mean", "sum" or "none"`},
		{"ce nil target", ce(nil, nil, tensor.CrossEntropyIndicesOptions{}), "cross_entropy: target is nil"},
		{"nll scalar", func() { tensor.NLLLoss(tensor.Scalar(1), idx, nil, tensor.NLLLossOptions{}) }, "nll_loss: input must have a class dimension"},
		{"nll int input", func() { tensor.NLLLoss(idx, idx, nil, tensor.NLLLossOptions{}) }, "nll_loss: input of shape [4] has dtype int64"},
		{"bce range", func() { tensor.BinaryCrossEntropy(x, x, nil, "") }, "binary_cross_entropy: all elements of input (shape [4, 5]) should be between 0 and 1"},
		{"bce shape", func() { tensor.BinaryCrossEntropy(tensor.Rand(3), tensor.Rand(3, 1), nil, "") },
			"binary_cross_entropy: target of shape [3, 1] does not match input [3]"},
		{"bce weight", func() { tensor.BinaryCrossEntropy(tensor.Rand(3), tensor.Rand(3), tensor.Ones(2, 3), "") },
			"binary_cross_entropy: weight of shape [2, 3] does not broadcast to input [3]"},
		{"bce reduction", func() { tensor.BinaryCrossEntropy(tensor.Rand(3), tensor.Rand(3), nil, "batchmean") },
			`binary_cross_entropy: reduction "batchmean" is not valid`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want one containing %q", msg, c.want)
				}
			}()
			c.f()
		})
	}
}

// The fused class-index losses as ops: logits for 3 samples of 3 classes,
// the last target ignored, and the gradient, which is softmax minus one-hot
// divided by the 2 targets counted.
func ExampleCrossEntropyIndices() {
	logits := tensor.FromSlice([]float64{
		2, 0, 0,
		0, 1, 0,
		5, 5, 5,
	}, 3, 3).SetRequiresGrad(true)
	target := tensor.FromSlice([]int64{0, 1, -100})
	loss := tensor.CrossEntropyIndices(logits, target, nil, tensor.CrossEntropyIndicesOptions{IgnoreIndex: -100})
	loss.Backward()
	fmt.Printf("loss %.4f\n", loss.Item())
	fmt.Printf("grad %.4f\n", logits.Grad().ToFloat64s())

	// NLLLoss takes log-probabilities; the same loss, per sample.
	per := tensor.NLLLoss(logits.LogSoftmax(1), target, nil, tensor.NLLLossOptions{IgnoreIndex: -100, Reduction: "none"})
	fmt.Printf("per sample %.4f\n", per.ToFloat64s())

	// BinaryCrossEntropy takes probabilities.
	p := tensor.FromSlice([]float64{0.9, 0.2})
	y := tensor.FromSlice([]float64{1, 0})
	fmt.Printf("bce %.4f\n", tensor.BinaryCrossEntropy(p, y, nil, "sum").Item())
	// Output:
	// loss 0.3955
	// grad [-0.1065 0.0533 0.0533 0.1060 -0.2119 0.1060 0.0000 0.0000 0.0000]
	// per sample [0.2395 0.5514 0.0000]
	// bce 0.3285
}
