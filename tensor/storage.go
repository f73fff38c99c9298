package tensor

import (
	"github.com/emberml/ember/accel/cpu"
	"github.com/x448/float16"
)

// storage is the buffer that one or more tensors view. data is one of
// []float32, []float64, []int64, []int32, []int8, []uint8, []bool or
// []float16.Float16.
type storage struct {
	data any
	// version counts in-place writes through the tensor API, so the
	// autograd engine can tell when a tensor a recorded op used has been
	// changed before Backward (PyTorch's version counter).
	version uint64
}

func newStorage(dt DType, n int) *storage {
	var d any
	switch dt {
	case Float32:
		d = make([]float32, n)
	case Float64:
		d = make([]float64, n)
	case Int64:
		d = make([]int64, n)
	case Int32:
		d = make([]int32, n)
	case Int8:
		d = make([]int8, n)
	case Uint8:
		d = make([]uint8, n)
	case Bool:
		d = make([]bool, n)
	case Float16:
		d = make([]float16.Float16, n)
	default:
		panic("tensor: invalid dtype " + dt.String())
	}
	return &storage{data: d}
}

// number is the set of element types with Go arithmetic.
type number interface {
	float32 | float64 | int64 | int32 | int8 | uint8
}

// getF64 reads element i of a storage slice as float64.
func getF64(data any, i int) float64 {
	switch d := data.(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case []int64:
		return float64(d[i])
	case []int32:
		return float64(d[i])
	case []int8:
		return float64(d[i])
	case []uint8:
		return float64(d[i])
	case []bool:
		if d[i] {
			return 1
		}
		return 0
	case []float16.Float16:
		return float64(d[i].Float32())
	}
	panic("tensor: bad storage")
}

// setF64 writes v into element i of a storage slice, converting as a cast does.
func setF64(data any, i int, v float64) {
	switch d := data.(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	case []int64:
		d[i] = int64(v)
	case []int32:
		d[i] = int32(v)
	case []int8:
		d[i] = int8(v)
	case []uint8:
		d[i] = uint8(v)
	case []bool:
		d[i] = v != 0
	case []float16.Float16:
		d[i] = float16.Fromfloat32(float32(v))
	default:
		panic("tensor: bad storage")
	}
}

// castInto converts the strided elements of src into dst over shape.
func castInto(shape []int, dst any, dv cpu.View, src any, sv cpu.View) {
	// Reduce float16 and bool sources to float32 and uint8.
	switch s := src.(type) {
	case []float16.Float16:
		tmp := make([]float32, cpu.Numel(shape))
		cpu.Map1(shape, tmp, cpu.View{Strides: cpu.Contiguous(shape)}, s, sv, func(x float16.Float16) float32 { return x.Float32() })
		src, sv = tmp, cpu.View{Strides: cpu.Contiguous(shape)}
	case []bool:
		tmp := make([]uint8, cpu.Numel(shape))
		cpu.Map1(shape, tmp, cpu.View{Strides: cpu.Contiguous(shape)}, s, sv, func(x bool) uint8 {
			if x {
				return 1
			}
			return 0
		})
		src, sv = tmp, cpu.View{Strides: cpu.Contiguous(shape)}
	}
	switch d := dst.(type) {
	case []float32:
		castNum(shape, d, dv, src, sv)
	case []float64:
		castNum(shape, d, dv, src, sv)
	case []int64:
		castNum(shape, d, dv, src, sv)
	case []int32:
		castNum(shape, d, dv, src, sv)
	case []int8:
		castNum(shape, d, dv, src, sv)
	case []uint8:
		castNum(shape, d, dv, src, sv)
	case []float16.Float16:
		tmp := make([]float32, cpu.Numel(shape))
		cv := cpu.View{Strides: cpu.Contiguous(shape)}
		castNum(shape, tmp, cv, src, sv)
		cpu.Map1(shape, d, dv, tmp, cv, float16.Fromfloat32)
	case []bool:
		tmp := make([]float64, cpu.Numel(shape))
		cv := cpu.View{Strides: cpu.Contiguous(shape)}
		castNum(shape, tmp, cv, src, sv)
		cpu.Map1(shape, d, dv, tmp, cv, func(x float64) bool { return x != 0 })
	default:
		panic("tensor: bad storage")
	}
}

func castNum[U number](shape []int, dst []U, dv cpu.View, src any, sv cpu.View) {
	switch s := src.(type) {
	case []float32:
		cpu.Map1(shape, dst, dv, s, sv, func(x float32) U { return U(x) })
	case []float64:
		cpu.Map1(shape, dst, dv, s, sv, func(x float64) U { return U(x) })
	case []int64:
		cpu.Map1(shape, dst, dv, s, sv, func(x int64) U { return U(x) })
	case []int32:
		cpu.Map1(shape, dst, dv, s, sv, func(x int32) U { return U(x) })
	case []int8:
		cpu.Map1(shape, dst, dv, s, sv, func(x int8) U { return U(x) })
	case []uint8:
		cpu.Map1(shape, dst, dv, s, sv, func(x uint8) U { return U(x) })
	default:
		panic("tensor: bad storage")
	}
}
