package cpu

import "math"

// Elementwise scalar functions with PyTorch's definitions. Eager ops apply
// them through Map1/Map2 (float32 data is widened to float64 and the result
// rounded once), and an interpreter that applies them the same way gets the
// same bits.

// ewInt is the set of integer element types.
type ewInt interface {
	~int64 | ~int32 | ~int8 | ~uint8
}

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ReLU returns max(x, 0); NaN stays NaN, and so does -0, as PyTorch's relu
// (and VecReLU) keep it: only values below zero are replaced.
func ReLU[T Number](x T) T {
	if x < 0 {
		return 0
	}
	return x
}

// Clamp returns min(max(x, lo), hi): hi when lo > hi, NaN for a NaN x. A
// bound replaces x only when x is beyond it, so a -0 clamped at lo = 0
// stays -0, as in PyTorch (and VecClamp).
func Clamp[T Number](x, lo, hi T) T {
	if x < lo {
		x = lo
	}
	if x > hi {
		x = hi
	}
	return x
}

// LeakyReLU returns x for x > 0 and slope*x otherwise.
func LeakyReLU(x, slope float64) float64 {
	if x > 0 {
		return x
	}
	return x * slope
}

// ELU returns x for x > 0 and alpha*(exp(x)-1) otherwise.
func ELU(x, alpha float64) float64 {
	if x > 0 {
		return x
	}
	return alpha * math.Expm1(x)
}

// GELUTanhBeta and GELUTanhKappa are the constants of GELU's tanh
// approximation: sqrt(2/π) and 0.044715.
const (
	GELUTanhBeta  = math.Sqrt2 / math.SqrtPi
	GELUTanhKappa = 0.044715
)

// GELU returns x*Φ(x) = 0.5*x*(1+erf(x/√2)).
func GELU(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// GELUTanh returns GELU's tanh approximation
// 0.5*x*(1+tanh(sqrt(2/π)*(x+0.044715*x³))).
func GELUTanh(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(GELUTanhBeta*(x+GELUTanhKappa*x*x*x)))
}

// SiLU returns x*sigmoid(x).
func SiLU(x float64) float64 { return x / (1 + math.Exp(-x)) }

// Hardsigmoid returns relu6(x+3)/6.
func Hardsigmoid(x float64) float64 { return min(max(x+3, 0), 6) / 6 }

// Hardswish returns x*relu6(x+3)/6.
func Hardswish(x float64) float64 { return x * min(max(x+3, 0), 6) / 6 }

// Softplus returns log(1+exp(beta*x))/beta, or x where beta*x > threshold.
func Softplus(x, beta, threshold float64) float64 {
	if x*beta > threshold {
		return x
	}
	return math.Log1p(math.Exp(x*beta)) / beta
}

// Mish returns x*tanh(log(1+exp(x))).
func Mish(x float64) float64 { return x * math.Tanh(math.Log1p(math.Exp(x))) }

// Sign returns 1, 0 or -1; 0 for NaN, as PyTorch.
func Sign[T Number](x T) T {
	var r T
	if x > 0 {
		r++
	}
	if x < 0 {
		r--
	}
	return r
}

// PowInt is PyTorch's integer power: exact with wrapping, and for a
// negative exponent 1 when a is 1, ±1 when a is -1, 0 otherwise.
func PowInt[T ewInt](a, b T) T {
	if b < 0 {
		switch {
		case a == 1:
			return 1
		case a == ^T(0): // -1; only signed types have b < 0
			if b%2 == 0 {
				return 1
			}
			return a
		}
		return 0
	}
	r := T(1)
	for b != 0 {
		if b&1 != 0 {
			r *= a
		}
		b >>= 1
		a *= a
	}
	return r
}

// RemainderFloat returns a mod b with the sign of b (Python's %,
// torch.remainder); NaN when b is 0.
func RemainderFloat[T Float](a, b T) T {
	m := T(math.Mod(float64(a), float64(b)))
	if m != 0 && (b < 0) != (m < 0) {
		m += b
	}
	return m
}

// RemainderInt returns a mod b with the sign of b. A zero b panics.
func RemainderInt[T ewInt](a, b T) T {
	if b == 0 {
		panic("cpu.RemainderInt: integer division by zero")
	}
	r := a % b
	if r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r
}

// FloorDivideFloat returns floor(a/b) as PyTorch's div_floor_floating does:
// from fmod, so that it agrees with RemainderFloat, with IEEE results for
// b == 0.
func FloorDivideFloat[T Float](a, b T) T {
	if b == 0 {
		return a / b
	}
	mod := T(math.Mod(float64(a), float64(b)))
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div--
	}
	if div == 0 {
		return T(math.Copysign(0, float64(a/b)))
	}
	fl := T(math.Floor(float64(div)))
	if div-fl > 0.5 {
		fl++
	}
	return fl
}

// FloorDivideInt returns floor(a/b). A zero b panics.
func FloorDivideInt[T ewInt](a, b T) T {
	if b == 0 {
		panic("cpu.FloorDivideInt: integer division by zero")
	}
	q := a / b
	if (a < 0) != (b < 0) && a%b != 0 {
		q--
	}
	return q
}
