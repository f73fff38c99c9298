//go:build purego || !amd64

package cpu

// dwAsmFunc is the signature of the amd64 depthwise 3x3 kernels, which
// this build does not have.
type dwAsmFunc = func(x, y, w, b, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk, full0, full1 int, lo, hi float32)

// dwSIMD3x3 reports that this build has no assembly depthwise kernel.
func dwSIMD3x3(int) (dwAsmFunc, int, bool) { return nil, 0, false }

// convBiasActRows sets y[r*ldy+j] = clamp(y[r*ldy+j] + b[r], lo, hi) for
// r < len(b), j < n.
func convBiasActRows(y []float32, n, ldy int, b []float32, lo, hi float32) {
	for r, bv := range b {
		convBiasActGo(y[r*ldy:r*ldy+n], bv, lo, hi)
	}
}

// convGather2Func returns a function that sets dst[i] = src[2*i] for
// i < len(dst).
func convGather2Func() func(dst, src []float32) { return convGather2Go }

// dwBwdWAsmFunc is the signature of the amd64 depthwise 3x3 weight
// gradient kernels, which this build does not have.
type dwBwdWAsmFunc = func(x, dy, dw, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk int)

// dwSIMDBwdW3x3 reports that this build has no assembly kernel.
func dwSIMDBwdW3x3(int) dwBwdWAsmFunc { return nil }

// convAddFunc returns a function that sets d[i] += s[i] for i < len(s).
func convAddFunc() func(d, s []float32) { return convAddTo[float32] }
