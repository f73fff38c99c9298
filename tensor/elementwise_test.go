package tensor_test

import (
	"math"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

type ts = []*tensor.Tensor

func ewUn(f func(x *tensor.Tensor) *tensor.Tensor) goldenOp {
	return func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{f(in[0])} }
}

func ewBin(f func(x, y *tensor.Tensor) *tensor.Tensor) goldenOp {
	return func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{f(in[0], in[1])} }
}

func ewScalarOp(f func(x *tensor.Tensor, s float64) *tensor.Tensor) goldenOp {
	return func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{f(in[0], a.Float("s"))} }
}

func ewBoolResult(v bool) *tensor.Tensor { return tensor.FromSlice([]bool{v}).Reshape() }

var elementwiseOps = map[string]goldenOp{
	"exp":        ewUn((*tensor.Tensor).Exp),
	"log":        ewUn((*tensor.Tensor).Log),
	"log1p":      ewUn((*tensor.Tensor).Log1p),
	"sqrt":       ewUn((*tensor.Tensor).Sqrt),
	"rsqrt":      ewUn((*tensor.Tensor).Rsqrt),
	"abs":        ewUn((*tensor.Tensor).Abs),
	"sign":       ewUn((*tensor.Tensor).Sign),
	"floor":      ewUn((*tensor.Tensor).Floor),
	"ceil":       ewUn((*tensor.Tensor).Ceil),
	"round":      ewUn((*tensor.Tensor).Round),
	"sin":        ewUn((*tensor.Tensor).Sin),
	"cos":        ewUn((*tensor.Tensor).Cos),
	"tanh":       ewUn((*tensor.Tensor).Tanh),
	"sigmoid":    ewUn((*tensor.Tensor).Sigmoid),
	"erf":        ewUn((*tensor.Tensor).Erf),
	"reciprocal": ewUn((*tensor.Tensor).Reciprocal),
	"square":     ewUn((*tensor.Tensor).Square),
	"clamp": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		switch {
		case a.has("min") && a.has("max"):
			return ts{in[0].Clamp(a.Float("min"), a.Float("max"))}
		case a.has("min"):
			return ts{in[0].ClampMin(a.Float("min"))}
		}
		return ts{in[0].ClampMax(a.Float("max"))}
	},
	"clamp_tensor": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		var lo, hi *tensor.Tensor
		i := 1
		if a.Bool("has_min") {
			lo = in[i]
			i++
		}
		if a.Bool("has_max") {
			hi = in[i]
		}
		return ts{in[0].ClampTensor(lo, hi)}
	},
	"pow":                 ewBin((*tensor.Tensor).Pow),
	"maximum":             ewBin((*tensor.Tensor).Maximum),
	"minimum":             ewBin((*tensor.Tensor).Minimum),
	"remainder":           ewBin((*tensor.Tensor).Remainder),
	"floor_divide":        ewBin((*tensor.Tensor).FloorDivide),
	"pow_scalar":          ewScalarOp((*tensor.Tensor).PowScalar),
	"rpow_scalar":         ewScalarOp((*tensor.Tensor).RPowScalar),
	"remainder_scalar":    ewScalarOp((*tensor.Tensor).RemainderScalar),
	"floor_divide_scalar": ewScalarOp((*tensor.Tensor).FloorDivideScalar),
	"eq":                  ewBin((*tensor.Tensor).Eq),
	"ne":                  ewBin((*tensor.Tensor).Ne),
	"lt":                  ewBin((*tensor.Tensor).Lt),
	"le":                  ewBin((*tensor.Tensor).Le),
	"gt":                  ewBin((*tensor.Tensor).Gt),
	"ge":                  ewBin((*tensor.Tensor).Ge),
	"eq_scalar":           ewScalarOp((*tensor.Tensor).EqScalar),
	"ne_scalar":           ewScalarOp((*tensor.Tensor).NeScalar),
	"lt_scalar":           ewScalarOp((*tensor.Tensor).LtScalar),
	"le_scalar":           ewScalarOp((*tensor.Tensor).LeScalar),
	"gt_scalar":           ewScalarOp((*tensor.Tensor).GtScalar),
	"ge_scalar":           ewScalarOp((*tensor.Tensor).GeScalar),
	"logical_and":         ewBin((*tensor.Tensor).LogicalAnd),
	"logical_or":          ewBin((*tensor.Tensor).LogicalOr),
	"logical_xor":         ewBin((*tensor.Tensor).LogicalXor),
	"logical_not":         ewUn((*tensor.Tensor).LogicalNot),
	"where": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{tensor.Where(in[0], in[1], in[2])}
	},
	"masked_fill": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].MaskedFill(in[1], a.Float("value"))}
	},
	"isclose": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{tensor.IsClose(in[0], in[1], a.Float("rtol"), a.Float("atol"), a.Bool("equal_nan"))}
	},
	"allclose": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{ewBoolResult(tensor.AllClose(in[0], in[1], a.Float("rtol"), a.Float("atol")))}
	},
	"equal": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{ewBoolResult(tensor.Equal(in[0], in[1]))}
	},
	"relu":  ewUn((*tensor.Tensor).ReLU),
	"relu6": ewUn((*tensor.Tensor).ReLU6),
	"hardtanh": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].Hardtanh(a.Float("min"), a.Float("max"))}
	},
	"leaky_relu": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].LeakyReLU(a.Float("slope"))}
	},
	"elu": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor { return ts{in[0].ELU(a.Float("alpha"))} },
	"gelu": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].GELU(a.String("approximate"))}
	},
	"silu":        ewUn((*tensor.Tensor).SiLU),
	"hardswish":   ewUn((*tensor.Tensor).Hardswish),
	"hardsigmoid": ewUn((*tensor.Tensor).Hardsigmoid),
	"softplus": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		return ts{in[0].Softplus(a.Float("beta"), a.Float("threshold"))}
	},
	"mish": ewUn((*tensor.Tensor).Mish),
	"to": func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		dt, err := tensor.ParseDType(a.String("dtype"))
		if err != nil {
			panic(err)
		}
		return ts{in[0].To(dt)}
	},
}

func init() {
	// "grad" cases: run the forward op fn on the inputs (all but the last),
	// backpropagate the last input, and return the gradients of the
	// floating-point inputs.
	elementwiseOps["grad"] = func(in []*tensor.Tensor, a goldenAttrs) []*tensor.Tensor {
		xs := in[:len(in)-1]
		gy := in[len(in)-1]
		for _, x := range xs {
			if x.DType().IsFloat() {
				x.SetRequiresGrad(true)
			}
		}
		out := elementwiseOps[a.String("fn")](xs, a)[0]
		out.BackwardWith(tensor.BackwardOptions{Grad: gy})
		var grads ts
		for _, x := range xs {
			if x.DType().IsFloat() {
				g := x.Grad()
				if g == nil {
					g = tensor.ZerosLike(x)
				}
				grads = append(grads, g)
			}
		}
		return grads
	}
}

func TestElementwiseGolden(t *testing.T) {
	runGolden(t, "elementwise.json", elementwiseOps, defaultTol)
}

// ewVals returns float64 test points away from every kink of the ops under
// test (0, ±1, ±3, 6, the clamp bounds, and the jumps of floor/round).
func ewVals(shape ...int) *tensor.Tensor {
	v := []float64{-3.7, -2.2, -0.9, -0.35, 0.4, 0.8, 1.3, 2.6, 3.4, -1.6, 0.15, 4.3}
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.FromSlice(v[:n], shape...)
}

// ewPos returns positive test points.
func ewPos(shape ...int) *tensor.Tensor { return ewVals(shape...).Abs().AddScalar(0.2) }

type ewUnaryCase struct {
	name string
	f    func(x *tensor.Tensor) *tensor.Tensor
	pos  bool // needs positive inputs
	flat bool // zero gradient (no second-order check)
}

var ewUnaryCases = []ewUnaryCase{
	{"exp", (*tensor.Tensor).Exp, false, false},
	{"log", (*tensor.Tensor).Log, true, false},
	{"log1p", (*tensor.Tensor).Log1p, true, false},
	{"sqrt", (*tensor.Tensor).Sqrt, true, false},
	{"rsqrt", (*tensor.Tensor).Rsqrt, true, false},
	{"abs", (*tensor.Tensor).Abs, false, false},
	{"sign", (*tensor.Tensor).Sign, false, true},
	{"floor", (*tensor.Tensor).Floor, false, true},
	{"ceil", (*tensor.Tensor).Ceil, false, true},
	{"round", (*tensor.Tensor).Round, false, true},
	{"sin", (*tensor.Tensor).Sin, false, false},
	{"cos", (*tensor.Tensor).Cos, false, false},
	{"tanh", (*tensor.Tensor).Tanh, false, false},
	{"sigmoid", (*tensor.Tensor).Sigmoid, false, false},
	{"erf", (*tensor.Tensor).Erf, false, false},
	{"reciprocal", (*tensor.Tensor).Reciprocal, false, false},
	{"square", (*tensor.Tensor).Square, false, false},
	{"clamp", func(x *tensor.Tensor) *tensor.Tensor { return x.Clamp(-1, 2) }, false, false},
	{"clamp_min", func(x *tensor.Tensor) *tensor.Tensor { return x.ClampMin(-0.5) }, false, false},
	{"clamp_max", func(x *tensor.Tensor) *tensor.Tensor { return x.ClampMax(0.5) }, false, false},
	{"pow_scalar", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(2.5) }, true, false},
	{"pow_scalar_int", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(3) }, false, false},
	{"pow_scalar_neg", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(-1.5) }, true, false},
	{"pow_scalar_sqrt", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(0.5) }, true, false},
	{"pow_scalar_rsqrt", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(-0.5) }, true, false},
	{"pow_scalar_reciprocal", func(x *tensor.Tensor) *tensor.Tensor { return x.PowScalar(-1) }, true, false},
	{"rpow_scalar", func(x *tensor.Tensor) *tensor.Tensor { return x.RPowScalar(1.7) }, false, false},
	{"remainder_scalar", func(x *tensor.Tensor) *tensor.Tensor { return x.RemainderScalar(0.7) }, false, false},
	{"relu", (*tensor.Tensor).ReLU, false, false},
	{"relu6", func(x *tensor.Tensor) *tensor.Tensor { return x.MulScalar(2).ReLU6() }, false, false},
	{"hardtanh", func(x *tensor.Tensor) *tensor.Tensor { return x.Hardtanh(-2, 1) }, false, false},
	{"leaky_relu", func(x *tensor.Tensor) *tensor.Tensor { return x.LeakyReLU(0.1) }, false, false},
	{"elu", func(x *tensor.Tensor) *tensor.Tensor { return x.ELU(0.7) }, false, false},
	{"gelu", func(x *tensor.Tensor) *tensor.Tensor { return x.GELU("none") }, false, false},
	{"gelu_tanh", func(x *tensor.Tensor) *tensor.Tensor { return x.GELU("tanh") }, false, false},
	{"silu", (*tensor.Tensor).SiLU, false, false},
	{"hardswish", (*tensor.Tensor).Hardswish, false, false},
	{"hardsigmoid", (*tensor.Tensor).Hardsigmoid, false, false},
	{"softplus", func(x *tensor.Tensor) *tensor.Tensor { return x.Softplus(1, 20) }, false, false},
	{"softplus_threshold", func(x *tensor.Tensor) *tensor.Tensor { return x.Softplus(2, 4) }, false, false},
	{"mish", (*tensor.Tensor).Mish, false, false},
}

func TestElementwiseGradcheck(t *testing.T) {
	for _, c := range ewUnaryCases {
		x := ewVals(3, 4)
		if c.pos {
			x = ewPos(3, 4)
		}
		gradcheck(t, c.name, func(in ...*tensor.Tensor) *tensor.Tensor { return c.f(in[0]) }, x)
	}
	// Binary ops, with broadcasting.
	a, b := ewVals(2, 3), ewVals(3).MulScalar(0.9).AddScalar(0.05)
	gradcheck(t, "pow", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Pow(in[1]) }, ewPos(2, 3), b)
	gradcheck(t, "pow_int_exp", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Pow(in[1]) },
		a, tensor.FromSlice([]int64{0, 1, 3}))
	gradcheck(t, "maximum", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Maximum(in[1]) }, a, b)
	gradcheck(t, "minimum", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Minimum(in[1]) }, a, b)
	gradcheck(t, "remainder", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].Remainder(in[1]) },
		a, tensor.FromSlice([]float64{0.7, -1.3, 1.9}))
	lo, hi := ewVals(3).MulScalar(0.3).SubScalar(1.2), ewVals(2, 1).Abs().AddScalar(0.25)
	gradcheck(t, "clamp_tensor", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ClampTensor(in[1], in[2]) }, a, lo, hi)
	gradcheck(t, "clamp_tensor_lo_gt_hi", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ClampTensor(in[1], in[2]) },
		a, hi.AddScalar(0.5).Reshape(2, 1), lo)
	gradcheck(t, "clamp_tensor_min", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ClampTensor(in[1], nil) }, a, lo)
	gradcheck(t, "clamp_tensor_max", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].ClampTensor(nil, in[1]) }, a, hi)
	cond := tensor.FromSlice([]bool{true, false, true, false, false, true}, 2, 3)
	gradcheck(t, "where", func(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Where(in[0], in[1], in[2]) },
		cond, ewVals(1, 3), ewVals(2, 1))
	gradcheck(t, "masked_fill", func(in ...*tensor.Tensor) *tensor.Tensor { return in[0].MaskedFill(in[1], 3) },
		ewVals(3), cond)
	gradcheck(t, "ops_chain", func(in ...*tensor.Tensor) *tensor.Tensor {
		return in[0].Tanh().Mul(in[1].Sigmoid()).Add(in[0].Square().Sqrt()).GELU("tanh").Softplus(1, 20)
	}, a, b)
}

// ewSecondOrder checks the differentiable (CreateGraph) backward of f: its
// first derivative must equal the fused one, and gradcheck must pass on
// h(x, w) = d(f(x)·w)/dx in both x and w.
func ewSecondOrder(t *testing.T, name string, f func(x *tensor.Tensor) *tensor.Tensor, x *tensor.Tensor) {
	t.Helper()
	w := ewVals(f(x.Double()).Shape()...).MulScalar(0.5).AddScalar(0.3)
	grad := func(x, w *tensor.Tensor, create bool) *tensor.Tensor {
		var g *tensor.Tensor
		autograd.EnableGrad(func() {
			y := f(x)
			g = autograd.Grad(ts{y}, ts{x}, autograd.GradOptions{GradOutputs: ts{w}, CreateGraph: create})[0]
		})
		return g
	}
	xd := x.Double().Detach().Clone().SetRequiresGrad(true)
	fused, composite := grad(xd, w, false), grad(xd, w, true)
	if !tensor.AllClose(fused, composite.Detach(), 1e-10, 1e-12) {
		t.Errorf("%s: CreateGraph backward %v differs from plain backward %v", name, composite.ToFloat64s(), fused.ToFloat64s())
	}
	gradcheck(t, name+"/second_order", func(in ...*tensor.Tensor) *tensor.Tensor { return grad(in[0], in[1], true) }, x, w)
}

func TestElementwiseSecondOrder(t *testing.T) {
	for _, c := range ewUnaryCases {
		if c.flat {
			continue
		}
		x := ewVals(3, 4)
		if c.pos {
			x = ewPos(3, 4)
		}
		ewSecondOrder(t, c.name, c.f, x)
	}
	b := ewVals(3).MulScalar(0.9).AddScalar(0.05)
	ewSecondOrder(t, "pow_base", func(x *tensor.Tensor) *tensor.Tensor { return x.Pow(b) }, ewPos(2, 3))
	ewSecondOrder(t, "pow_exp", func(x *tensor.Tensor) *tensor.Tensor { return ewPos(2, 3).Double().Pow(x) }, b)
	ewSecondOrder(t, "maximum", func(x *tensor.Tensor) *tensor.Tensor { return x.Maximum(b.Double()) }, ewVals(2, 3))
	cond := tensor.FromSlice([]bool{true, false, true})
	ewSecondOrder(t, "where", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Where(cond, x.Square(), x.Exp()) }, ewVals(2, 3))
}

// TestElementwiseTieGradients checks PyTorch's conventions where the
// golden gradients do not reach: ties of maximum/minimum split the gradient
// equally (also through broadcasting).
func TestElementwiseTieGradients(t *testing.T) {
	a := tensor.FromSlice([]float64{1, 2, 3}).SetRequiresGrad(true)
	b := tensor.FromSlice([]float64{2}).SetRequiresGrad(true)
	a.Maximum(b).Sum().Backward()
	if got := a.Grad().ToFloat64s(); got[0] != 0 || got[1] != 0.5 || got[2] != 1 {
		t.Errorf("maximum grad of a = %v, want [0 0.5 1]", got)
	}
	if got := b.Grad().ToFloat64s(); got[0] != 1.5 {
		t.Errorf("maximum grad of broadcast b = %v, want [1.5]", got)
	}
}

func TestElementwiseDTypes(t *testing.T) {
	i := tensor.FromSlice([]int64{-2, 0, 3})
	for name, c := range map[string]struct {
		got  *tensor.Tensor
		want tensor.DType
	}{
		"exp int":              {i.Exp(), tensor.Float32},
		"abs int":              {i.Abs(), tensor.Int64},
		"clamp int":            {i.Clamp(-1, 1), tensor.Int64},
		"clamp int frac":       {i.Clamp(-1, 1.5), tensor.Float32},
		"pow int int":          {i.PowScalar(2), tensor.Int64},
		"pow int frac":         {i.PowScalar(0.5), tensor.Float32},
		"rpow":                 {i.RPowScalar(2), tensor.Int64},
		"gt":                   {i.GtScalar(0.5), tensor.Bool},
		"where int f64":        {tensor.Where(i.GtScalar(0), i, tensor.FromSlice([]float64{1})), tensor.Float64},
		"maximum f16 f32":      {i.To(tensor.Float16).Maximum(i.Float()), tensor.Float32},
		"square bool":          {i.GtScalar(0).Square(), tensor.Int64},
		"relu int32":           {i.To(tensor.Int32).ReLU(), tensor.Int32},
		"sigmoid f16":          {i.To(tensor.Float16).Sigmoid(), tensor.Float16},
		"logical_not f64":      {i.Double().LogicalNot(), tensor.Bool},
		"remainder u8 i8":      {i.To(tensor.Uint8).ClampMin(1).Remainder(tensor.FromSlice([]int8{3})), tensor.Int32},
		"floor_divide i32 f16": {i.To(tensor.Int32).FloorDivide(tensor.FromSlice([]float32{2}).To(tensor.Float16)), tensor.Float16},
	} {
		if c.got.DType() != c.want {
			t.Errorf("%s: dtype %v, want %v", name, c.got.DType(), c.want)
		}
	}
	restore := tensor.DefaultDType()
	tensor.SetDefaultDType(tensor.Float64)
	defer tensor.SetDefaultDType(restore)
	if dt := i.Sqrt().DType(); dt != tensor.Float64 {
		t.Errorf("sqrt of int64 with default float64: %v", dt)
	}
}

func TestElementwiseNoGradThroughComparisons(t *testing.T) {
	x := ewVals(2, 3).SetRequiresGrad(true)
	for name, y := range map[string]*tensor.Tensor{
		"gt": x.GtScalar(0), "eq": x.Eq(x), "logical_and": x.LogicalAnd(x), "logical_not": x.LogicalNot(),
		"isclose": tensor.IsClose(x, x, 0, 0, false),
	} {
		if y.RequiresGrad() || y.DType() != tensor.Bool {
			t.Errorf("%s: requires grad %v, dtype %v", name, y.RequiresGrad(), y.DType())
		}
	}
	if !x.Exp().RequiresGrad() || x.Detach().Exp().RequiresGrad() {
		t.Error("exp does not track grad as expected")
	}
}

func TestElementwiseMaskedFillInPlace(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	v := x.Slice(1, 0, 3, 2) // non-contiguous [[1 3] [4 6]]
	v.MaskedFill_(tensor.FromSlice([]bool{false, true}), -1)
	want := []float32{1, 2, -1, 4, 5, -1}
	for i, g := range x.ToFloat32s() {
		if g != want[i] {
			t.Fatalf("masked_fill_ through a view: %v, want %v", x.ToFloat32s(), want)
		}
	}
	mustPanic(t, "masked_fill_: mask of shape [3 1] cannot be broadcast to [2 3]", func() {
		x.MaskedFill_(tensor.FromSlice([]bool{true, false, true}, 3, 1), 0)
	})
	mustPanic(t, "masked_fill_: in-place operation", func() {
		tensor.Zeros(3).SetRequiresGrad(true).MaskedFill_(tensor.FromSlice([]bool{true, false, true}), 0)
	})
}

func TestElementwisePanics(t *testing.T) {
	f := tensor.Zeros(2, 3)
	i := tensor.FromSlice([]int64{1, 0, 2})
	b := tensor.FromSlice([]bool{true, false, true})
	for want, fn := range map[string]func(){
		"pow: not supported for two bool tensors":                   func() { b.Pow(b) },
		"pow: integers to negative integer powers are not allowed":  func() { i.PowScalar(-1) },
		"pow: shapes [2 3] and [2] cannot be broadcast":             func() { f.Pow(tensor.Zeros(2)) },
		"remainder: ZeroDivisionError":                              func() { i.Remainder(i) },
		"remainder: not supported for bool tensors":                 func() { b.Remainder(b) },
		"floor_divide: ZeroDivisionError":                           func() { i.AddScalar(1).FloorDivideScalar(0) },
		"floor_divide: not supported for bool tensors":              func() { b.FloorDivide(b) },
		"maximum: shapes [2 3] and [4] cannot be broadcast":         func() { f.Maximum(tensor.Zeros(4)) },
		"abs: not supported for bool tensors":                       func() { b.Abs() },
		"floor: not supported for bool tensors":                     func() { b.Floor() },
		"round: not supported for bool tensors":                     func() { b.Round() },
		"relu: bool inputs not supported":                           func() { b.ReLU() },
		"relu6: bool inputs not supported":                          func() { b.ReLU6() },
		"hardtanh: bool inputs not supported":                       func() { b.Hardtanh(-1, 1) },
		"leaky_relu: not supported for dtype int64":                 func() { i.LeakyReLU(0.1) },
		"elu: not supported for dtype int64":                        func() { i.ELU(1) },
		"gelu: not supported for dtype bool":                        func() { b.GELU("none") },
		"silu: not supported for dtype uint8":                       func() { i.To(tensor.Uint8).SiLU() },
		"softplus: not supported for dtype int32":                   func() { i.To(tensor.Int32).Softplus(1, 20) },
		"mish: not supported for dtype int8":                        func() { i.To(tensor.Int8).Mish() },
		"hardswish: not supported for dtype int64":                  func() { i.Hardswish() },
		"hardsigmoid: not supported for dtype int64":                func() { i.Hardsigmoid() },
		`gelu: approximate must be "none" or "tanh", got "erf"`:     func() { f.GELU("erf") },
		"clamp: at least one of min and max must be given":          func() { f.ClampTensor(nil, nil) },
		"clamp: shapes [2 3] and [4] cannot be broadcast":           func() { f.ClampTensor(tensor.Zeros(4), nil) },
		"eq: shapes [2 3] and [2] cannot be broadcast":              func() { f.Eq(tensor.Zeros(2)) },
		"ge: shapes [2 3] and [2] cannot be broadcast":              func() { f.Ge(tensor.Zeros(2)) },
		"logical_or: shapes [3] and [2] cannot be broadcast":        func() { b.LogicalOr(tensor.Zeros(2)) },
		"where: expected a bool condition tensor, got int64":        func() { tensor.Where(i, f, f) },
		"where: shapes [[3] [2 3] [2 2]] cannot be broadcast":       func() { tensor.Where(b, f, tensor.Zeros(2, 2)) },
		"masked_fill: expected a bool mask, got float32":            func() { f.MaskedFill(f, 1) },
		"masked_fill: shapes [3 2] and [2 1] cannot be broadcast":   func() { tensor.Zeros(3, 2).MaskedFill(tensor.FromSlice([]bool{true, false}, 2, 1), 1) },
		"masked_fill: value NaN cannot be converted to type int64":  func() { i.MaskedFill(b, math.NaN()) },
		"masked_fill: value 300 cannot be converted to type int8":   func() { i.To(tensor.Int8).MaskedFill(b, 300) },
		"masked_fill: value -256 cannot be converted to type uint8": func() { i.To(tensor.Uint8).MaskedFill(b, -256) },
		"masked_fill: value -0.5 cannot be converted to type uint8": func() { i.To(tensor.Uint8).MaskedFill(b, -0.5) },
		"masked_fill: value 127.5 cannot be converted to type int8": func() { i.To(tensor.Int8).MaskedFill(b, 127.5) },
		"clamp_max: value 300 cannot be converted to type uint8":    func() { i.To(tensor.Uint8).ClampMax(300) },
		"clamp: value -129 cannot be converted to type int8":        func() { i.To(tensor.Int8).Clamp(-129, 0) },
		"hardtanh: value -300 cannot be converted to type int8":     func() { i.To(tensor.Int8).Hardtanh(-300, 300) },
		"isclose: dtype int64 did not match float32":                func() { tensor.IsClose(i, f, 0, 0, false) },
		"allclose: dtype float32 did not match float64":             func() { tensor.AllClose(f, f.Double(), 0, 0) },
		"allclose: shapes [2 3] and [2] cannot be broadcast":        func() { tensor.AllClose(f, tensor.Zeros(2), 0, 0) },
		"sub: subtraction of two bool tensors is not supported":     func() { b.Sub(b) },
	} {
		if fn == nil {
			continue
		}
		mustPanic(t, want, fn)
	}
	x := tensor.FromSlice([]float64{1, 2}).SetRequiresGrad(true)
	y := x.FloorDivideScalar(0.7)
	mustPanic(t, "floor_divide: derivative is not implemented", func() { y.Sum().Backward() })
}

func TestElementwiseHelpers(t *testing.T) {
	x := ewVals(2, 3).Float()
	if !tensor.Equal(x, x.Contiguous().T().T()) || tensor.Equal(x, x.Reshape(3, 2)) {
		t.Error("Equal is wrong on same values / different shapes")
	}
	if !tensor.AllClose(x, x.AddScalar(1e-7), 1e-5, 1e-8) || tensor.AllClose(x, x.AddScalar(1e-3), 1e-5, 1e-8) {
		t.Error("AllClose is wrong")
	}
	// Where and MaskedFill return new storage.
	c := x.GtScalar(0)
	if w := tensor.Where(c, x, x); w.SharesStorage(x) {
		t.Error("where aliases its input")
	}
	if m := x.MaskedFill(c.LogicalNot(), 0); m.SharesStorage(x) || !tensor.Equal(m, x.ReLU()) {
		t.Errorf("masked_fill: %v vs relu %v", x.MaskedFill(c.LogicalNot(), 0).ToFloat32s(), x.ReLU().ToFloat32s())
	}
}
