package cpu

import "math"

// ChannelMoments computes the mean and the biased variance of every channel
// of x laid out as [outer, c, inner] (batch norm's statistics), in float64.
// The variance is computed from centred values (two passes).
func ChannelMoments[T Float](mean, variance []float64, x []T, outer, c, inner int) {
	n3 := validLines("ChannelMoments", outer, c, inner)
	validLen("ChannelMoments", "x", len(x), n3)
	validLen("ChannelMoments", "mean", len(mean), c)
	validLen("ChannelMoments", "variance", len(variance), c)
	n := float64(outer * inner)
	for ch := range c {
		var s float64
		for o := range outer {
			for _, v := range x[(o*c+ch)*inner : (o*c+ch+1)*inner] {
				s += float64(v)
			}
		}
		m := s / n
		var q float64
		for o := range outer {
			for _, v := range x[(o*c+ch)*inner : (o*c+ch+1)*inner] {
				d := float64(v) - m
				q += d * d
			}
		}
		mean[ch], variance[ch] = m, q/n
	}
}

// ChannelAffine writes y = x*scale[ch] + shift[ch] over [outer, c, inner]
// (batch norm once its statistics are folded into scale and shift). For
// float32 each element is rounded once (a fused multiply-add, on the Vec
// kernels); float64 multiplies and adds.
func ChannelAffine[T Float](y, x []T, scale, shift []T, outer, c, inner int) {
	n3 := validLines("ChannelAffine", outer, c, inner)
	validLen("ChannelAffine", "x", len(x), n3)
	validLen("ChannelAffine", "y", len(y), n3)
	validLen("ChannelAffine", "scale", len(scale), c)
	validLen("ChannelAffine", "shift", len(shift), c)
	if y32, ok := any(y).([]float32); ok {
		x32, a32, b32 := any(x).([]float32), any(scale).([]float32), any(shift).([]float32)
		for o := range outer {
			for ch := range c {
				off := (o*c + ch) * inner
				yr, xr := y32[off:off+inner], x32[off:off+inner]
				if inner >= 16 {
					VecAffine(yr, xr, a32[ch], b32[ch])
					continue
				}
				for i, v := range xr {
					yr[i] = vecFMA32(a32[ch], v, b32[ch])
				}
			}
		}
		return
	}
	for o := range outer {
		for ch := range c {
			a, b := scale[ch], shift[ch]
			off := (o*c + ch) * inner
			yr, xr := y[off:off+inner], x[off:off+inner]
			for i, v := range xr {
				yr[i] = T(v*a) + b
			}
		}
	}
}

// BatchNormBackward computes the gradients of batch norm, y = (x -
// mean[ch])*rstd[ch]*w[ch] + b[ch] over [outer, c, inner], for the output
// gradient gy. With training the statistics are the batch's own (functions
// of x); otherwise they are constants (running statistics). dx, dw and db
// are overwritten; any of them may be nil to skip it, and w nil means
// weight 1.
func BatchNormBackward[T Float](dx, dw, db, gy, x, w []T, mean, rstd []float64, outer, c, inner int, training bool) {
	n3 := validLines("BatchNormBackward", outer, c, inner)
	validLen("BatchNormBackward", "gy", len(gy), n3)
	validLen("BatchNormBackward", "x", len(x), n3)
	validOpt("BatchNormBackward", "dx", len(dx), dx == nil, n3)
	validOpt("BatchNormBackward", "dw", len(dw), dw == nil, c)
	validOpt("BatchNormBackward", "db", len(db), db == nil, c)
	validOpt("BatchNormBackward", "w", len(w), w == nil, c)
	validLen("BatchNormBackward", "mean", len(mean), c)
	validLen("BatchNormBackward", "rstd", len(rstd), c)
	n := float64(outer * inner)
	for ch := range c {
		m, r := mean[ch], rstd[ch]
		var sg, sgx float64
		for o := range outer {
			off := (o*c + ch) * inner
			xr := x[off : off+inner]
			for i, g := range gy[off : off+inner] {
				sg += float64(g)
				sgx += float64(g) * (float64(xr[i]) - m)
			}
		}
		if dw != nil {
			dw[ch] = T(sgx * r)
		}
		if db != nil {
			db[ch] = T(sg)
		}
		if dx == nil {
			continue
		}
		wv := 1.0
		if w != nil {
			wv = float64(w[ch])
		}
		k := wv * r
		for o := range outer {
			off := (o*c + ch) * inner
			xr, gr, dr := x[off:off+inner], gy[off:off+inner], dx[off:off+inner]
			if !training {
				for i, g := range gr {
					dr[i] = T(float64(g) * k)
				}
				continue
			}
			mg, proj := sg/n, sgx*r*r/n
			for i, g := range gr {
				dr[i] = T(k * (float64(g) - mg - (float64(xr[i])-m)*proj))
			}
		}
	}
}

// NormalizeRows normalises each of rows rows of n contiguous elements by its own
// mean and biased variance, y = (x-mean)*rstd*w[k] + b[k], and stores the
// row statistics in mean and rstd (1/sqrt(var+eps)). This is layer norm
// and group norm. The affine index of element j of row r is
// k = (r%groups)*(n/span) + j/span: layer norm has groups = span = 1 (one
// weight per element of the row); group norm has a row per (sample, group),
// groups weights blocks and span = the spatial size (one weight per
// channel). w and b may be nil (no scale, no shift).
func NormalizeRows[T Float](y, x []T, rows, n int, eps float64, w, b []T, groups, span int, mean, rstd []float64) {
	total, nw := validNorm("NormalizeRows", rows, n, groups, span)
	validLen("NormalizeRows", "x", len(x), total)
	validLen("NormalizeRows", "y", len(y), total)
	validOpt("NormalizeRows", "w", len(w), w == nil, nw)
	validOpt("NormalizeRows", "b", len(b), b == nil, nw)
	validLen("NormalizeRows", "mean", len(mean), rows)
	validLen("NormalizeRows", "rstd", len(rstd), rows)
	per := n / span
	for r := range rows {
		xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		m := s / float64(n)
		var q float64
		for _, v := range xr {
			d := float64(v) - m
			q += d * d
		}
		rs := 1 / math.Sqrt(q/float64(n)+eps)
		mean[r], rstd[r] = m, rs
		base := (r % groups) * per
		for j, v := range xr {
			h := (float64(v) - m) * rs
			k := base + j/span
			if w != nil {
				h *= float64(w[k])
			}
			if b != nil {
				h += float64(b[k])
			}
			yr[j] = T(h)
		}
	}
}

// NormalizeRowsBackward computes the gradients of NormalizeRows for the output
// gradient gy, given the statistics it stored. dx is overwritten; dw and db
// (float64, so long sums stay accurate) are accumulated into; any may be nil
// to skip it.
func NormalizeRowsBackward[T Float](dx []T, dw, db []float64, gy, x, w []T, rows, n, groups, span int, mean, rstd []float64) {
	total, nw := validNorm("NormalizeRowsBackward", rows, n, groups, span)
	validLen("NormalizeRowsBackward", "gy", len(gy), total)
	validLen("NormalizeRowsBackward", "x", len(x), total)
	validOpt("NormalizeRowsBackward", "dx", len(dx), dx == nil, total)
	validOpt("NormalizeRowsBackward", "dw", len(dw), dw == nil, nw)
	validOpt("NormalizeRowsBackward", "db", len(db), db == nil, nw)
	validOpt("NormalizeRowsBackward", "w", len(w), w == nil, nw)
	validLen("NormalizeRowsBackward", "mean", len(mean), rows)
	validLen("NormalizeRowsBackward", "rstd", len(rstd), rows)
	per := n / span
	for r := range rows {
		xr, gr := x[r*n:(r+1)*n], gy[r*n:(r+1)*n]
		m, rs := mean[r], rstd[r]
		base := (r % groups) * per
		var sd, sdx float64
		for j, g := range gr {
			xh := (float64(xr[j]) - m) * rs
			k := base + j/span
			if dw != nil {
				dw[k] += float64(g) * xh
			}
			if db != nil {
				db[k] += float64(g)
			}
			d := float64(g)
			if w != nil {
				d *= float64(w[k])
			}
			sd += d
			sdx += d * xh
		}
		if dx == nil {
			continue
		}
		dr := dx[r*n : (r+1)*n]
		md, mdx := sd/float64(n), sdx/float64(n)
		for j, g := range gr {
			d := float64(g)
			if w != nil {
				d *= float64(w[base+j/span])
			}
			xh := (float64(xr[j]) - m) * rs
			dr[j] = T(rs * (d - md - xh*mdx))
		}
	}
}
