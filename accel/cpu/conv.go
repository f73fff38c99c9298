package cpu

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// ConvParams describes a batched 2-D convolution: an input of shape
// [N, C, H, W] and a weight of shape [OC, C/Groups, KH, KW] give an output
// of shape [N, OC, OutH, OutW], all contiguous and row-major. A 1-D
// convolution is the case H = KH = OutH = 1.
//
// Output pixel (oh, ow) reads, through kernel tap (kh, kw), input row
// oh*StrideH - PadH + kh*DilH and column ow*StrideW - PadW + kw*DilW;
// positions outside the input read zero. PadH and PadW are the padding
// before the first row and column; the padding after the last one is implied
// by OutH and OutW (see ConvOutSize), which is how asymmetric padding such
// as PyTorch's padding="same" with an even kernel is expressed.
//
// Channels are split into Groups groups: output channels
// [g*OC/Groups, (g+1)*OC/Groups) read input channels
// [g*C/Groups, (g+1)*C/Groups). Groups == C > 1 is a depthwise convolution,
// which runs a direct kernel instead of im2col and GEMM.
type ConvParams struct {
	N, C, H, W       int // batch, input channels, input height and width
	OC               int // output channels
	KH, KW           int // kernel height and width
	StrideH, StrideW int
	PadH, PadW       int // zero padding before the first row and column
	DilH, DilW       int
	Groups           int
	OutH, OutW       int // output height and width
	// Act is the activation Conv2d applies to its output together with the
	// bias, in the same pass (the zero value: none). The backward kernels
	// ignore it: they compute the gradients of the convolution alone.
	Act Act
}

// ActKind names an activation that a kernel applies in its output pass.
type ActKind uint8

const (
	// ActNone applies no activation.
	ActNone ActKind = iota
	// ActReLU is max(x, 0).
	ActReLU
	// ActReLU6 is min(max(x, 0), 6).
	ActReLU6
	// ActClamp is min(max(x, Lo), Hi), PyTorch's clamp and hardtanh.
	ActClamp
)

// Act is an activation fused into a kernel's output pass, so that
// conv+bias+relu (and the like) writes its output once. NaN stays NaN, as
// in PyTorch.
type Act struct {
	Kind   ActKind
	Lo, Hi float64 // the bounds of ActClamp; ignored by the other kinds
}

// bounds returns the interval the activation clamps to (±Inf for none).
func (a Act) bounds() (lo, hi float64) {
	switch a.Kind {
	case ActReLU:
		return 0, math.Inf(1)
	case ActReLU6:
		return 0, 6
	case ActClamp:
		return a.Lo, a.Hi
	}
	return math.Inf(-1), math.Inf(1)
}

// actClamp clamps every element of y to [lo, hi], leaving NaNs.
func actClamp[T Float](y []T, lo, hi T) {
	for i, v := range y {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		y[i] = v
	}
}

// ConvOutSize returns the output length along one dimension of a
// convolution with input length in, kernel length k, the given stride,
// padding before and after, and dilation: the number of kernel positions
// that fit in the padded input (0 when none does).
func ConvOutSize(in, k, stride, padBefore, padAfter, dil int) int {
	span := in + padBefore + padAfter - dil*(k-1) - 1
	if span < 0 || stride <= 0 {
		return 0
	}
	return span/stride + 1
}

// Validate reports whether p describes a convolution the kernels can run:
// positive sizes, strides and dilations, non-negative padding, and channel
// counts divisible by Groups.
func (p ConvParams) Validate() error {
	switch {
	case p.N < 0:
		return fmt.Errorf("conv: negative batch size %d", p.N)
	case p.C <= 0 || p.H <= 0 || p.W <= 0 || p.OC <= 0:
		return fmt.Errorf("conv: input [%d %d %d] and %d output channels must be positive", p.C, p.H, p.W, p.OC)
	case p.KH <= 0 || p.KW <= 0 || p.OutH <= 0 || p.OutW <= 0:
		return fmt.Errorf("conv: kernel %dx%d and output %dx%d must be positive", p.KH, p.KW, p.OutH, p.OutW)
	case p.StrideH <= 0 || p.StrideW <= 0 || p.DilH <= 0 || p.DilW <= 0:
		return fmt.Errorf("conv: stride (%d, %d) and dilation (%d, %d) must be positive", p.StrideH, p.StrideW, p.DilH, p.DilW)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("conv: negative padding (%d, %d)", p.PadH, p.PadW)
	case p.Groups <= 0 || p.C%p.Groups != 0 || p.OC%p.Groups != 0:
		return fmt.Errorf("conv: groups %d must divide input channels %d and output channels %d", p.Groups, p.C, p.OC)
	}
	return nil
}

// checkLens panics when a buffer is shorter than p needs: nx, nw and ny are
// the lengths of the input, weight and output buffers, nb that of the bias
// (-1 when there is none) and nbWant the bias length p needs.
func (p ConvParams) checkLens(op string, nx, nw, nb, nbWant, ny int) {
	need := [...]struct {
		name      string
		got, want int
	}{
		{"input", nx, p.N * p.C * p.H * p.W},
		{"weight", nw, p.OC * p.C / max(p.Groups, 1) * p.KH * p.KW},
		{"output", ny, p.N * p.OC * p.OutH * p.OutW},
		{"bias", nb, nbWant},
	}
	for _, n := range need {
		if n.got >= 0 && n.got < n.want {
			panic(fmt.Sprintf("%s: %s has %d elements, need %d", op, n.name, n.got, n.want))
		}
	}
}

// isDepthwise reports whether p is a depthwise convolution (one input
// channel per group, several groups), which the direct kernels handle.
func (p ConvParams) isDepthwise() bool { return p.Groups == p.C && p.Groups > 1 }

// isPointwise reports whether p is a 1x1 convolution with stride 1 and no
// padding, whose im2col matrix is the input itself.
func (p ConvParams) isPointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadH == 0 && p.PadW == 0 && p.OutH == p.H && p.OutW == p.W
}

// WorkspaceSize returns the number of elements of scratch memory that
// Conv2d, Conv2dBackwardData and Conv2dBackwardWeight use for p at the
// current thread count (NumThreads): one im2col matrix of one group of one
// image for the backward kernels, and one im2col column block per thread
// for Conv2d; 0 for pointwise and depthwise convolutions. Passing a
// workspace of that size makes the kernels allocation-free.
func (p ConvParams) WorkspaceSize() int {
	if p.isDepthwise() || p.isPointwise() {
		return 0
	}
	k := p.C / p.Groups * p.KH * p.KW
	ohw := p.OutH * p.OutW
	nt := NumThreads()
	nb, _ := convPlan(p, k, nt)
	return max(k*ohw, nt*k*nb)
}

// convWorkspace returns ws[:n] when ws is long enough, and otherwise a
// buffer of n elements from the workspace pool (convGetWS), together with
// the function that gives it back. The buffer's contents are arbitrary: the
// kernels overwrite every element they read (im2col fills every entry of
// its matrix, and a GEMM with beta zero does not read C).
func convWorkspace[T Float](ws []T, n int) ([]T, func()) {
	if len(ws) >= n {
		return ws[:n], func() {}
	}
	b := convGetWS[T](n)
	return (*b)[:n], func() { convPutWS(b) }
}

// The workspace pool keeps the scratch buffers of the GEMM convolutions
// (im2col matrices) between calls, so that a network's convolutions do not
// allocate and zero a fresh buffer each time. Buffers are kept in size
// classes of powers of two (class c holds buffers of capacity exactly 1<<c)
// in sync.Pools, so a buffer is reused by any convolution whose workspace
// falls in its class, and the garbage collector can still reclaim idle ones.
var (
	convWSPool32 [48]sync.Pool
	convWSPool64 [48]sync.Pool
)

// convWSClass returns the size class of a buffer of n > 0 elements.
func convWSClass(n int) int { return bits.Len(uint(n - 1)) }

func convWSPools[T Float]() *[48]sync.Pool {
	var zero T
	if _, ok := any(zero).(float64); ok {
		return &convWSPool64
	}
	return &convWSPool32
}

// convGetWS returns a buffer of n elements (n > 0) with arbitrary contents;
// give it back with convPutWS.
func convGetWS[T Float](n int) *[]T {
	c := convWSClass(n)
	if v := convWSPools[T]()[c].Get(); v != nil {
		p := v.(*[]T)
		*p = (*p)[:n]
		return p
	}
	s := make([]T, n, 1<<c)
	return &s
}

// convPutWS gives back a buffer from convGetWS.
func convPutWS[T Float](p *[]T) {
	convWSPools[T]()[convWSClass(cap(*p))].Put(p)
}

// convRange returns the range [lo, hi) of output positions o in [0, out)
// for which o*stride + off lies in [0, in).
func convRange(out, in, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	last := in - 1 - off
	if last >= 0 {
		hi = last/stride + 1
	}
	hi = min(hi, out)
	lo = min(lo, hi)
	return lo, hi
}

// Im2col unfolds channels [0, c) of one image x (laid out [c, p.H, p.W])
// into col, a [c*KH*KW, OutH*OutW] matrix: row (ci, kh, kw) holds, for
// every output pixel, the input value that kernel tap reads (zero in the
// padding).
func Im2col[T Float](p ConvParams, c int, x, col []T) {
	convIm2colRange(p, c, x, col, 0, p.OutH*p.OutW)
}

// convIm2colRange is Im2col restricted to the output pixels [j0, j1) in
// row-major order: col is a [c*KH*KW, j1-j0] matrix.
func convIm2colRange[T Float](p ConvParams, c int, x, col []T, j0, j1 int) {
	hw, m := p.H*p.W, j1-j0
	oh0, oh1 := j0/p.OutW, (j1+p.OutW-1)/p.OutW
	gather := convGather2For[T]()
	// With unit strides and an output as wide as the input, every tap
	// reads the input at a constant offset from the output pixel.
	shift := p.StrideH == 1 && p.StrideW == 1 && p.OutW == p.W
	r := 0
	for ci := range c {
		xc := x[ci*hw : (ci+1)*hw]
		for kh := range p.KH {
			offH := kh*p.DilH - p.PadH
			ohLo, ohHi := convRange(p.OutH, p.H, p.StrideH, offH)
			for kw := range p.KW {
				offW := kw*p.DilW - p.PadW
				owLo, owHi := convRange(p.OutW, p.W, p.StrideW, offW)
				row := col[r*m : (r+1)*m]
				r++
				if shift {
					convIm2colShift(p, xc, row, j0, j1, offH, offW, ohLo, ohHi, owLo, owHi)
					continue
				}
				if j0 == 0 && j1 == p.OutH*p.OutW {
					convIm2colRow(p, xc, row, offH, offW, ohLo, ohHi, owLo, owHi, gather)
					continue
				}
				for oh := oh0; oh < oh1; oh++ {
					// This output row's pixels within [j0, j1), as columns
					// [a, b) of the output row and positions of row.
					a, b := max(j0-oh*p.OutW, 0), min(j1-oh*p.OutW, p.OutW)
					dst := row[oh*p.OutW+a-j0 : oh*p.OutW+b-j0]
					if oh < ohLo || oh >= ohHi {
						clear(dst)
						continue
					}
					lo, hi := max(owLo, a), min(owHi, b)
					if lo >= hi {
						clear(dst)
						continue
					}
					clear(dst[:lo-a])
					clear(dst[hi-a:])
					ih := oh*p.StrideH + offH
					src := xc[ih*p.W : (ih+1)*p.W]
					d := dst[lo-a : hi-a]
					iw := lo*p.StrideW + offW
					switch p.StrideW {
					case 1:
						copy(d, src[iw:])
					case 2:
						if len(d) >= 16 {
							gather(d, src[iw:])
							break
						}
						s := src[iw:]
						s = s[:2*len(d)-1]
						for i := range d {
							d[i] = s[2*i]
						}
					default:
						for i := range d {
							d[i] = src[iw]
							iw += p.StrideW
						}
					}
				}
			}
		}
	}
}

// convIm2colRow fills row, the im2col row of one kernel tap for all the
// output pixels: the general loop of convIm2colRange without its handling
// of partial output rows.
func convIm2colRow[T Float](p ConvParams, xc, row []T, offH, offW, ohLo, ohHi, owLo, owHi int, gather func(dst, src []T)) {
	ow := p.OutW
	clear(row[:ohLo*ow])
	clear(row[ohHi*ow:])
	if owLo >= owHi {
		clear(row[ohLo*ow : ohHi*ow])
		return
	}
	n := owHi - owLo
	for oh := ohLo; oh < ohHi; oh++ {
		dst := row[oh*ow : oh*ow+ow]
		clear(dst[:owLo])
		clear(dst[owHi:])
		d := dst[owLo:owHi]
		src := xc[(oh*p.StrideH+offH)*p.W+owLo*p.StrideW+offW:]
		switch {
		case p.StrideW == 1:
			copy(d, src[:n])
		case p.StrideW == 2 && n >= 16:
			gather(d, src)
		default:
			s := src[:(n-1)*p.StrideW+1]
			for i := range d {
				d[i] = s[i*p.StrideW]
			}
		}
	}
}

// convIm2colShift fills row, the im2col row of one kernel tap for the
// output pixels [j0, j1), when the strides are 1 and OutW == W: then pixel
// j reads input element j + offH*W + offW, so the row is one copy of a
// span of the input, after which the pixels whose tap falls in the
// padding (rows outside [ohLo, ohHi), columns outside [owLo, owHi)) are
// zeroed. This saves the per-output-row work of the general loop, which
// dominates for narrow images.
func convIm2colShift[T Float](p ConvParams, xc, row []T, j0, j1, offH, offW, ohLo, ohHi, owLo, owHi int) {
	ow := p.OutW
	ja, jb := max(j0, ohLo*ow), min(j1, ohHi*ow)
	if ja >= jb || owLo >= owHi {
		clear(row)
		return
	}
	clear(row[:ja-j0])
	clear(row[jb-j0:])
	sh := offH*p.W + offW
	// The copy stops where the input ends; the pixels left out all lie
	// in padded columns and are zeroed below.
	ca, cb := max(ja, -sh), min(jb, len(xc)-sh)
	if ca < cb {
		copy(row[ca-j0:cb-j0], xc[ca+sh:cb+sh])
	}
	if owLo == 0 && owHi == ow {
		return
	}
	for base := ja / ow * ow; base < jb; base += ow {
		a, b := max(base, ja), min(base+owLo, jb)
		if a < b {
			clear(row[a-j0 : b-j0])
		}
		a, b = max(base+owHi, ja), min(base+ow, jb)
		if a < b {
			clear(row[a-j0 : b-j0])
		}
	}
}

// convGather2For returns a function that sets dst[i] = src[2*i] for
// i < len(dst), with SIMD for float32.
func convGather2For[T Float]() func(dst, src []T) {
	if f, ok := any(convGather2Func()).(func(dst, src []T)); ok {
		return f
	}
	return convGather2Go[T]
}

func convGather2Go[T Float](dst, src []T) {
	for i := range dst {
		dst[i] = src[2*i]
	}
}

// Col2im is the adjoint of Im2col: it adds every entry of col, a
// [c*KH*KW, OutH*OutW] matrix, to the input position of channels [0, c) of
// x (laid out [c, p.H, p.W]) that the entry's kernel tap reads. Entries
// that fall in the padding are dropped. x is accumulated into, not
// overwritten.
func Col2im[T Float](p ConvParams, c int, col, x []T) {
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	add := convAddTo[T]
	if f, ok := any(convAddFunc()).(func(d, s []T)); ok {
		add = f
	}
	r := 0
	for ci := range c {
		xc := x[ci*hw : (ci+1)*hw]
		for kh := range p.KH {
			offH := kh*p.DilH - p.PadH
			ohLo, ohHi := convRange(p.OutH, p.H, p.StrideH, offH)
			for kw := range p.KW {
				offW := kw*p.DilW - p.PadW
				owLo, owHi := convRange(p.OutW, p.W, p.StrideW, offW)
				row := col[r*ohw : (r+1)*ohw]
				r++
				if owLo >= owHi {
					continue
				}
				for oh := ohLo; oh < ohHi; oh++ {
					src := row[oh*p.OutW+owLo : oh*p.OutW+owHi]
					ih := oh*p.StrideH + offH
					dst := xc[ih*p.W : (ih+1)*p.W]
					if p.StrideW == 1 {
						add(dst[owLo+offW:owHi+offW], src)
						continue
					}
					iw := owLo*p.StrideW + offW
					for _, v := range src {
						dst[iw] += v
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// convAddTo sets d[i] += s[i] for i < len(s) (len(d) >= len(s)). (The
// SIMD add kernel measured slower here: col2im's rows are short.)
func convAddTo[T Float](d, s []T) {
	d = d[:len(s)]
	for i, v := range s {
		d[i] += v
	}
}

// convGemm calls Sgemm or Dgemm for the element type.
func convGemm[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		Sgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		Dgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		GemmRef(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	}
}

// fillRows sets each of the len(vals) rows of n elements of dst to the
// row's value.
func fillRows[T Float](dst []T, vals []T, n int) {
	for i, v := range vals {
		row := dst[i*n : (i+1)*n]
		for j := range row {
			row[j] = v
		}
	}
}

func lenOrNeg[T any](s []T) int {
	if s == nil {
		return -1
	}
	return len(s)
}

// Conv2d computes the convolution p describes: y = act(conv(x, w) + bias),
// with x of shape [N, C, H, W], w of shape [OC, C/Groups, KH, KW], bias of
// length OC or nil, act the activation p.Act, and y of shape
// [N, OC, OutH, OutW] (overwritten). ws is scratch memory of at least
// p.WorkspaceSize() elements, or nil to allocate.
//
// The algorithm follows the shape:
//   - depthwise (Groups == C > 1): a direct kernel (assembly for float32
//     3x3 with stride 1 or 2; see depthwiseForward), no im2col, since a
//     GEMM with one row per group would waste the micro-kernel;
//   - 1x1, stride 1, no padding: a GEMM on the input itself;
//   - everything else: im2col and GEMM.
//
// The GEMM convolutions split each image's output pixels into column
// blocks sized so that a block's im2col matrix stays in the L2 cache
// (convPlan); the blocks of all images and groups are shared out over the
// worker pool, each unfolding its pixels (im2col), multiplying, and then
// adding the bias and applying the activation to its output block while it
// is still in cache. A block size depends only on p and the thread count,
// and the GEMM's sums do not depend on how its columns are split, so the
// result is the same for any thread count.
func Conv2d[T Float](p ConvParams, x, w, bias, y, ws []T) {
	p.checkLens("cpu.Conv2d", len(x), len(w), lenOrNeg(bias), p.OC, len(y))
	if p.isDepthwise() {
		depthwiseForward(p, x, w, bias, y)
		return
	}
	g := p.Groups
	cg, ocg := p.C/g, p.OC/g
	k := cg * p.KH * p.KW
	nt := NumThreads()
	nb, nch := convPlan(p, k, nt)
	units := p.N * g * nch
	t := convTasks[T]().get()
	t.p, t.x, t.w, t.bias, t.y = p, x, w, bias, y
	t.cg, t.ocg, t.k, t.nb, t.nch = cg, ocg, k, nb, nch
	t.pw = p.isPointwise()
	lo, hi := p.Act.bounds()
	t.lo, t.hi = T(lo), T(hi)
	t.slots.init(ws, k*nb, min(nt, units), t.pw)
	t.wa.init(false, g, ocg, k, w, k, ocg*k, p.N*nch)
	parallelRun(units, units, nt, t)
	t.slots.release()
	t.wa.release()
	t.x, t.w, t.bias, t.y, t.wa.a = nil, nil, nil, nil, nil
	convTasks[T]().put(t)
}

// convTask is one forward GEMM convolution (Conv2d): unit u is column
// block u%nch of group (u/nch)%Groups of image u/nch/Groups. Tasks are
// recycled, with their im2col slots and packed weights, so that a
// convolution allocates nothing once they are warm.
type convTask[T Float] struct {
	p                   ConvParams
	x, w, bias, y       []T
	cg, ocg, k, nb, nch int
	pw                  bool
	lo, hi              T
	slots               convSlots[T]
	wa                  convA[T]
}

var (
	convTaskFree32 = newFreeList[convTask[float32]](64)
	convTaskFree64 = newFreeList[convTask[float64]](64)
)

func convTasks[T Float]() freeList[convTask[T]] {
	if f, ok := any(convTaskFree32).(freeList[convTask[T]]); ok {
		return f
	}
	return any(convTaskFree64).(freeList[convTask[T]])
}

func (t *convTask[T]) run(u0, u1 int) {
	p := &t.p
	g, cg, ocg, nb, nch := p.Groups, t.cg, t.ocg, t.nb, t.nch
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	col := t.slots.get()
	for u := u0; u < u1; u++ {
		ch, ng := u%nch, u/nch
		gi, n := ng%g, ng/g
		j0 := ch * nb
		j1 := min(ohw, j0+nb)
		xg := t.x[(n*p.C+gi*cg)*hw : (n*p.C+(gi+1)*cg)*hw]
		yg := t.y[(n*p.OC+gi*ocg)*ohw : (n*p.OC+(gi+1)*ocg)*ohw]
		b, ldb := col, j1-j0
		if t.pw {
			b, ldb = xg[j0:], ohw
		} else {
			convIm2colRange(*p, cg, xg, col, j0, j1)
		}
		t.wa.gemm(gi, j1-j0, false, b, ldb, 0, yg[j0:], ohw)
		var bg []T
		if t.bias != nil {
			bg = t.bias[gi*ocg : (gi+1)*ocg]
		}
		convOutPass(yg[j0:], ocg, j1-j0, ohw, bg, p.Act.Kind != ActNone, t.lo, t.hi)
	}
	t.slots.put(col)
}

// convColBudget is the number of elements of one im2col column block:
// 512 KiB of float32, half of Zen 5's L2.
const convColBudget = 1 << 18

// convPlan splits the OutH*OutW output pixels of a GEMM convolution with
// inner dimension k into nch blocks of nb pixels (the last may be short):
// at most convColBudget/k pixels (but at least 256, below which the GEMM
// loses its efficiency) a block, and, when the images and groups alone do
// not give every thread work, enough blocks that they do.
func convPlan(p ConvParams, k, nt int) (nb, nch int) {
	ohw := p.OutH * p.OutW
	nb = min(ohw, max(256, convColBudget/max(k, 1)))
	nch = (ohw + nb - 1) / nb
	if base := p.N * p.Groups; nt > 1 && base*nch < 4*nt && base%nt != 0 {
		// Few units: make their number a multiple of nt, with blocks of
		// at least 64 pixels.
		for c := nch; c <= 4*nt && c <= (ohw+63)/64; c++ {
			if base*c%nt == 0 {
				nch = c
				break
			}
		}
	}
	nb = (ohw + nch - 1) / nch
	if nb > 32 {
		nb = (nb + 31) &^ 31 // whole GEMM panels
	}
	nch = (ohw + nb - 1) / nb
	return nb, nch
}

// convSlots hands out im2col buffers to the goroutines of one convolution:
// at most n at a time, carved from the caller's workspace where it is big
// enough and taken from the workspace pool otherwise (and given back to it
// by release).
type convSlots[T Float] struct {
	free   chan []T
	size   int
	none   bool   // no buffers (pointwise convolutions read the input)
	pooled []*[]T // buffers from the pool, for release
	mu     sync.Mutex
}

// init prepares s to hand out n buffers of size elements, carved from ws
// where it is long enough; with none set, get returns nil. It reuses the
// channel of an earlier use when it is big enough.
func (s *convSlots[T]) init(ws []T, size, n int, none bool) {
	s.none, s.size = none, size
	if none {
		return
	}
	if cap(s.free) < n {
		s.free = make(chan []T, n)
	}
	for len(s.free) > 0 {
		<-s.free
	}
	for range n {
		var b []T
		if len(ws) >= size {
			b, ws = ws[:size:size], ws[size:]
		}
		s.free <- b
	}
}

func (s *convSlots[T]) get() []T {
	if s.none {
		return nil
	}
	b := <-s.free
	if b == nil {
		pb := convGetWS[T](s.size)
		s.mu.Lock()
		s.pooled = append(s.pooled, pb)
		s.mu.Unlock()
		b = (*pb)[:s.size:s.size]
	}
	return b
}

// release gives the buffers taken from the pool back to it; the slots must
// no longer be in use.
func (s *convSlots[T]) release() {
	if s.none {
		return
	}
	for i, pb := range s.pooled {
		convPutWS(pb)
		s.pooled[i] = nil
	}
	s.pooled = s.pooled[:0]
	for len(s.free) > 0 {
		<-s.free
	}
}

func (s *convSlots[T]) put(b []T) {
	if !s.none {
		s.free <- b
	}
}

// convOutPass adds bias[r] (when bias is not nil) to the n elements of
// each of the rows rows of y (row stride ldy) and clamps them to [lo, hi]
// when clamp is set: the output pass of the GEMM convolutions.
func convOutPass[T Float](y []T, rows, n, ldy int, bias []T, clamp bool, lo, hi T) {
	if bias == nil && !clamp {
		return
	}
	if y32, ok := any(y).([]float32); ok {
		b32, _ := any(bias).([]float32)
		if b32 == nil {
			if rows <= len(dwZero) {
				b32 = dwZero[:rows] // read only
			} else {
				b32 = make([]float32, rows)
			}
		}
		convBiasActRows(y32, n, ldy, b32, float32(lo), float32(hi))
		return
	}
	for r := range rows {
		var b T
		if bias != nil {
			b = bias[r]
		}
		convBiasActGo(y[r*ldy:r*ldy+n], b, lo, hi)
	}
}

// convBiasActGo sets y[i] = clamp(y[i] + b, lo, hi), leaving NaNs.
func convBiasActGo[T Float](y []T, b, lo, hi T) {
	for i, v := range y {
		v += b
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		y[i] = v
	}
}

// Conv2dBackwardData computes the gradient of Conv2d's output with respect
// to its input: dx = conv^T(dy, w) + bias, where dy has the output's shape
// [N, OC, OutH, OutW], dx the input's shape [N, C, H, W] (overwritten) and
// bias, of length C, may be nil. It is also the transposed convolution
// (PyTorch's conv_transpose2d) of dy with weight w, whose output is dx.
// ws is as for Conv2d.
func Conv2dBackwardData[T Float](p ConvParams, dy, w, bias, dx, ws []T) {
	p.checkLens("cpu.Conv2dBackwardData", len(dx), len(w), lenOrNeg(bias), p.C, len(dy))
	if p.isDepthwise() {
		depthwiseBackwardData(p, dy, w, bias, dx)
		return
	}
	g := p.Groups
	cg, ocg := p.C/g, p.OC/g
	k := cg * p.KH * p.KW
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	pw := p.isPointwise()
	if !pw {
		var done func()
		ws, done = convWorkspace(ws, k*ohw)
		defer done()
	}
	// op(A) is the transposed weight of a group, k×ocg (cg×ocg when
	// pointwise, where k == cg).
	wa := convNewA(true, g, k, ocg, w, k, ocg*k, p.N)
	defer wa.release()
	for n := range p.N {
		for gi := range g {
			dxg := dx[(n*p.C+gi*cg)*hw : (n*p.C+(gi+1)*cg)*hw]
			dyg := dy[(n*p.OC+gi*ocg)*ohw : (n*p.OC+(gi+1)*ocg)*ohw]
			var beta T
			if bias != nil {
				fillRows(dxg, bias[gi*cg:(gi+1)*cg], hw)
				beta = 1
			}
			if pw {
				wa.gemm(gi, hw, false, dyg, ohw, beta, dxg, hw)
				continue
			}
			wa.gemm(gi, ohw, false, dyg, ohw, 0, ws, ohw)
			if bias == nil {
				clear(dxg)
			}
			Col2im(p, cg, ws, dxg)
		}
	}
}

// Conv2dBackwardWeight computes the gradient of Conv2d's output with
// respect to its weight, summed over the batch: dw (shape
// [OC, C/Groups, KH, KW], overwritten) from the input x and the output
// gradient dy. ws is as for Conv2d.
func Conv2dBackwardWeight[T Float](p ConvParams, x, dy, dw, ws []T) {
	p.checkLens("cpu.Conv2dBackwardWeight", len(x), len(dw), -1, 0, len(dy))
	if p.isDepthwise() {
		depthwiseBackwardWeight(p, x, dy, dw)
		return
	}
	g := p.Groups
	cg, ocg := p.C/g, p.OC/g
	k := cg * p.KH * p.KW
	hw, ohw := p.H*p.W, p.OutH*p.OutW
	dw = dw[:p.OC*k]
	if p.N == 0 {
		clear(dw)
		return
	}
	pw := p.isPointwise()
	if !pw {
		var done func()
		ws, done = convWorkspace(ws, k*ohw)
		defer done()
	}
	dot := convDotFor[T]()
	for n := range p.N {
		var beta T
		if n > 0 {
			beta = 1
		}
		for gi := range g {
			xg := x[(n*p.C+gi*cg)*hw : (n*p.C+(gi+1)*cg)*hw]
			dyg := dy[(n*p.OC+gi*ocg)*ohw : (n*p.OC+(gi+1)*ocg)*ohw]
			col := xg
			if !pw {
				Im2col(p, cg, xg, ws)
				col = ws
			}
			if k <= convSmallK {
				// A GEMM with so few columns would mostly compute
				// padding: take the dot products directly.
				dwg := dw[gi*ocg*k : (gi+1)*ocg*k]
				for oc := range ocg {
					d := dyg[oc*ohw : (oc+1)*ohw]
					for r := range k {
						v := dot(d, col[r*ohw:(r+1)*ohw])
						if n > 0 {
							v += dwg[oc*k+r]
						}
						dwg[oc*k+r] = v
					}
				}
				continue
			}
			convGemm(false, true, ocg, k, ohw, dyg, ohw, col, ohw, beta, dw[gi*ocg*k:(gi+1)*ocg*k], k)
		}
	}
}

// convSmallK is the largest inner dimension C/Groups*KH*KW (the weight
// gradient's column count) for which Conv2dBackwardWeight takes dot
// products instead of a GEMM, whose column panels are much wider.
const convSmallK = 16

// convDotFor returns a dot product of two equal-length slices: for float32
// VecDot (accumulated in float64, then rounded), else a plain loop.
func convDotFor[T Float]() func(a, b []T) T {
	if f, ok := any(convDot32).(func(a, b []T) T); ok {
		return f
	}
	return func(a, b []T) T {
		b = b[:len(a)]
		var s T
		for i, v := range a {
			s += v * b[i]
		}
		return s
	}
}

func convDot32(a, b []float32) float32 { return float32(vecCur.Load().dot(a, b)) }

// convParallelFor runs f over [0, n) split over the worker pool
// (ParallelFor) when the work, n items of about cost multiply-adds each,
// is large enough to pay for waking the workers; else on the caller.
func convParallelFor(n, cost int, f func(lo, hi int)) {
	convParallelRun(n, cost, funcRanger(f))
}

// convParallelRun is convParallelFor with the body as a ranger.
func convParallelRun(n, cost int, r ranger) {
	if n*cost < 1<<15 {
		r.run(0, n)
		return
	}
	nt := NumThreads()
	parallelRun(n, nt, nt, r)
}

// convGemmKernel returns the GEMM micro-kernel that Sgemm or Dgemm runs for
// T, or nil for other element types (which take GemmRef).
func convGemmKernel[T Float]() *gemmKernel[T] {
	var zero T
	switch any(zero).(type) {
	case float32:
		k, _ := any(sgemmKernel()).(*gemmKernel[T])
		return k
	case float64:
		k, _ := any(dgemmKernel()).(*gemmKernel[T])
		return k
	}
	return nil
}

// convA is the A operand (the weight) of the products of one GEMM
// convolution, one m×k matrix op(A) per group: group gi's is stored at
// a[gi*size:(gi+1)*size] with row stride lda (transposed when transA).
// When the products reuse it (several images or column blocks), it is
// packed once for the call into the micro-kernel's layout instead of once
// per product; the results are bit-identical either way (see
// gemmPackAAll).
type convA[T Float] struct {
	transA    bool
	m, k, lda int
	a         []T
	size      int
	kern      *gemmKernel[T]
	packed    []T // groups' packed A, per elements each; nil: not packed
	per       int
	buf       *[]T
}

// convNewA prepares the A operand described above for uses products per
// group; release it with release.
func convNewA[T Float](transA bool, groups, m, k int, a []T, lda, size, uses int) *convA[T] {
	ca := &convA[T]{}
	ca.init(transA, groups, m, k, a, lda, size, uses)
	return ca
}

// init is convNewA into an existing convA (released, or zero).
func (ca *convA[T]) init(transA bool, groups, m, k int, a []T, lda, size, uses int) {
	*ca = convA[T]{transA: transA, m: m, k: k, lda: lda, a: a, size: size}
	kern := convGemmKernel[T]()
	if kern == nil || uses < 2 {
		return
	}
	ca.kern = kern
	ca.per = gemmRoundUp(m, kern.mr) * k
	ca.buf = convGetWS[T](groups * ca.per)
	ca.packed = *ca.buf
	for gi := range groups {
		gemmPackAAll(kern, transA, m, k, a[gi*size:(gi+1)*size], lda, ca.packed[gi*ca.per:(gi+1)*ca.per])
	}
}

// gemm computes C = op(A_gi)*op(B) + beta*C for group gi, with op(B) k×n.
func (ca *convA[T]) gemm(gi, n int, transB bool, b []T, ldb int, beta T, c []T, ldc int) {
	if ca.packed != nil {
		gemmRunPackedA(ca.kern, ca.packed[gi*ca.per:(gi+1)*ca.per], ca.m, n, ca.k, 1, transB, b, ldb, beta, c, ldc)
		return
	}
	convGemm(ca.transA, transB, ca.m, n, ca.k, ca.a[gi*ca.size:(gi+1)*ca.size], ca.lda, b, ldb, beta, c, ldc)
}

// release gives the packed buffer back to the workspace pool.
func (ca *convA[T]) release() {
	if ca.buf != nil {
		convPutWS(ca.buf)
		ca.buf, ca.packed = nil, nil
	}
}
