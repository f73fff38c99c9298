package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// gemmCase is one randomised GEMM problem, with C embedded in a larger
// buffer (stride ldc > n, sentinel values around it) to catch writes
// outside the m×n window.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float64
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%g beta=%g",
		g.transA, g.transB, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.alpha, g.beta)
}

func gemmRandCase(r *rand.Rand, dims []int) gemmCase {
	pick := func() int {
		if r.IntN(8) == 0 {
			return dims[r.IntN(len(dims))]
		}
		return 1 + r.IntN(70)
	}
	g := gemmCase{transA: r.IntN(2) == 1, transB: r.IntN(2) == 1, m: pick(), n: pick(), k: pick()}
	pad := func() int {
		if r.IntN(2) == 0 {
			return 0
		}
		return 1 + r.IntN(5)
	}
	if g.transA {
		g.lda = g.m + pad()
	} else {
		g.lda = g.k + pad()
	}
	if g.transB {
		g.ldb = g.k + pad()
	} else {
		g.ldb = g.n + pad()
	}
	g.ldc = g.n + pad()
	alphas := []float64{1, -0.5, 2, 0.75}
	betas := []float64{0, 1, -1.5, 0.25}
	g.alpha = alphas[r.IntN(len(alphas))]
	g.beta = betas[r.IntN(len(betas))]
	return g
}

func gemmRandSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

// gemmRunCase runs the case with gemm and GemmRef and reports mismatches:
// every element must be within a rounding bound derived from |A|·|B|, and
// the padding of C must be untouched.
func gemmRunCase[T Float](t *testing.T, r *rand.Rand, g gemmCase, gemm func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) {
	t.Helper()
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = ac, ar
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = bc, br
	}
	a := gemmRandSlice[T](r, (ar-1)*g.lda+ac)
	b := gemmRandSlice[T](r, (br-1)*g.ldb+bc)
	const sentinel = 12345
	// C lies in a larger buffer whose tail must stay untouched: assembly
	// that writes past the end of its slice would not be caught otherwise.
	const guard = 128
	cbuf := make([]T, g.m*g.ldc+guard)
	for i := range cbuf {
		cbuf[i] = sentinel
	}
	c := cbuf[:g.m*g.ldc]
	for i := range c {
		if i%g.ldc < g.n {
			if g.beta == 0 {
				c[i] = T(math.NaN())
			} else {
				c[i] = T(r.Float64()*2 - 1)
			}
		} else {
			c[i] = sentinel
		}
	}
	want := append([]T(nil), c...)
	GemmRef(g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), a, g.lda, b, g.ldb, T(g.beta), want, g.ldc)
	absA, absB := make([]T, len(a)), make([]T, len(b))
	for i, v := range a {
		absA[i] = T(math.Abs(float64(v)))
	}
	for i, v := range b {
		absB[i] = T(math.Abs(float64(v)))
	}
	bound := make([]T, len(c))
	GemmRef(g.transA, g.transB, g.m, g.n, g.k, T(math.Abs(g.alpha)), absA, g.lda, absB, g.ldb, 0, bound, g.ldc)
	gotbuf := append([]T(nil), cbuf...)
	got := gotbuf[:len(c)]
	gemm(g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), a, g.lda, b, g.ldb, T(g.beta), got, g.ldc)
	for i, v := range gotbuf[len(c):] {
		if v != sentinel {
			t.Errorf("%v: wrote %v past the end of C (+%d)", g, v, i)
			return
		}
	}
	eps := 1.2e-7
	var zero T
	if _, ok := any(zero).(float64); ok {
		eps = 2.3e-16
	}
	bad := 0
	for i := range got {
		if i%g.ldc >= g.n {
			if got[i] != sentinel {
				t.Errorf("%v: C[%d] outside the matrix changed to %v", g, i, got[i])
				return
			}
			continue
		}
		tol := eps * float64(g.k+4) * (float64(bound[i]) + math.Abs(g.beta*float64(c[i])) + 1e-30)
		if g.beta == 0 {
			tol = eps * float64(g.k+4) * (float64(bound[i]) + 1e-30)
		}
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol) {
			if bad++; bad <= 3 {
				t.Errorf("%v: C[%d,%d] = %v, want %v (diff %g, tol %g)", g, i/g.ldc, i%g.ldc, got[i], want[i], d, tol)
			}
		}
	}
}

// gemmForEachKernel runs f once per available micro-kernel.
func gemmForEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer func() { _ = SetKernel("") }()
	for _, name := range Kernels() {
		if err := SetKernel(name); err != nil {
			t.Fatal(err)
		}
		t.Run(name, f)
	}
}

// gemmWithThreads sets the thread count for the rest of the test, and
// makes even small products run in parallel.
func gemmWithThreads(t *testing.T, n int) {
	t.Helper()
	old, oldMin := SetNumThreads(n), gemmParallelMin
	gemmParallelMin = 0
	t.Cleanup(func() { SetNumThreads(old); gemmParallelMin = oldMin })
}

func TestGemmRandom(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		for _, threads := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
				gemmWithThreads(t, threads)
				r := rand.New(rand.NewPCG(uint64(threads), 7))
				dims := []int{129, 257, 96, 100}
				cases := 150
				if testing.Short() {
					cases = 40
				}
				for range cases {
					g := gemmRandCase(r, dims)
					gemmRunCase(t, r, g, Sgemm)
					g = gemmRandCase(r, dims)
					gemmRunCase(t, r, g, Dgemm)
				}
			})
		}
	})
}

// TestGemmShapes covers every transpose combination on shapes around the
// kernels' tile and block sizes.
func TestGemmShapes(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		sizes := []int{1, 2, 3, 5, 8, 13, 16, 17, 31, 33, 48, 65}
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for range 12 {
					m, n, k := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
					g := gemmCase{transA: tA, transB: tB, m: m, n: n, k: k, alpha: 1.5, beta: 0.5}
					g.lda, g.ldb, g.ldc = k+1, n+2, n+3
					if tA {
						g.lda = m + 1
					}
					if tB {
						g.ldb = k + 2
					}
					gemmRunCase(t, r, g, Sgemm)
					gemmRunCase(t, r, g, Dgemm)
				}
			}
		}
		// Inner dimensions across the kc block boundary, and a tall-skinny
		// and a short-wide product (thread split along N, then M).
		for _, g := range []gemmCase{
			{m: 20, n: 37, k: 600, alpha: 1, beta: 1},
			{m: 1, n: 300, k: 70, alpha: 1, beta: 0, transB: true},
			{m: 300, n: 3, k: 40, alpha: -1, beta: 0, transA: true},
		} {
			g.lda, g.ldb, g.ldc = g.k, g.n, g.n
			if g.transA {
				g.lda = g.m
			}
			if g.transB {
				g.ldb = g.k
			}
			for _, th := range []int{1, 2} {
				gemmWithThreads(t, th)
				gemmRunCase(t, r, g, Sgemm)
				gemmRunCase(t, r, g, Dgemm)
			}
		}
	})
}

func TestGemmSpecialScalars(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		nan := float32(math.NaN())
		a := []float32{nan, 1, 2, 3}
		b := []float32{1, 2, 3, nan}
		// alpha == 0: A and B are not read, C = beta*C.
		c := []float32{1, 2, 3, 4}
		Sgemm(false, false, 2, 2, 2, 0, a, 2, b, 2, 2, c, 2)
		if fmt.Sprint(c) != "[2 4 6 8]" {
			t.Errorf("alpha=0: C = %v, want [2 4 6 8]", c)
		}
		// k == 0 with beta == 0: C is zeroed without being read.
		c = []float32{nan, nan, nan, nan}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
		if fmt.Sprint(c) != "[0 0 0 0]" {
			t.Errorf("k=0: C = %v, want zeros", c)
		}
		// m == 0 or n == 0: nothing happens.
		c = []float32{nan}
		Sgemm(false, false, 0, 1, 3, 1, nil, 3, []float32{1, 2, 3}, 1, 0, c, 1)
		Sgemm(false, false, 1, 0, 3, 1, []float32{1, 2, 3}, 3, nil, 1, 0, c, 1)
		if !math.IsNaN(float64(c[0])) {
			t.Errorf("empty product wrote C")
		}
		// A NaN in A does reach C when alpha != 0.
		c = make([]float32, 4)
		Sgemm(false, false, 2, 2, 2, 1, a, 2, []float32{1, 1, 1, 1}, 2, 0, c, 2)
		if !math.IsNaN(float64(c[0])) || math.IsNaN(float64(c[2])) {
			t.Errorf("NaN propagation: C = %v", c)
		}
	})
}

// TestGemmThreadsBitwise checks that the thread count does not change a
// single bit of the result, and that PackB+SgemmPacked reproduces Sgemm.
func TestGemmThreadsBitwise(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, sh := range [][3]int{{130, 150, 300}, {5, 700, 33}, {600, 7, 20}, {3, 2000, 600}} {
			m, n, k := sh[0], sh[1], sh[2]
			a := gemmRandSlice[float32](r, m*k)
			b := gemmRandSlice[float32](r, k*n)
			bt := make([]float32, n*k)
			for i := range k {
				for j := range n {
					bt[j*k+i] = b[i*n+j]
				}
			}
			c0 := gemmRandSlice[float32](r, m*n)
			var ref []float32
			for _, th := range []int{1, 2, 3, 4} {
				gemmWithThreads(t, th)
				c := append([]float32(nil), c0...)
				Sgemm(false, false, m, n, k, 1.25, a, k, b, n, 0.5, c, n)
				if ref == nil {
					ref = c
				} else if !gemmSameBits(ref, c) {
					t.Errorf("%v: result with %d threads differs from 1 thread", sh, th)
				}
				for _, tB := range []bool{false, true} {
					var pb *PackedB
					if tB {
						pb = PackB(true, k, n, bt, k)
					} else {
						pb = PackB(false, k, n, b, n)
					}
					if pb.K() != k || pb.N() != n {
						t.Fatalf("PackedB dims %d×%d, want %d×%d", pb.K(), pb.N(), k, n)
					}
					c := append([]float32(nil), c0...)
					SgemmPacked(false, m, 1.25, a, k, pb, 0.5, c, n)
					if !gemmSameBits(ref, c) {
						t.Errorf("%v transB=%v threads=%d: SgemmPacked differs from Sgemm", sh, tB, th)
					}
				}
			}
		}
	})
}

func gemmSameBits(x, y []float32) bool {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return len(x) == len(y)
}

func TestSgemmPackedRandom(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		gemmWithThreads(t, 2)
		r := rand.New(rand.NewPCG(5, 6))
		for range 40 {
			g := gemmRandCase(r, []int{129, 257})
			var pb *PackedB
			gemmRunCase(t, r, g, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				pb = PackB(transB, k, n, b, ldb)
				SgemmPacked(transA, m, alpha, a, lda, pb, beta, c, ldc)
			})
		}
	})
}

func TestGemmPanics(t *testing.T) {
	a := make([]float32, 6)
	for _, tc := range []struct {
		want string
		f    func()
	}{
		{"cpu.Sgemm: negative dimension", func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"cpu.Sgemm: A stride 2 is smaller than 3 columns", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"cpu.Sgemm: B has 6 elements, need 9", func() { Sgemm(false, false, 2, 3, 3, 1, a, 3, a, 3, 0, a, 3) }},
		{"cpu.Sgemm: C has 6 elements, need 8", func() { Sgemm(false, true, 2, 4, 1, 1, a, 1, a, 1, 0, a, 4) }},
		{"cpu.Dgemm: A has 6 elements, need 7", func() {
			d := make([]float64, 6)
			Dgemm(true, false, 3, 1, 2, 1, d, 4, d, 1, 0, d, 1)
		}},
		{"cpu.PackB: B stride 1 is smaller than 2 columns", func() { PackB(false, 2, 2, a, 1) }},
		{"cpu.SgemmPacked: A has 6 elements, need 8", func() {
			SgemmPacked(false, 4, 1, a, 2, PackB(false, 2, 2, a, 2), 0, make([]float32, 8), 2)
		}},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("no panic, want %q", tc.want)
					return
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want it to contain %q", msg, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestGemmSetKernel(t *testing.T) {
	defer func() { _ = SetKernel("") }()
	ks := Kernels()
	if ks[len(ks)-1] != "generic" {
		t.Errorf("Kernels() = %v, want generic last", ks)
	}
	if Kernel() != ks[0] {
		t.Errorf("default kernel %q, want the first of %v", Kernel(), ks)
	}
	if err := SetKernel("generic"); err != nil || Kernel() != "generic" {
		t.Errorf("SetKernel(generic): %v, Kernel() = %q", err, Kernel())
	}
	if err := SetKernel("no-such"); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("SetKernel(no-such) error = %v", err)
	}
	if err := SetKernel(""); err != nil || Kernel() != ks[0] {
		t.Errorf("SetKernel(\"\"): %v, Kernel() = %q", err, Kernel())
	}
}

func TestPoolParallelFor(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		gemmWithThreads(t, threads)
		if NumThreads() != threads {
			t.Fatalf("NumThreads() = %d after SetNumThreads(%d)", NumThreads(), threads)
		}
		for n := range 40 {
			hits := make([]atomic.Int32, n)
			var calls atomic.Int32
			ParallelFor(n, func(lo, hi int) {
				calls.Add(1)
				if lo >= hi {
					t.Errorf("n=%d: empty range [%d,%d)", n, lo, hi)
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
				// Nested calls must not deadlock.
				ParallelFor(3, func(lo, hi int) {})
			})
			for i := range hits {
				if hits[i].Load() != 1 {
					t.Fatalf("threads=%d n=%d: index %d covered %d times", threads, n, i, hits[i].Load())
				}
			}
			if c := int(calls.Load()); c > threads || (n > 0 && c < 1) {
				t.Errorf("threads=%d n=%d: %d calls", threads, n, c)
			}
		}
	}
	if old := SetNumThreads(0); NumThreads() < 1 {
		t.Errorf("default NumThreads() = %d (was %d)", NumThreads(), old)
	}
}

func gemmBenchMatMul(b *testing.B, n, threads int) {
	old := SetNumThreads(threads)
	defer SetNumThreads(old)
	r := rand.New(rand.NewPCG(1, 1))
	x := gemmRandSlice[float32](r, n*n)
	y := gemmRandSlice[float32](r, n*n)
	z := make([]float32, n*n)
	Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) // warm up buffers and workers
	b.ResetTimer()
	for range b.N {
		Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMatMul measures square float32 Sgemm with one thread and the
// default (fastest) micro-kernel.
func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{128, 256, 512, 1024} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { gemmBenchMatMul(b, n, 1) })
	}
}

// BenchmarkMatMulThreads measures square float32 Sgemm with several threads.
func BenchmarkMatMulThreads(b *testing.B) {
	for _, n := range []int{512, 1024} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=%d/threads=%d", n, th), func(b *testing.B) { gemmBenchMatMul(b, n, th) })
		}
	}
}

// BenchmarkMatMulKernel measures every available micro-kernel, one thread.
func BenchmarkMatMulKernel(b *testing.B) {
	defer func() { _ = SetKernel("") }()
	for _, name := range Kernels() {
		for _, n := range []int{256, 512, 1024} {
			b.Run(fmt.Sprintf("kernel=%s/n=%d", name, n), func(b *testing.B) {
				if err := SetKernel(name); err != nil {
					b.Fatal(err)
				}
				gemmBenchMatMul(b, n, 1)
			})
		}
	}
}

// TestGemmEdgeRows covers every height of the last row panel (the edge
// kernels) with full column panels, C written in place.
func TestGemmEdgeRows(t *testing.T) {
	gemmForEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for m := 1; m <= 30; m++ {
			for _, beta := range []float64{0, 0.5} {
				g := gemmCase{m: m, n: 64, k: 37, lda: 37, ldb: 64, ldc: 65, alpha: 1, beta: beta}
				gemmRunCase(t, r, g, Sgemm)
				gemmRunCase(t, r, g, Dgemm)
			}
		}
	})
}

// BenchmarkSgemmPackedM1 measures a batch-1 linear layer, 1024 to 1024,
// with pre-packed weights (a matrix-vector product), one thread.
func BenchmarkSgemmPackedM1(b *testing.B) {
	old := SetNumThreads(1)
	defer SetNumThreads(old)
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1024
	x := gemmRandSlice[float32](r, n)
	w := gemmRandSlice[float32](r, n*n)
	y := make([]float32, n)
	pb := PackB(true, n, n, w, n)
	b.ResetTimer()
	for range b.N {
		SgemmPacked(false, 1, 1, x, n, pb, 0, y, n)
	}
	b.ReportMetric(2*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMatMulShape measures non-square products of the kind a
// convolution (im2col: few output channels, many pixels) or a linear layer
// (batch×in by in×out, weights transposed) makes.
func BenchmarkMatMulShape(b *testing.B) {
	for _, sh := range []struct {
		m, n, k int
		transB  bool
	}{{32, 3136, 288, false}, {64, 784, 576, false}, {64, 256, 784, true}} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("m=%d,n=%d,k=%d,transB=%v/threads=%d", sh.m, sh.n, sh.k, sh.transB, th), func(b *testing.B) {
				old := SetNumThreads(th)
				defer SetNumThreads(old)
				r := rand.New(rand.NewPCG(1, 1))
				x := gemmRandSlice[float32](r, sh.m*sh.k)
				y := gemmRandSlice[float32](r, sh.k*sh.n)
				z := make([]float32, sh.m*sh.n)
				ldb := sh.n
				if sh.transB {
					ldb = sh.k
				}
				Sgemm(false, sh.transB, sh.m, sh.n, sh.k, 1, x, sh.k, y, ldb, 0, z, sh.n)
				b.ResetTimer()
				for range b.N {
					Sgemm(false, sh.transB, sh.m, sh.n, sh.k, 1, x, sh.k, y, ldb, 0, z, sh.n)
				}
				b.ReportMetric(2*float64(sh.m*sh.n*sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkPoolParallelFor measures the cost of one ParallelFor call that does
// no work, with two threads.
func BenchmarkPoolParallelFor(b *testing.B) {
	old := SetNumThreads(2)
	defer SetNumThreads(old)
	var sink atomic.Int64
	for range b.N {
		ParallelFor(2, func(lo, hi int) { sink.Add(int64(hi - lo)) })
	}
}
