package cpu

import (
	"fmt"
	"math"
)

// NearestIndices returns, for each of out output positions, the input
// position that nearest-neighbour resizing from in positions reads, with
// the arithmetic of PyTorch 1.13's upsample_nearest2d on contiguous
// (channels-first) input: the source of i is floor(i*scale), the product
// taken in T and rounded to float32 before the floor, clamped to in-1,
// where scale (in T) is 1/scaleFactor when a scale factor was given
// (scaleFactor > 0) and in/out otherwise. (PyTorch's channels-last kernel,
// which it also picks for inputs with one channel, instead copies when
// out == in and reads i/2 when out == 2*in whatever the scale factor.)
func NearestIndices[T Float](in, out int, scaleFactor float64) []int {
	validSize("NearestIndices", "in", in)
	validSize("NearestIndices", "out", out)
	idx := make([]int, out)
	var scale T
	if scaleFactor > 0 {
		scale = T(1 / scaleFactor)
	} else {
		scale = T(in) / T(out)
	}
	for i := range idx {
		idx[i] = min(int(math.Floor(float64(float32(T(i)*scale)))), in-1)
	}
	return idx
}

// LinearTaps are the two source positions and weights of each output
// position of a linear resize along one axis: out[i] = L0[i]*x[I0[i]] +
// L1[i]*x[I1[i]].
type LinearTaps[T Float] struct {
	I0, I1 []int
	L0, L1 []T
}

// LinearWeights returns the taps of linear resizing from in to out
// positions with the arithmetic of PyTorch 1.13's upsample_bilinear2d:
// with alignCorners the corners of input and output coincide (scale
// (in-1)/(out-1)); otherwise pixel centres are aligned, with scale
// 1/scaleFactor when a scale factor was given (scaleFactor > 0) and in/out
// otherwise, and negative source positions are clamped to 0. The scale is
// rounded to T; the source position scale*(i+0.5)-0.5 is computed in
// float64 with a fused multiply-add, and L0 = 1-L1 in T. Equal sizes copy.
func LinearWeights[T Float](in, out int, alignCorners bool, scaleFactor float64) LinearTaps[T] {
	validSize("LinearWeights", "in", in)
	validSize("LinearWeights", "out", out)
	t := LinearTaps[T]{I0: make([]int, out), I1: make([]int, out), L0: make([]T, out), L1: make([]T, out)}
	var scale T
	switch {
	case alignCorners:
		if out > 1 {
			scale = T(in-1) / T(out-1)
		}
	case scaleFactor > 0:
		scale = T(1 / scaleFactor)
	default:
		scale = T(in) / T(out)
	}
	s := float64(scale)
	for i := range out {
		if out == in {
			t.I0[i], t.I1[i], t.L0[i], t.L1[i] = i, i, 1, 0
			continue
		}
		var real float64
		if alignCorners {
			real = s * float64(i)
		} else {
			real = max(math.FMA(s, float64(i)+0.5, -0.5), 0)
		}
		i0 := int(real)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		l1 := T(min(max(real-float64(i0), 0), 1))
		t.I0[i], t.I1[i], t.L0[i], t.L1[i] = i0, i1, 1-l1, l1
	}
	return t
}

// UpsampleNearest2d copies src[p, hIdx[oh], wIdx[ow]] into dst[p, oh, ow]
// for planes of H×W into planes of len(hIdx)×len(wIdx).
func UpsampleNearest2d[T Float](dst, src []T, planes, H, W int, hIdx, wIdx []int) {
	validLen("UpsampleNearest2d", "src", len(src), validProd("UpsampleNearest2d", "planes, H, W", planes, H, W))
	validLen("UpsampleNearest2d", "dst", len(dst), validProd("UpsampleNearest2d", "planes, len(hIdx), len(wIdx)", planes, len(hIdx), len(wIdx)))
	validIndices("UpsampleNearest2d", "hIdx", hIdx, H)
	validIndices("UpsampleNearest2d", "wIdx", wIdx, W)
	OH, OW := len(hIdx), len(wIdx)
	for p := range planes {
		s := src[p*H*W : (p+1)*H*W]
		d := dst[p*OH*OW : (p+1)*OH*OW]
		for oh, h := range hIdx {
			row := s[h*W : (h+1)*W]
			drow := d[oh*OW : (oh+1)*OW]
			for ow, w := range wIdx {
				drow[ow] = row[w]
			}
		}
	}
}

// UpsampleNearest2dBackward adds each gy[p, oh, ow] into dx[p, hIdx[oh],
// wIdx[ow]].
func UpsampleNearest2dBackward[T Float](dx, gy []T, planes, H, W int, hIdx, wIdx []int) {
	validLen("UpsampleNearest2dBackward", "dx", len(dx), validProd("UpsampleNearest2dBackward", "planes, H, W", planes, H, W))
	validLen("UpsampleNearest2dBackward", "gy", len(gy), validProd("UpsampleNearest2dBackward", "planes, len(hIdx), len(wIdx)", planes, len(hIdx), len(wIdx)))
	validIndices("UpsampleNearest2dBackward", "hIdx", hIdx, H)
	validIndices("UpsampleNearest2dBackward", "wIdx", wIdx, W)
	OH, OW := len(hIdx), len(wIdx)
	for p := range planes {
		d := dx[p*H*W : (p+1)*H*W]
		s := gy[p*OH*OW : (p+1)*OH*OW]
		for oh, h := range hIdx {
			row := d[h*W : (h+1)*W]
			srow := s[oh*OW : (oh+1)*OW]
			for ow, w := range wIdx {
				row[w] += srow[ow]
			}
		}
	}
}

// UpsampleBilinear2d resizes planes of H×W with the taps hw (rows) and ww
// (columns), summing in PyTorch's order: (x00*w0 + x01*w1)*h0 +
// (x10*w0 + x11*w1)*h1.
func UpsampleBilinear2d[T Float](dst, src []T, planes, H, W int, hw, ww LinearTaps[T]) {
	validTaps("UpsampleBilinear2d", "hw", hw, H)
	validTaps("UpsampleBilinear2d", "ww", ww, W)
	validLen("UpsampleBilinear2d", "src", len(src), validProd("UpsampleBilinear2d", "planes, H, W", planes, H, W))
	validLen("UpsampleBilinear2d", "dst", len(dst), validProd("UpsampleBilinear2d", "planes, OH, OW", planes, len(hw.I0), len(ww.I0)))
	OH, OW := len(hw.I0), len(ww.I0)
	for p := range planes {
		s := src[p*H*W : (p+1)*H*W]
		d := dst[p*OH*OW : (p+1)*OH*OW]
		for oh := range OH {
			r0 := s[hw.I0[oh]*W : (hw.I0[oh]+1)*W]
			r1 := s[hw.I1[oh]*W : (hw.I1[oh]+1)*W]
			lh0, lh1 := hw.L0[oh], hw.L1[oh]
			drow := d[oh*OW : (oh+1)*OW]
			for ow := range OW {
				i0, i1 := ww.I0[ow], ww.I1[ow]
				lw0, lw1 := ww.L0[ow], ww.L1[ow]
				t0 := T(r0[i0]*lw0) + T(r0[i1]*lw1)
				t1 := T(r1[i0]*lw0) + T(r1[i1]*lw1)
				drow[ow] = T(t0*lh0) + T(t1*lh1)
			}
		}
	}
}

// UpsampleBilinear2dBackward adds the gradient of UpsampleBilinear2d for
// the output gradient gy into dx.
func UpsampleBilinear2dBackward[T Float](dx, gy []T, planes, H, W int, hw, ww LinearTaps[T]) {
	validTaps("UpsampleBilinear2dBackward", "hw", hw, H)
	validTaps("UpsampleBilinear2dBackward", "ww", ww, W)
	validLen("UpsampleBilinear2dBackward", "dx", len(dx), validProd("UpsampleBilinear2dBackward", "planes, H, W", planes, H, W))
	validLen("UpsampleBilinear2dBackward", "gy", len(gy), validProd("UpsampleBilinear2dBackward", "planes, OH, OW", planes, len(hw.I0), len(ww.I0)))
	OH, OW := len(hw.I0), len(ww.I0)
	for p := range planes {
		d := dx[p*H*W : (p+1)*H*W]
		s := gy[p*OH*OW : (p+1)*OH*OW]
		for oh := range OH {
			r0 := d[hw.I0[oh]*W : (hw.I0[oh]+1)*W]
			r1 := d[hw.I1[oh]*W : (hw.I1[oh]+1)*W]
			lh0, lh1 := hw.L0[oh], hw.L1[oh]
			srow := s[oh*OW : (oh+1)*OW]
			for ow, g := range srow {
				i0, i1 := ww.I0[ow], ww.I1[ow]
				lw0, lw1 := ww.L0[ow], ww.L1[ow]
				g0, g1 := g*lh0, g*lh1
				r0[i0] += g0 * lw0
				r0[i1] += g0 * lw1
				r1[i0] += g1 * lw0
				r1[i1] += g1 * lw1
			}
		}
	}
}

// validTaps checks that the taps have one entry of each kind per output and
// read positions inside [0, n).
func validTaps[T Float](kernel, arg string, t LinearTaps[T], n int) {
	o := len(t.I0)
	if len(t.I1) != o || len(t.L0) != o || len(t.L1) != o {
		panic(fmt.Sprintf("cpu.%s: %s has %d, %d, %d and %d entries in I0, I1, L0, L1", kernel, arg, o, len(t.I1), len(t.L0), len(t.L1)))
	}
	validIndices(kernel, arg+".I0", t.I0, n)
	validIndices(kernel, arg+".I1", t.I1, n)
}
