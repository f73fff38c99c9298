package cpu

import (
	"fmt"
	"math"
)

// vecFMA32 returns a*b+c rounded once to float32, exactly what a hardware
// single-precision fused multiply-add (VFMADD*PS, FMLA) computes. Go has no
// float32 FMA, so it is emulated: a*b is exact in float64, and the float64
// sum is rounded a second time to float32, which is the correctly rounded
// result unless the float64 sum landed exactly on a float32 rounding
// boundary; that rare case (its low 28 mantissa bits are zero) is settled
// exactly by vecFMA32Slow.
func vecFMA32(a, b, c float32) float32 {
	p, cc := float64(a)*float64(b), float64(c) // p is exact
	s := p + cc
	if math.Float64bits(s)<<36 == 0 {
		return vecFMA32Slow(p, cc)
	}
	return float32(s)
}

// vecFMA32Suspect reports whether float32(s), s = a·b+c rounded to
// float64, might differ from a·b+c rounded once to float32: s is a float32
// tie point in the normal range, or lies in the subnormal range (or is 0).
// Hot loops use vecFMAq, which inlines this test, and fall back to
// vecFMA32 when it holds.
func vecFMA32Suspect(s float64) bool {
	u := math.Float64bits(s)
	return u&(1<<29-1) == 1<<28 || u&(0x7ff<<52) < (1023-126)<<52
}

// vecFMA32Slow finishes vecFMA32 when s = p+cc rounded to float64 may sit
// on a float32 tie point; p = a·b is exact.
func vecFMA32Slow(p, cc float64) float32 {
	s := p + cc
	r := float32(s)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	// TwoSum: s + e == p + cc exactly.
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	if e == 0 || float64(r) == s {
		// s is exact, or s is a float32 and the tiny e cannot move the
		// rounding away from it.
		return r
	}
	// s lies strictly between two float32 values; it matters only when it
	// is their midpoint, where e decides the direction.
	lo, hi := float64(r), float64(r)
	if math.IsInf(lo, 0) {
		// s rounded past MaxFloat32: the neighbours are ±MaxFloat32 and
		// ±2^128, and float32(±2^128) is ±Inf.
		lo, hi = math.Copysign(math.MaxFloat32, s), math.Copysign(0x1p128, s)
		if s < 0 {
			lo, hi = hi, lo
		}
	} else if lo < s {
		hi = vecNext32(r, true)
	} else {
		lo = vecNext32(r, false)
	}
	if lo+hi != 2*s {
		return r
	}
	if e > 0 {
		return float32(hi) // hi may be 2^128: rounds to +Inf
	}
	return float32(lo)
}

// vecNext32 returns the float32 neighbour of finite r above (up) or below it
// as float64; past MaxFloat32 it returns 2^128, the virtual next value that
// decides rounding to infinity.
func vecNext32(r float32, up bool) float64 {
	if up && r == math.MaxFloat32 {
		return 0x1p128
	}
	if !up && r == -math.MaxFloat32 {
		return -0x1p128
	}
	if up {
		return float64(math.Nextafter32(r, float32(math.Inf(1))))
	}
	return float64(math.Nextafter32(r, float32(math.Inf(-1))))
}

// VecFMA sets dst[i] = a[i]·b[i] + c[i] rounded once to float32, the
// result of a hardware fused multiply-add (PyTorch's addcmul on the CPU
// computes it so). A first pass takes the fast path everywhere and notes
// whether any element needs the exact settling; only then does a second
// pass redo the elements. a, b and c must be at least as long as dst.
func VecFMA(dst, a, b, c []float32) {
	if len(a) < len(dst) || len(b) < len(dst) || len(c) < len(dst) {
		panic(fmt.Sprintf("cpu.VecFMA: operands of lengths %d, %d, %d are shorter than dst (%d)", len(a), len(b), len(c), len(dst)))
	}
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	suspect := false
	for i := range dst {
		s := float64(a[i])*float64(b[i]) + float64(c[i]) // the product is exact
		if u := math.Float64bits(s); u&(1<<29-1) == 1<<28 || u&(0x7ff<<52) < (1023-126)<<52 {
			suspect = true
		}
		dst[i] = float32(s)
	}
	if suspect {
		for i := range dst {
			p, cc := float64(a[i])*float64(b[i]), float64(c[i])
			if vecFMA32Suspect(p + cc) {
				dst[i] = vecFMA32Slow(p, cc)
			}
		}
	}
}
