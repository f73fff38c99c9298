//go:build purego || !amd64

package cpu

// dwAsmFunc is the signature of the amd64 depthwise 3x3 kernels, which
// this build does not have.
type dwAsmFunc = func(x, y, w, b, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk, full0, full1 int, lo, hi float32)

// dwSIMD3x3 reports that this build has no assembly depthwise kernel.
func dwSIMD3x3(int) (dwAsmFunc, int, bool) { return nil, 0, false }
