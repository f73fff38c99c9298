package cpu

import (
	"fmt"
	"math"
)

// Pool2d describes a 2-D pooling window sliding over planes of H×W
// elements and producing planes of OH×OW: kernel KH×KW, stride SH×SW,
// zero-based padding PH×PW on both sides and dilation DH×DW (1 means
// none). Planes are contiguous and consecutive (a [P, H, W] buffer, P being
// batch times channels).
type Pool2d struct {
	H, W, OH, OW int
	KH, KW       int
	SH, SW       int
	PH, PW       int
	DH, DW       int
}

// PoolOutSize returns the number of windows of size k with stride s,
// padding p and dilation d over n elements, as PyTorch's
// pooling_output_shape: with ceilMode a last partial window is kept unless
// it would start inside the right padding.
func PoolOutSize(n, k, s, p, d int, ceilMode bool) int {
	if k < 1 || s < 1 || d < 1 {
		panic(fmt.Sprintf("cpu.PoolOutSize: kernel %d, stride %d and dilation %d must be positive", k, s, d))
	}
	num := n + 2*p - d*(k-1) - 1
	if ceilMode {
		num += s - 1
	}
	out := floorDiv(num, s) + 1
	if ceilMode && (out-1)*s >= n+p {
		out--
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// MaxPool2d writes the maximum of every window into dst ([P, OH, OW]) and
// its position h*W+w within the input plane into idx; idx may be nil when
// only the values are wanted (inference). Padding never wins (it acts as
// -inf); a NaN wins over every number, as in PyTorch. Among equal maxima
// the first in row-major window order is taken. A window that holds no
// input element (possible only with dilation) yields -inf and an index
// outside the plane, which MaxPool2dBackward ignores.
//
// Without dilation the windows that lie inside the plane, the bulk of the
// work, run in AVX2 assembly for float32 with horizontal stride 2 and
// windows 2 or 3 wide (eight outputs at a time), else through unrolled 2x2
// and 3x3 loops (and a plain loop for other sizes); the border windows and
// dilated pools take the general loop. All take the same comparisons in
// the same order, so they agree exactly.
func MaxPool2d[T Float](dst []T, idx []int64, src []T, planes int, g Pool2d) {
	in, out := validPool("MaxPool2d", planes, g)
	validLen("MaxPool2d", "src", len(src), in)
	validLen("MaxPool2d", "dst", len(dst), out)
	validOpt("MaxPool2d", "idx", len(idx), idx == nil, out)
	if g.DH != 1 || g.DW != 1 {
		maxPoolGeneral(dst, idx, src, planes, g)
		return
	}
	hw, ohw := g.H*g.W, g.OH*g.OW
	// Capacities end with this call's data: maxPoolFast may read and write
	// up to them (see there), never past.
	src = src[: planes*hw : planes*hw]
	dst = dst[: planes*ohw : planes*ohw]
	if idx != nil {
		idx = idx[: planes*ohw : planes*ohw]
	}
	// Output columns [owLo, owHi) have windows wholly inside [0, W).
	owLo := min((g.PW+g.SW-1)/g.SW, g.OW)
	owHi := owLo
	if e := g.W + g.PW - g.KW; e >= 0 {
		owHi = max(owLo, min(g.OW, e/g.SW+1))
	}
	for p := range planes {
		s := src[p*hw : (p+1)*hw]
		d := dst[p*ohw : (p+1)*ohw]
		var ix []int64
		if idx != nil {
			ix = idx[p*ohw : (p+1)*ohw]
		}
		for oh := range g.OH {
			h0 := oh*g.SH - g.PH
			h1 := min(h0+g.KH, g.H)
			h0 = max(h0, 0)
			dr := d[oh*g.OW : (oh+1)*g.OW]
			var ir []int64
			if ix != nil {
				ir = ix[oh*g.OW : (oh+1)*g.OW]
			}
			for ow := range owLo {
				maxPoolWindow(dr, ir, ow, s, g, h0, h1)
			}
			mid := owLo + maxPoolFast(dr, ir, s, g, h0, h1-h0, owLo, owHi)
			switch rows := h1 - h0; {
			case rows == 2 && g.KW == 2:
				maxPoolInterior2(dr, ir, s, g, h0, mid, owHi)
			case rows == 3 && g.KW == 3:
				maxPoolInterior3(dr, ir, s, g, h0, mid, owHi)
			default:
				for ow := mid; ow < owHi; ow++ {
					maxPoolWindow(dr, ir, ow, s, g, h0, h1)
				}
			}
			for ow := owHi; ow < g.OW; ow++ {
				maxPoolWindow(dr, ir, ow, s, g, h0, h1)
			}
		}
	}
}

// maxPoolWindow pools output column ow of rows [h0, h1) (no dilation),
// clipping the window to the plane.
func maxPoolWindow[T Float](dr []T, ir []int64, ow int, s []T, g Pool2d, h0, h1 int) {
	w0 := ow*g.SW - g.PW
	w1 := min(w0+g.KW, g.W)
	w0 = max(w0, 0)
	best, bi := s[h0*g.W+w0], h0*g.W+w0
	for h := h0; h < h1; h++ {
		row := s[h*g.W+w0 : h*g.W+w1]
		for j, v := range row {
			if v > best || v != v {
				best, bi = v, h*g.W+w0+j
			}
		}
	}
	dr[ow] = best
	if ir != nil {
		ir[ow] = int64(bi)
	}
}

// maxPoolInterior2 pools 2x2 windows at rows h0, h0+1 for output columns
// [lo, hi), whose windows lie inside the plane.
func maxPoolInterior2[T Float](dr []T, ir []int64, s []T, g Pool2d, h0, lo, hi int) {
	if lo >= hi {
		return
	}
	W := g.W
	r0 := s[h0*W : h0*W+W]
	r1 := s[h0*W+W : h0*W+2*W]
	if ir == nil {
		for ow := lo; ow < hi; ow++ {
			w := ow*g.SW - g.PW
			a, b, c, e := r0[w], r0[w+1], r1[w], r1[w+1]
			best := a
			if b > best || b != b {
				best = b
			}
			if c > best || c != c {
				best = c
			}
			if e > best || e != e {
				best = e
			}
			dr[ow] = best
		}
		return
	}
	base := h0 * W
	for ow := lo; ow < hi; ow++ {
		w := ow*g.SW - g.PW
		a, b, c, e := r0[w], r0[w+1], r1[w], r1[w+1]
		best, k := a, 0
		if b > best || b != b {
			best, k = b, 1
		}
		if c > best || c != c {
			best, k = c, W
		}
		if e > best || e != e {
			best, k = e, W+1
		}
		dr[ow] = best
		ir[ow] = int64(base + w + k)
	}
}

// maxPoolInterior3 pools 3x3 windows at rows h0..h0+2 for output columns
// [lo, hi), whose windows lie inside the plane.
func maxPoolInterior3[T Float](dr []T, ir []int64, s []T, g Pool2d, h0, lo, hi int) {
	if lo >= hi {
		return
	}
	W := g.W
	r0 := s[h0*W : h0*W+W]
	r1 := s[h0*W+W : h0*W+2*W]
	r2 := s[h0*W+2*W : h0*W+3*W]
	if ir == nil {
		for ow := lo; ow < hi; ow++ {
			w := ow*g.SW - g.PW
			x0, x1, x2 := r0[w], r0[w+1], r0[w+2]
			y0, y1, y2 := r1[w], r1[w+1], r1[w+2]
			z0, z1, z2 := r2[w], r2[w+1], r2[w+2]
			best := x0
			for _, v := range [8]T{x1, x2, y0, y1, y2, z0, z1, z2} {
				if v > best || v != v {
					best = v
				}
			}
			dr[ow] = best
		}
		return
	}
	base := h0 * W
	offs := [8]int{1, 2, W, W + 1, W + 2, 2 * W, 2*W + 1, 2*W + 2}
	for ow := lo; ow < hi; ow++ {
		w := ow*g.SW - g.PW
		vals := [8]T{r0[w+1], r0[w+2], r1[w], r1[w+1], r1[w+2], r2[w], r2[w+1], r2[w+2]}
		best, k := r0[w], 0
		for j, v := range vals {
			if v > best || v != v {
				best, k = v, offs[j]
			}
		}
		dr[ow] = best
		ir[ow] = int64(base + w + k)
	}
}

// maxPoolGeneral is MaxPool2d for any geometry, dilation included.
func maxPoolGeneral[T Float](dst []T, idx []int64, src []T, planes int, g Pool2d) {
	hw, ohw := g.H*g.W, g.OH*g.OW
	negInf := T(math.Inf(-1))
	for p := range planes {
		s := src[p*hw : (p+1)*hw]
		d := dst[p*ohw : (p+1)*ohw]
		for oh := range g.OH {
			h0 := oh*g.SH - g.PH
			h1 := min(h0+(g.KH-1)*g.DH+1, g.H)
			for h0 < 0 {
				h0 += g.DH
			}
			for ow := range g.OW {
				w0 := ow*g.SW - g.PW
				w1 := min(w0+(g.KW-1)*g.DW+1, g.W)
				for w0 < 0 {
					w0 += g.DW
				}
				best, bi := negInf, h0*g.W+w0
				for h := h0; h < h1; h += g.DH {
					row := s[h*g.W:]
					for w := w0; w < w1; w += g.DW {
						if v := row[w]; v > best || v != v {
							best, bi = v, h*g.W+w
						}
					}
				}
				d[oh*g.OW+ow] = best
				if idx != nil {
					idx[p*ohw+oh*g.OW+ow] = int64(bi)
				}
			}
		}
	}
}

// ScatterAddPlanes adds src[p, o] into dst[p, idx[p, o]] for each of planes
// pairs of planes (dst planes of inSize elements, src and idx planes of
// outSize). It is the backward of MaxPool2d and of the adaptive max pool;
// indices outside [0, inSize) are skipped.
func ScatterAddPlanes[T Float](dst []T, inSize int, src []T, idx []int64, outSize, planes int) {
	validLen("ScatterAddPlanes", "dst", len(dst), validProd("ScatterAddPlanes", "planes, inSize", planes, inSize))
	o := validProd("ScatterAddPlanes", "planes, outSize", planes, outSize)
	validLen("ScatterAddPlanes", "src", len(src), o)
	validLen("ScatterAddPlanes", "idx", len(idx), o)
	for p := range planes {
		d := dst[p*inSize : (p+1)*inSize]
		s := src[p*outSize : (p+1)*outSize]
		ix := idx[p*outSize : (p+1)*outSize]
		for o, i := range ix {
			if i >= 0 && int(i) < inSize {
				d[i] += s[o]
			}
		}
	}
}

// GatherPlanes writes src[p, idx[p, o]] into dst[p, o] (zero for an index
// outside [0, inSize)): the adjoint of ScatterAddPlanes.
func GatherPlanes[T Float](dst []T, outSize int, src []T, idx []int64, inSize, planes int) {
	validLen("GatherPlanes", "src", len(src), validProd("GatherPlanes", "planes, inSize", planes, inSize))
	o := validProd("GatherPlanes", "planes, outSize", planes, outSize)
	validLen("GatherPlanes", "dst", len(dst), o)
	validLen("GatherPlanes", "idx", len(idx), o)
	for p := range planes {
		d := dst[p*outSize : (p+1)*outSize]
		s := src[p*inSize : (p+1)*inSize]
		ix := idx[p*outSize : (p+1)*outSize]
		for o, i := range ix {
			if i >= 0 && int(i) < inSize {
				d[o] = s[i]
			} else {
				d[o] = 0
			}
		}
	}
}

// avgWindow returns the clipped window [h0, h1) x [w0, w1) of output
// (oh, ow) and the divisor PyTorch's avg_pool2d uses for it.
func (g *Pool2d) avgWindow(oh, ow int, countIncludePad bool, divisor int) (h0, h1, w0, w1 int, div float64) {
	h0 = oh*g.SH - g.PH
	w0 = ow*g.SW - g.PW
	h1 = min(h0+g.KH, g.H+g.PH)
	w1 = min(w0+g.KW, g.W+g.PW)
	size := (h1 - h0) * (w1 - w0)
	h0, w0 = max(h0, 0), max(w0, 0)
	h1, w1 = min(h1, g.H), min(w1, g.W)
	switch {
	case divisor != 0:
		div = float64(divisor)
	case countIncludePad:
		div = float64(size)
	default:
		div = float64((h1 - h0) * (w1 - w0))
	}
	return
}

// AvgPool2d writes the average of every window into dst ([P, OH, OW]), as
// PyTorch's avg_pool2d (dilation is not used). With countIncludePad the
// padded positions inside the padded input count in the divisor; a non-zero
// divisor replaces the count. A window outside the input yields 0.
func AvgPool2d[T Float](dst, src []T, planes int, g Pool2d, countIncludePad bool, divisor int) {
	g1 := g
	g1.DH, g1.DW = 1, 1 // not used
	in, out := validPool("AvgPool2d", planes, g1)
	validLen("AvgPool2d", "src", len(src), in)
	validLen("AvgPool2d", "dst", len(dst), out)
	hw, ohw := g.H*g.W, g.OH*g.OW
	for p := range planes {
		s := src[p*hw : (p+1)*hw]
		d := dst[p*ohw : (p+1)*ohw]
		for oh := range g.OH {
			for ow := range g.OW {
				h0, h1, w0, w1, div := g.avgWindow(oh, ow, countIncludePad, divisor)
				if h0 >= h1 || w0 >= w1 {
					d[oh*g.OW+ow] = 0
					continue
				}
				var sum float64
				for h := h0; h < h1; h++ {
					for _, v := range s[h*g.W+w0 : h*g.W+w1] {
						sum += float64(v)
					}
				}
				d[oh*g.OW+ow] = T(sum / div)
			}
		}
	}
}

// AvgPool2dBackward adds the gradient of AvgPool2d for the output gradient
// gy ([P, OH, OW]) into dx ([P, H, W]).
func AvgPool2dBackward[T Float](dx, gy []T, planes int, g Pool2d, countIncludePad bool, divisor int) {
	g1 := g
	g1.DH, g1.DW = 1, 1 // not used
	in, out := validPool("AvgPool2dBackward", planes, g1)
	validLen("AvgPool2dBackward", "dx", len(dx), in)
	validLen("AvgPool2dBackward", "gy", len(gy), out)
	hw, ohw := g.H*g.W, g.OH*g.OW
	for p := range planes {
		d := dx[p*hw : (p+1)*hw]
		s := gy[p*ohw : (p+1)*ohw]
		for oh := range g.OH {
			for ow := range g.OW {
				h0, h1, w0, w1, div := g.avgWindow(oh, ow, countIncludePad, divisor)
				v := T(float64(s[oh*g.OW+ow]) / div)
				for h := h0; h < h1; h++ {
					row := d[h*g.W+w0 : h*g.W+max(w1, w0)]
					for i := range row {
						row[i] += v
					}
				}
			}
		}
	}
}

// AdaptiveStart and AdaptiveEnd give the input range [start, end) that
// output o of an adaptive pool from in to out elements covers:
// floor(o*in/out) and ceil((o+1)*in/out), as PyTorch.
func AdaptiveStart(o, in, out int) int { return o * in / out }

// AdaptiveEnd is the exclusive end of output o's range; see AdaptiveStart.
func AdaptiveEnd(o, in, out int) int { return ((o+1)*in + out - 1) / out }

// AdaptiveAvgPool2d averages planes of H×W into planes of OH×OW with
// PyTorch's adaptive windows.
func AdaptiveAvgPool2d[T Float](dst, src []T, planes, H, W, OH, OW int) {
	validLen("AdaptiveAvgPool2d", "src", len(src), validProd("AdaptiveAvgPool2d", "planes, H, W", planes, H, W))
	validLen("AdaptiveAvgPool2d", "dst", len(dst), validProd("AdaptiveAvgPool2d", "planes, OH, OW", planes, OH, OW))
	if d32, ok := any(dst).([]float32); ok && OH == 1 && OW == 1 {
		// Global average pooling: one float64 sum per plane (VecSum).
		s32 := any(src).([]float32)
		for p := range planes {
			d32[p] = float32(VecSum(s32[p*H*W:(p+1)*H*W]) / float64(H*W))
		}
		return
	}
	for p := range planes {
		s := src[p*H*W : (p+1)*H*W]
		d := dst[p*OH*OW : (p+1)*OH*OW]
		for oh := range OH {
			h0, h1 := AdaptiveStart(oh, H, OH), AdaptiveEnd(oh, H, OH)
			for ow := range OW {
				w0, w1 := AdaptiveStart(ow, W, OW), AdaptiveEnd(ow, W, OW)
				var sum float64
				for h := h0; h < h1; h++ {
					for _, v := range s[h*W+w0 : h*W+w1] {
						sum += float64(v)
					}
				}
				d[oh*OW+ow] = T(sum / float64((h1-h0)*(w1-w0)))
			}
		}
	}
}

// AdaptiveAvgPool2dBackward adds the gradient of AdaptiveAvgPool2d for the
// output gradient gy into dx.
func AdaptiveAvgPool2dBackward[T Float](dx, gy []T, planes, H, W, OH, OW int) {
	validLen("AdaptiveAvgPool2dBackward", "dx", len(dx), validProd("AdaptiveAvgPool2dBackward", "planes, H, W", planes, H, W))
	validLen("AdaptiveAvgPool2dBackward", "gy", len(gy), validProd("AdaptiveAvgPool2dBackward", "planes, OH, OW", planes, OH, OW))
	if OH == 1 && OW == 1 {
		for p := range planes {
			v := T(float64(gy[p]) / float64(H*W))
			plane := dx[p*H*W : (p+1)*H*W]
			for i := range plane {
				plane[i] += v
			}
		}
		return
	}
	for p := range planes {
		d := dx[p*H*W : (p+1)*H*W]
		s := gy[p*OH*OW : (p+1)*OH*OW]
		for oh := range OH {
			h0, h1 := AdaptiveStart(oh, H, OH), AdaptiveEnd(oh, H, OH)
			for ow := range OW {
				w0, w1 := AdaptiveStart(ow, W, OW), AdaptiveEnd(ow, W, OW)
				v := T(float64(s[oh*OW+ow]) / float64((h1-h0)*(w1-w0)))
				for h := h0; h < h1; h++ {
					row := d[h*W+w0 : h*W+w1]
					for i := range row {
						row[i] += v
					}
				}
			}
		}
	}
}

// AdaptiveMaxPool2d writes the maximum of every adaptive window and its
// position h*W+w in the input plane, NaN winning as in MaxPool2d.
func AdaptiveMaxPool2d[T Float](dst []T, idx []int64, src []T, planes, H, W, OH, OW int) {
	validLen("AdaptiveMaxPool2d", "src", len(src), validProd("AdaptiveMaxPool2d", "planes, H, W", planes, H, W))
	validLen("AdaptiveMaxPool2d", "dst", len(dst), validProd("AdaptiveMaxPool2d", "planes, OH, OW", planes, OH, OW))
	validLen("AdaptiveMaxPool2d", "idx", len(idx), planes*OH*OW)
	negInf := T(math.Inf(-1))
	for p := range planes {
		s := src[p*H*W : (p+1)*H*W]
		d := dst[p*OH*OW : (p+1)*OH*OW]
		ix := idx[p*OH*OW : (p+1)*OH*OW]
		for oh := range OH {
			h0, h1 := AdaptiveStart(oh, H, OH), AdaptiveEnd(oh, H, OH)
			for ow := range OW {
				w0, w1 := AdaptiveStart(ow, W, OW), AdaptiveEnd(ow, W, OW)
				best, bi := negInf, h0*W+w0
				for h := h0; h < h1; h++ {
					for w := w0; w < w1; w++ {
						if v := s[h*W+w]; v > best || v != v {
							best, bi = v, h*W+w
						}
					}
				}
				d[oh*OW+ow] = best
				ix[oh*OW+ow] = int64(bi)
			}
		}
	}
}
