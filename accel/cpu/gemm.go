package cpu

import (
	"fmt"
)

// The GEMM follows BLIS (Van Zee and van de Geijn): the loops over C are
// blocked so that a kc×nc block of B (packed into nr-wide column panels)
// stays in L3/L2, an mc×kc block of A (packed into mr-tall row panels) stays
// in L2, and one kc×nr panel of B stays in L1 while the micro-kernel streams
// the A panels past it, keeping an mr×nr tile of C in registers.
//
// Loop order, outermost first: jc (nc columns of C), pc (kc of the inner
// dimension; pack B), ic (mc rows; pack A), jr (nr columns), ir (mr rows).
// Threads share each packed block of B and claim row blocks of C (or, for
// products with few rows, each thread runs the whole loop nest on its own
// range of columns), so they write disjoint parts of C. Each element of C
// sums its products in the same order (fixed by k and kc alone) whatever
// the thread count and split, so results do not depend on them.
//
// The micro-kernels: AVX-512 14×32 and AVX2+FMA 6×16 on amd64 and NEON
// 6×16 on arm64 (float32; float64 tiles are half as wide), in assembly
// written by internal/asmgen, and a portable 4×2 kernel in Go, the only one
// under the purego build tag. Kernels, Kernel and SetKernel list and pick
// them (for tests and benchmarks).

// gemmKernel is one micro-kernel together with its blocking parameters.
type gemmKernel[T Float] struct {
	name   string
	mr, nr int // register tile
	mc, kc int // cache blocks; mc is a multiple of mr
	nc     int // a multiple of nr
	// fn computes the full mr×nr tile C = alpha*Ap*Bp + beta*C, where ap
	// holds kc steps of mr values (ap[p*mr+i]) and bp kc steps of nr values
	// (bp[p*nr+j]). When beta is zero C is not read. kc >= 1.
	fn func(kc int, ap, bp, c []T, ldc int, alpha, beta T)
	// fnRows, when set, computes only the first rows < mr rows of a tile
	// (all nr columns), for the last row panel of a block.
	fnRows func(rows, kc int, ap, bp, c []T, ldc int, alpha, beta T)
	// packAN, when set, packs one full mr-row panel of an A that is not
	// transposed: dst[p*mr+i] = a[i*lda+p] for i < mr, p < kb.
	packAN func(dst, a []T, lda, kb int)
	// packAT, when set, does the same for a transposed A:
	// dst[p*mr+i] = a[p*lda+i].
	packAT func(dst, a []T, lda, kb int)
	// packBT, when set, packs one full nr-column panel of a B that is
	// transposed: dst[p*nr+j] = b[j*ldb+p] for j < nr, p < kb.
	packBT func(dst, b []T, ldb, kb int)
	// packBN, when set, does the same for a B that is not transposed:
	// dst[p*nr+j] = b[p*ldb+j].
	packBN func(dst, b []T, ldb, kb int)
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for float32, row-major,
// where op(X) is X or, when the matching trans flag is set, its transpose.
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row
// strides of A, B and C as stored (A is stored k×m when transA). When beta
// is zero C is not read, so NaNs in C do not propagate; when alpha is zero
// or k is zero A and B are not read, as in BLAS. Sgemm splits the work over
// NumThreads goroutines; the result does not depend on the thread count.
// It panics if a dimension is negative, a stride is too small or a slice is
// too short for the shapes.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmCheck("cpu.Sgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemmRun(sgemmKernel(), transA, m, n, k, alpha, a, lda, gemmBSrc[float32]{trans: transB, b: b, ldb: ldb}, beta, c, ldc)
}

// Dgemm computes C = alpha*op(A)*op(B) + beta*C for float64, row-major.
// It follows the conventions of Sgemm.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemmCheck("cpu.Dgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemmRun(dgemmKernel(), transA, m, n, k, alpha, a, lda, gemmBSrc[float64]{trans: transB, b: b, ldb: ldb}, beta, c, ldc)
}

// PackedB is a k×n float32 matrix B packed once into the layout the GEMM
// micro-kernel reads, for products where B is reused (the weights of a
// linear layer at inference). Use it with SgemmPacked. A PackedB is
// read-only after PackB and safe for concurrent use.
type PackedB struct {
	k, n int
	kern *gemmKernel[float32]
	data []float32
}

// K returns the number of rows of op(B) (the inner dimension).
func (p *PackedB) K() int { return p.k }

// N returns the number of columns of op(B).
func (p *PackedB) N() int { return p.n }

// PackB packs op(B), which is k×n (B is stored n×k when transB), with row
// stride ldb, for SgemmPacked. It uses the micro-kernel selected at the time
// of the call, and SgemmPacked keeps using that kernel for it.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	gemmCheckDims("cpu.PackB", 0, n, k)
	if transB {
		gemmCheckMat("cpu.PackB", "B", n, k, len(b), ldb)
	} else {
		gemmCheckMat("cpu.PackB", "B", k, n, len(b), ldb)
	}
	kern := sgemmKernel()
	npad := gemmRoundUp(n, kern.nr)
	p := &PackedB{k: k, n: n, kern: kern, data: make([]float32, k*npad)}
	src := gemmBSrc[float32]{trans: transB, b: b, ldb: ldb, packT: kern.packBT, packN: kern.packBN}
	kc := kern.kcFor(k)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		src.pack(p.data[pc*npad:pc*npad+kb*npad], pc, 0, kb, n, kern.nr)
	}
	return p
}

// SgemmPacked computes C = alpha*op(A)*B + beta*C where B was packed by
// PackB: op(A) is m×pb.K(), C is m×pb.N(). The conventions are those of
// Sgemm, whose result it reproduces bit for bit when Sgemm runs the same
// micro-kernel.
func SgemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	gemmCheckDims("cpu.SgemmPacked", m, pb.n, pb.k)
	if transA {
		gemmCheckMat("cpu.SgemmPacked", "A", pb.k, m, len(a), lda)
	} else {
		gemmCheckMat("cpu.SgemmPacked", "A", m, pb.k, len(a), lda)
	}
	gemmCheckMat("cpu.SgemmPacked", "C", m, pb.n, len(c), ldc)
	gemmRun(pb.kern, transA, m, pb.n, pb.k, alpha, a, lda, gemmBSrc[float32]{packed: pb.data, pnpad: gemmRoundUp(pb.n, pb.kern.nr)}, beta, c, ldc)
}

func gemmCheck(op string, transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	gemmCheckDims(op, m, n, k)
	if transA {
		gemmCheckMat(op, "A", k, m, la, lda)
	} else {
		gemmCheckMat(op, "A", m, k, la, lda)
	}
	if transB {
		gemmCheckMat(op, "B", n, k, lb, ldb)
	} else {
		gemmCheckMat(op, "B", k, n, lb, ldb)
	}
	gemmCheckMat(op, "C", m, n, lc, ldc)
}

func gemmCheckDims(op string, m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("%s: negative dimension m=%d n=%d k=%d", op, m, n, k))
	}
}

// gemmCheckMat panics unless a slice of length l holds a rows×cols matrix
// with row stride ld.
func gemmCheckMat(op, name string, rows, cols, l, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("%s: %s stride %d is smaller than %d columns", op, name, ld, cols))
	}
	if l < (rows-1)*ld+cols {
		panic(fmt.Sprintf("%s: %s has %d elements, need %d for %d×%d with stride %d", op, name, l, (rows-1)*ld+cols, rows, cols, ld))
	}
}

func gemmRoundUp(x, m int) int { return (x + m - 1) / m * m }

// kcFor returns the inner block size used for an inner dimension k: at most
// kc, and k split into equal blocks, so that a k a little over kc does not
// leave a thin last block. It depends on k only, so every way of running a
// product (threads, PackB) sums in the same order.
func (kern *gemmKernel[T]) kcFor(k int) int {
	nblk := max(1, (k+kern.kc-1)/kern.kc)
	return (k + nblk - 1) / nblk
}

// gemmBSrc is where the driver gets packed panels of B from: either a
// strided matrix it packs itself, or a PackedB's data.
type gemmBSrc[T Float] struct {
	trans  bool
	b      []T
	ldb    int
	packed []T                           // when non-nil, all of B packed by PackB
	pnpad  int                           // packed: padded column count of the whole PackedB
	pcol   int                           // packed: first column of this product, a multiple of nr
	packT  func(dst, b []T, ldb, kb int) // kernel's packBT
	packN  func(dst, b []T, ldb, kb int) // kernel's packBN
	// apacked, when non-nil, is all of op(A) packed by gemmPackAAll (A
	// travels with B's source so that the drivers' signatures stay as they
	// are); ampad is its row count rounded up to the kernel's mr.
	apacked []T
	ampad   int
}

// pack writes the kb×nb block of op(B) at (p0, j0) into dst as nr-wide
// panels of kb rows each, zero-padding the last panel.
func (s gemmBSrc[T]) pack(dst []T, p0, j0, kb, nb, nr int) {
	for jp := 0; jp*nr < nb; jp++ {
		j := j0 + jp*nr
		nw := min(nr, nb-jp*nr)
		d := dst[jp*kb*nr : (jp+1)*kb*nr]
		if !s.trans {
			if nw == nr && s.packN != nil {
				s.packN(d, s.b[p0*s.ldb+j:], s.ldb, kb)
				continue
			}
			for p := range kb {
				row := s.b[(p0+p)*s.ldb+j:]
				dd := d[p*nr : p*nr+nr]
				copy(dd, row[:nw])
				clear(dd[nw:])
			}
			continue
		}
		if nw == nr && s.packT != nil {
			s.packT(d, s.b[j*s.ldb+p0:], s.ldb, kb)
			continue
		}
		if nw < nr {
			clear(d)
		}
		for jj := range nw {
			col := s.b[(j+jj)*s.ldb+p0:]
			col = col[:kb]
			for p, v := range col {
				d[p*nr+jj] = v
			}
		}
	}
}

// gemmPackA writes the mb×kb block of op(A) at (i0, p0) into dst as mr-tall
// panels of kb columns each, zero-padding the last panel.
func gemmPackA[T Float](kern *gemmKernel[T], dst []T, trans bool, a []T, lda, i0, p0, mb, kb int) {
	mr := kern.mr
	for ip := 0; ip*mr < mb; ip++ {
		i := i0 + ip*mr
		mh := min(mr, mb-ip*mr)
		d := dst[ip*kb*mr : (ip+1)*kb*mr]
		if trans {
			if mh == mr && kern.packAT != nil {
				kern.packAT(d, a[p0*lda+i:], lda, kb)
				continue
			}
			for p := range kb {
				row := a[(p0+p)*lda+i:]
				dd := d[p*mr : p*mr+mr]
				copy(dd, row[:mh])
				clear(dd[mh:])
			}
			continue
		}
		if mh == mr && kern.packAN != nil {
			kern.packAN(d, a[i*lda+p0:], lda, kb)
			continue
		}
		if mh < mr {
			clear(d)
		}
		for ii := range mh {
			row := a[(i+ii)*lda+p0:]
			row = row[:kb]
			for p, v := range row {
				d[p*mr+ii] = v
			}
		}
	}
}

// gemmGetBuf returns a scratch buffer of n elements (n > 0) with
// arbitrary contents; return it with gemmPutBuf. Buffers come from the
// size-classed workspace pool of the convolutions, so that the GEMM's
// buffers of different sizes (packed A, packed B) never displace each
// other and a warm pool serves every request without allocating.
func gemmGetBuf[T Float](n int) *[]T { return convGetWS[T](max(n, 1)) }

func gemmPutBuf[T Float](p *[]T) { convPutWS(p) }

// gemmScaleC sets C = beta*C (C = 0 when beta is zero, without reading C).
func gemmScaleC[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmParallelMin is the least m*n*k worth waking other threads for
// (tests lower it to run the parallel paths on small shapes).
var gemmParallelMin = 64 * 64 * 64

// gemmRun is the driver shared by Sgemm, Dgemm and SgemmPacked; it chooses
// how to split the work among threads. The arguments have been checked.
func gemmRun[T Float](kern *gemmKernel[T], transA bool, m, n, k int, alpha T, a []T, lda int, bs gemmBSrc[T], beta T, c []T, ldc int) {
	bs.packT, bs.packN = kern.packBT, kern.packBN
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		gemmScaleC(m, n, beta, c, ldc)
		return
	}
	nt := NumThreads()
	if m*n*k < gemmParallelMin {
		nt = 1
	}
	mr, nr := kern.mr, kern.nr
	npan := (n + nr - 1) / nr
	if nt > 1 && (m+mr-1)/mr < 2*nt && npan >= 2*nt {
		// Few rows and many columns (a convolution with few channels, a
		// linear layer with a small batch): give each thread whole column
		// ranges to run on its own, with its own packing, so that the
		// threads meet once instead of twice per block of B.
		t := gemmColTasks[T]().get()
		*t = gemmColTask[T]{kern: kern, transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, bs: bs, beta: beta, c: c, ldc: ldc}
		parallelRun(npan, min(npan, 4*nt), nt, t)
		*t = gemmColTask[T]{}
		gemmColTasks[T]().put(t)
		return
	}
	gemmBlocked(kern, nt, transA, m, n, k, alpha, a, lda, bs, beta, c, ldc)
}

// gemmColTask is a product whose threads each run the whole loop nest on
// their own ranges of column panels (gemmRun).
type gemmColTask[T Float] struct {
	kern    *gemmKernel[T]
	transA  bool
	m, n, k int
	alpha   T
	a       []T
	lda     int
	bs      gemmBSrc[T]
	beta    T
	c       []T
	ldc     int
}

func (t *gemmColTask[T]) run(lo, hi int) {
	nr := t.kern.nr
	j0, j1 := lo*nr, min(hi*nr, t.n)
	sub := t.bs
	switch {
	case sub.packed != nil:
		sub.pcol += j0
	case sub.trans:
		sub.b = sub.b[j0*sub.ldb:]
	default:
		sub.b = sub.b[j0:]
	}
	gemmBlocked(t.kern, 1, t.transA, t.m, j1-j0, t.k, t.alpha, t.a, t.lda, sub, t.beta, t.c[j0:], t.ldc)
}

// The free lists of the GEMM's task structs, one per element type.
var (
	gemmColFree32   = newFreeList[gemmColTask[float32]](64)
	gemmColFree64   = newFreeList[gemmColTask[float64]](64)
	gemmBlockFree32 = newFreeList[gemmBlockTask[float32]](64)
	gemmBlockFree64 = newFreeList[gemmBlockTask[float64]](64)
	gemmPackFree32  = newFreeList[gemmPackTask[float32]](64)
	gemmPackFree64  = newFreeList[gemmPackTask[float64]](64)
)

func gemmColTasks[T Float]() freeList[gemmColTask[T]] {
	if f, ok := any(gemmColFree32).(freeList[gemmColTask[T]]); ok {
		return f
	}
	return any(gemmColFree64).(freeList[gemmColTask[T]])
}

func gemmBlockTasks[T Float]() freeList[gemmBlockTask[T]] {
	if f, ok := any(gemmBlockFree32).(freeList[gemmBlockTask[T]]); ok {
		return f
	}
	return any(gemmBlockFree64).(freeList[gemmBlockTask[T]])
}

func gemmPackTasks[T Float]() freeList[gemmPackTask[T]] {
	if f, ok := any(gemmPackFree32).(freeList[gemmPackTask[T]]); ok {
		return f
	}
	return any(gemmPackFree64).(freeList[gemmPackTask[T]])
}

// gemmPackTask packs column panels [lo, hi) of one block of B (the
// threads of gemmBlocked share the packing).
type gemmPackTask[T Float] struct {
	bs             gemmBSrc[T]
	bp             []T
	pc, jc, kb, nb int
	nr             int
}

func (t *gemmPackTask[T]) run(lo, hi int) {
	kb, nr := t.kb, t.nr
	t.bs.pack(t.bp[lo*kb*nr:hi*kb*nr], t.pc, t.jc+lo*nr, kb, min(hi*nr, t.nb)-lo*nr, nr)
}

// gemmBlockTask multiplies one packed block of B by the row blocks of A:
// task t covers row block t/nsplit and the t%nsplit-th part of the
// column panels (see gemmBlocked).
type gemmBlockTask[T Float] struct {
	kern                           *gemmKernel[T]
	transA                         bool
	m, kb, pc, jc, nb, npan        int
	panels, mblocks, nsplit, blkPn int
	a                              []T
	lda                            int
	bs                             gemmBSrc[T]
	bp                             []T
	alpha, beta                    T
	c                              []T
	ldc                            int
}

func (t *gemmBlockTask[T]) run(lo, hi int) {
	kern := t.kern
	mr, nr, kb := kern.mr, kern.nr, t.kb
	abuf := gemmGetBuf[T](t.blkPn*mr*kb + mr*nr)
	ap := (*abuf)[:len(*abuf)-mr*nr]
	tmp := (*abuf)[len(*abuf)-mr*nr:]
	lastIb := -1
	for task := lo; task < hi; task++ {
		ib, js := task/t.nsplit, task%t.nsplit
		ic := ib * t.panels / t.mblocks * mr
		mb := min((ib+1)*t.panels/t.mblocks*mr, t.m) - ic
		if ib != lastIb {
			if t.bs.apacked != nil {
				off := t.pc*t.bs.ampad + ic*kb
				ap = t.bs.apacked[off : off+gemmRoundUp(mb, mr)*kb]
			} else {
				gemmPackA(kern, ap, t.transA, t.a, t.lda, ic, t.pc, mb, kb)
			}
			lastIb = ib
		}
		jpLo, jpHi := js*t.npan/t.nsplit, (js+1)*t.npan/t.nsplit
		gemmMacro(kern, mb, t.nb, kb, ap, t.bp, t.c[ic*t.ldc+t.jc:], t.ldc, t.alpha, t.beta, jpLo, jpHi, tmp)
	}
	gemmPutBuf(abuf)
}

// gemmBlocked runs the blocked loops with up to nt threads sharing each
// packed block of B.
func gemmBlocked[T Float](kern *gemmKernel[T], nt int, transA bool, m, n, k int, alpha T, a []T, lda int, bs gemmBSrc[T], beta T, c []T, ldc int) {
	mr, nr, kc := kern.mr, kern.nr, kern.kcFor(k)
	nc := kern.nc
	if bs.packed != nil && nc >= n {
		nc = n
	}
	var bbuf *[]T
	if bs.packed == nil {
		bbuf = gemmGetBuf[T](min(kc, k) * gemmRoundUp(min(nc, n), nr))
		defer gemmPutBuf(bbuf)
	}
	// Split the rows into mblocks blocks of whole mr-row panels, at most
	// kern.mc rows each, block ib holding panels [ib*panels/mblocks,
	// (ib+1)*panels/mblocks). With several threads, make the block count a
	// multiple of the thread count so that the threads get equal work; when
	// there are too few rows for that (a product with few output rows, as
	// in a convolution with few channels), keep the rows in one block and
	// split the columns instead. Task t covers row block t/nsplit and the
	// t%nsplit-th part of the column panels; threads claim tasks one at a
	// time.
	panels := (m + mr - 1) / mr
	mblocks := (panels + kern.mc/mr - 1) / (kern.mc / mr)
	nsplit := 1
	if nt > 1 {
		if panels >= 2*nt {
			mblocks = min(gemmRoundUp(mblocks, nt), panels)
		} else {
			nsplit = (2*nt + mblocks - 1) / mblocks
		}
	}
	blkPanels := (panels + mblocks - 1) / mblocks
	bt := gemmBlockTasks[T]().get()
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		npan := (nb + nr - 1) / nr
		nsplit := min(nsplit, npan)
		tasks := mblocks * nsplit
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			var bp []T
			if bs.packed != nil {
				off := pc*bs.pnpad + (bs.pcol+jc)*kb
				bp = bs.packed[off : off+npan*nr*kb]
			} else {
				bp = (*bbuf)[:npan*nr*kb]
				if nt > 1 && npan > 1 {
					pt := gemmPackTasks[T]().get()
					*pt = gemmPackTask[T]{bs: bs, bp: bp, pc: pc, jc: jc, kb: kb, nb: nb, nr: nr}
					parallelRun(npan, nt, nt, pt)
					*pt = gemmPackTask[T]{}
					gemmPackTasks[T]().put(pt)
				} else {
					bs.pack(bp, pc, jc, kb, nb, nr)
				}
			}
			betaEff := beta
			if pc > 0 {
				betaEff = 1
			}
			*bt = gemmBlockTask[T]{kern: kern, transA: transA, m: m, kb: kb, pc: pc, jc: jc, nb: nb, npan: npan,
				panels: panels, mblocks: mblocks, nsplit: nsplit, blkPn: blkPanels, a: a, lda: lda, bs: bs, bp: bp,
				alpha: alpha, beta: betaEff, c: c, ldc: ldc}
			if nt > 1 && tasks > 1 {
				parallelRun(tasks, tasks, nt, bt)
			} else {
				bt.run(0, tasks)
			}
		}
	}
	*bt = gemmBlockTask[T]{}
	gemmBlockTasks[T]().put(bt)
}

// gemmMacro multiplies a packed mb×kb block of A by the packed column panels
// [jpLo, jpHi) of a kb×nb block of B into C (c starts at the block's corner).
func gemmMacro[T Float](kern *gemmKernel[T], mb, nb, kb int, ap, bp, c []T, ldc int, alpha, beta T, jpLo, jpHi int, tmp []T) {
	mr, nr := kern.mr, kern.nr
	fn := kern.fn
	for jp := jpLo; jp < jpHi; jp++ {
		j0 := jp * nr
		nw := min(nr, nb-j0)
		bpan := bp[jp*kb*nr : (jp+1)*kb*nr]
		for i0 := 0; i0 < mb; i0 += mr {
			mh := min(mr, mb-i0)
			apan := ap[i0*kb : (i0+mr)*kb]
			if nw == nr {
				if mh == mr {
					fn(kb, apan, bpan, c[i0*ldc+j0:], ldc, alpha, beta)
					continue
				}
				if kern.fnRows != nil {
					kern.fnRows(mh, kb, apan, bpan, c[i0*ldc+j0:], ldc, alpha, beta)
					continue
				}
			}
			fn(kb, apan, bpan, tmp, nr, alpha, 0)
			for i := range mh {
				crow := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nw]
				trow := tmp[i*nr : i*nr+nw]
				if beta == 0 {
					copy(crow, trow)
				} else {
					for j, v := range trow {
						crow[j] = v + beta*crow[j]
					}
				}
			}
		}
	}
}

// gemmPackAAll packs all of op(A), which is m×k (A is stored k×m when
// transA), into dst, which must hold gemmRoundUp(m, kern.mr)*k elements:
// for each inner block of kern.kcFor(k) columns starting at pc, the
// block's mr-row panels at dst[pc*mpad:], exactly as the drivers pack each
// row block of A themselves (gemmPackA). A product run with it
// (gemmRunPackedA) is therefore bit-identical to one that packs A as it
// goes, and A is packed once however many products or column blocks reuse
// it.
func gemmPackAAll[T Float](kern *gemmKernel[T], transA bool, m, k int, a []T, lda int, dst []T) {
	mpad := gemmRoundUp(m, kern.mr)
	kc := kern.kcFor(k)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		gemmPackA(kern, dst[pc*mpad:pc*mpad+mpad*kb], transA, a, lda, 0, pc, m, kb)
	}
}

// gemmRunPackedA computes C = alpha*op(A)*op(B) + beta*C where ap is op(A)
// (m×k) packed by gemmPackAAll with the same kernel; the conventions are
// Sgemm's. The arguments are not checked.
func gemmRunPackedA[T Float](kern *gemmKernel[T], ap []T, m, n, k int, alpha T, transB bool, b []T, ldb int, beta T, c []T, ldc int) {
	gemmRun(kern, false, m, n, k, alpha, nil, 0, gemmBSrc[T]{trans: transB, b: b, ldb: ldb, apacked: ap, ampad: gemmRoundUp(m, kern.mr)}, beta, c, ldc)
}
