package cpu

import "fmt"

// Strided float32 elementwise maps that hand every contiguous row to a Vec
// kernel. They give exactly the bits of the scalar loops over the same IEEE
// operation (x+y, x-y, x*y, x/y are exact operations on every path, and a
// scalar operand goes through VecAffine with a = ±1, whose single rounding
// is that of the sum), only faster.

// BinOp names the elementwise operation of BinaryF32.
type BinOp int

// The operations BinaryF32 applies: dst = a op b.
const (
	BinAdd BinOp = iota + 1
	BinSub
	BinMul
	BinDiv
)

// String returns the operator's name.
func (op BinOp) String() string {
	switch op {
	case BinAdd:
		return "add"
	case BinSub:
		return "sub"
	case BinMul:
		return "mul"
	case BinDiv:
		return "div"
	}
	return fmt.Sprintf("BinOp(%d)", int(op))
}

func (op BinOp) scalar(x, y float32) float32 {
	switch op {
	case BinAdd:
		return x + y
	case BinSub:
		return x - y
	case BinMul:
		return x * y
	}
	return x / y
}

// BinaryF32 writes dst = a op b elementwise over shape, all three strided
// (a zero stride broadcasts). Rows that are contiguous in every operand, or
// contiguous with one operand fixed (a broadcast scalar, a bias), run on the
// Vec kernels. dst may be the same view as a or b (in-place use); other
// overlaps are not supported.
func BinaryF32(op BinOp, shape []int, dst []float32, dv View, a []float32, av View, b []float32, bv View) {
	if op < BinAdd || op > BinDiv {
		panic("cpu.BinaryF32: unknown op " + op.String())
	}
	if validShape("BinaryF32", shape) {
		return
	}
	// A contiguous operation over whole buffers needs no walk (and its
	// views reach [Offset, Offset+n) exactly).
	if n := Numel(shape); perfDense(shape, dv) && perfDense(shape, av) && perfDense(shape, bv) {
		if dv.Offset < 0 || dv.Offset > len(dst)-n {
			validViewFail("BinaryF32", "dst", shape, dv, len(dst))
		}
		if av.Offset < 0 || av.Offset > len(a)-n {
			validViewFail("BinaryF32", "a", shape, av, len(a))
		}
		if bv.Offset < 0 || bv.Offset > len(b)-n {
			validViewFail("BinaryF32", "b", shape, bv, len(b))
		}
		perfBinRow(op, dst[dv.Offset:dv.Offset+n], a[av.Offset:av.Offset+n], b[bv.Offset:bv.Offset+n])
		return
	}
	validView("BinaryF32", "dst", shape, dv, len(dst))
	validView("BinaryF32", "a", shape, av, len(a))
	validView("BinaryF32", "b", shape, bv, len(b))
	walk3(shape, [3]int{dv.Offset, av.Offset, bv.Offset}, [3][]int{dv.Strides, av.Strides, bv.Strides}, func(d, x, y, n, s0, s1, s2 int) {
		if s0 == 1 {
			switch {
			case s1 == 1 && s2 == 1:
				perfBinRow(op, dst[d:d+n], a[x:x+n], b[y:y+n])
				return
			case s1 == 1 && s2 == 0:
				perfBinRowScalarB(op, dst[d:d+n], a[x:x+n], b[y])
				return
			case s1 == 0 && s2 == 1:
				perfBinRowScalarA(op, dst[d:d+n], a[x], b[y:y+n])
				return
			}
		}
		for range n {
			dst[d] = op.scalar(a[x], b[y])
			d += s0
			x += s1
			y += s2
		}
	})
}

// perfDense reports whether v addresses shape's elements contiguously in
// row-major order.
func perfDense(shape []int, v View) bool {
	if len(v.Strides) < len(shape) {
		return false
	}
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && v.Strides[i] != s {
			return false
		}
		s *= shape[i]
	}
	return true
}

func perfBinRow(op BinOp, d, x, y []float32) {
	switch op {
	case BinAdd:
		VecAdd(d, x, y)
	case BinSub:
		VecSub(d, x, y)
	case BinMul:
		VecMul(d, x, y)
	default:
		VecDiv(d, x, y)
	}
}

// perfBinRowScalarB sets d = x op s.
func perfBinRowScalarB(op BinOp, d, x []float32, s float32) {
	switch op {
	case BinAdd:
		VecAffine(d, x, 1, s)
	case BinSub:
		VecAffine(d, x, 1, -s) // x - s == x + (-s) exactly
	case BinMul:
		VecScale(d, x, s)
	default:
		DivScalarF32(d, x, s)
	}
}

// perfBinRowScalarA sets d = s op y.
func perfBinRowScalarA(op BinOp, d []float32, s float32, y []float32) {
	switch op {
	case BinAdd:
		VecAffine(d, y, 1, s)
	case BinSub:
		VecAffine(d, y, -1, s) // fma(-1, y, s) == s - y exactly
	case BinMul:
		VecScale(d, y, s)
	default:
		RDivScalarF32(d, s, y)
	}
}

// DivScalarF32 sets dst[i] = src[i] / s.
func DivScalarF32(dst, src []float32, s float32) {
	vecLen2("DivScalarF32", dst, src)
	perfDivScalar(dst, src, s)
}

// RDivScalarF32 sets dst[i] = s / src[i].
func RDivScalarF32(dst []float32, s float32, src []float32) {
	vecLen2("RDivScalarF32", dst, src)
	perfRDivScalar(dst, s, src)
}

// ReLUGradF32 sets dst[i] = g[i] where y[i] > 0 or y[i] is NaN, and 0
// elsewhere: the gradient of ReLU from its output y (PyTorch's
// threshold_backward, which passes the gradient unless y <= 0).
func ReLUGradF32(dst, g, y []float32) {
	vecLen3("ReLUGradF32", dst, g, y)
	perfReLUGrad(dst, g, y)
}

// RangeGradF32 sets dst[i] = g[i] where lo < x[i] < hi, and 0 elsewhere (NaN
// x included): the gradient of hardtanh and ReLU6 from their input x.
func RangeGradF32(dst, g, x []float32, lo, hi float32) {
	vecLen3("RangeGradF32", dst, g, x)
	perfRangeGrad(dst, g, x, lo, hi)
}

func perfDivScalarGo(dst, src []float32, s float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = x / s
	}
}

func perfRDivScalarGo(dst []float32, s float32, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = s / x
	}
}

func perfReLUGradGo(dst, g, y []float32) {
	g, y = g[:len(dst)], y[:len(dst)]
	for i, v := range y {
		if v <= 0 {
			dst[i] = 0
		} else {
			dst[i] = g[i]
		}
	}
}

func perfRangeGradGo(dst, g, x []float32, lo, hi float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	for i, v := range x {
		if v > lo && v < hi {
			dst[i] = g[i]
		} else {
			dst[i] = 0
		}
	}
}

// AxpyF32 sets y += alpha·x elementwise over shape with one rounding per
// element (a fused multiply-add, as VecAxpy), x and y strided (a zero
// stride in x broadcasts). y must not overlap x other than as the very
// same view, and must not address an element twice.
func AxpyF32(shape []int, alpha float32, x []float32, xv View, y []float32, yv View) {
	if !validShape("AxpyF32", shape) {
		validView("AxpyF32", "y", shape, yv, len(y))
		validView("AxpyF32", "x", shape, xv, len(x))
	}
	walk(shape, []int{yv.Offset, xv.Offset}, [][]int{yv.Strides, xv.Strides}, func(o []int, n int, st []int) {
		d, s := o[0], o[1]
		if st[0] == 1 && st[1] == 1 {
			VecAxpy(alpha, x[s:s+n], y[d:d+n])
			return
		}
		for range n {
			y[d] = vecFMA32(alpha, x[s], y[d])
			d += st[0]
			s += st[1]
		}
	})
}
