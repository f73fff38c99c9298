package optim

import (
	"math"
	"math/big"
	"sync"

	"github.com/emberml/ember/accel/cpu"
)

// The optimizers update parameters in place with the elementwise steps of
// torch.optim's single-tensor code, each rounded as PyTorch's CPU kernels
// round it (checked against Debian's torch 1.13 build):
//
//	t.mul_(s)                 round(t·s), s cast to the tensor's dtype
//	t.add_(u, alpha=a)        fma(a, u, t): one rounding
//	t.addcmul_(u, v, value=c) fma(round(c·u), v, t)
//	t.addcdiv_(u, v, value=c) t + round(round(c·u) / v)
//	t / s, t + s              one rounding, s cast to the tensor's dtype
//
// but fused: a parameter is walked in blocks small enough to stay in the
// first-level cache, every step of the update runs on a block before the
// next, and large parameters spread their blocks over the worker pool.

// optimFloat is a parameter element type the optimizers update.
type optimFloat interface{ ~float32 | ~float64 }

// optimKern holds the elementwise kernels for one element type; the
// float32 ones are accel/cpu's vector kernels.
type optimKern[T optimFloat] struct {
	scale   func(dst, src []T, a T) // dst = round(a·src)
	axpy    func(a T, x, y []T)     // y = fma(a, x, y)
	fma     func(dst, a, b, c []T)  // dst = fma(a, b, c); dst must not overlap the others
	mul     func(dst, a, b []T)     // dst = round(a·b)
	div     func(dst, a, b []T)     // dst = round(a/b)
	add     func(dst, a, b []T)     // dst = round(a+b)
	sqrt    func(dst, src []T)      // dst = sqrt(src)
	divS    func(dst, src []T, s T) // dst = round(src/s)
	addS    func(dst, src []T, s T) // dst = round(src+s)
	maximum func(dst, a, b []T)     // torch.maximum
}

// optimKernels32 returns the float32 kernels.
func optimKernels32() *optimKern[float32] {
	return &optimKern[float32]{
		scale:   cpu.VecScale,
		axpy:    cpu.VecAxpy,
		fma:     cpu.VecFMA,
		mul:     cpu.VecMul,
		div:     cpu.VecDiv,
		add:     cpu.VecAdd,
		sqrt:    cpu.VecSqrt,
		divS:    cpu.DivScalarF32,
		addS:    func(dst, src []float32, s float32) { cpu.VecAffine(dst, src, 1, s) },
		maximum: cpu.VecMaximum,
	}
}

// optimKernels64 returns the float64 kernels.
func optimKernels64() *optimKern[float64] {
	return &optimKern[float64]{
		scale: func(dst, src []float64, a float64) {
			src = src[:len(dst)]
			for i := range dst {
				dst[i] = src[i] * a
			}
		},
		axpy: func(a float64, x, y []float64) {
			x = x[:len(y)]
			for i := range y {
				y[i] = math.FMA(a, x[i], y[i])
			}
		},
		fma: func(dst, a, b, c []float64) {
			a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
			for i := range dst {
				dst[i] = math.FMA(a[i], b[i], c[i])
			}
		},
		mul: func(dst, a, b []float64) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
		},
		div: func(dst, a, b []float64) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
		},
		add: func(dst, a, b []float64) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = a[i] + b[i]
			}
		},
		sqrt: func(dst, src []float64) {
			src = src[:len(dst)]
			for i := range dst {
				dst[i] = math.Sqrt(src[i])
			}
		},
		divS: func(dst, src []float64, s float64) {
			src = src[:len(dst)]
			for i := range dst {
				dst[i] = src[i] / s
			}
		},
		addS: func(dst, src []float64, s float64) {
			src = src[:len(dst)]
			for i := range dst {
				dst[i] = src[i] + s
			}
		},
		maximum: func(dst, a, b []float64) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				x, y := a[i], b[i]
				switch {
				case x != x || y != y:
					dst[i] = math.NaN()
				case y > x:
					dst[i] = y
				default:
					dst[i] = x
				}
			}
		},
	}
}

const (
	// optimBlock is the number of elements one pass of the fused update
	// handles at a time: a few such blocks of each operand stay in L1.
	optimBlock = 2048
	// optimParallelMin is the size from which a parameter's blocks are
	// spread over the worker pool (PyTorch's grain size is 32768).
	optimParallelMin = 1 << 16
)

// optimScratch hands out per-goroutine scratch blocks of one element type.
type optimScratch[T optimFloat] struct{ pool sync.Pool }

// optimTmp is one goroutine's scratch: blocks of optimBlock elements.
type optimTmp[T optimFloat] struct {
	buf []T
	tmp [][]T
}

// get returns scratch with k blocks.
func (s *optimScratch[T]) get(k int) *optimTmp[T] {
	if v, ok := s.pool.Get().(*optimTmp[T]); ok && len(v.buf) >= k*optimBlock {
		return v
	}
	return &optimTmp[T]{buf: make([]T, k*optimBlock), tmp: make([][]T, k)}
}

func (s *optimScratch[T]) put(t *optimTmp[T]) { s.pool.Put(t) }

// optimBlocks calls fn on consecutive blocks [lo, hi) covering [0, n), each
// with k scratch slices of hi-lo elements; blocks run in parallel when n is
// large.
func optimBlocks[T optimFloat](sc *optimScratch[T], n, k int, fn func(lo, hi int, tmp [][]T)) {
	nb := (n + optimBlock - 1) / optimBlock
	if n < optimParallelMin {
		optimRunBlocks(sc, n, k, 0, nb, fn)
		return
	}
	cpu.ParallelFor(nb, func(blo, bhi int) { optimRunBlocks(sc, n, k, blo, bhi, fn) })
}

func optimRunBlocks[T optimFloat](sc *optimScratch[T], n, k, blo, bhi int, fn func(lo, hi int, tmp [][]T)) {
	st := sc.get(k)
	tmp := st.tmp[:k]
	for b := blo; b < bhi; b++ {
		lo := b * optimBlock
		hi := min(lo+optimBlock, n)
		for j := range tmp {
			tmp[j] = st.buf[j*optimBlock : j*optimBlock+hi-lo]
		}
		fn(lo, hi, tmp)
	}
	sc.put(st)
}

// optimPow returns x**y as C's pow computes it (correctly rounded, as
// glibc's pow is in all but rare cases) when y is a small non-negative
// integer, which is every use here: Adam's β^t and the schedulers' γ^k.
// Go's math.Pow can be off by an ulp or more there, and 1 - 0.999^t
// magnifies that a thousandfold. Other exponents use math.Pow.
func optimPow(x, y float64) float64 {
	if y != math.Trunc(y) || y < 0 || y > 1<<30 || x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Pow(x, y)
	}
	n := uint64(y)
	const prec = 256
	r := new(big.Float).SetPrec(prec).SetFloat64(1)
	b := new(big.Float).SetPrec(prec).SetFloat64(x)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r.Mul(r, b)
		}
		if n > 1 {
			b.Mul(b, b)
		}
	}
	f, _ := r.Float64()
	return f
}

// optimPowMemo remembers the last few optimPow results: within a step the
// parameters of a group share β and usually t.
type optimPowMemo struct {
	x, y, v [4]float64
	n, next int
}

func (m *optimPowMemo) pow(x, y float64) float64 {
	for i := range m.n {
		if m.x[i] == x && m.y[i] == y {
			return m.v[i]
		}
	}
	v := optimPow(x, y)
	i := m.next
	m.x[i], m.y[i], m.v[i] = x, y, v
	m.next = (i + 1) % len(m.x)
	m.n = min(m.n+1, len(m.x))
	return v
}

// optimPi is π to 300 bits.
var optimPi, _, _ = big.ParseFloat("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196", 10, 300, big.ToNearestEven)

// optimCos returns cos(x) correctly rounded, as C's cos (which the
// schedulers' Python formulas call) computes it: Go's math.Cos may be an
// ulp off, and 1 + cos(x) near x = π, where OneCycleLR and
// CosineAnnealingLR end, turns that into many ulps of the learning rate.
// It costs microseconds, once per scheduler step and group.
func optimCos(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1<<40 {
		return math.Cos(x)
	}
	const prec = 256
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	halfPi := new(big.Float).SetPrec(prec).Quo(optimPi, big.NewFloat(2))
	q := new(big.Float).SetPrec(prec).Quo(bx, halfPi)
	qf, _ := q.Float64()
	k := math.Round(qf)
	r := new(big.Float).SetPrec(prec).Mul(halfPi, big.NewFloat(k))
	r.Sub(bx, r) // |r| <= π/4 (plus rounding)
	var v *big.Float
	switch int64(math.Mod(k, 4)+4) % 4 {
	case 0:
		v = optimTaylor(r, false)
	case 1:
		v = optimTaylor(r, true)
		v.Neg(v)
	case 2:
		v = optimTaylor(r, false)
		v.Neg(v)
	default:
		v = optimTaylor(r, true)
	}
	f, _ := v.Float64()
	return f
}

// optimTaylor returns sin(r) (sin) or cos(r) for small |r| by their Taylor
// series at r's precision.
func optimTaylor(r *big.Float, sin bool) *big.Float {
	prec := r.Prec()
	r2 := new(big.Float).SetPrec(prec).Mul(r, r)
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	n := int64(0)
	if sin {
		term.Set(r)
		n = 1
	}
	sum := new(big.Float).SetPrec(prec).Set(term)
	for i := 0; i < 200 && term.Sign() != 0; i++ {
		// term *= -r² / ((n+1)(n+2))
		term.Mul(term, r2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64((n+1)*(n+2)))
		term.Neg(term)
		n += 2
		sum.Add(sum, term)
		if term.MantExp(nil)-sum.MantExp(nil) < -int(prec) {
			break
		}
	}
	return sum
}
