package cpu

import (
	"fmt"
	"testing"
)

// TestKernelsDoNotAllocate checks that the kernels an inference runtime
// calls allocate nothing once warm (the lite runtime's promise of zero
// allocations per run rests on it), at several thread counts.
func TestKernelsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	defer SetNumThreads(SetNumThreads(1))
	convs := map[string]ConvParams{
		"3x3":       {N: 2, C: 8, H: 24, W: 24, OC: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1, OutH: 24, OutW: 24},
		"pointwise": {N: 1, C: 16, H: 24, W: 24, OC: 32, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1, OutH: 24, OutW: 24},
		"depthwise": {N: 1, C: 16, H: 24, W: 24, OC: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 16, OutH: 12, OutW: 12, Act: Act{Kind: ActReLU6}},
		"dw5x5":     {N: 1, C: 16, H: 24, W: 24, OC: 16, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1, Groups: 16, OutH: 24, OutW: 24},
		"grouped":   {N: 1, C: 16, H: 24, W: 24, OC: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 4, OutH: 24, OutW: 24, Act: Act{Kind: ActReLU}},
	}
	for _, nt := range []int{1, 2, 4} {
		SetNumThreads(nt)
		check := func(name string, f func()) {
			t.Helper()
			for range 3 {
				f() // warm the pools
			}
			if a := testing.AllocsPerRun(20, f); a != 0 {
				t.Errorf("%d threads: %s: %v allocations per call", nt, name, a)
			}
		}
		for name, p := range convs {
			x := make([]float32, p.N*p.C*p.H*p.W)
			w := make([]float32, p.OC*p.C/p.Groups*p.KH*p.KW)
			y := make([]float32, p.N*p.OC*p.OutH*p.OutW)
			ws := make([]float32, p.WorkspaceSize())
			b := make([]float32, p.OC)
			check("conv "+name, func() { Conv2d(p, x, w, nil, y, ws) })
			check("conv "+name+" bias", func() { Conv2d(p, x, w, b, y, ws) })
		}
		a := make([]float32, 256*256)
		b := make([]float32, 256*256)
		c := make([]float32, 256*256)
		for _, m := range []int{1, 7, 64, 256} {
			check(fmt.Sprint("sgemm ", m), func() { Sgemm(false, true, m, 256, 256, 1, a, 256, b, 256, 0, c, 256) })
			check(fmt.Sprint("sgemm nn ", m), func() { Sgemm(false, false, m, 200, 256, 1, a, 256, b, 200, 1, c, 200) })
			pb := PackB(true, 256, 256, b, 256)
			check(fmt.Sprint("sgemm packed ", m), func() { SgemmPacked(false, m, 1, a, 256, pb, 1, c, 256) })
		}
		shape := []int{4, 16, 32}
		full := View{Strides: []int{512, 32, 1}}
		row := View{Strides: []int{0, 1, 0}}
		check("binary broadcast", func() { BinaryF32(BinAdd, shape, c, full, a, full, b, row) })
		check("sum dims", func() { SumDimsF32(c[:16], a[:2048], shape, []bool{true, false, true}) })
		g := Pool2d{H: 32, W: 32, OH: 16, OW: 16, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1}
		check("max pool", func() { MaxPool2d(c, nil, a, 16, g) })
		check("avg pool", func() { AvgPool2d(c, a, 16, g, true, 0) })
	}
}
