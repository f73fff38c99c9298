package cpu

import "testing"

// BenchmarkIm2col unfolds one image of common training and inference
// shapes.
func BenchmarkIm2col(b *testing.B) {
	for _, s := range []struct {
		name             string
		c, hw, k, s, pad int
	}{
		{"c32_26_k3_valid", 32, 26, 3, 1, 0},
		{"c16_14_k3_same", 16, 14, 3, 1, 1},
		{"c64_56_k3_same", 64, 56, 3, 1, 1},
		{"c256_14_k3_s2", 256, 14, 3, 2, 1},
	} {
		b.Run(s.name, func(b *testing.B) {
			p := ConvParams{N: 1, C: s.c, H: s.hw, W: s.hw, OC: 1, KH: s.k, KW: s.k, StrideH: s.s, StrideW: s.s,
				PadH: s.pad, PadW: s.pad, DilH: 1, DilW: 1, Groups: 1}
			p.OutH = ConvOutSize(p.H, p.KH, p.StrideH, p.PadH, p.PadH, 1)
			p.OutW = p.OutH
			x := make([]float32, p.C*p.H*p.W)
			col := make([]float32, p.C*p.KH*p.KW*p.OutH*p.OutW)
			for range b.N {
				Im2col(p, p.C, x, col)
			}
		})
	}
}

// BenchmarkConvBackwardWeightSmallK is the weight gradient of the first
// convolutions of the MNIST networks (one input channel: k = 9).
func BenchmarkConvBackwardWeightSmallK(b *testing.B) {
	for _, s := range []struct {
		name        string
		oc, hw, pad int
	}{{"oc16_28_same", 16, 28, 1}, {"oc32_28_valid", 32, 28, 0}} {
		b.Run(s.name, func(b *testing.B) {
			p := ConvParams{N: 64, C: 1, H: s.hw, W: s.hw, OC: s.oc, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
				PadH: s.pad, PadW: s.pad, DilH: 1, DilW: 1, Groups: 1}
			p.OutH = ConvOutSize(p.H, 3, 1, s.pad, s.pad, 1)
			p.OutW = p.OutH
			x := make([]float32, p.N*p.H*p.W)
			dy := make([]float32, p.N*p.OC*p.OutH*p.OutW)
			dw := make([]float32, p.OC*9)
			defer SetNumThreads(SetNumThreads(1))
			for range b.N {
				Conv2dBackwardWeight(p, x, dy, dw, nil)
			}
		})
	}
}

// BenchmarkConvForwardSmallK is the forward pass of the first
// convolutions of the MNIST networks (one input channel: k = 9).
func BenchmarkConvForwardSmallK(b *testing.B) {
	for _, s := range []struct {
		name        string
		oc, hw, pad int
	}{{"oc16_28_same", 16, 28, 1}, {"oc32_28_valid", 32, 28, 0}} {
		b.Run(s.name, func(b *testing.B) {
			p := ConvParams{N: 64, C: 1, H: s.hw, W: s.hw, OC: s.oc, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
				PadH: s.pad, PadW: s.pad, DilH: 1, DilW: 1, Groups: 1}
			p.OutH = ConvOutSize(p.H, 3, 1, s.pad, s.pad, 1)
			p.OutW = p.OutH
			x := make([]float32, p.N*p.H*p.W)
			y := make([]float32, p.N*p.OC*p.OutH*p.OutW)
			w := make([]float32, p.OC*9)
			bias := make([]float32, p.OC)
			defer SetNumThreads(SetNumThreads(1))
			for range b.N {
				Conv2d(p, x, w, bias, y, nil)
			}
		})
	}
}

// BenchmarkCol2im folds the columns of one image of the second
// ExamplesNet convolution (32 channels, 26x26, 3x3 valid).
func BenchmarkCol2im(b *testing.B) {
	p := ConvParams{N: 1, C: 32, H: 26, W: 26, OC: 1, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1, OutH: 24, OutW: 24}
	x := make([]float32, p.C*p.H*p.W)
	col := make([]float32, p.C*9*p.OutH*p.OutW)
	for range b.N {
		Col2im(p, p.C, col, x)
	}
}
