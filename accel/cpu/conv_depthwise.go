package cpu

import "math"

// Direct kernels for depthwise convolution (Groups == C): output channel oc
// reads only input channel oc/M, where M = OC/C is the channel multiplier,
// through its own KH×KW kernel. im2col would copy the input KH*KW times for
// a GEMM with a single row per group, so these loop over the planes
// directly. The interior of each output plane, where every tap is inside
// the input, runs without bounds checks (unrolled for 3x3 kernels); the
// border evaluates each pixel with checks.

// depthwiseForward computes y = act(conv(x, w) + bias) for a depthwise p.
// Float32 3x3 convolutions with stride 1 or 2 (the same both ways), no
// dilation, channel multiplier 1 and padding under 3 run the assembly
// kernels where the CPU has them; everything else runs depthwisePlane.
// The planes are split over the worker pool in contiguous runs.
func depthwiseForward[T Float](p ConvParams, x, w, bias, y []T) {
	if x32, ok := any(x).([]float32); ok && dwSIMDForward(p, x32, any(w).([]float32), any(bias).([]float32), any(y).([]float32)) {
		return
	}
	m := p.OC / p.C
	hw, ohw, kk := p.H*p.W, p.OutH*p.OutW, p.KH*p.KW
	lo, hi := p.Act.bounds()
	tlo, thi := T(lo), T(hi)
	convParallelFor(p.N*p.OC, ohw*kk, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, oc := pl/p.OC, pl%p.OC
			c := oc / m
			var b T
			if bias != nil {
				b = bias[oc]
			}
			yp := y[pl*ohw : (pl+1)*ohw]
			depthwisePlane(p, x[(n*p.C+c)*hw:(n*p.C+c+1)*hw], w[oc*kk:(oc+1)*kk], b, yp)
			if p.Act.Kind != ActNone {
				actClamp(yp, tlo, thi)
			}
		}
	})
}

// dwMaxW is the widest input row the assembly depthwise kernels take: rows
// outside the input read dwZero.
const dwMaxW = 4096

var dwZero [dwMaxW]float32

// dwSIMDForward runs the assembly depthwise 3x3 kernel for p when there is
// one for it, and reports whether it did.
func dwSIMDForward(p ConvParams, x, w, bias, y []float32) bool {
	if !dwSIMDShape(p) {
		return false
	}
	fn, lanes, avx512 := dwSIMD3x3(p.StrideW)
	if fn == nil {
		return false
	}
	masks, nblk, full0, full1 := dwMasks(p, lanes, avx512)
	if bias == nil {
		bias = make([]float32, p.C)
	}
	lo, hi := p.Act.bounds()
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	convParallelFor(p.N*p.C, ohw*9, func(lo0, hi0 int) {
		for pl := lo0; pl < hi0; {
			n, c := pl/p.C, pl%p.C
			cnt := min(hi0-pl, p.C-c) // planes of this image
			_, _ = x[(pl+cnt)*hw-1], y[(pl+cnt)*ohw-1]
			fn(&x[pl*hw], &y[pl*ohw], &w[c*9], &bias[c], &dwZero[0], &masks[0],
				cnt, p.H, p.W, p.OutH, p.OutW, p.PadH, p.PadW, nblk, full0, full1, float32(lo), float32(hi))
			_ = n
			pl += cnt
		}
	})
	return true
}

// dwMasks builds the column-block table of the assembly kernels (see
// internal/asmgen/dwconv.go): nblk blocks of lanes output columns. For
// AVX-512 each block has four 16-bit masks (in int32s): the three loads
// (stride 1: taps 0, 1, 2 at input column c0+kw; stride 2: columns c0,
// c0+16 and c0+32, of which only the first lane) and the store. For AVX2
// each block has 8-lane masks for the chunks of input columns c0, c0+8,
// ... that it copies and for the store, and blocks [full0, full1) need
// none. c0 = ow0*stride - PadW is the block's first input column.
func dwMasks(p ConvParams, lanes int, avx512 bool) (masks []int32, nblk, full0, full1 int) {
	s := p.StrideW
	nblk = (p.OutW + lanes - 1) / lanes
	in := func(c int) bool { return c >= 0 && c < p.W }
	if avx512 {
		masks = make([]int32, 4*nblk)
		for b := range nblk {
			ow0 := b * lanes
			c0 := ow0*s - p.PadW
			var m [4]int32
			for i := range lanes {
				if s == 1 {
					for kw := range 3 {
						if in(c0 + kw + i) {
							m[kw] |= 1 << i
						}
					}
				} else {
					if in(c0 + i) {
						m[0] |= 1 << i
					}
					if in(c0 + 16 + i) {
						m[1] |= 1 << i
					}
				}
				if ow0+i < p.OutW {
					m[3] |= 1 << i
				}
			}
			if s == 2 && in(c0+32) {
				m[2] = 1
			}
			copy(masks[4*b:], m[:])
		}
		return masks, nblk, 0, 0
	}
	nch := (8*s + 2 + 7) / 8
	rec := 8 * (nch + 1)
	masks = make([]int32, rec*nblk)
	full0, full1 = nblk, nblk
	for b := range nblk {
		ow0 := b * lanes
		c0 := ow0*s - p.PadW
		r := masks[b*rec : (b+1)*rec]
		for ch := range nch {
			for i := range 8 {
				if in(c0 + 8*ch + i) {
					r[8*ch+i] = -1
				}
			}
		}
		for i := range 8 {
			if ow0+i < p.OutW {
				r[8*nch+i] = -1
			}
		}
		full := c0 >= 0 && c0+8*s+2 <= p.W && ow0+8 <= p.OutW
		if full && full0 == nblk {
			full0 = b
		}
		if full {
			full1 = b + 1
		}
	}
	if full0 == nblk {
		full0, full1 = 0, 0
	}
	return masks, nblk, full0, full1
}

// depthwiseInterior returns the output positions [lo, hi) along one
// dimension whose taps off, off+dil, ..., off+(k-1)*dil (plus o*stride) all
// lie inside [0, in).
func depthwiseInterior(out, in, stride, off, span int) (lo, hi int) {
	lo, _ = convRange(out, in, stride, off)
	_, hi = convRange(out, in, stride, off+span)
	return lo, max(lo, hi)
}

// depthwisePlane convolves one input plane x ([H, W]) with one kernel w
// ([KH, KW]) into one output plane y ([OutH, OutW]), adding b.
func depthwisePlane[T Float](p ConvParams, x, w []T, b T, y []T) {
	ohLo, ohHi := depthwiseInterior(p.OutH, p.H, p.StrideH, -p.PadH, (p.KH-1)*p.DilH)
	owLo, owHi := depthwiseInterior(p.OutW, p.W, p.StrideW, -p.PadW, (p.KW-1)*p.DilW)
	for oh := range p.OutH {
		yr := y[oh*p.OutW : (oh+1)*p.OutW]
		if oh < ohLo || oh >= ohHi || owLo >= owHi {
			for ow := range yr {
				yr[ow] = depthwisePixel(p, x, w, b, oh, ow)
			}
			continue
		}
		for ow := 0; ow < owLo; ow++ {
			yr[ow] = depthwisePixel(p, x, w, b, oh, ow)
		}
		for ow := owHi; ow < p.OutW; ow++ {
			yr[ow] = depthwisePixel(p, x, w, b, oh, ow)
		}
		ih := oh*p.StrideH - p.PadH
		iw := owLo*p.StrideW - p.PadW
		seg := yr[owLo:owHi]
		if p.KH == 3 && p.KW == 3 {
			r0 := x[ih*p.W : (ih+1)*p.W]
			r1 := x[(ih+p.DilH)*p.W : (ih+p.DilH+1)*p.W]
			r2 := x[(ih+2*p.DilH)*p.W : (ih+2*p.DilH+1)*p.W]
			if p.StrideW == 1 && p.DilW == 1 {
				depthwiseRow3x3s1(seg, r0[iw:], r1[iw:], r2[iw:], w, b)
			} else {
				depthwiseRow3x3(seg, r0, r1, r2, w, b, iw, p.StrideW, p.DilW)
			}
			continue
		}
		for i := range seg {
			s := b
			for kh := range p.KH {
				row := x[(ih+kh*p.DilH)*p.W:]
				wr := w[kh*p.KW : (kh+1)*p.KW]
				for kw, wv := range wr {
					s += wv * row[iw+kw*p.DilW]
				}
			}
			seg[i] = s
			iw += p.StrideW
		}
	}
}

// depthwiseRow3x3s1 computes one interior output row segment of a 3x3,
// stride-1, dilation-1 depthwise convolution; r0, r1 and r2 start at the
// first input column the segment reads.
func depthwiseRow3x3s1[T Float](y, r0, r1, r2, w []T, b T) {
	n := len(y)
	r0, r1, r2 = r0[:n+2], r1[:n+2], r2[:n+2]
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	// Slide a 3x3 window along the rows, loading one new column per step.
	a0, a1 := r0[0], r0[1]
	c0, c1 := r1[0], r1[1]
	e0, e1 := r2[0], r2[1]
	for i := range y {
		a2, c2, e2 := r0[i+2], r1[i+2], r2[i+2]
		y[i] = b + w0*a0 + w1*a1 + w2*a2 +
			w3*c0 + w4*c1 + w5*c2 +
			w6*e0 + w7*e1 + w8*e2
		a0, a1 = a1, a2
		c0, c1 = c1, c2
		e0, e1 = e1, e2
	}
}

// depthwiseRow3x3 is depthwiseRow3x3s1 for any stride and dilation: output
// i of the segment reads columns iw + i*stride + {0, dil, 2*dil}.
func depthwiseRow3x3[T Float](y, r0, r1, r2, w []T, b T, iw, stride, dil int) {
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	for i := range y {
		j0, j1, j2 := iw, iw+dil, iw+2*dil
		y[i] = b + w0*r0[j0] + w1*r0[j1] + w2*r0[j2] +
			w3*r1[j0] + w4*r1[j1] + w5*r1[j2] +
			w6*r2[j0] + w7*r2[j1] + w8*r2[j2]
		iw += stride
	}
}

// depthwisePixel computes one output pixel with bounds checks.
func depthwisePixel[T Float](p ConvParams, x, w []T, b T, oh, ow int) T {
	s := b
	for kh := range p.KH {
		ih := oh*p.StrideH - p.PadH + kh*p.DilH
		if ih < 0 || ih >= p.H {
			continue
		}
		row := x[ih*p.W : (ih+1)*p.W]
		for kw := range p.KW {
			iw := ow*p.StrideW - p.PadW + kw*p.DilW
			if iw < 0 || iw >= p.W {
				continue
			}
			s += w[kh*p.KW+kw] * row[iw]
		}
	}
	return s
}

// depthwiseBackwardData computes dx = conv^T(dy, w) + bias for a
// depthwise p: each input plane gathers from its M output planes.
func depthwiseBackwardData[T Float](p ConvParams, dy, w, bias, dx []T) {
	if dy32, ok := any(dy).([]float32); ok && dwSIMDBackwardData(p, dy32, any(w).([]float32), any(bias).([]float32), any(dx).([]float32)) {
		return
	}
	m := p.OC / p.C
	hw, ohw, kk := p.H*p.W, p.OutH*p.OutW, p.KH*p.KW
	convParallelFor(p.N*p.C, m*ohw*kk, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, c := pl/p.C, pl%p.C
			dxp := dx[pl*hw : (pl+1)*hw]
			var b T
			if bias != nil {
				b = bias[c]
			}
			for i := range dxp {
				dxp[i] = b
			}
			for j := range m {
				oc := c*m + j
				dyp := dy[(n*p.OC+oc)*ohw : (n*p.OC+oc+1)*ohw]
				wk := w[oc*kk : (oc+1)*kk]
				for kh := range p.KH {
					offH := kh*p.DilH - p.PadH
					ohLo, ohHi := convRange(p.OutH, p.H, p.StrideH, offH)
					for kw := range p.KW {
						offW := kw*p.DilW - p.PadW
						owLo, owHi := convRange(p.OutW, p.W, p.StrideW, offW)
						if owLo >= owHi {
							continue
						}
						wv := wk[kh*p.KW+kw]
						for oh := ohLo; oh < ohHi; oh++ {
							src := dyp[oh*p.OutW+owLo : oh*p.OutW+owHi]
							ih := oh*p.StrideH + offH
							dst := dxp[ih*p.W : (ih+1)*p.W]
							iw := owLo*p.StrideW + offW
							if p.StrideW == 1 {
								d := dst[iw : iw+len(src)]
								for i, v := range src {
									d[i] += wv * v
								}
								continue
							}
							for _, v := range src {
								dst[iw] += wv * v
								iw += p.StrideW
							}
						}
					}
				}
			}
		}
	})
}

// depthwiseBackwardWeight computes dw, the gradient of a depthwise
// convolution's weight, summed over the batch.
func depthwiseBackwardWeight[T Float](p ConvParams, x, dy, dw []T) {
	if x32, ok := any(x).([]float32); ok && dwSIMDBackwardWeight(p, x32, any(dy).([]float32), any(dw).([]float32)) {
		return
	}
	m := p.OC / p.C
	hw, ohw, kk := p.H*p.W, p.OutH*p.OutW, p.KH*p.KW
	convParallelFor(p.OC, p.N*ohw*kk, func(lo, hi int) {
		for oc := lo; oc < hi; oc++ {
			c := oc / m
			for kh := range p.KH {
				offH := kh*p.DilH - p.PadH
				ohLo, ohHi := convRange(p.OutH, p.H, p.StrideH, offH)
				for kw := range p.KW {
					offW := kw*p.DilW - p.PadW
					owLo, owHi := convRange(p.OutW, p.W, p.StrideW, offW)
					var s T
					for n := 0; n < p.N && owLo < owHi; n++ {
						xp := x[(n*p.C+c)*hw : (n*p.C+c+1)*hw]
						dyp := dy[(n*p.OC+oc)*ohw : (n*p.OC+oc+1)*ohw]
						for oh := ohLo; oh < ohHi; oh++ {
							g := dyp[oh*p.OutW+owLo : oh*p.OutW+owHi]
							ih := oh*p.StrideH + offH
							row := xp[ih*p.W : (ih+1)*p.W]
							iw := owLo*p.StrideW + offW
							if p.StrideW == 1 {
								s += convDot(g, row[iw:iw+len(g)])
								continue
							}
							for _, v := range g {
								s += v * row[iw]
								iw += p.StrideW
							}
						}
					}
					dw[oc*kk+kh*p.KW+kw] = s
				}
			}
		}
	})
}

// convDot returns the dot product of a and b (len(b) >= len(a)) with four
// accumulators, so the additions do not wait on each other.
func convDot[T Float](a, b []T) T {
	b = b[:len(a)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dwSIMDShape reports whether the assembly depthwise 3x3 kernels take p.
func dwSIMDShape(p ConvParams) bool {
	return p.KH == 3 && p.KW == 3 && p.DilH == 1 && p.DilW == 1 && p.OC == p.C &&
		p.StrideH == p.StrideW && p.StrideH <= 2 && p.PadH <= 2 && p.PadW <= 2 && p.W <= dwMaxW && p.N > 0
}

// dwSIMDBackwardData runs the input gradient of a depthwise 3x3 p on the
// assembly forward kernel, and reports whether it did. The gradient is the
// forward convolution, with padding 2-pad, of dy with the kernels rotated
// by 180 degrees; for stride 2, dy is first spread out with zeros between
// its elements (a convolution over 4 times the pixels, still far faster
// than the scalar scatter).
func dwSIMDBackwardData(p ConvParams, dy, w, bias, dx []float32) bool {
	if !dwSIMDShape(p) {
		return false
	}
	s := p.StrideW
	q := ConvParams{N: p.N, C: p.C, OC: p.C, Groups: p.C, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1,
		H: (p.OutH-1)*s + 1, W: (p.OutW-1)*s + 1, PadH: 2 - p.PadH, PadW: 2 - p.PadW, OutH: p.H, OutW: p.W}
	fn, lanes, avx512 := dwSIMD3x3(1)
	if fn == nil || q.W > dwMaxW {
		return false
	}
	wf := make([]float32, 9*p.C)
	for c := range p.C {
		for i := range 9 {
			wf[c*9+i] = w[c*9+8-i]
		}
	}
	if bias == nil {
		bias = make([]float32, p.C)
	}
	masks, nblk, full0, full1 := dwMasks(q, lanes, avx512)
	ohw, qhw, hw := p.OutH*p.OutW, q.H*q.W, p.H*p.W
	convParallelFor(p.N*p.C, hw*9, func(lo0, hi0 int) {
		var spread []float32
		if s > 1 {
			spread = make([]float32, qhw)
		}
		for pl := lo0; pl < hi0; {
			c := pl % p.C
			cnt := min(hi0-pl, p.C-c)
			if s == 1 {
				_, _ = dy[(pl+cnt)*ohw-1], dx[(pl+cnt)*hw-1]
				fn(&dy[pl*ohw], &dx[pl*hw], &wf[c*9], &bias[c], &dwZero[0], &masks[0],
					cnt, q.H, q.W, q.OutH, q.OutW, q.PadH, q.PadW, nblk, full0, full1, float32(math.Inf(-1)), float32(math.Inf(1)))
				pl += cnt
				continue
			}
			src := dy[pl*ohw : (pl+1)*ohw]
			for oh := range p.OutH {
				row := spread[oh*s*q.W : oh*s*q.W+q.W]
				for ow, v := range src[oh*p.OutW : (oh+1)*p.OutW] {
					row[ow*s] = v
				}
			}
			_ = dx[(pl+1)*hw-1]
			fn(&spread[0], &dx[pl*hw], &wf[c*9], &bias[c], &dwZero[0], &masks[0],
				1, q.H, q.W, q.OutH, q.OutW, q.PadH, q.PadW, nblk, full0, full1, float32(math.Inf(-1)), float32(math.Inf(1)))
			pl++
		}
	})
	return true
}

// dwSIMDBackwardWeight runs the weight gradient of a depthwise 3x3 p on
// the assembly kernel, and reports whether it did. Workers own whole
// channels and loop over the batch, so no two write the same weight.
func dwSIMDBackwardWeight(p ConvParams, x, dy, dw []float32) bool {
	if !dwSIMDShape(p) {
		return false
	}
	fn := dwSIMDBwdW3x3(p.StrideW)
	if fn == nil {
		return false
	}
	masks, nblk, _, _ := dwMasks(p, 16, true)
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	dw = dw[:9*p.C]
	clear(dw)
	convParallelFor(p.C, p.N*ohw*9, func(c0, c1 int) {
		for n := range p.N {
			pl := n*p.C + c0
			_, _ = x[(pl+c1-c0)*hw-1], dy[(pl+c1-c0)*ohw-1]
			fn(&x[pl*hw], &dy[pl*ohw], &dw[c0*9], &dwZero[0], &masks[0],
				c1-c0, p.H, p.W, p.OutH, p.OutW, p.PadH, p.PadW, nblk)
		}
	})
	return true
}
