package cpu

import "fmt"

// gemmLayouts gives, for every float32 micro-kernel of every architecture,
// the layout PackB writes for it: the panel width nr and the inner block
// kc. Data packed for one kernel can so be read (and repacked) on any
// machine, whichever kernels it can run.
var gemmLayouts = map[string]struct{ nr, kc int }{
	"avx512":  {32, 256},
	"avx2":    {16, 256},
	"neon":    {16, 256},
	"generic": {gemmGoNR, 256},
}

// Kernel returns the name of the micro-kernel p was packed for (see
// Kernels).
func (p *PackedB) Kernel() string { return p.kern.name }

// Data returns p's packed elements, PackedBLen(p.Kernel(), p.K(), p.N())
// of them: what a model file stores to skip packing at load (see
// PackedBFrom). The slice is p's own: do not modify it.
func (p *PackedB) Data() []float32 { return p.data }

// PackedBLen returns the number of elements PackB writes for a k×n operand
// packed for the micro-kernel named kernel.
func PackedBLen(kernel string, k, n int) (int, error) {
	l, ok := gemmLayouts[kernel]
	if !ok {
		return 0, fmt.Errorf("cpu.PackedBLen: unknown kernel %q", kernel)
	}
	if k < 0 || n < 0 {
		return 0, fmt.Errorf("cpu.PackedBLen: negative size %d×%d", k, n)
	}
	return k * gemmRoundUp(n, l.nr), nil
}

// PackedBFrom returns a PackedB for data, a k×n operand as PackB packed it
// for the micro-kernel named kernel (the Data of a PackedB whose Kernel was
// kernel). When the kernel in use here (Kernel) lays out its operand the
// same way, the PackedB uses data in place, without copying, and
// SgemmPacked runs the kernel in use; otherwise data is unpacked and packed
// again for it (a copy). data must not change while the PackedB is in use.
// It returns an error for an unknown kernel or a length that does not fit.
func PackedBFrom(kernel string, k, n int, data []float32) (*PackedB, error) {
	want, err := PackedBLen(kernel, k, n)
	if err != nil {
		return nil, err
	}
	if len(data) != want {
		return nil, fmt.Errorf("cpu.PackedBFrom: %d elements for a %d×%d operand packed for %s, want %d", len(data), k, n, kernel, want)
	}
	from := gemmLayouts[kernel]
	cur := sgemmKernel()
	if k == 0 || n == 0 {
		return &PackedB{k: k, n: n, kern: cur}, nil
	}
	if to, ok := gemmLayouts[cur.name]; ok && to == from && cur.nr == to.nr {
		return &PackedB{k: k, n: n, kern: cur, data: data}, nil
	}
	// Unpack into a row-major k×n matrix and pack it for the kernel in use.
	b := make([]float32, k*n)
	npad := gemmRoundUp(n, from.nr)
	kc := gemmKcFor(from.kc, k)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		blk := data[pc*npad : pc*npad+kb*npad]
		for jp := 0; jp*from.nr < n; jp++ {
			pan := blk[jp*kb*from.nr : (jp+1)*kb*from.nr]
			nw := min(from.nr, n-jp*from.nr)
			for p := range kb {
				copy(b[(pc+p)*n+jp*from.nr:(pc+p)*n+jp*from.nr+nw], pan[p*from.nr:p*from.nr+nw])
			}
		}
	}
	return PackB(false, k, n, b, n), nil
}

// gemmKcFor is gemmKernel.kcFor for a kernel whose inner block is kc.
func gemmKcFor(kc, k int) int {
	nblk := max(1, (k+kc-1)/kc)
	return (k + nblk - 1) / nblk
}
