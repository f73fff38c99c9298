package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
	"github.com/x448/float16"
)

// This file holds the comparison and logical ops (which return bool
// tensors), Where, MaskedFill, and the Equal/IsClose/AllClose helpers.

// ewCmpFuncs holds one comparison kernel per compute dtype (bool operands
// compare as uint8, float16 as float32).
type ewCmpFuncs struct {
	f32 func(a, b float32) bool
	f64 func(a, b float64) bool
	i64 func(a, b int64) bool
	i32 func(a, b int32) bool
	i8  func(a, b int8) bool
	u8  func(a, b uint8) bool
}

func ewEqT[T number](a, b T) bool { return a == b }
func ewNeT[T number](a, b T) bool { return a != b }
func ewLtT[T number](a, b T) bool { return a < b }
func ewLeT[T number](a, b T) bool { return a <= b }
func ewGtT[T number](a, b T) bool { return a > b }
func ewGeT[T number](a, b T) bool { return a >= b }

var (
	ewEqFns = &ewCmpFuncs{ewEqT[float32], ewEqT[float64], ewEqT[int64], ewEqT[int32], ewEqT[int8], ewEqT[uint8]}
	ewNeFns = &ewCmpFuncs{ewNeT[float32], ewNeT[float64], ewNeT[int64], ewNeT[int32], ewNeT[int8], ewNeT[uint8]}
	ewLtFns = &ewCmpFuncs{ewLtT[float32], ewLtT[float64], ewLtT[int64], ewLtT[int32], ewLtT[int8], ewLtT[uint8]}
	ewLeFns = &ewCmpFuncs{ewLeT[float32], ewLeT[float64], ewLeT[int64], ewLeT[int32], ewLeT[int8], ewLeT[uint8]}
	ewGtFns = &ewCmpFuncs{ewGtT[float32], ewGtT[float64], ewGtT[int64], ewGtT[int32], ewGtT[int8], ewGtT[uint8]}
	ewGeFns = &ewCmpFuncs{ewGeT[float32], ewGeT[float64], ewGeT[int64], ewGeT[int32], ewGeT[int8], ewGeT[uint8]}
)

// ewCompare applies a comparison with broadcasting, in the promoted dtype of
// a and b, into a new bool tensor.
func ewCompare(op string, fs *ewCmpFuncs, a, b *Tensor) *Tensor {
	validNotNil2(op, a, b)
	shape := broadcastShapes(op, a, b)
	ct, _ := computeType(resultType(a, b), false)
	a, b = castTo(a, ct), castTo(b, ct)
	out := newTensor(Bool, shape)
	o, ov := out.st.data.([]bool), out.view()
	av, bv := broadcastView(a, shape), broadcastView(b, shape)
	switch ct {
	case Float32:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.f32)
	case Float64:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.f64)
	case Int64:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.i64)
	case Int32:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.i32)
	case Int8:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.i8)
	case Uint8:
		ewMapTo(shape, o, ov, a, av, b, bv, fs.u8)
	}
	return out
}

// ewMapTo maps a binary kernel whose result type differs from its operands'
// over strided operands.
func ewMapTo[T Elem, U any](shape []int, o []U, ov cpu.View, a *Tensor, av cpu.View, b *Tensor, bv cpu.View, f func(x, y T) U) {
	cpu.Map2(shape, o, ov, a.st.data.([]T), av, b.st.data.([]T), bv, f)
}

// Eq returns the bool tensor t == u, with broadcasting and type promotion
// (NaN equals nothing).
func (t *Tensor) Eq(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceEq(t, u)
	}
	return ewCompare("eq", ewEqFns, t, u)
}

// Ne returns t != u.
func (t *Tensor) Ne(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceNe(t, u)
	}
	return ewCompare("ne", ewNeFns, t, u)
}

// Lt returns t < u.
func (t *Tensor) Lt(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLt(t, u)
	}
	return ewCompare("lt", ewLtFns, t, u)
}

// Le returns t <= u.
func (t *Tensor) Le(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLe(t, u)
	}
	return ewCompare("le", ewLeFns, t, u)
}

// Gt returns t > u.
func (t *Tensor) Gt(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceGt(t, u)
	}
	return ewCompare("gt", ewGtFns, t, u)
}

// Ge returns t >= u.
func (t *Tensor) Ge(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceGe(t, u)
	}
	return ewCompare("ge", ewGeFns, t, u)
}

// EqScalar returns t == s. An integer tensor compared with a fractional s
// compares in the default float dtype, as PyTorch.
func (t *Tensor) EqScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceEqScalar(t, s)
	}
	return t.Eq(scalarFor(t, s))
}

// NeScalar returns t != s.
func (t *Tensor) NeScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceNeScalar(t, s)
	}
	return t.Ne(scalarFor(t, s))
}

// LtScalar returns t < s.
func (t *Tensor) LtScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceLtScalar(t, s)
	}
	return t.Lt(scalarFor(t, s))
}

// LeScalar returns t <= s.
func (t *Tensor) LeScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceLeScalar(t, s)
	}
	return t.Le(scalarFor(t, s))
}

// GtScalar returns t > s.
func (t *Tensor) GtScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceGtScalar(t, s)
	}
	return t.Gt(scalarFor(t, s))
}

// GeScalar returns t >= s.
func (t *Tensor) GeScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceGeScalar(t, s)
	}
	return t.Ge(scalarFor(t, s))
}

// ewLogical applies f to the truth values (nonzero, NaN included) of a and
// b with broadcasting.
func ewLogical(op string, f func(x, y bool) bool, a, b *Tensor) *Tensor {
	validNotNil2(op, a, b)
	shape := broadcastShapes(op, a, b)
	a, b = castTo(a, Bool), castTo(b, Bool)
	out := newTensor(Bool, shape)
	ewMapTo(shape, out.st.data.([]bool), out.view(), a, broadcastView(a, shape), b, broadcastView(b, shape), f)
	return out
}

// LogicalAnd returns the bool tensor "t and u", reading nonzero elements of
// any dtype as true, with broadcasting.
func (t *Tensor) LogicalAnd(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLogicalAnd(t, u)
	}
	return ewLogical("logical_and", func(x, y bool) bool { return x && y }, t, u)
}

// LogicalOr returns "t or u" as a bool tensor.
func (t *Tensor) LogicalOr(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLogicalOr(t, u)
	}
	return ewLogical("logical_or", func(x, y bool) bool { return x || y }, t, u)
}

// LogicalXor returns "t xor u" as a bool tensor.
func (t *Tensor) LogicalXor(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLogicalXor(t, u)
	}
	return ewLogical("logical_xor", func(x, y bool) bool { return x != y }, t, u)
}

// LogicalNot returns the bool tensor "not t" (true where t is zero).
func (t *Tensor) LogicalNot() *Tensor {
	if tracing.Load() && outermost() {
		return traceLogicalNot(t)
	}
	b := castTo(t, Bool)
	out := newTensor(Bool, t.shape)
	cpu.Map1(t.shape, out.st.data.([]bool), out.view(), b.st.data.([]bool), b.view(), func(x bool) bool { return !x })
	return out
}

// ewSelect returns cond ? x : y elementwise with broadcasting of all three,
// in the promoted dtype of x and y. It does not record autograd.
func ewSelect(op string, cond, x, y *Tensor) *Tensor {
	if cond.dtype != Bool {
		panicf(op, "expected a bool condition tensor, got %v", cond.dtype)
	}
	shape := broadcastShapes(op, cond, x, y)
	dt := resultType(x, y)
	x, y = castTo(x, dt), castTo(y, dt)
	out := newTensor(dt, shape)
	switch dt {
	case Float32:
		ewSelectK[float32](shape, out, cond, x, y)
	case Float64:
		ewSelectK[float64](shape, out, cond, x, y)
	case Int64:
		ewSelectK[int64](shape, out, cond, x, y)
	case Int32:
		ewSelectK[int32](shape, out, cond, x, y)
	case Int8:
		ewSelectK[int8](shape, out, cond, x, y)
	case Uint8:
		ewSelectK[uint8](shape, out, cond, x, y)
	case Bool:
		ewSelectK[bool](shape, out, cond, x, y)
	case Float16:
		ewSelectK[float16.Float16](shape, out, cond, x, y)
	}
	return out
}

func ewSelectK[T Elem](shape []int, out, c, x, y *Tensor) {
	cpu.Map3(shape, out.st.data.([]T), out.view(), c.st.data.([]bool), broadcastView(c, shape),
		x.st.data.([]T), broadcastView(x, shape), y.st.data.([]T), broadcastView(y, shape),
		func(c bool, a, b T) T {
			if c {
				return a
			}
			return b
		})
}

// Where returns x where cond is true and y elsewhere, broadcasting cond, x
// and y together; the result has the promoted dtype of x and y
// (torch.where). cond must be a bool tensor. It is differentiable in x and
// y.
func Where(cond, x, y *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceWhere(cond, x, y)
	}
	validNotNil("where", "condition", cond)
	validNotNil("where", "input", x)
	validNotNil("where", "other", y)
	out := ewSelect("where", cond, x, y)
	return record("where", out, []*Tensor{x, y}, func(g *Tensor) []*Tensor {
		zero := ewZero(g.dtype)
		var gx, gy *Tensor
		if x.requiresGrad {
			gx = sumToShape(Where(cond, g, zero), x.shape)
		}
		if y.requiresGrad {
			gy = sumToShape(Where(cond, zero, g), y.shape)
		}
		return []*Tensor{gx, gy}
	})
}

// ewFillValue returns value as a 0-d tensor of dtype dt, panicking when an
// integer dtype cannot hold it (see ewCheckFits). Fractions are truncated
// for integer dtypes.
func ewFillValue(op string, dt DType, value float64) *Tensor {
	ewCheckFits(op, dt, value)
	if dt.IsInt() {
		v := newTensor(Int64, nil)
		v.st.data.([]int64)[0] = int64(value)
		return castTo(v, dt)
	}
	v := newTensor(dt, nil)
	setF64(v.st.data, 0, value)
	return v
}

// MaskedFill returns a copy of t with value written where mask is true. mask
// must be a bool tensor; t and mask broadcast together (as PyTorch's
// out-of-place masked_fill). value is converted to t's dtype (truncated for
// integer tensors; a value an integer dtype cannot hold panics, except that
// whole values down to -255 wrap into uint8, as PyTorch allows). The
// gradient flows to t where mask is false.
func (t *Tensor) MaskedFill(mask *Tensor, value float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaskedFill(t, mask, value)
	}
	validNotNil("masked_fill", "input", t)
	validNotNil("masked_fill", "mask", mask)
	if mask.dtype != Bool {
		panicf("masked_fill", "expected a bool mask, got %v", mask.dtype)
	}
	broadcastShapes("masked_fill", t, mask)
	out := ewSelect("masked_fill", mask, ewFillValue("masked_fill", t.dtype, value), t)
	return record("masked_fill", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumToShape(Where(mask, ewZero(g.dtype), g), t.shape)}
	})
}

// MaskedFill_ writes value into t where mask (a bool tensor that broadcasts
// to t's shape) is true, in place, and returns t.
func (t *Tensor) MaskedFill_(mask *Tensor, value float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaskedFill_(t, mask, value)
	}
	validNotNil("masked_fill_", "input", t)
	validNotNil("masked_fill_", "mask", mask)
	checkInPlace("masked_fill_", t)
	if mask.dtype != Bool {
		panicf("masked_fill_", "expected a bool mask, got %v", mask.dtype)
	}
	if s, ok := BroadcastShapes(t.shape, mask.shape); !ok || !slices.Equal(s, t.shape) {
		panicf("masked_fill_", "mask of shape %v cannot be broadcast to %v", mask.shape, t.shape)
	}
	return t.Copy_(ewSelect("masked_fill_", mask, ewFillValue("masked_fill_", t.dtype, value), t))
}

// ewAll reports whether every element of a bool tensor is true.
func ewAll(b *Tensor) bool {
	for _, v := range b.Contiguous().Data().([]bool) {
		if !v {
			return false
		}
	}
	return true
}

// Equal reports whether a and b have the same shape and equal elements
// (compared after type promotion; NaN is not equal to NaN), as torch.equal.
func Equal(a, b *Tensor) bool {
	if tracing.Load() {
		defer traceRead("equal", a, b)()
	}
	validNotNil2("equal", a, b)
	if !slices.Equal(a.shape, b.shape) {
		return false
	}
	return ewAll(a.Eq(b))
}

// IsClose returns the bool tensor |a - b| <= atol + rtol*|b| (or a == b,
// which covers equal infinities), with broadcasting, as torch.isclose. NaNs
// are close to each other only when equalNaN is set. a and b must have the
// same dtype. Float32 and float16 inputs are compared in float32 arithmetic,
// others in float64 (integer differences are exact).
func IsClose(a, b *Tensor, rtol, atol float64, equalNaN bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceIsClose(a, b, rtol, atol, equalNaN)
	}
	return ewIsClose("isclose", a, b, rtol, atol, equalNaN)
}

// AllClose reports whether every element of a is close to b (IsClose with
// equalNaN false), as torch.allclose.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if tracing.Load() {
		defer traceRead("all_close", a, b)()
	}
	return ewAll(ewIsClose("allclose", a, b, rtol, atol, false))
}

func ewIsClose(op string, a, b *Tensor, rtol, atol float64, equalNaN bool) *Tensor {
	validNotNil2(op, a, b)
	if a.dtype != b.dtype {
		panicf(op, "dtype %v did not match %v", a.dtype, b.dtype)
	}
	if rtol < 0 || atol < 0 {
		panicf(op, "rtol (%v) and atol (%v) must be non-negative", rtol, atol)
	}
	shape := broadcastShapes(op, a, b)
	out := newTensor(Bool, shape)
	o, ov := out.st.data.([]bool), out.view()
	switch {
	case a.dtype == Float64:
		ewMapTo(shape, o, ov, a, broadcastView(a, shape), b, broadcastView(b, shape), ewCloseF(rtol, atol, equalNaN))
	case a.dtype.IsFloat():
		a, b = castTo(a, Float32), castTo(b, Float32)
		ewMapTo(shape, o, ov, a, broadcastView(a, shape), b, broadcastView(b, shape), ewCloseF[float32](float32(rtol), float32(atol), equalNaN))
	default:
		a, b = castTo(a, Int64), castTo(b, Int64)
		rt, at := rtol, atol
		ewMapTo(shape, o, ov, a, broadcastView(a, shape), b, broadcastView(b, shape), func(x, y int64) bool {
			d := x - y
			if d < 0 {
				d = -d
			}
			return x == y || float64(d) <= at+math.Abs(rt*float64(y))
		})
	}
	return out
}

func ewCloseF[T float32 | float64](rtol, atol T, equalNaN bool) func(x, y T) bool {
	return func(x, y T) bool {
		if x == y {
			return true
		}
		if x != x || y != y {
			return equalNaN && x != x && y != y
		}
		d := x - y
		if d < 0 {
			d = -d
		}
		ay := rtol * y
		if ay < 0 {
			ay = -ay
		}
		return !math.IsInf(float64(d), 0) && d <= atol+ay
	}
}
