//go:build !purego

package cpu

// Tuning runs for the GEMM, skipped unless GEMM_TUNE=1 (or GEMM_PROF=name
// for TestGemmTuneProfile). They take the best of many repetitions, which
// is steadier than an average on a machine shared with other work:
//
//	GEMM_TUNE=1 go test -count=1 -run 'TestGemmTune$' -v ./accel/cpu/

import (
	"os"
	"testing"
	"time"
)

// gemmBestOf returns the best GFLOP/s of reps runs of f doing flops each.
func gemmBestOf(reps int, flops float64, f func()) float64 {
	best := time.Duration(1 << 62)
	for range reps {
		t := time.Now()
		f()
		best = min(best, time.Since(t))
	}
	return flops / best.Seconds() / 1e9
}

func TestGemmTune(t *testing.T) {
	if os.Getenv("GEMM_TUNE") == "" {
		t.Skip("set GEMM_TUNE=1")
	}
	SetNumThreads(1)
	kc := 256
	ap := make([]float32, 336*kc)
	bp := make([]float32, 32*kc)
	c := make([]float32, 1024*1024)
	g := gemmBestOf(50, 32*24*2*14*32*float64(kc), func() {
		for j := 0; j < 32; j++ {
			for i := 0; i < 24; i++ {
				sgemmAVX512(kc, ap[i*14*kc:], bp, c[i*14*1024+j*32:], 1024, 1, 1)
			}
		}
	})
	t.Logf("kernel ldc=1024: %.1f GFLOP/s", g)
	g = gemmBestOf(50, 32*24*2*14*32*float64(kc), func() {
		for j := 0; j < 32; j++ {
			for i := 0; i < 24; i++ {
				sgemmAVX512(kc, ap[i*14*kc:], bp, c[:14*64], 64, 1, 1)
			}
		}
	})
	t.Logf("kernel hot C: %.1f GFLOP/s", g)
	for _, n := range []int{128, 256, 512, 1024} {
		x := make([]float32, n*n)
		y := make([]float32, n*n)
		z := make([]float32, n*n)
		for i := range x {
			x[i], y[i] = float32(i%7), float32(i%5)
		}
		for _, th := range []int{1, 2} {
			SetNumThreads(th)
			g := gemmBestOf(max(5, 2e10/(2*n*n*n)), 2*float64(n*n*n), func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
			t.Logf("Sgemm n=%d threads=%d: %.1f GFLOP/s", n, th, g)
		}
		SetNumThreads(1)
		for _, name := range Kernels() {
			_ = SetKernel(name)
			g := gemmBestOf(max(3, 1e10/(2*n*n*n)), 2*float64(n*n*n), func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
			t.Logf("Sgemm n=%d kernel=%s: %.1f GFLOP/s", n, name, g)
			xd, yd, zd := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
			g = gemmBestOf(max(3, 1e10/(2*n*n*n)), 2*float64(n*n*n), func() { Dgemm(false, false, n, n, n, 1, xd, n, yd, n, 0, zd, n) })
			t.Logf("Dgemm n=%d kernel=%s: %.1f GFLOP/s", n, name, g)
		}
		_ = SetKernel("")
	}
}

func TestGemmTuneBlock(t *testing.T) {
	if os.Getenv("GEMM_TUNE") == "" {
		t.Skip("set GEMM_TUNE=1")
	}
	SetNumThreads(1)
	k0 := *gemmSets[0].s
	defer func() { *gemmSets[0].s = k0 }()
	for _, n := range []int{1024} {
		x := make([]float32, n*n)
		y := make([]float32, n*n)
		z := make([]float32, n*n)
		for _, kc := range []int{128, 256, 512} {
			for _, mc := range []int{56, 112, 336} {
				for _, nc := range []int{256, 512, 1024} {
					gemmSets[0].s.kc, gemmSets[0].s.mc, gemmSets[0].s.nc = kc, mc, nc
					g := gemmBestOf(max(5, 1e10/(2*n*n*n)), 2*float64(n*n*n), func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
					t.Logf("n=%d kc=%d mc=%d nc=%d: %.1f GFLOP/s", n, kc, mc, nc, g)
				}
			}
		}
	}
}

func TestGemmTuneProfile(t *testing.T) {
	name := os.Getenv("GEMM_PROF")
	if name == "" {
		t.Skip("set GEMM_PROF=kernel")
	}
	SetNumThreads(1)
	_ = SetKernel(name)
	defer SetKernel("")
	n := 512
	x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for range 200 {
		Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	}
}

func TestGemmTuneTrans(t *testing.T) {
	if os.Getenv("GEMM_TUNE") == "" {
		t.Skip("set GEMM_TUNE=1")
	}
	SetNumThreads(1)
	for _, n := range []int{128, 512} {
		x, y, z := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				g := gemmBestOf(max(5, 1e10/(2*n*n*n)), 2*float64(n*n*n), func() { Sgemm(tA, tB, n, n, n, 1, x, n, y, n, 0, z, n) })
				t.Logf("n=%d transA=%v transB=%v: %.1f GFLOP/s", n, tA, tB, g)
			}
		}
	}
}
