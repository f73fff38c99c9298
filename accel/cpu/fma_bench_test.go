package cpu

import (
	"fmt"
	"math"
	"sync"
	"testing"
)

// fmaLoop runs n rounds of 8 independent fused multiply-add chains, which
// keeps a core's FMA units busy without touching memory.
func fmaLoop(n int) float64 {
	a0, a1, a2, a3, a4, a5, a6, a7 := 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8
	const x, y = 0.999999, 1e-7
	for range n {
		a0 = math.FMA(a0, x, y)
		a1 = math.FMA(a1, x, y)
		a2 = math.FMA(a2, x, y)
		a3 = math.FMA(a3, x, y)
		a4 = math.FMA(a4, x, y)
		a5 = math.FMA(a5, x, y)
		a6 = math.FMA(a6, x, y)
		a7 = math.FMA(a7, x, y)
	}
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}

var fmaSink float64

// BenchmarkFMAScaling measures a bare FMA loop on 1 and 2 goroutines: the
// ceiling for how much a compute-bound kernel can gain from a second thread
// on this machine. Compare its threads=2/threads=1 ratio of GFLOP/s with
// BenchmarkMatMulThreads' (issue target: GEMM keeps at least 90% of it).
func BenchmarkFMAScaling(b *testing.B) {
	const rounds = 1 << 22
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			for range b.N {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range th {
					wg.Add(1)
					go func() {
						defer wg.Done()
						v := fmaLoop(rounds)
						mu.Lock()
						fmaSink += v
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			flops := float64(th) * rounds * 8 * 2
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
