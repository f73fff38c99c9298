package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMaxPool2d times the max-pool kernel on the shapes of the
// benchmark networks (SmallCNN, ExamplesNet, ResNet18's stem pool), with
// indices (training) and without (inference).
func BenchmarkMaxPool2d(b *testing.B) {
	for _, c := range []struct {
		name         string
		planes, h, w int
		k, s, p      int
	}{
		{"SmallCNN", 64 * 16, 28, 28, 2, 2, 0},
		{"ExamplesNet", 64 * 64, 24, 24, 2, 2, 0},
		{"ResNet18", 64, 112, 112, 3, 2, 1},
	} {
		g := Pool2d{H: c.h, W: c.w, KH: c.k, KW: c.k, SH: c.s, SW: c.s, PH: c.p, PW: c.p, DH: 1, DW: 1}
		g.OH = PoolOutSize(c.h, c.k, c.s, c.p, 1, false)
		g.OW = PoolOutSize(c.w, c.k, c.s, c.p, 1, false)
		r := rand.New(rand.NewPCG(1, 1))
		src := make([]float32, c.planes*c.h*c.w)
		for i := range src {
			src[i] = float32(r.NormFloat64())
		}
		n := c.planes * g.OH * g.OW
		dst, idx := make([]float32, n), make([]int64, n)
		for _, withIdx := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/idx=%v", c.name, withIdx), func(b *testing.B) {
				ix := idx
				if !withIdx {
					ix = nil
				}
				for b.Loop() {
					MaxPool2d(dst, ix, src, c.planes, g)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/out")
			})
		}
	}
}
