package tensor

import (
	"fmt"
	"sync/atomic"

	"github.com/x448/float16"
)

// DType is the element type of a tensor.
type DType int

// The element types. Float32 is the compute type and the default dtype;
// Float64 serves gradient checks; Int64 and Int32 hold indices; Int8 and
// Uint8 hold quantized values and images; Bool holds masks; Float16 is a
// storage type (arithmetic on it is done in float32 and rounded back).
const (
	Float32 DType = iota
	Float64
	Int64
	Int32
	Int8
	Uint8
	Bool
	Float16
)

var dtypeNames = [...]string{"float32", "float64", "int64", "int32", "int8", "uint8", "bool", "float16"}

// String returns PyTorch's name for the dtype, e.g. "float32".
func (d DType) String() string {
	if d >= 0 && int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// ParseDType returns the dtype named s ("float32", "int64", ...).
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if n == s {
			return DType(i), nil
		}
	}
	return 0, fmt.Errorf("tensor: unknown dtype %q", s)
}

// Size returns the size in bytes of one element.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16:
		return 2
	default:
		return 1
	}
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 || d == Float16 }

// IsInt reports whether d is an integer type (bool excluded).
func (d DType) IsInt() bool { return d == Int64 || d == Int32 || d == Int8 || d == Uint8 }

// defaultDTypeVal holds the dtype of tensors created from Go float values
// (Float32 unless SetDefaultDType changed it).
var defaultDTypeVal atomic.Int32

// SetDefaultDType sets the dtype that creation functions use for floating
// point values when none is given (Float32 unless changed), like
// torch.set_default_dtype. It must be Float32 or Float64. It is a process-wide
// setting: set it once at start-up.
func SetDefaultDType(d DType) {
	if d != Float32 && d != Float64 {
		panic(fmt.Sprintf("set_default_dtype: %v is not float32 or float64", d))
	}
	defaultDTypeVal.Store(int32(d))
}

// DefaultDType returns the default floating-point dtype.
func DefaultDType() DType { return DType(defaultDTypeVal.Load()) }

// rank orders dtypes for promotion within and across categories.
func rank(d DType) int {
	switch d {
	case Bool:
		return 0
	case Uint8:
		return 1
	case Int8:
		return 2
	case Int32:
		return 3
	case Int64:
		return 4
	case Float16:
		return 5
	case Float32:
		return 6
	case Float64:
		return 7
	}
	return -1
}

// PromoteTypes returns the dtype that an operation on a and b computes in,
// following torch.promote_types. One deviation: uint8 with int8 gives int32
// (PyTorch gives int16, which Ember does not have).
func PromoteTypes(a, b DType) DType {
	if a == b {
		return a
	}
	if (a == Uint8 && b == Int8) || (a == Int8 && b == Uint8) {
		return Int32
	}
	if rank(a) > rank(b) {
		return a
	}
	return b
}

// resultType returns the dtype of an elementwise op on a and b, as
// torch.result_type: PromoteTypes, except that a 0-d tensor does not raise
// the dtype of a dimensioned one unless it is of a higher category (bool <
// integer < float). So float32[3] + float64 0-d is float32, while int64[3] +
// float64 0-d is float64.
func resultType(a, b *Tensor) DType {
	if (len(a.shape) == 0) == (len(b.shape) == 0) {
		return PromoteTypes(a.dtype, b.dtype)
	}
	dim, zero := a.dtype, b.dtype
	if len(a.shape) == 0 {
		dim, zero = b.dtype, a.dtype
	}
	if dim.IsFloat() {
		return dim
	}
	if dim == Bool || zero.IsFloat() {
		return PromoteTypes(dim, zero)
	}
	return dim
}

// ResultType returns the dtype an elementwise operation on a and b gives,
// as torch.result_type (see PromoteTypes; a 0-d tensor does not raise a
// dimensioned tensor's dtype within the same category).
func ResultType(a, b *Tensor) DType { return resultType(a, b) }

// Elem is the set of Go types a tensor can hold.
type Elem interface {
	float32 | float64 | int64 | int32 | int8 | uint8 | bool | float16.Float16
}

// dtypeOf returns the dtype of the Go element type T.
func dtypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int64:
		return Int64
	case int32:
		return Int32
	case int8:
		return Int8
	case uint8:
		return Uint8
	case bool:
		return Bool
	case float16.Float16:
		return Float16
	}
	panic("unreachable")
}
