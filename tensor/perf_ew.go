package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// This file wires the elementwise framework to the contiguous float32 Vec
// kernels of accel/cpu. The float32 fast paths give exactly the results of
// the scalar kernels for the IEEE operations (+, -, *, /, sqrt, abs, neg,
// min/max, the gradient masks); the transcendental Vec kernels (exp, log,
// tanh, sigmoid, SiLU, GELU) are within 1 ulp of the correctly rounded
// result, as the float64 functions rounded to float32 are.

func init() {
	addFns.vecOp = cpu.BinAdd
	subFns.vecOp = cpu.BinSub
	mulFns.vecOp = cpu.BinMul
	divFns.vecOp = cpu.BinDiv

	negFns.vec = func(dst, src []float32) { cpu.VecScale(dst, src, -1) }
	ewExpFns.vec = cpu.VecExp
	ewLogFns.vec = cpu.VecLog
	ewSqrtFns.vec = cpu.VecSqrt
	ewTanhFns.vec = cpu.VecTanh
	ewSigmoidFns.vec = cpu.VecSigmoid
	ewAbsFns.vec = cpu.VecAbs
	ewReluFns.vec = cpu.VecReLU
	redExpFns.vec = cpu.VecExp
	redAbsFns.vec = cpu.VecAbs
}

// perfUnaryF32 applies the contiguous kernel vec to the float32 tensor x
// and returns the result, a new contiguous tensor.
func perfUnaryF32(vec func(dst, src []float32), x *Tensor) *Tensor {
	out := newTensor(Float32, x.shape)
	od := out.st.data.([]float32)
	if x.IsContiguous() {
		vec(od, x.st.data.([]float32)[x.offset:x.offset+len(od)])
		return out
	}
	copyStrided(out, x)
	vec(od, od)
	return out
}

// perfInPlace computes t op= u directly into t when both are float32, t is
// contiguous (so no element of t is written twice) and u does not overlap
// t other than as the very same view. It reports whether it did; otherwise
// the caller computes out of place and copies.
func perfInPlace(fs *binFuncs, t, u *Tensor) bool {
	if fs.vecOp == 0 || t.dtype != Float32 || u.dtype != Float32 || !t.IsContiguous() {
		return false
	}
	uv := broadcastView(u, t.shape)
	if u.st == t.st && !perfSameView(t.shape, t.view(), uv) {
		return false
	}
	td := t.st.data.([]float32)
	cpu.BinaryF32(fs.vecOp, t.shape, td, t.view(), td, t.view(), u.st.data.([]float32), uv)
	return true
}

// perfSameView reports whether a and b address the same elements in the
// same order over shape.
func perfSameView(shape []int, a, b cpu.View) bool {
	if a.Offset != b.Offset {
		return false
	}
	for i, d := range shape {
		if d != 1 && a.Strides[i] != b.Strides[i] {
			return false
		}
	}
	return true
}

// AddScaled_ adds alpha*u to t in place (u broadcasts to t's shape) and
// returns t, as PyTorch's t.add_(u, alpha=alpha): for float32 each element
// is rounded once (a fused multiply-add with alpha rounded to float32), as
// PyTorch's CPU kernel computes it; float64 likewise in float64. For
// float16 t and u, alpha*u is rounded to float16 before the addition, as
// PyTorch's half kernel does. It is the update step of SGD and of the other
// optimizers. Like Add_, it is not recorded by autograd and panics on a
// tensor that requires grad while grad mode is on. t must be floating
// point.
func (t *Tensor) AddScaled_(u *Tensor, alpha float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceAddScaled_(t, u, alpha)
	}
	validNotNil2("add_scaled_", t, u)
	const op = "add_scaled_"
	checkInPlace(op, t)
	if !t.dtype.IsFloat() {
		panicf(op, "expected a floating-point tensor, got %v", t.dtype)
	}
	if s, ok := BroadcastShapes(t.shape, u.shape); !ok || !slices.Equal(s, t.shape) {
		panicf(op, "shapes %v and %v: the result must keep the in-place operand's shape", t.shape, u.shape)
	}
	if t.dtype == Float16 && u.dtype == Float16 {
		// PyTorch's half kernel rounds alpha*u to half before adding.
		return t.Add_(u.Detach().MulScalar(alpha))
	}
	ct := Float32
	if t.dtype == Float64 {
		ct = Float64
	}
	// Compute into t itself when it is contiguous in the compute dtype (no
	// element is written twice); else into a contiguous copy, copied back.
	dst := t
	if t.dtype != ct || !t.IsContiguous() {
		dst = castTo(t.Detach().Contiguous(), ct) // a new buffer either way
	}
	uc := castTo(u, ct)
	if uc.st == dst.st && !perfSameView(dst.shape, dst.view(), broadcastView(uc, dst.shape)) {
		uc = uc.Detach().Clone().Detach() // an overlapping view of t
	}
	uv := broadcastView(uc, dst.shape)
	if ct == Float32 {
		d := dst.st.data.([]float32)
		cpu.AxpyF32(dst.shape, float32(alpha), uc.st.data.([]float32), uv, d, dst.view())
	} else {
		d := dst.st.data.([]float64)
		cpu.Map2(dst.shape, d, dst.view(), d, dst.view(), uc.st.data.([]float64), uv,
			func(y, x float64) float64 { return math.FMA(alpha, x, y) })
	}
	if dst != t {
		t.Copy_(dst)
	}
	return t
}

// perfGradF32 returns the float32 gradient kernel k applied to g and v
// (same shape), or nil when they are not both float32 and contiguous; then
// the caller takes its general path.
func perfGradF32(g, v *Tensor, k func(dst, g, v []float32)) *Tensor {
	if g.dtype != Float32 || v.dtype != Float32 || !slices.Equal(g.shape, v.shape) || !g.IsContiguous() || !v.IsContiguous() {
		return nil
	}
	out := newTensor(Float32, g.shape)
	n := len(out.st.data.([]float32))
	k(out.st.data.([]float32), g.st.data.([]float32)[g.offset:g.offset+n], v.st.data.([]float32)[v.offset:v.offset+n])
	return out
}

// perfF32Exact reports whether v is exactly a float32 value, so comparing
// a float32 element with float32(v) gives what comparing it in float64
// with v gives.
func perfF32Exact(v float64) bool { return float64(float32(v)) == v || math.IsNaN(v) }

// ReLU_ replaces t with ReLU(t) in place and returns t, as PyTorch's relu_
// (the inplace=True activation of torchvision's models). Like the other
// in-place ops it is not recorded by autograd and panics on a tensor that
// requires grad while grad mode is on.
func (t *Tensor) ReLU_() *Tensor {
	if tracing.Load() && outermost() {
		return traceReLU_(t)
	}
	if t.dtype == Bool {
		panicf("relu_", "bool inputs not supported")
	}
	return t.perfUnaryInPlace("relu_", ewReluFns)
}

// ReLU6_ replaces t with ReLU6(t) in place and returns t; see ReLU_.
func (t *Tensor) ReLU6_() *Tensor {
	if tracing.Load() && outermost() {
		return traceReLU6_(t)
	}
	return t.perfHardtanhInPlace("relu6_", 0, 6)
}

// Hardtanh_ clamps t to [lo, hi] in place and returns t; see ReLU_ and
// Hardtanh.
func (t *Tensor) Hardtanh_(lo, hi float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceHardtanh_(t, lo, hi)
	}
	return t.perfHardtanhInPlace("hardtanh_", lo, hi)
}

func (t *Tensor) perfHardtanhInPlace(op string, lo, hi float64) *Tensor {
	ewCheckHardtanh(op, t, lo, hi)
	return t.perfUnaryInPlace(op, ewClampFns(lo, hi, true, true))
}

// perfUnaryInPlace applies fs to t in place: directly for a contiguous
// float32 tensor with a Vec kernel, else through a temporary.
func (t *Tensor) perfUnaryInPlace(op string, fs *unFuncs) *Tensor {
	checkInPlace(op, t)
	if t.dtype == Float32 && fs.vec != nil && t.IsContiguous() {
		d := t.st.data.([]float32)[t.offset : t.offset+t.Numel()]
		fs.vec(d, d)
		return t
	}
	return t.Copy_(unary(op, fs, t))
}

// perfVector returns the elements of a 1-D tensor as float64 (nil for a
// nil tensor), reading the storage directly.
func perfVector(t *Tensor) []float64 {
	if t == nil {
		return nil
	}
	n := t.shape[0]
	out := make([]float64, n)
	st, off := t.strides[0], t.offset
	switch d := t.st.data.(type) {
	case []float32:
		for i := range out {
			out[i] = float64(d[off+i*st])
		}
	case []float64:
		for i := range out {
			out[i] = d[off+i*st]
		}
	default:
		for i := range out {
			out[i] = getF64(d, off+i*st)
		}
	}
	return out
}

// perfStorageLen returns the number of elements of a storage buffer.
func perfStorageLen(st *storage) int {
	switch d := st.data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	}
	return -1 // other dtypes never require grad (float16 is not stolen)
}
