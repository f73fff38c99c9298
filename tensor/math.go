package tensor

import (
	"math"

	"github.com/emberml/ember/accel/cpu"
)

// This file holds the elementwise math ops: unary functions (Exp, Log,
// Sqrt, ...), rounding, Clamp, and the binary Pow, Maximum, Minimum,
// Remainder and FloorDivide. Integer and bool inputs to floating-point math
// give the default float dtype; Abs, Sign, Clamp, Floor, Ceil, Round and
// Square keep integer dtypes, as in PyTorch.

// scalarFor returns a 0-d tensor holding s with the dtype PyTorch's type
// promotion gives a Python number in a binary op with t (result_type(t, s)):
// an integral s keeps t's dtype (int64 for a bool t), a fractional, infinite
// or NaN s gives the default float dtype unless t is floating point. An
// integral s that does not fit t's integer dtype wraps, as in PyTorch.
func scalarFor(t *Tensor, s float64) *Tensor {
	dt := t.dtype
	switch {
	case !ewIsIntegral(s) && !dt.IsFloat():
		dt = DefaultDType()
	case dt == Bool:
		dt = Int64
	}
	if dt.IsInt() {
		v := newTensor(Int64, nil)
		v.st.data.([]int64)[0] = int64(s)
		return castTo(v, dt)
	}
	out := newTensor(dt, nil)
	setF64(out.st.data, 0, s)
	return out
}

// ewIsIntegral reports whether s is a finite whole number (what a Python int
// scalar would be).
func ewIsIntegral(s float64) bool { return s == math.Trunc(s) && !math.IsInf(s, 0) }

// ewZero returns a 0-d zero of dtype dt.
func ewZero(dt DType) *Tensor { return newTensor(dt, nil) }

// ewFloatBin builds binFuncs for a float function computed in float64 (the
// float32 form rounds the result); integer inputs give the default float
// dtype.
func ewFloatBin(f func(a, b float64) float64) *binFuncs {
	return &binFuncs{
		f32:         func(a, b float32) float32 { return float32(f(float64(a), float64(b))) },
		f64:         f,
		floatResult: true,
	}
}

// ewBackward computes the gradient of an elementwise op. In a plain backward
// pass (grad mode off) it runs fused, one kernel over g and v (the op's input
// or output, whichever fused reads); when the backward pass is itself
// recorded (CreateGraph), it runs composite, built from differentiable ops,
// so that higher derivatives are right.
func ewBackward(op string, g, v *Tensor, fused func(g, v float64) float64, composite func() *Tensor) *Tensor {
	if ovhNeedGraph(g) {
		return composite()
	}
	return binary(op+"_backward", ewFloatBin(fused), g, v)
}

// ewUnary applies fs to x and records grad (which maps the output gradient
// and the output to the input gradient) when grad is not nil.
func ewUnary(op string, fs *unFuncs, x *Tensor, grad func(g, out *Tensor) *Tensor) *Tensor {
	out := unary(op, fs, x)
	if grad == nil {
		return out
	}
	return record(op, out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{grad(g, out)} })
}

// ewNoBool panics when t is a bool tensor, for ops PyTorch does not define
// on bools.
func ewNoBool(op string, t *Tensor) {
	if t.dtype == Bool {
		panicf(op, "not supported for bool tensors")
	}
}

// ewIdentity builds unFuncs whose integer kernels return their input (floor,
// ceil and round of an integer) and whose float kernels apply f.
func ewIdentity(f func(float64) float64) *unFuncs {
	return &unFuncs{
		f32: func(x float32) float32 { return float32(f(float64(x))) },
		f64: f,
		i64: func(x int64) int64 { return x },
		i32: func(x int32) int32 { return x },
		i8:  func(x int8) int8 { return x },
		u8:  func(x uint8) uint8 { return x },
	}
}

func ewAbsInt[T int64 | int32 | int8](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

func ewSquareT[T number](x T) T { return x * x }

const ewTwoOverSqrtPi = 2 / math.SqrtPi

var (
	ewExpFns        = floatUn(math.Exp)
	ewLogFns        = floatUn(math.Log)
	ewLog1pFns      = floatUn(math.Log1p)
	ewSqrtFns       = floatUn(math.Sqrt)
	ewRsqrtFns      = floatUn(func(x float64) float64 { return 1 / math.Sqrt(x) })
	ewSinFns        = floatUn(math.Sin)
	ewCosFns        = floatUn(math.Cos)
	ewTanhFns       = floatUn(math.Tanh)
	ewSigmoidFns    = floatUn(cpu.Sigmoid)
	ewErfFns        = floatUn(math.Erf)
	ewReciprocalFns = floatUn(func(x float64) float64 { return 1 / x })
	ewFloorFns      = ewIdentity(math.Floor)
	ewCeilFns       = ewIdentity(math.Ceil)
	ewRoundFns      = ewIdentity(math.RoundToEven)
	ewAbsFns        = &unFuncs{
		f32: func(x float32) float32 { return float32(math.Abs(float64(x))) },
		f64: math.Abs,
		i64: ewAbsInt[int64],
		i32: ewAbsInt[int32],
		i8:  ewAbsInt[int8],
		u8:  func(x uint8) uint8 { return x },
	}
	ewSignFns = &unFuncs{f32: cpu.Sign[float32], f64: cpu.Sign[float64], i64: cpu.Sign[int64],
		i32: cpu.Sign[int32], i8: cpu.Sign[int8], u8: cpu.Sign[uint8]}
	ewSquareFns = &unFuncs{f32: ewSquareT[float32], f64: ewSquareT[float64], i64: ewSquareT[int64],
		i32: ewSquareT[int32], i8: ewSquareT[int8], u8: ewSquareT[uint8]}
)

// Exp returns e**t elementwise.
func (t *Tensor) Exp() *Tensor {
	if tracing.Load() && outermost() {
		return traceExp(t)
	}
	return ewUnary("exp", ewExpFns, t, func(g, out *Tensor) *Tensor { return g.Mul(out) })
}

// Log returns the natural logarithm of t (NaN for negative values, -inf
// at 0).
func (t *Tensor) Log() *Tensor {
	if tracing.Load() && outermost() {
		return traceLog(t)
	}
	return ewUnary("log", ewLogFns, t, func(g, out *Tensor) *Tensor { return g.Div(t) })
}

// Log1p returns log(1 + t), accurate for small t.
func (t *Tensor) Log1p() *Tensor {
	if tracing.Load() && outermost() {
		return traceLog1p(t)
	}
	return ewUnary("log1p", ewLog1pFns, t, func(g, out *Tensor) *Tensor { return g.Div(t.AddScalar(1)) })
}

// Sqrt returns the square root of t (NaN for negative values).
func (t *Tensor) Sqrt() *Tensor {
	if tracing.Load() && outermost() {
		return traceSqrt(t)
	}
	return ewUnary("sqrt", ewSqrtFns, t, func(g, out *Tensor) *Tensor { return g.Div(out.MulScalar(2)) })
}

// Rsqrt returns 1/sqrt(t).
func (t *Tensor) Rsqrt() *Tensor {
	if tracing.Load() && outermost() {
		return traceRsqrt(t)
	}
	return ewUnary("rsqrt", ewRsqrtFns, t, func(g, out *Tensor) *Tensor {
		return ewBackward("rsqrt", g, out,
			func(g, y float64) float64 { return -0.5 * g * y * y * y },
			func() *Tensor { return g.Mul(out.Mul(out).Mul(out)).MulScalar(-0.5) })
	})
}

// Sin returns the sine of t (radians).
func (t *Tensor) Sin() *Tensor {
	if tracing.Load() && outermost() {
		return traceSin(t)
	}
	return ewUnary("sin", ewSinFns, t, func(g, out *Tensor) *Tensor { return g.Mul(t.Cos()) })
}

// Cos returns the cosine of t (radians).
func (t *Tensor) Cos() *Tensor {
	if tracing.Load() && outermost() {
		return traceCos(t)
	}
	return ewUnary("cos", ewCosFns, t, func(g, out *Tensor) *Tensor { return g.Mul(t.Sin()).Neg() })
}

// Tanh returns the hyperbolic tangent of t.
func (t *Tensor) Tanh() *Tensor {
	if tracing.Load() && outermost() {
		return traceTanh(t)
	}
	return ewUnary("tanh", ewTanhFns, t, func(g, out *Tensor) *Tensor {
		return ewBackward("tanh", g, out,
			func(g, y float64) float64 { return g * (1 - y*y) },
			func() *Tensor { return g.Mul(out.Mul(out).RSubScalar(1)) })
	})
}

// Sigmoid returns the logistic function 1/(1+exp(-t)).
func (t *Tensor) Sigmoid() *Tensor {
	if tracing.Load() && outermost() {
		return traceSigmoid(t)
	}
	return ewUnary("sigmoid", ewSigmoidFns, t, func(g, out *Tensor) *Tensor {
		return ewBackward("sigmoid", g, out,
			func(g, y float64) float64 { return g * y * (1 - y) },
			func() *Tensor { return g.Mul(out.Mul(out.RSubScalar(1))) })
	})
}

// Erf returns the error function of t.
func (t *Tensor) Erf() *Tensor {
	if tracing.Load() && outermost() {
		return traceErf(t)
	}
	return ewUnary("erf", ewErfFns, t, func(g, out *Tensor) *Tensor {
		return ewBackward("erf", g, t,
			func(g, x float64) float64 { return g * ewTwoOverSqrtPi * math.Exp(-x*x) },
			func() *Tensor { return g.Mul(t.Mul(t).Neg().Exp().MulScalar(ewTwoOverSqrtPi)) })
	})
}

// Reciprocal returns 1/t; integer inputs give the default float dtype.
func (t *Tensor) Reciprocal() *Tensor {
	if tracing.Load() && outermost() {
		return traceReciprocal(t)
	}
	return ewUnary("reciprocal", ewReciprocalFns, t, func(g, out *Tensor) *Tensor {
		return g.Mul(out.Mul(out)).Neg()
	})
}

// Square returns t*t. Integer tensors keep their dtype (wrapping on
// overflow); a bool tensor gives int64, as in PyTorch.
func (t *Tensor) Square() *Tensor {
	if tracing.Load() && outermost() {
		return traceSquare(t)
	}
	x := t
	if x.dtype == Bool {
		x = castTo(x, Int64)
	}
	out := unary("square", ewSquareFns, x)
	return record("square", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Mul(t).MulScalar(2)}
	})
}

// Abs returns |t|. Integer tensors keep their dtype; bool tensors are not
// supported (as in PyTorch). The gradient at 0 is 0.
func (t *Tensor) Abs() *Tensor {
	if tracing.Load() && outermost() {
		return traceAbs(t)
	}
	ewNoBool("abs", t)
	return ewUnary("abs", ewAbsFns, t, func(g, out *Tensor) *Tensor { return g.Mul(t.Sign()) })
}

// Sign returns -1, 0 or 1 according to the sign of each element, in t's
// dtype (a bool tensor is returned unchanged in value). Like PyTorch, the
// sign of NaN is 0. Its gradient is zero.
func (t *Tensor) Sign() *Tensor {
	if tracing.Load() && outermost() {
		return traceSign(t)
	}
	return ewUnary("sign", ewSignFns, t, ewZeroGrad)
}

// Floor rounds down to an integer value; integer tensors are returned
// unchanged in value. Its gradient is zero.
func (t *Tensor) Floor() *Tensor {
	if tracing.Load() && outermost() {
		return traceFloor(t)
	}
	ewNoBool("floor", t)
	return ewUnary("floor", ewFloorFns, t, ewZeroGrad)
}

// Ceil rounds up to an integer value. Its gradient is zero.
func (t *Tensor) Ceil() *Tensor {
	if tracing.Load() && outermost() {
		return traceCeil(t)
	}
	ewNoBool("ceil", t)
	return ewUnary("ceil", ewCeilFns, t, ewZeroGrad)
}

// Round rounds to the nearest integer value, halves to even (0.5 -> 0,
// 1.5 -> 2, -2.5 -> -2), as torch.round. Its gradient is zero.
func (t *Tensor) Round() *Tensor {
	if tracing.Load() && outermost() {
		return traceRound(t)
	}
	ewNoBool("round", t)
	return ewUnary("round", ewRoundFns, t, ewZeroGrad)
}

// ewZeroGrad is the backward of piecewise-constant ops: a zero gradient, as
// PyTorch gives.
func ewZeroGrad(g, _ *Tensor) *Tensor { return ZerosLike(g) }

// ewClampFns builds clamp kernels for optional scalar bounds. As in PyTorch
// 1.13, a NaN bound is ignored when it is the only bound and makes every
// result NaN when both are given. Integer kernels convert bounds through
// int64 (wrapping, as PyTorch casts a Python int); NaN inputs stay NaN.
func ewClampFns(lo, hi float64, hasLo, hasHi bool) *unFuncs {
	if hasLo && hasHi && (math.IsNaN(lo) || math.IsNaN(hi)) {
		nan := math.NaN()
		return &unFuncs{
			f32: func(float32) float32 { return float32(nan) },
			f64: func(float64) float64 { return nan },
		}
	}
	hasLo = hasLo && !math.IsNaN(lo)
	hasHi = hasHi && !math.IsNaN(hi)
	lo32, hi32 := float32(math.Inf(-1)), float32(math.Inf(1))
	if hasLo {
		lo32 = float32(lo)
	}
	if hasHi {
		hi32 = float32(hi)
	}
	return &unFuncs{
		vec: func(dst, src []float32) { cpu.VecClamp(dst, src, lo32, hi32) },
		f32: ewClampK(float32(lo), float32(hi), hasLo, hasHi),
		f64: ewClampK(lo, hi, hasLo, hasHi),
		i64: ewClampK(ewToInt[int64](lo), ewToInt[int64](hi), hasLo, hasHi),
		i32: ewClampK(ewToInt[int32](lo), ewToInt[int32](hi), hasLo, hasHi),
		i8:  ewClampK(ewToInt[int8](lo), ewToInt[int8](hi), hasLo, hasHi),
		u8:  ewClampK(ewToInt[uint8](lo), ewToInt[uint8](hi), hasLo, hasHi),
	}
}

// ewToInt converts v to an integer type through int64, wrapping like a C
// cast of an integer (v must be finite; NaN gives 0).
func ewToInt[T int64 | int32 | int8 | uint8](v float64) T {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return T(int64(v))
}

func ewClampK[T number](lo, hi T, hasLo, hasHi bool) func(T) T {
	switch {
	case hasLo && hasHi:
		return func(x T) T { return cpu.Clamp(x, lo, hi) }
	case hasLo:
		return func(x T) T {
			if x < lo {
				return lo
			}
			return x
		}
	case hasHi:
		return func(x T) T {
			if x > hi {
				return hi
			}
			return x
		}
	}
	return func(x T) T { return x }
}

// ewCheckFits panics when the scalar v cannot be converted to dtype dt
// without overflow, as PyTorch's checked scalar conversion: for integer
// dtypes v must be finite and within the type's range, except that a whole
// negative v down to -255 may wrap into uint8.
func ewCheckFits(op string, dt DType, v float64) {
	var lo, hi float64
	switch dt {
	case Int64:
		lo, hi = math.MinInt64, math.MaxInt64
	case Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case Uint8:
		lo, hi = 0, math.MaxUint8
		if ewIsIntegral(v) {
			lo = -math.MaxUint8
		}
	default:
		return
	}
	if math.IsNaN(v) || v < lo || v > hi {
		panicf(op, "value %v cannot be converted to type %v without overflow", v, dt)
	}
}

// Clamp limits every element to [lo, hi]: min(max(t, lo), hi), so when
// lo > hi every element becomes hi. A NaN in t stays NaN; as in PyTorch
// 1.13, a NaN bound makes every element NaN (ClampMin and ClampMax ignore a
// NaN bound), and the gradient is 0 wherever a comparison with a bound is
// false. An integer tensor
// with integral bounds keeps its dtype (a bound that does not fit panics);
// fractional bounds give the default float dtype, and a bool tensor gives
// int64 (PyTorch's type promotion). The gradient passes where lo <= t <= hi
// (bounds included).
func (t *Tensor) Clamp(lo, hi float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceClamp(t, lo, hi)
	}
	return t.ewClamp("clamp", lo, hi, true, true)
}

// ClampMin returns max(t, lo) (clamp with only a lower bound).
func (t *Tensor) ClampMin(lo float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceClampMin(t, lo)
	}
	return t.ewClamp("clamp_min", lo, 0, true, false)
}

// ClampMax returns min(t, hi) (clamp with only an upper bound).
func (t *Tensor) ClampMax(hi float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceClampMax(t, hi)
	}
	return t.ewClamp("clamp_max", 0, hi, false, true)
}

func (t *Tensor) ewClamp(op string, lo, hi float64, hasLo, hasHi bool) *Tensor {
	dt := t.dtype
	if hasLo {
		dt = PromoteTypes(dt, scalarFor(t, lo).dtype)
	}
	if hasHi {
		dt = PromoteTypes(dt, scalarFor(t, hi).dtype)
	}
	if hasLo {
		ewCheckFits(op, dt, lo)
	}
	if hasHi {
		ewCheckFits(op, dt, hi)
	}
	out := unary(op, ewClampFns(lo, hi, hasLo, hasHi), castTo(t, dt))
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		var in *Tensor
		switch {
		case hasLo && hasHi:
			in = t.GeScalar(lo).LogicalAnd(t.LeScalar(hi))
		case hasLo:
			in = t.GeScalar(lo)
		default:
			in = t.LeScalar(hi)
		}
		return []*Tensor{Where(in, g, ewZero(g.dtype))}
	})
}

// ClampTensor limits t elementwise to the tensor bounds lo and hi, either of
// which may be nil (not both), broadcasting all three, as torch.clamp with
// tensor min/max. A NaN in t or in a bound gives NaN. Gradients follow
// PyTorch: t gets it where lo <= t <= hi, lo where t < lo (and lo < hi), hi
// where t > hi or hi < lo.
func (t *Tensor) ClampTensor(lo, hi *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceClampTensor(t, lo, hi)
	}
	validNotNil("clamp", "input", t)
	if lo == nil && hi == nil {
		panicf("clamp", "at least one of min and max must be given")
	}
	ops := []*Tensor{t}
	if lo != nil {
		ops = append(ops, lo)
	}
	if hi != nil {
		ops = append(ops, hi)
	}
	broadcastShapes("clamp", ops...)
	out := t
	if lo != nil {
		out = binary("clamp", ewMaxFns, out, lo)
	}
	if hi != nil {
		out = binary("clamp", ewMinFns, out, hi)
	}
	return record("clamp", out, []*Tensor{t, lo, hi}, func(g *Tensor) []*Tensor {
		zero := ewZero(g.dtype)
		var inT, inLo, inHi *Tensor
		switch {
		case lo != nil && hi != nil:
			inT = t.Ge(lo).LogicalAnd(t.Le(hi))
			inLo = t.Lt(lo).LogicalAnd(lo.Lt(hi))
			inHi = t.Gt(hi).LogicalOr(hi.Lt(lo))
		case lo != nil:
			inT, inLo = t.Ge(lo), t.Lt(lo)
		default:
			inT, inHi = t.Le(hi), t.Gt(hi)
		}
		res := make([]*Tensor, 3)
		for i, p := range []struct{ in, mask *Tensor }{{t, inT}, {lo, inLo}, {hi, inHi}} {
			if p.in != nil && p.in.requiresGrad {
				res[i] = sumToShape(Where(p.mask, g, zero), p.in.shape)
			}
		}
		return res
	})
}

// Binary ops.

func ewMaxT[T number](a, b T) T { return max(a, b) }
func ewMinT[T number](a, b T) T { return min(a, b) }

func ewPowF[T float32 | float64](a, b T) T { return T(math.Pow(float64(a), float64(b))) }

var (
	ewMaxFns = numBin(ewMaxT[float32], ewMaxT[float64], ewMaxT[int64], ewMaxT[int32], ewMaxT[int8], ewMaxT[uint8])
	ewMinFns = numBin(ewMinT[float32], ewMinT[float64], ewMinT[int64], ewMinT[int32], ewMinT[int8], ewMinT[uint8])
	ewPowFns = numBin(ewPowF[float32], ewPowF[float64], cpu.PowInt[int64], cpu.PowInt[int32],
		cpu.PowInt[int8], cpu.PowInt[uint8])
	ewRemFns = numBin(cpu.RemainderFloat[float32], cpu.RemainderFloat[float64], cpu.RemainderInt[int64],
		cpu.RemainderInt[int32], cpu.RemainderInt[int8], cpu.RemainderInt[uint8])
	ewFDivFns = numBin(cpu.FloorDivideFloat[float32], cpu.FloorDivideFloat[float64], cpu.FloorDivideInt[int64],
		cpu.FloorDivideInt[int32], cpu.FloorDivideInt[int8], cpu.FloorDivideInt[uint8])
)

// Pow returns t**u elementwise with broadcasting and type promotion. Two
// integer tensors give an integer result (a negative exponent gives 0
// unless the base is ±1, as in PyTorch); bool**bool is not supported.
// Gradients follow PyTorch: 0 for t where u == 0, and 0 for u where t == 0
// and u >= 0.
func (t *Tensor) Pow(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return tracePow(t, u)
	}
	validNotNil2("pow", t, u)
	if PromoteTypes(t.dtype, u.dtype) == Bool {
		panicf("pow", "not supported for two bool tensors")
	}
	out := binary("pow", ewPowFns, t, u)
	return record("pow", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		zero := ewZero(g.dtype)
		var gt, gu *Tensor
		if t.requiresGrad {
			d := g.Mul(u.Mul(t.Pow(u.SubScalar(1))))
			gt = sumToShape(Where(u.EqScalar(0), zero, d), t.shape)
		}
		if u.requiresGrad {
			d := g.Mul(out.Mul(t.Log()))
			gu = sumToShape(Where(t.EqScalar(0).LogicalAnd(u.GeScalar(0)), zero, d), u.shape)
		}
		return []*Tensor{gt, gu}
	})
}

// PowScalar returns t**s. A whole s keeps an integer tensor's dtype (a
// negative one panics, as PyTorch's "Integers to negative integer powers are
// not allowed"); a fractional s gives the default float dtype. Like PyTorch,
// float32 and float64 results for s = 0.5, -0.5 and -1 come from Sqrt, Rsqrt
// and Reciprocal (so (-inf)**0.5 is NaN). The gradient is 0 when s == 0.
func (t *Tensor) PowScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return tracePowScalar(t, s)
	}
	if !t.dtype.IsFloat() && ewIsIntegral(s) && s < 0 {
		panicf("pow", "integers to negative integer powers are not allowed (%v ** %v)", t.dtype, s)
	}
	e := scalarFor(t, s)
	var out *Tensor
	if ct := PromoteTypes(t.dtype, e.dtype); ct == Float32 || ct == Float64 {
		switch s {
		case 0.5:
			out = unary("pow", ewSqrtFns, t)
		case -0.5:
			out = unary("pow", ewRsqrtFns, t)
		case -1:
			out = unary("pow", ewReciprocalFns, t)
		}
	}
	if out == nil {
		if t.dtype == Bool && e.dtype == Bool {
			e = castTo(e, Int64)
		}
		out = binary("pow", ewPowFns, t, e)
	}
	return record("pow", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		if s == 0 {
			return []*Tensor{ZerosLike(g)}
		}
		return []*Tensor{g.Mul(t.PowScalar(s - 1).MulScalar(s))}
	})
}

// RPowScalar returns s**t (torch.pow(s, t)).
func (t *Tensor) RPowScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceRPowScalar(t, s)
	}
	return scalarFor(t, s).Pow(t)
}

// Maximum returns the elementwise maximum of t and u with broadcasting and
// type promotion; NaN in either propagates. On ties the gradient is split
// equally between t and u, as in PyTorch.
func (t *Tensor) Maximum(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaximum(t, u)
	}
	validNotNil2("maximum", t, u)
	out := binary("maximum", ewMaxFns, t, u)
	return record("maximum", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor { return ewMinMaxGrad(g, t, u, true) })
}

// Minimum returns the elementwise minimum of t and u; see Maximum.
func (t *Tensor) Minimum(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMinimum(t, u)
	}
	validNotNil2("minimum", t, u)
	out := binary("minimum", ewMinFns, t, u)
	return record("minimum", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor { return ewMinMaxGrad(g, t, u, false) })
}

// ewMinMaxGrad is PyTorch's maximum/minimum backward: the loser of a
// comparison gets 0, each side of a tie g/2, and both get g where a NaN
// made the comparison false.
func ewMinMaxGrad(g, a, b *Tensor, isMax bool) []*Tensor {
	zero := ewZero(g.dtype)
	shared := Where(a.Eq(b), g.MulScalar(0.5), g)
	aLoses, bLoses := a.Lt(b), a.Gt(b)
	if !isMax {
		aLoses, bLoses = bLoses, aLoses
	}
	var ga, gb *Tensor
	if a.requiresGrad {
		ga = sumToShape(Where(aLoses, zero, shared), a.shape)
	}
	if b.requiresGrad {
		gb = sumToShape(Where(bLoses, zero, shared), b.shape)
	}
	return []*Tensor{ga, gb}
}

// ewCheckIntDivisor panics when an integer division would divide by zero.
func ewCheckIntDivisor(op string, t, u *Tensor) {
	dt := PromoteTypes(t.dtype, u.dtype)
	if dt == Bool {
		panicf(op, "not supported for bool tensors")
	}
	if dt.IsFloat() || t.Numel() == 0 {
		return
	}
	for _, v := range castTo(u, Int64).Contiguous().Data().([]int64) {
		if v == 0 {
			panicf(op, "ZeroDivisionError: integer division by zero")
		}
	}
}

// Remainder returns t mod u with the sign of u (Python's %, torch.remainder),
// with broadcasting. Integer division by zero panics.
func (t *Tensor) Remainder(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceRemainder(t, u)
	}
	validNotNil2("remainder", t, u)
	ewCheckIntDivisor("remainder", t, u)
	out := binary("remainder", ewRemFns, t, u)
	return record("remainder", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		var gt, gu *Tensor
		if t.requiresGrad {
			gt = sumToShape(g, t.shape)
		}
		if u.requiresGrad {
			// floor(t/u) is piecewise constant: no gradient flows through it.
			gu = sumToShape(g.Mul(binary("floor_divide", ewFDivFns, t, u)).Neg(), u.shape)
		}
		return []*Tensor{gt, gu}
	})
}

// RemainderScalar returns t mod s (sign of s).
func (t *Tensor) RemainderScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceRemainderScalar(t, s)
	}
	return t.Remainder(scalarFor(t, s))
}

// FloorDivide returns floor(t / u) with broadcasting (torch.floor_divide,
// which rounds down since PyTorch 1.13). Integer division by zero panics.
// Like PyTorch it has no derivative: a backward pass through it panics.
func (t *Tensor) FloorDivide(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceFloorDivide(t, u)
	}
	validNotNil2("floor_divide", t, u)
	ewCheckIntDivisor("floor_divide", t, u)
	out := binary("floor_divide", ewFDivFns, t, u)
	return record("floor_divide", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		panicf("floor_divide", "derivative is not implemented")
		return nil
	})
}

// FloorDivideScalar returns floor(t / s).
func (t *Tensor) FloorDivideScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceFloorDivideScalar(t, s)
	}
	return t.FloorDivide(scalarFor(t, s))
}
