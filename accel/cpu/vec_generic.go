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

// The transcendental kernels work on blocks of up to vecBlk elements, one
// step of the algorithm for all elements of the block at a time, as the
// SIMD kernels work on a register's lanes: the steps of one element form a
// long chain of dependent operations, and interleaving independent
// elements lets the CPU overlap them.
const vecBlk = 16

// vecFMAq is the common path of vecFMA32, small enough to be inlined; when
// ok is false the caller must use vecFMA32 instead.
func vecFMAq(a, b, c float32) (r float32, ok bool) {
	s := float64(a)*float64(b) + float64(c)
	return float32(s), !vecFMA32Suspect(s)
}

// vecExpBlk sets d[i] = exp(x[i] + lo[i]) for x clamped to [vecExpLo32,
// vecExpHi32] (or NaN); lo is nil for plain exp. x is overwritten.
func vecExpBlk(d, x, lo []float32) {
	var t, r [vecBlk]float32
	var n [vecBlk]int32
	x = x[:len(d)]
	for i, v := range x {
		u, ok := vecFMAq(v, vecLog2e32, vecMagic32)
		if !ok {
			u = vecFMA32(v, vecLog2e32, vecMagic32)
		}
		t[i] = u
	}
	for i, v := range x {
		kf := t[i] - vecMagic32
		n[i] = int32(math.Float32bits(t[i]) - math.Float32bits(vecMagic32))
		u, ok := vecFMAq(-kf, vecLn2Hi32, v)
		if !ok {
			u = vecFMA32(-kf, vecLn2Hi32, v)
		}
		w, ok := vecFMAq(-kf, vecLn2Lo32, u)
		if !ok {
			w = vecFMA32(-kf, vecLn2Lo32, u)
		}
		r[i] = w
	}
	if lo != nil {
		for i, v := range lo[:len(d)] {
			r[i] += v
		}
	}
	q := t[:len(d)]
	for i := range q {
		q[i] = vecExpC6
	}
	vecHornerBlk(q, r[:len(d)], vecExpC5, vecExpC4, vecExpC3, vecExpC2, 1, 1)
	for i, p := range q {
		d[i] = vecScale32(p, n[i])
	}
}

// vecHornerBlk steps q[i] = q[i]·r[i] + c for each coefficient c in turn,
// with float32 fused multiply-adds.
func vecHornerBlk(q, r []float32, cs ...float32) {
	r = r[:len(q)]
	for _, c := range cs {
		for i, v := range r {
			u, ok := vecFMAq(q[i], v, c)
			if !ok {
				u = vecFMA32(q[i], v, c)
			}
			q[i] = u
		}
	}
}

// vecScale32 returns v·2^n rounded once, for normal |v| <= 128 and n in
// [-160, 129] (the range vecExpBlk produces). Inside [-126, 127] 2^n is a
// float32 and one product does it; outside, v·2^(n>>1) is exact and the
// second product rounds. Both give the correctly rounded v·2^n; the SIMD
// kernels always take the second way.
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

func vecAbs32(x float32) float32 { return vecF32(math.Float32bits(x) &^ (1 << 31)) }

// vecBlocks applies blk to dst and src in blocks of vecBlk elements.
func vecBlocks(dst, src []float32, blk func(d, s []float32)) {
	src = src[:len(dst)]
	for len(dst) > vecBlk {
		blk(dst[:vecBlk], src[:vecBlk])
		dst, src = dst[vecBlk:], src[vecBlk:]
	}
	if len(dst) > 0 {
		blk(dst, src)
	}
}

func vecExpGeneric(dst, src []float32) { vecBlocks(dst, src, vecExpB) }

func vecExpB(d, s []float32) {
	var x [vecBlk]float32
	for i, v := range s {
		x[i] = vecClampExp(v)
	}
	vecExpBlk(d, x[:len(d)], nil)
}

// vecExpShiftB sets d[i] = exp(s[i] - m) for the exact difference: dd + e
// == s[i] - m (TwoSum) and e corrects the reduced argument. e is clamped to
// [-1, 1] so that infinities (whose e is NaN) cannot spoil a result the
// clamped dd already decides.
func vecExpShiftB(d, s []float32, m float32) {
	var x, lo [vecBlk]float32
	for i, v := range s {
		dd := v - m
		bb := dd - v
		e := (v - (dd - bb)) + (-m - bb)
		if !(e > -1) {
			e = -1
		}
		if !(e < 1) {
			e = 1
		}
		x[i], lo[i] = vecClampExp(dd), e
	}
	vecExpBlk(d, x[:len(d)], lo[:len(d)])
}

func vecExpShiftGeneric(dst, src []float32, m float32) {
	vecBlocks(dst, src, func(d, s []float32) { vecExpShiftB(d, s, m) })
}

func vecTanhGeneric(dst, src []float32) { vecBlocks(dst, src, vecTanhB) }

// vecTanhB: x + x^3·P(x^2) below vecTanhSmall, 1 - 2/(exp(2|x|)+1) above,
// with the sign of x.
func vecTanhB(d, s []float32) {
	var z, q, big [vecBlk]float32
	n := len(d)
	for i, v := range s {
		z[i] = v * v
		q[i] = vecTanhC13
		a := vecAbs32(v)
		big[i] = vecClampExp(a + a)
	}
	vecHornerBlk(q[:n], z[:n], vecTanhC11, vecTanhC9, vecTanhC7, vecTanhC5, vecTanhC3)
	vecExpBlk(big[:n], big[:n], nil)
	for i, x := range s {
		var r float32
		if vecAbs32(x) < vecTanhSmall {
			r = vecFMA32(x*z[i], q[i], x)
		} else {
			r = 1 - 2/(big[i]+1)
		}
		d[i] = vecF32(math.Float32bits(r) | math.Float32bits(x)&(1<<31)) // sign of x, -0 too
	}
}

func vecLogGeneric(dst, src []float32) { vecBlocks(dst, src, vecLogB) }

// vecLogB: x = 2^k·(1+f), f in [sqrt(1/2)-1, sqrt(2)-1], log = k·ln2 +
// f + f^2·P(f); subnormals are scaled by 2^23 first.
func vecLogB(d, s []float32) {
	var f, q [vecBlk]float32
	var k [vecBlk]int32
	n := len(d)
	for i, x := range s {
		ix := math.Float32bits(x)
		if int32(ix) < 0x00800000 { // subnormal (or <= 0: fixed below)
			ix = math.Float32bits(x * 0x1p23)
			k[i] = -23
		}
		ix -= 0x3f3504f3 // sqrt(1/2)
		k[i] += int32(ix) >> 23
		f[i] = vecF32(ix&0x7fffff+0x3f3504f3) - 1
		q[i] = vecLogC10
	}
	vecHornerBlk(q[:n], f[:n], vecLogC9, vecLogC8, vecLogC7, vecLogC6, vecLogC5, vecLogC4, vecLogC3, vecLogC2)
	for i, x := range s {
		kf := float32(k[i])
		r := vecFMA32(kf, vecLn2Hi32, vecFMA32(kf, vecLn2Lo32, vecFMA32(f[i]*f[i], q[i], f[i])))
		if !(x > 0 && x < float32(math.Inf(1))) {
			switch {
			case x == 0:
				r = float32(math.Inf(-1))
			case x < 0:
				r = float32(math.NaN())
			default:
				r = x // +Inf, NaN
			}
		}
		d[i] = r
	}
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

func vecSigmoidGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32(vecSigmoid64(float64(x)))
	}
}

func vecSiLUGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		xd := float64(x)
		dst[i] = float32(xd * vecSigmoid64(xd))
	}
}

func vecGELUTanhGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		xd := float64(x)
		w := xd * math.FMA(vecGeluTB, float64(xd*xd), vecGeluTA)
		dst[i] = float32(xd * vecSigmoid64(w))
	}
}

func vecGELUGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = vecGELU1(x)
	}
}

// vecGELU1: Phi(-|x|) = exp(-x^2/2)·t·S(t), t = 4/(4+|x|).
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

func vecReLUGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		if x < 0 {
			x = 0
		}
		dst[i] = x
	}
}

func vecClampGeneric(dst, src []float32, lo, hi float32) {
	src = src[:len(dst)]
	for i, x := range src {
		if x < lo {
			x = lo
		}
		if x > hi {
			x = hi
		}
		dst[i] = x
	}
}

func vecSqrtGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32(math.Sqrt(float64(x))) // double rounding is harmless for sqrt
	}
}

func vecAbsGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = vecAbs32(x)
	}
}

func vecMaximumGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, x := range a {
		r := x
		if b[i] > x {
			r = b[i]
		}
		if x != x || b[i] != b[i] {
			r = x + b[i]
		}
		dst[i] = r
	}
}

func vecMinimumGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, x := range a {
		r := x
		if b[i] < x {
			r = b[i]
		}
		if x != x || b[i] != b[i] {
			r = x + b[i]
		}
		dst[i] = r
	}
}

func vecAffineGeneric(dst, src []float32, a, b float32) {
	src = src[:len(dst)]
	for i, x := range src {
		r, ok := vecFMAq(a, x, b)
		if !ok {
			r = vecFMA32(a, x, b)
		}
		dst[i] = r
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
		r, ok := vecFMAq(alpha, v, y[i])
		if !ok {
			r = vecFMA32(alpha, v, y[i])
		}
		y[i] = r
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
