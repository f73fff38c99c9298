package tensor_test

import (
	"math"
	"slices"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

type moreT = tensor.Tensor

// moreApply runs the op named op (one of more.json's op names) on x and
// returns its first output.
func moreApply(op string, x *moreT, a goldenAttrs) []*moreT {
	two := func(v, i *moreT) []*moreT { return []*moreT{v, i} }
	switch op {
	case "flip":
		return []*moreT{x.Flip(a.Ints("dims")...)}
	case "roll":
		return []*moreT{x.Roll(a.Ints("shifts"), a.Ints("dims"))}
	case "repeat":
		return []*moreT{x.Repeat(a.Ints("sizes")...)}
	case "tile":
		return []*moreT{x.Tile(a.Ints("dims")...)}
	case "repeat_interleave":
		return []*moreT{x.RepeatInterleave(a.Int("repeats"), a.Int("dim"))}
	case "cumsum":
		return []*moreT{x.Cumsum(a.Int("dim"))}
	case "cumprod":
		return []*moreT{x.Cumprod(a.Int("dim"))}
	case "diff":
		return []*moreT{x.Diff(a.Int("n"), a.Int("dim"))}
	case "sort":
		return two(x.Sort(a.Int("dim"), a.Bool("descending")))
	case "argsort":
		return []*moreT{x.Argsort(a.Int("dim"), a.Bool("descending"))}
	case "topk":
		k, largest := a.Int("k"), true
		if a.has("largest") {
			largest = a.Bool("largest")
		}
		return two(x.TopK(k, a.Int("dim"), largest, true))
	case "kthvalue":
		return two(x.Kthvalue(a.Int("k"), a.Int("dim"), a.Bool("keepdim")))
	case "kthvalue_values":
		v, _ := x.Kthvalue(a.Int("k"), a.Int("dim"), a.Bool("keepdim"))
		return []*moreT{v}
	case "any":
		return []*moreT{x.Any()}
	case "all":
		return []*moreT{x.All()}
	case "any_dim":
		return []*moreT{x.AnyDim(a.Int("dim"), a.Bool("keepdim"))}
	case "all_dim":
		return []*moreT{x.AllDim(a.Int("dim"), a.Bool("keepdim"))}
	case "count_nonzero":
		return []*moreT{x.CountNonzero(a.Ints("dims")...)}
	case "nonzero":
		return []*moreT{x.Nonzero()}
	case "diagonal":
		return []*moreT{x.Diagonal(a.Int("offset"), a.Int("dim1"), a.Int("dim2"))}
	case "diag":
		return []*moreT{x.Diag(a.Int("diagonal"))}
	case "trace":
		return []*moreT{x.Trace()}
	}
	panic("moreApply: unknown op " + op)
}

func moreUnary(op string) goldenOp {
	return func(in []*moreT, a goldenAttrs) []*moreT { return moreApply(op, in[0], a) }
}

var moreOps = map[string]goldenOp{
	"repeat_interleave_tensor": func(in []*moreT, a goldenAttrs) []*moreT {
		return []*moreT{in[0].RepeatInterleaveTensor(in[1], a.Int("dim"))}
	},
	"outer": func(in []*moreT, a goldenAttrs) []*moreT { return []*moreT{in[0].Outer(in[1])} },
	// grad: the gradient of op "of" at in[0] for the output gradient in[1].
	"grad": func(in []*moreT, a goldenAttrs) []*moreT {
		x := in[0].SetRequiresGrad(true)
		y := moreApply(a.String("of"), x, a)[0]
		y.BackwardWith(tensor.BackwardOptions{Grad: in[1]})
		return []*moreT{x.Grad()}
	},
}

func init() {
	for _, op := range []string{"flip", "roll", "repeat", "tile", "repeat_interleave", "cumsum", "cumprod",
		"diff", "sort", "argsort", "topk", "kthvalue", "kthvalue_values", "any", "all", "any_dim", "all_dim",
		"count_nonzero", "nonzero", "diagonal", "diag", "trace"} {
		moreOps[op] = moreUnary(op)
	}
}

func TestMoreGolden(t *testing.T) { runGolden(t, "more.json", moreOps, defaultTol) }

// moreDistinct returns a float64 tensor of the given shape whose values
// are distinct and at least 0.1 apart, in a shuffled order.
func moreDistinct(shape ...int) *moreT {
	n := 1
	for _, d := range shape {
		n *= d
	}
	perm := tensor.RandPerm(n).ToFloat64s()
	for i := range perm {
		perm[i] = perm[i]*0.37 - float64(n)*0.15
	}
	return tensor.FromSlice(perm, shape...)
}

func TestMoreGradients(t *testing.T) {
	tensor.ManualSeed(3)
	x := tensor.Randn(2, 3, 4)
	m := tensor.Randn(3, 4)
	type f = func(in ...*moreT) *moreT
	gradcheck(t, "flip", func(in ...*moreT) *moreT { return in[0].Flip(0, 2) }, x)
	gradcheck(t, "roll", func(in ...*moreT) *moreT { return in[0].Roll([]int{1, -5}, []int{0, 2}) }, x)
	gradcheck(t, "roll_flat", func(in ...*moreT) *moreT { return in[0].Roll([]int{7}, nil) }, x)
	gradcheck(t, "repeat", func(in ...*moreT) *moreT { return in[0].Repeat(2, 1, 3) }, m)
	gradcheck(t, "repeat_0d", func(in ...*moreT) *moreT { return in[0].Repeat(2, 3) }, tensor.Scalar(1.5))
	gradcheck(t, "repeat_0d_none", func(in ...*moreT) *moreT { return in[0].Repeat() }, tensor.Scalar(1.5))
	gradcheck(t, "roll_none", func(in ...*moreT) *moreT { return in[0].Roll([]int{4}, []int{1}) }, m)
	gradcheck(t, "tile", func(in ...*moreT) *moreT { return in[0].Tile(2) }, m)
	gradcheck(t, "repeat_interleave", func(in ...*moreT) *moreT { return in[0].RepeatInterleave(2, -1) }, x)
	gradcheck(t, "repeat_interleave_tensor", func(in ...*moreT) *moreT {
		return in[0].RepeatInterleaveTensor(tensor.FromSlice([]int64{0, 3, 1}), 0)
	}, m)
	for _, d := range []int{0, 1, -1} {
		gradcheck(t, "cumsum", func(in ...*moreT) *moreT { return in[0].Cumsum(d) }, x)
		gradcheck(t, "cumprod", func(in ...*moreT) *moreT { return in[0].Cumprod(d) }, x)
	}
	z := tensor.FromSlice([]float64{1.5, 0, 2, -1, 0.5, 0, 0, 3, 1, 2, 2, -0.5, 1, 3, 0}, 3, 5)
	gradcheck(t, "cumprod_zeros", func(in ...*moreT) *moreT { return in[0].Cumprod(1) }, z)
	gradcheck(t, "cumprod_zeros_dim0", func(in ...*moreT) *moreT { return in[0].Cumprod(0) }, z)
	gradcheck(t, "cumprod_0d", func(in ...*moreT) *moreT { return in[0].Cumprod(0) }, tensor.Scalar(0))
	gradcheck(t, "diff", func(in ...*moreT) *moreT { return in[0].Diff(2, 2) }, x)
	xs := moreDistinct(3, 6)
	for _, desc := range []bool{false, true} {
		gradcheck(t, "sort", func(in ...*moreT) *moreT { v, _ := in[0].Sort(1, desc); return v }, xs)
		gradcheck(t, "sort_dim0", func(in ...*moreT) *moreT { v, _ := in[0].Sort(0, desc); return v }, xs)
	}
	for _, k := range []int{1, 2, 6} {
		for _, largest := range []bool{true, false} {
			gradcheck(t, "topk", func(in ...*moreT) *moreT { v, _ := in[0].TopK(k, -1, largest, true); return v }, xs)
		}
	}
	gradcheck(t, "topk_heap", func(in ...*moreT) *moreT { v, _ := in[0].TopK(2, 1, true, true); return v }, moreDistinct(2, 30))
	gradcheck(t, "kthvalue", func(in ...*moreT) *moreT { v, _ := in[0].Kthvalue(4, 1, false); return v }, xs)
	gradcheck(t, "kthvalue_keep", func(in ...*moreT) *moreT { v, _ := in[0].Kthvalue(2, 0, true); return v }, xs)
	gradcheck(t, "sort_0d", func(in ...*moreT) *moreT { v, _ := in[0].Sort(0, false); return v }, tensor.Scalar(2))
	gradcheck(t, "kthvalue_0d", func(in ...*moreT) *moreT { v, _ := in[0].Kthvalue(1, 0, false); return v }, tensor.Scalar(2))
	for _, off := range []int{0, 1, -2} {
		gradcheck(t, "diagonal", func(in ...*moreT) *moreT { return in[0].Diagonal(off, 0, 1) }, m)
		gradcheck(t, "diag_mat", func(in ...*moreT) *moreT { return in[0].Diag(off) }, m)
		gradcheck(t, "diag_vec", func(in ...*moreT) *moreT { return in[0].Diag(off) }, tensor.Randn(3))
	}
	gradcheck(t, "diagonal_3d", func(in ...*moreT) *moreT { return in[0].Diagonal(1, 2, 0) }, x)
	gradcheck(t, "trace", func(in ...*moreT) *moreT { return in[0].Trace() }, m)
	var outer f = func(in ...*moreT) *moreT { return in[0].Outer(in[1]) }
	gradcheck(t, "outer", outer, tensor.Randn(3), tensor.Randn(4))
}

// moreGradgradcheck checks second derivatives: the gradient of f with
// respect to its first input, as a function of the inputs and of the
// output gradient, must itself pass gradcheck.
func moreGradgradcheck(t *testing.T, name string, f func(in ...*moreT) *moreT, inputs ...*moreT) {
	t.Helper()
	var out *moreT
	autograd.NoGrad(func() { out = f(inputs...) })
	v := tensor.Randn(out.Shape()...)
	all := append(slices.Clone(inputs), v)
	gradcheck(t, name+"/second_order", func(in ...*moreT) *moreT {
		var g *moreT
		autograd.EnableGrad(func() {
			y := f(in[:len(in)-1]...)
			g = autograd.Grad([]*moreT{y}, []*moreT{in[0]}, autograd.GradOptions{GradOutputs: []*moreT{in[len(in)-1]}, CreateGraph: true, AllowUnused: true})[0]
		})
		return g
	}, all...)
}

func TestMoreSecondOrder(t *testing.T) {
	tensor.ManualSeed(4)
	x := tensor.Randn(2, 3, 4)
	moreGradgradcheck(t, "flip", func(in ...*moreT) *moreT { return in[0].Flip(1).Mul(in[0]) }, x)
	moreGradgradcheck(t, "roll", func(in ...*moreT) *moreT { return in[0].Roll([]int{2}, []int{2}).Mul(in[0]) }, x)
	moreGradgradcheck(t, "repeat", func(in ...*moreT) *moreT { r := in[0].Repeat(2, 1, 1); return r.Mul(r) }, x)
	moreGradgradcheck(t, "repeat_interleave", func(in ...*moreT) *moreT { r := in[0].RepeatInterleave(2, 1); return r.Mul(r) }, x)
	moreGradgradcheck(t, "cumsum", func(in ...*moreT) *moreT { return in[0].Cumsum(1).Mul(in[0]) }, x)
	moreGradgradcheck(t, "cumprod", func(in ...*moreT) *moreT { return in[0].Cumprod(2) }, x)
	z := tensor.FromSlice([]float64{1.5, 0, 2, -1, 0.5, 0, 0, 3, 1, 2, 2, -0.5, 1, 3, 0}, 3, 5)
	moreGradgradcheck(t, "cumprod_zeros", func(in ...*moreT) *moreT { return in[0].Cumprod(1) }, z)
	moreGradgradcheck(t, "cumprod_zeros_dim0", func(in ...*moreT) *moreT { return in[0].Cumprod(0) }, z)
	xs := moreDistinct(3, 5)
	moreGradgradcheck(t, "sort", func(in ...*moreT) *moreT { v, _ := in[0].Sort(1, true); return v.Mul(v) }, xs)
	moreGradgradcheck(t, "topk", func(in ...*moreT) *moreT { v, _ := in[0].TopK(2, 0, false, true); return v.Mul(v) }, xs)
	moreGradgradcheck(t, "diagonal", func(in ...*moreT) *moreT { d := in[0].Diagonal(1, 1, 2); return d.Mul(d) }, x)
	moreGradgradcheck(t, "diag_vec", func(in ...*moreT) *moreT { d := in[0].Diag(-1); return d.Mul(d) }, tensor.Randn(3))
}

// TestMoreCumprodZeroPaths checks that the three ways Cumprod's gradient is
// computed agree: the O(n) kernel (first order), the differentiable O(n^2)
// composition (taken while a graph is recorded) for inputs with zeros, and
// the division formula, which holds without zeros.
func TestMoreCumprodZeroPaths(t *testing.T) {
	z := tensor.FromSlice([]float64{1.5, 0, 2, -1, 0.5, 0, 0, 3, 1, 2, 2, -0.5, 1, 3, 0, 4, 2, 0.5, 1, -2}, 4, 5)
	gout := tensor.Randn(4, 5).Double()
	for _, d := range []int{0, 1} {
		x := z.Clone().SetRequiresGrad(true)
		x.Cumprod(d).BackwardWith(tensor.BackwardOptions{Grad: gout})
		kernel := x.Grad()
		x2 := z.Clone().SetRequiresGrad(true)
		composed := autograd.Grad([]*moreT{x2.Cumprod(d)}, []*moreT{x2}, autograd.GradOptions{GradOutputs: []*moreT{gout}, CreateGraph: true})[0]
		if !tensor.AllClose(kernel, composed.Detach(), 1e-12, 1e-12) {
			t.Errorf("dim %d: kernel gradient %v, composed %v", d, kernel, composed)
		}
		// Brute force: d out[j] / d x[i] = prod_{m<=j, m!=i} x[m].
		want := moreCumprodGradRef(z, gout, d)
		if !tensor.AllClose(kernel, want, 1e-12, 1e-12) {
			t.Errorf("dim %d: kernel gradient %v, want %v", d, kernel, want)
		}
	}
}

func moreCumprodGradRef(x, g *moreT, d int) *moreT {
	if d == 0 {
		return moreCumprodGradRef(x.T().Contiguous(), g.T().Contiguous(), 1).T().Contiguous()
	}
	rows, n := x.Size(0), x.Size(1)
	xv, gv := x.ToFloat64s(), g.ToFloat64s()
	out := make([]float64, len(xv))
	for r := range rows {
		for i := range n {
			s := 0.0
			for j := i; j < n; j++ {
				p := 1.0
				for m := 0; m <= j; m++ {
					if m != i {
						p *= xv[r*n+m]
					}
				}
				s += gv[r*n+j] * p
			}
			out[r*n+i] = s
		}
	}
	return tensor.FromSlice(out, rows, n)
}

// TestMoreTopKTies checks TopK and Kthvalue on data full of ties and NaNs,
// on both kernel paths (heap selection for small k, sorting otherwise),
// against Sort: the same values and indices, indices that point at the
// values, and the lower position first among equal values.
func TestMoreTopKTies(t *testing.T) {
	tensor.ManualSeed(5)
	x := tensor.RandInt(-4, 4, 3, 50).Double()
	x.Set(math.NaN(), 0, 7)
	x.Set(math.NaN(), 0, 3)
	x.Set(math.NaN(), 2, 49)
	for _, largest := range []bool{true, false} {
		sv, si := x.Sort(1, largest)
		for _, k := range []int{1, 3, 12, 13, 50} {
			v, i := x.TopK(k, 1, largest, false)
			if !tensor.Equal(i, si.Narrow(1, 0, k)) {
				t.Errorf("topk k=%d largest=%v: indices %v, want %v", k, largest, i, si.Narrow(1, 0, k))
			}
			if !moreSameFloats(v, sv.Narrow(1, 0, k)) || !moreSameFloats(v, x.Gather(1, i)) {
				t.Errorf("topk k=%d largest=%v: values %v", k, largest, v)
			}
			if !largest {
				kv, ki := x.Kthvalue(k, 1, true)
				if !moreSameFloats(kv, sv.Narrow(1, k-1, 1)) || !tensor.Equal(ki, si.Narrow(1, k-1, 1)) {
					t.Errorf("kthvalue k=%d: %v %v", k, kv, ki)
				}
			}
		}
		// Stability: among equal values, positions ascend.
		vals, idx := sv.ToFloat64s(), si.ToInt64s()
		for r := range 3 {
			for j := 1; j < 50; j++ {
				a, b := r*50+j-1, r*50+j
				same := vals[a] == vals[b] || (math.IsNaN(vals[a]) && math.IsNaN(vals[b]))
				if same && idx[a] > idx[b] {
					t.Fatalf("sort (descending=%v) is not stable at row %d: %v", largest, r, si)
				}
			}
		}
	}
}

// moreSameFloats compares values, NaN equal to NaN.
func moreSameFloats(a, b *moreT) bool {
	if !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	av, bv := a.ToFloat64s(), b.ToFloat64s()
	for i := range av {
		if av[i] != bv[i] && !(math.IsNaN(av[i]) && math.IsNaN(bv[i])) {
			return false
		}
	}
	return true
}

// TestMoreLarge runs the kernels on inputs big enough to be split across
// goroutines and checks them against plain Go loops.
func TestMoreLarge(t *testing.T) {
	tensor.ManualSeed(6)
	const rows, n = 48, 1024
	x := tensor.Randn(rows, n)
	xv := x.ToFloat32s()
	v, idx := x.Sort(1, false)
	cs := x.Cumsum(1).ToFloat32s()
	sv, iv := v.ToFloat32s(), idx.ToInt64s()
	for r := range rows {
		row := slices.Clone(xv[r*n : (r+1)*n])
		slices.Sort(row)
		if !slices.Equal(row, sv[r*n:(r+1)*n]) {
			t.Fatalf("row %d not sorted", r)
		}
		acc := 0.0
		for j := range n {
			if xv[r*n+int(iv[r*n+j])] != sv[r*n+j] {
				t.Fatalf("row %d: index %d does not point at its value", r, j)
			}
			acc += float64(xv[r*n+j])
			if float32(acc) != cs[r*n+j] {
				t.Fatalf("cumsum row %d col %d: %v, want %v", r, j, cs[r*n+j], float32(acc))
			}
		}
	}
	// Along dim 0 (lines with a stride) the results match those of the
	// transposed copy.
	v0, i0 := x.Sort(0, true)
	v1, i1 := x.T().Contiguous().Sort(1, true)
	if !tensor.Equal(v0, v1.T()) || !tensor.Equal(i0, i1.T()) {
		t.Fatal("sort along dim 0 differs from sort of the transpose")
	}
	if !tensor.Equal(x.Cumprod(0), x.T().Contiguous().Cumprod(1).T()) {
		t.Fatal("cumprod along dim 0 differs from cumprod of the transpose")
	}
}

func TestMoreFloat16(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := tensor.FromSlice([]float32{1.5, negZero, 2, 0.5, -1, 3, 0.25, 1.5}, 2, 4)
	h := x.To(tensor.Float16)
	check := func(name string, got, want *moreT) {
		t.Helper()
		if got.DType() != want.DType() || !tensor.Equal(got.To(tensor.Float32), want.To(tensor.Float32)) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("cumsum", h.Cumsum(1), x.Cumsum(1).To(tensor.Float16))
	check("cumprod", h.Cumprod(1), x.Cumprod(1).To(tensor.Float16))
	hv, hi := h.Sort(1, true)
	xv, xi := x.Sort(1, true)
	check("sort", hv, xv.To(tensor.Float16))
	if !tensor.Equal(hi, xi) {
		t.Errorf("sort indices %v, want %v", hi, xi)
	}
	check("flip", h.Flip(1), x.Flip(1).To(tensor.Float16))
	// -0 is zero: row 0 holds a -0 and no other zero, row 1 no zero.
	if got := h.AllDim(1, false).ToBools(); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("all over float16: %v", got)
	}
	if got := h.CountNonzero().Item(); got != 7 {
		t.Errorf("count_nonzero over float16: %v, want 7", got)
	}
	if got := h.Nonzero().Shape(); !slices.Equal(got, []int{7, 2}) {
		t.Errorf("nonzero over float16: shape %v", got)
	}
	// Gradients flow to float16 leaves in float16.
	leaf := h.Clone().SetRequiresGrad(true)
	v, _ := leaf.TopK(2, 1, true, true)
	v.Sum().Backward()
	if leaf.Grad().DType() != tensor.Float16 || leaf.Grad().Sum().Item() != 4 {
		t.Errorf("topk float16 gradient %v", leaf.Grad())
	}
}

func TestMoreViewsAndGraph(t *testing.T) {
	m := tensor.Randn(3, 4)
	d := m.Diagonal(1, 0, 1)
	if !d.SharesStorage(m) {
		t.Error("Diagonal does not share storage")
	}
	d.Fill_(7)
	if m.At(0, 1) != 7 || m.At(2, 3) != 7 || m.At(0, 0) == 7 {
		t.Errorf("writing through the diagonal view: %v", m)
	}
	if m.Diag(0).SharesStorage(m) {
		t.Error("Diag of a matrix must copy")
	}
	// Integer and bool outputs are never recorded.
	x := tensor.Randn(2, 5).SetRequiresGrad(true)
	v, i := x.Sort(1, false)
	if !v.RequiresGrad() || v.GradFn() != "sort" || i.RequiresGrad() {
		t.Errorf("sort: values requires_grad=%v grad_fn=%q, indices requires_grad=%v", v.RequiresGrad(), v.GradFn(), i.RequiresGrad())
	}
	for name, out := range map[string]*moreT{
		"argsort": x.Argsort(1, false), "any": x.Any(), "all_dim": x.AllDim(0, false),
		"count_nonzero": x.CountNonzero(), "nonzero": x.Nonzero(),
	} {
		if out.RequiresGrad() {
			t.Errorf("%s output requires grad", name)
		}
	}
	for name, out := range map[string]*moreT{
		"flip": x.Flip(0), "roll": x.Roll([]int{1}, []int{1}), "repeat": x.Repeat(1, 2),
		"repeat_interleave": x.RepeatInterleave(2, 0), "cumsum": x.Cumsum(1), "cumprod": x.Cumprod(0),
		"diagonal": x.Diagonal(0, 0, 1), "trace": x.Narrow(1, 0, 2).Trace(), "outer": x.Select(0, 0).Outer(x.Select(0, 1)),
	} {
		if !out.RequiresGrad() {
			t.Errorf("%s output does not require grad", name)
		}
	}
	// Sort of an int tensor gives int values without a graph.
	iv, _ := tensor.FromSlice([]int32{3, 1, 2}).Sort(0, false)
	if iv.DType() != tensor.Int32 || !slices.Equal(iv.ToInt64s(), []int64{1, 2, 3}) {
		t.Errorf("int32 sort: %v", iv)
	}
}

func TestMorePanics(t *testing.T) {
	x := tensor.Randn(2, 3)
	mustPanic(t, "flip: dim 0 appears multiple times", func() { x.Flip(0, -2) })
	mustPanic(t, "flip: dimension 2 out of range", func() { x.Flip(2) })
	mustPanic(t, "roll: shifts and dimensions must align: 2 shifts and 1 dims", func() { x.Roll([]int{1, 2}, []int{0}) })
	mustPanic(t, "roll: shifts and dimensions must align: 2 shifts and no dims", func() { x.Roll([]int{1, 2}, nil) })
	mustPanic(t, "roll: dimension 5 out of range", func() { x.Roll([]int{1}, []int{5}) })
	mustPanic(t, "repeat: number of repeat dims (1) cannot be smaller", func() { x.Repeat(2) })
	mustPanic(t, "repeat: repeats cannot be negative", func() { x.Repeat(2, -1) })
	mustPanic(t, "repeat: repeats cannot be negative", func() { x.Tile(-1) })
	mustPanic(t, "repeat_interleave: repeats cannot be negative, got -1", func() { x.RepeatInterleave(-1, 0) })
	mustPanic(t, "repeat_interleave: dimension 0 out of range for a tensor of 0 dimensions", func() { tensor.Scalar(1).RepeatInterleave(2, 0) })
	mustPanic(t, "repeat_interleave: repeats must be an int64 or int32 tensor", func() { x.RepeatInterleaveTensor(tensor.Ones(3), 1) })
	mustPanic(t, "repeat_interleave: repeats of shape [2] must have one entry per element of dimension 1 of size 3", func() {
		x.RepeatInterleaveTensor(tensor.FromSlice([]int64{1, 2}), 1)
	})
	mustPanic(t, "repeat_interleave: repeats cannot be negative, got -2", func() {
		x.RepeatInterleaveTensor(tensor.FromSlice([]int64{1, -2, 1}), 1)
	})
	mustPanic(t, "cumsum: dimension 2 out of range", func() { x.Cumsum(2) })
	mustPanic(t, "cumprod: dimension -3 out of range", func() { x.Cumprod(-3) })
	mustPanic(t, "diff: expected a tensor of at least one dimension", func() { tensor.Scalar(1).Diff(1, 0) })
	mustPanic(t, "diff: order must be non-negative", func() { x.Diff(-1, 0) })
	mustPanic(t, "sort: dimension 2 out of range", func() { x.Sort(2, false) })
	mustPanic(t, "argsort: dimension -3 out of range", func() { x.Argsort(-3, false) })
	mustPanic(t, "topk: k (4) is out of range for dimension 1 of size 3", func() { x.TopK(4, 1, true, true) })
	mustPanic(t, "topk: k (-1) is out of range", func() { x.TopK(-1, 1, true, true) })
	mustPanic(t, "topk: k (2) is out of range for dimension 0 of size 1", func() { tensor.Scalar(1).TopK(2, 0, true, true) })
	mustPanic(t, "kthvalue: k (0) is out of range for dimension 1 of size 3", func() { x.Kthvalue(0, 1, false) })
	mustPanic(t, "kthvalue: k (3) is out of range for dimension 0 of size 2", func() { x.Kthvalue(3, 0, false) })
	mustPanic(t, "any: dimension 2 out of range", func() { x.AnyDim(2, false) })
	mustPanic(t, "all: dimension -3 out of range", func() { x.AllDim(-3, true) })
	mustPanic(t, "count_nonzero: dim 1 appears multiple times", func() { x.CountNonzero(1, -1) })
	mustPanic(t, "diagonal: diagonal dimensions cannot be identical 0, -2", func() { x.Diagonal(0, 0, -2) })
	mustPanic(t, "diagonal: expected a tensor of at least 2 dimensions, got shape [3]", func() { tensor.Randn(3).Diagonal(0, 0, 1) })
	mustPanic(t, "diagonal: dimension 2 out of range", func() { x.Diagonal(0, 0, 2) })
	mustPanic(t, "diag: expected a 1-D or 2-D tensor, got shape [2 3 1]", func() { x.Unsqueeze(2).Diag(0) })
	mustPanic(t, "trace: expected a 2-D tensor, got shape [3]", func() { tensor.Randn(3).Trace() })
	mustPanic(t, "outer: expected 1-D vectors, got shapes [2 3] and [3]", func() { x.Outer(tensor.Randn(3)) })
}
