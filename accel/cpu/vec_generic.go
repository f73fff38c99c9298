package cpu

import "math"

// This file holds the portable definition of every Vec kernel. The SIMD
// kernels perform exactly the same IEEE operations in the same order (with
// vecFMA32 standing for a hardware fused multiply-add), so every path gives
// the same bits. Products that feed an addition are written with an
// explicit float32()/float64() conversion where fusing them would change
// the result: Go may fuse x*y+z into one FMA (it does on arm64), and an
// explicit conversion forbids that.

func vecF32(b uint32) float32 { return math.Float32frombits(b) }

// vecExpCore reduces x (already clamped to [vecExpLo32, vecExpHi32], or
// NaN) and returns p and n with exp(x+lo) ≈ p·2^n, p in [0.7, 1.42]; lo is a
// small correction added to the reduced argument (0 for plain exp).
func vecExpCore(x, lo float32) (p float32, n int32) {
	t := vecFMA32(x, vecLog2e32, vecMagic32)
	kf := t - vecMagic32
	n = int32(math.Float32bits(t) - math.Float32bits(vecMagic32))
	r := vecFMA32(-kf, vecLn2Hi32, x)
	r = vecFMA32(-kf, vecLn2Lo32, r)
	r += lo
	q := vecFMA32(vecExpC6, r, vecExpC5)
	q = vecFMA32(q, r, vecExpC4)
	q = vecFMA32(q, r, vecExpC3)
	q = vecFMA32(q, r, vecExpC2)
	q = vecFMA32(q, r, 1)
	p = vecFMA32(q, r, 1)
	return p, n
}

// vecScale32 returns v·2^n rounded once, for normal |v| <= 128 and n in
// [-160, 129] (the range vecExpCore produces). Inside [-126, 127] 2^n is a
// float32 and one product does it; outside, v·2^(n>>1) is exact and the
// second product rounds. Both give the correctly rounded v·2^n, so the
// SIMD kernels may take either branch for a whole vector.
func vecScale32(v float32, n int32) float32 {
	if n >= -126 && n <= 127 {
		return float32(v * vecF32(uint32(n+127)<<23))
	}
	n1 := n >> 1
	n2 := n - n1
	return float32(float32(v*vecF32(uint32(n1+127)<<23)) * vecF32(uint32(n2+127)<<23))
}

// vecClampExp clamps x to [vecExpLo32, vecExpHi32], keeping NaN.
func vecClampExp(x float32) float32 {
	if x < vecExpLo32 {
		x = vecExpLo32
	}
	if x > vecExpHi32 {
		x = vecExpHi32
	}
	return x
}

func vecExp1(x float32) float32 {
	p, n := vecExpCore(vecClampExp(x), 0)
	return vecScale32(p, n)
}

func vecSigmoid1(x float32) float32 {
	return float32(vecSigmoid64(float64(x)))
}

// vecSigmoid64 is 1/(1+exp(-x)) in float64, written as exp(x)/(1+exp(x))
// for x < 0 so that it never overflows.
func vecSigmoid64(x float64) float64 {
	e := vecExp64(-math.Abs(x))
	num := 1.0
	if x < 0 {
		num = e
	}
	return num / (1 + e)
}

func vecSiLU1(x float32) float32 {
	xd := float64(x)
	return float32(xd * vecSigmoid64(xd))
}

func vecAbs32(x float32) float32 { return vecF32(math.Float32bits(x) &^ (1 << 31)) }

func vecTanh1(x float32) float32 {
	a := vecAbs32(x)
	var r float32
	if a < vecTanhSmall {
		z := x * x
		q := vecFMA32(vecTanhC13, z, vecTanhC11)
		q = vecFMA32(q, z, vecTanhC9)
		q = vecFMA32(q, z, vecTanhC7)
		q = vecFMA32(q, z, vecTanhC5)
		q = vecFMA32(q, z, vecTanhC3)
		r = vecFMA32(x*z, q, x)
	} else {
		p, n := vecExpCore(vecClampExp(a+a), 0)
		e := vecScale32(p, n)
		r = 1 - 2/(e+1)
	}
	return vecF32(math.Float32bits(r) | math.Float32bits(x)&(1<<31)) // sign of x, -0 too
}

func vecLog1(x float32) float32 {
	if !(x > 0 && x < float32(math.Inf(1))) {
		switch {
		case x == 0:
			return float32(math.Inf(-1))
		case x < 0:
			return float32(math.NaN())
		}
		return x // +Inf, NaN
	}
	k := int32(0)
	ix := math.Float32bits(x)
	if ix < 0x00800000 { // subnormal
		x *= 0x1p23
		ix = math.Float32bits(x)
		k = -23
	}
	ix -= 0x3f3504f3 // sqrt(1/2)
	k += int32(ix) >> 23
	f := vecF32(ix&0x7fffff+0x3f3504f3) - 1
	q := vecFMA32(vecLogC10, f, vecLogC9)
	q = vecFMA32(q, f, vecLogC8)
	q = vecFMA32(q, f, vecLogC7)
	q = vecFMA32(q, f, vecLogC6)
	q = vecFMA32(q, f, vecLogC5)
	q = vecFMA32(q, f, vecLogC4)
	q = vecFMA32(q, f, vecLogC3)
	q = vecFMA32(q, f, vecLogC2)
	lp := vecFMA32(f*f, q, f)
	kf := float32(k)
	return vecFMA32(kf, vecLn2Hi32, vecFMA32(kf, vecLn2Lo32, lp))
}

// vecExp64 returns exp(x) for x <= 0 (or NaN) in float64; its relative
// error is below 2^-33, far inside what a float32 result needs.
func vecExp64(x float64) float64 {
	if x < vecExp64Lo {
		x = vecExp64Lo
	}
	t := math.FMA(x, vecLog2e64, vecMagic64)
	kf := t - vecMagic64
	n := int64(math.Float64bits(t) - math.Float64bits(vecMagic64))
	r := math.FMA(-kf, vecLn2Hi64, x)
	r = math.FMA(-kf, vecLn2Lo64, r)
	q := math.FMA(vecExp64C7, r, vecExp64C6)
	q = math.FMA(q, r, vecExp64C5)
	q = math.FMA(q, r, vecExp64C4)
	q = math.FMA(q, r, vecExp64C3)
	q = math.FMA(q, r, vecExp64C2)
	q = math.FMA(q, r, 1)
	p := math.FMA(q, r, 1)
	n1 := n >> 1
	n2 := n - n1
	return float64(float64(p*math.Float64frombits(uint64(n1+1023)<<52)) * math.Float64frombits(uint64(n2+1023)<<52))
}

func vecGELU1(x float32) float32 {
	xd := float64(x)
	u := math.Abs(xd)
	t := vecGeluK / (vecGeluK + u)
	s := math.FMA(vecGeluS12, t, vecGeluS11)
	s = math.FMA(s, t, vecGeluS10)
	s = math.FMA(s, t, vecGeluS9)
	s = math.FMA(s, t, vecGeluS8)
	s = math.FMA(s, t, vecGeluS7)
	s = math.FMA(s, t, vecGeluS6)
	s = math.FMA(s, t, vecGeluS5)
	s = math.FMA(s, t, vecGeluS4)
	s = math.FMA(s, t, vecGeluS3)
	s = math.FMA(s, t, vecGeluS2)
	s = math.FMA(s, t, vecGeluS1)
	s = math.FMA(s, t, vecGeluS0)
	e := vecExp64(-0.5 * float64(u*u))
	q := float64(float64(t*s) * e) // Phi(-|x|)
	if xd >= 0 {
		return float32(xd * (1 - q))
	}
	return float32(xd * q)
}

func vecGELUTanh1(x float32) float32 {
	xd := float64(x)
	w := xd * math.FMA(vecGeluTB, float64(xd*xd), vecGeluTA)
	return float32(xd * vecSigmoid64(w))
}

func vecMapGeneric(f func(float32) float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		src = src[:len(dst)]
		for i, x := range src {
			dst[i] = f(x)
		}
	}
}

func vecReLUGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		if x < 0 {
			x = 0
		}
		dst[i] = x
	}
}

func vecAffineGeneric(dst, src []float32, a, b float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = vecFMA32(a, x, b)
	}
}

func vecScaleGeneric(dst, src []float32, a float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = a * x
	}
}

func vecAxpyGeneric(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = vecFMA32(alpha, v, y[i])
	}
}

func vecAddGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func vecSubGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func vecMulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func vecDivGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}

// vecExpShift1 returns exp(x - m) for the exact difference: d + e == x - m
// (TwoSum) and e corrects the reduced argument. e is clamped to [-1, 1] so
// that infinities (whose e is NaN) cannot spoil a result the clamped d
// already decides.
func vecExpShift1(x, m float32) float32 {
	d := x - m
	bb := d - x
	e := (x - (d - bb)) + (-m - bb)
	if !(e > -1) {
		e = -1
	}
	if !(e < 1) {
		e = 1
	}
	p, n := vecExpCore(vecClampExp(d), e)
	return vecScale32(p, n)
}

func vecExpShiftGeneric(dst, src []float32, m float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = vecExpShift1(x, m)
	}
}

func vecLSFinishGeneric(dst, src []float32, m, ls float64) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32((float64(x) - m) - ls)
	}
}

// vecSumGeneric defines the summation order every path follows: element i
// of each whole block of 32 goes to float64 lane i, the lanes are combined
// by a fixed pairwise tree, and the elements after the last whole block
// are added in order.
func vecSumGeneric(x []float32) float64 {
	var acc [32]float64
	n := len(x) &^ 31
	for i := 0; i < n; i += 32 {
		b := x[i : i+32 : i+32]
		for j := range acc {
			acc[j] += float64(b[j])
		}
	}
	s := vecTree32(&acc)
	for _, v := range x[n:] {
		s += float64(v)
	}
	return s
}

func vecDotGeneric(a, b []float32) float64 {
	var acc [32]float64
	b = b[:len(a)]
	n := len(a) &^ 31
	for i := 0; i < n; i += 32 {
		ba, bb := a[i:i+32:i+32], b[i:i+32:i+32]
		for j := range acc {
			acc[j] += float64(ba[j]) * float64(bb[j]) // exact product
		}
	}
	s := vecTree32(&acc)
	for i := n; i < len(a); i++ {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func vecTree32(a *[32]float64) float64 {
	for w := 16; w >= 1; w >>= 1 {
		for j := 0; j < w; j++ {
			a[j] += a[j+w]
		}
	}
	return a[0]
}

// vecMaxKey maps float32 bits to int32 keys ordered as the floats are
// (-0 below +0); it is its own inverse.
func vecMaxKey(b uint32) int32 {
	k := int32(b)
	return k ^ int32(uint32(k>>31)>>1)
}

func vecMaxGeneric(x []float32) float32 {
	return vecMaxMerge(float32(math.Inf(-1)), x)
}

// vecMaxMerge returns the max of r and the elements of x, NaN if any is.
func vecMaxMerge(r float32, x []float32) float32 {
	if r != r {
		return vecF32(0x7fc00000)
	}
	k := vecMaxKey(math.Float32bits(r))
	for _, v := range x {
		if v != v {
			return vecF32(0x7fc00000)
		}
		k = max(k, vecMaxKey(math.Float32bits(v)))
	}
	return vecF32(uint32(vecMaxKey(uint32(k))))
}
