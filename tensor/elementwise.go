package tensor

import (
	"github.com/emberml/ember/accel/cpu"
	"slices"
)

// binFuncs holds one binary kernel per compute dtype; nil means the op does
// not support that dtype. Bool and float16 operands are computed as uint8
// and float32 and converted back.
type binFuncs struct {
	f32 func(a, b float32) float32
	f64 func(a, b float64) float64
	i64 func(a, b int64) int64
	i32 func(a, b int32) int32
	i8  func(a, b int8) int8
	u8  func(a, b uint8) uint8
	// floatResult makes integer inputs compute in the default float dtype
	// (true division, pow with a float exponent).
	floatResult bool
	// vecOp, when set, computes float32 with cpu.BinaryF32 (the same bits
	// as f32, on the Vec kernels).
	vecOp cpu.BinOp
}

// numBin builds binFuncs from one generic function instantiated per type.
func numBin(f32 func(a, b float32) float32, f64 func(a, b float64) float64, i64 func(a, b int64) int64, i32 func(a, b int32) int32, i8 func(a, b int8) int8, u8 func(a, b uint8) uint8) *binFuncs {
	return &binFuncs{f32: f32, f64: f64, i64: i64, i32: i32, i8: i8, u8: u8}
}

// computeType returns the dtype an op computes in and the dtype of its
// result for inputs of dtype dt.
func computeType(dt DType, floatResult bool) (compute, result DType) {
	result = dt
	if floatResult && !dt.IsFloat() {
		result = DefaultDType()
	}
	compute = result
	switch compute {
	case Float16:
		compute = Float32
	case Bool:
		compute = Uint8
	}
	return compute, result
}

// castTo converts t to dt without recording autograd.
func castTo(t *Tensor, dt DType) *Tensor {
	if t.dtype == dt {
		return t
	}
	out := newTensor(dt, t.shape)
	copyStrided(out, t)
	return out
}

// binary applies fs to a and b with broadcasting and type promotion. It does
// not record autograd; callers do.
func binary(op string, fs *binFuncs, a, b *Tensor) *Tensor {
	validNotNil2(op, a, b)
	shape := broadcastShapes(op, a, b)
	ct, rt := computeType(resultType(a, b), fs.floatResult)
	a, b = castTo(a, ct), castTo(b, ct)
	out := newTensor(ct, shape)
	ov, av, bv := out.view(), broadcastView(a, shape), broadcastView(b, shape)
	if ct == Float32 && fs.vecOp != 0 {
		cpu.BinaryF32(fs.vecOp, shape, out.st.data.([]float32), ov, a.st.data.([]float32), av, b.st.data.([]float32), bv)
		return castTo(out, rt)
	}
	ok := true
	switch ct {
	case Float32:
		ok = fs.f32 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.f32)
	case Float64:
		ok = fs.f64 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.f64)
	case Int64:
		ok = fs.i64 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.i64)
	case Int32:
		ok = fs.i32 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.i32)
	case Int8:
		ok = fs.i8 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.i8)
	case Uint8:
		ok = fs.u8 != nil && mapBin(shape, out, ov, a, av, b, bv, fs.u8)
	}
	if !ok {
		panicf(op, "not supported for dtype %v", rt)
	}
	return castTo(out, rt)
}

func mapBin[T number](shape []int, out *Tensor, ov cpu.View, a *Tensor, av cpu.View, b *Tensor, bv cpu.View, f func(x, y T) T) bool {
	cpu.Map2(shape, out.st.data.([]T), ov, a.st.data.([]T), av, b.st.data.([]T), bv, f)
	return true
}

// unFuncs holds one unary kernel per compute dtype.
type unFuncs struct {
	f32 func(float32) float32
	f64 func(float64) float64
	i64 func(int64) int64
	i32 func(int32) int32
	i8  func(int8) int8
	u8  func(uint8) uint8
	// floatResult makes integer inputs compute in the default float dtype
	// (exp, log, sqrt, ...), as PyTorch does.
	floatResult bool
	// vec, when set, computes float32 on contiguous slices (a Vec kernel)
	// in place of f32.
	vec func(dst, src []float32)
}

// floatUn builds unFuncs for a math function defined on float64; the
// float32 form rounds the float64 result.
func floatUn(f func(float64) float64) *unFuncs {
	return &unFuncs{
		f32:         func(x float32) float32 { return float32(f(float64(x))) },
		f64:         f,
		floatResult: true,
	}
}

// unary applies fs to x. It does not record autograd.
func unary(op string, fs *unFuncs, x *Tensor) *Tensor {
	ct, rt := computeType(x.dtype, fs.floatResult)
	x = castTo(x, ct)
	if ct == Float32 && fs.vec != nil {
		return castTo(perfUnaryF32(fs.vec, x), rt)
	}
	out := newTensor(ct, x.shape)
	ov, xv := out.view(), x.view()
	ok := true
	switch ct {
	case Float32:
		ok = fs.f32 != nil && mapUn(x.shape, out, ov, x, xv, fs.f32)
	case Float64:
		ok = fs.f64 != nil && mapUn(x.shape, out, ov, x, xv, fs.f64)
	case Int64:
		ok = fs.i64 != nil && mapUn(x.shape, out, ov, x, xv, fs.i64)
	case Int32:
		ok = fs.i32 != nil && mapUn(x.shape, out, ov, x, xv, fs.i32)
	case Int8:
		ok = fs.i8 != nil && mapUn(x.shape, out, ov, x, xv, fs.i8)
	case Uint8:
		ok = fs.u8 != nil && mapUn(x.shape, out, ov, x, xv, fs.u8)
	}
	if !ok {
		panicf(op, "not supported for dtype %v", rt)
	}
	return castTo(out, rt)
}

func mapUn[T number](shape []int, out *Tensor, ov cpu.View, x *Tensor, xv cpu.View, f func(T) T) bool {
	cpu.Map1(shape, out.st.data.([]T), ov, x.st.data.([]T), xv, f)
	return true
}

func addT[T number](a, b T) T { return a + b }
func subT[T number](a, b T) T { return a - b }
func mulT[T number](a, b T) T { return a * b }

var (
	addFns = numBin(addT[float32], addT[float64], addT[int64], addT[int32], addT[int8], addT[uint8])
	subFns = numBin(subT[float32], subT[float64], subT[int64], subT[int32], subT[int8], subT[uint8])
	mulFns = numBin(mulT[float32], mulT[float64], mulT[int64], mulT[int32], mulT[int8], mulT[uint8])
	divFns = &binFuncs{
		f32:         func(a, b float32) float32 { return a / b },
		f64:         func(a, b float64) float64 { return a / b },
		floatResult: true,
	}
)

// Add returns t + u with broadcasting.
func (t *Tensor) Add(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceAdd(t, u)
	}
	validNotNil2("add", t, u)
	out := binary("add", addFns, t, u)
	return record("add", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumToShape(g, t.shape), sumToShape(g, u.shape)}
	})
}

// Sub returns t - u with broadcasting.
func (t *Tensor) Sub(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceSub(t, u)
	}
	validNotNil2("sub", t, u)
	if t.dtype == Bool && u.dtype == Bool {
		panicf("sub", "subtraction of two bool tensors is not supported; use LogicalXor")
	}
	out := binary("sub", subFns, t, u)
	return record("sub", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumToShape(g, t.shape), sumToShape(g.Neg(), u.shape)}
	})
}

// Mul returns t * u elementwise with broadcasting.
func (t *Tensor) Mul(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMul(t, u)
	}
	validNotNil2("mul", t, u)
	out := binary("mul", mulFns, t, u)
	return record("mul", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		var gt, gu *Tensor
		if t.requiresGrad {
			gt = sumToShape(g.Mul(u), t.shape)
		}
		if u.requiresGrad {
			gu = sumToShape(g.Mul(t), u.shape)
		}
		return []*Tensor{gt, gu}
	})
}

// Div returns t / u (true division) with broadcasting; integer inputs give
// a floating-point result, as in PyTorch.
func (t *Tensor) Div(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceDiv(t, u)
	}
	validNotNil2("div", t, u)
	out := binary("div", divFns, t, u)
	return record("div", out, []*Tensor{t, u}, func(g *Tensor) []*Tensor {
		var gt, gu *Tensor
		if t.requiresGrad {
			gt = sumToShape(g.Div(u), t.shape)
		}
		if u.requiresGrad {
			gu = sumToShape(g.Mul(out).Div(u).Neg(), u.shape)
		}
		return []*Tensor{gt, gu}
	})
}

// AddScalar returns t + s.
func (t *Tensor) AddScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceAddScalar(t, s)
	}
	return t.Add(scalarFor(t, s))
}

// SubScalar returns t - s.
func (t *Tensor) SubScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceSubScalar(t, s)
	}
	return t.Sub(scalarFor(t, s))
}

// MulScalar returns t * s.
func (t *Tensor) MulScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceMulScalar(t, s)
	}
	return t.Mul(scalarFor(t, s))
}

// DivScalar returns t / s.
func (t *Tensor) DivScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceDivScalar(t, s)
	}
	return t.Div(scalarFor(t, s))
}

// RSubScalar returns s - t.
func (t *Tensor) RSubScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceRSubScalar(t, s)
	}
	return scalarFor(t, s).Sub(t)
}

// RDivScalar returns s / t.
func (t *Tensor) RDivScalar(s float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceRDivScalar(t, s)
	}
	return scalarFor(t, s).Div(t)
}

var negFns = &unFuncs{
	f32: func(x float32) float32 { return -x },
	f64: func(x float64) float64 { return -x },
	i64: func(x int64) int64 { return -x },
	i32: func(x int32) int32 { return -x },
	i8:  func(x int8) int8 { return -x },
	u8:  func(x uint8) uint8 { return -x },
}

// Neg returns -t.
func (t *Tensor) Neg() *Tensor {
	if tracing.Load() && outermost() {
		return traceNeg(t)
	}
	if t.dtype == Bool {
		panicf("neg", "negation of a bool tensor is not supported; use LogicalNot")
	}
	out := unary("neg", negFns, t)
	return record("neg", out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g.Neg()} })
}

// Add_ adds u to t in place (u broadcasts to t's shape) and returns t. It is
// not recorded by autograd and panics on a tensor that requires grad while
// grad mode is on.
func (t *Tensor) Add_(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceAdd_(t, u)
	}
	return t.inPlace("add_", addFns, u)
}

// Sub_ subtracts u from t in place and returns t.
func (t *Tensor) Sub_(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceSub_(t, u)
	}
	return t.inPlace("sub_", subFns, u)
}

// Mul_ multiplies t by u in place and returns t.
func (t *Tensor) Mul_(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMul_(t, u)
	}
	return t.inPlace("mul_", mulFns, u)
}

// Div_ divides t by u in place and returns t (t must be floating point).
func (t *Tensor) Div_(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceDiv_(t, u)
	}
	return t.inPlace("div_", divFns, u)
}

// Copy_ copies u's values (broadcast to t's shape, cast to t's dtype) into t
// in place and returns t.
func (t *Tensor) Copy_(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceCopy_(t, u)
	}
	validNotNil2("copy_", t, u)
	checkInPlace("copy_", t)
	if u.st == t.st {
		// The source may overlap the destination (x.Copy_(x.T())): read it
		// from a copy so every element gets the source's old value.
		u = u.Detach().Clone()
	}
	if s, ok := BroadcastShapes(t.shape, u.shape); !ok || !slices.Equal(s, t.shape) {
		panicf("copy_", "source of shape %v cannot be broadcast to %v", u.shape, t.shape)
	}
	if u.dtype == t.dtype {
		copyData(t.shape, t.st.data, t.view(), u.st.data, broadcastView(u, t.shape))
	} else {
		castInto(t.shape, t.st.data, t.view(), u.st.data, broadcastView(u, t.shape))
	}
	return t
}

func (t *Tensor) inPlace(op string, fs *binFuncs, u *Tensor) *Tensor {
	validNotNil2(op, t, u)
	checkInPlace(op, t)
	if s, ok := BroadcastShapes(t.shape, u.shape); !ok || !slices.Equal(s, t.shape) {
		panicf(op, "shapes %v and %v: the result must keep the in-place operand's shape", t.shape, u.shape)
	}
	if perfInPlace(fs, t, u) {
		return t
	}
	r := binary(op, fs, t, u)
	if r.dtype != t.dtype && !(r.dtype.IsFloat() == t.dtype.IsFloat()) {
		panicf(op, "result type %v cannot be cast to the in-place operand's dtype %v", r.dtype, t.dtype)
	}
	return t.Copy_(r)
}
