package lite

import (
	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/format"
)

// The shape ops and copies. Every value of a method has its own bytes, so
// a view op (reshape, flatten, squeeze, ...) copies its input into its
// output, unless the arena planner gave both the same bytes: then it costs
// nothing. transpose and permute copy with the permuted strides (the
// result is contiguous, as after contiguous()). These ops take any dtype.
// mean_dims and sum_dims reduce float32.

func init() {
	shapeOp := func(name string, attrs []string, f func(c *cc, x *val) ([]int, error)) {
		register(name, &opDef{version: 1, attrs: attrs, minIn: 1, maxIn: 1, nOut: 1, aliasBytes: true,
			compile: func(c *cc) error { return compileReshape(c, f) }})
	}
	shapeOp("reshape", []string{"shape"}, reshapeShape)
	shapeOp("view", []string{"shape"}, reshapeShape)
	shapeOp("flatten", []string{"start", "end"}, flattenShape)
	shapeOp("squeeze", []string{"dims"}, squeezeShape)
	shapeOp("unsqueeze", []string{"dim"}, unsqueezeShape)
	same := func(c *cc, x *val) ([]int, error) { return x.shape, nil }
	for _, name := range []string{"contiguous", "clone", "detach", "identity"} {
		shapeOp(name, nil, same)
	}
	shapeOp("dropout", []string{"p", "training"}, func(c *cc, x *val) ([]int, error) {
		if tr, err := c.attrBool("training", false); err != nil || tr {
			if err == nil {
				err = c.errf("training-mode dropout cannot run here (export the model in evaluation mode)")
			}
			return nil, err
		}
		if _, err := c.attrFloat("p", 0.5); err != nil {
			return nil, err
		}
		return x.shape, nil
	})
	register("transpose", &opDef{version: 1, attrs: []string{"d0", "d1"}, minIn: 1, maxIn: 1, nOut: 1, compile: compileTranspose})
	register("permute", &opDef{version: 1, attrs: []string{"dims"}, minIn: 1, maxIn: 1, nOut: 1, compile: compilePermute})
	register("cat", &opDef{version: 1, attrs: []string{"dim"}, minIn: 1, maxIn: -1, nOut: 1, compile: compileCat})
	register("mean_dims", &opDef{version: 1, attrs: []string{"dims", "keepdim"}, minIn: 1, maxIn: 1, nOut: 1,
		compile: func(c *cc) error { return compileReduce(c, false) }})
	register("sum_dims", &opDef{version: 1, attrs: []string{"dims", "keepdim"}, minIn: 1, maxIn: 1, nOut: 1,
		compile: func(c *cc) error { return compileReduce(c, true) }})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func compileReshape(c *cc, shape func(c *cc, x *val) ([]int, error)) error {
	x, err := c.input(0)
	if err != nil {
		return err
	}
	s, err := shape(c, x)
	if err != nil {
		return err
	}
	if err := c.output(0, x.dt, s); err != nil {
		return err
	}
	c.ins.op = opCopy
	return nil
}

func reshapeShape(c *cc, x *val) ([]int, error) {
	shape, err := c.attrInts("shape", []int{})
	if err != nil {
		return nil, err
	}
	out := append([]int{}, shape...)
	neg, prod := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && neg < 0:
			neg = i
		case d < 0:
			return nil, c.errf("invalid shape %v", shape)
		default:
			prod *= d
			if prod > format.MaxElements {
				return nil, c.errf("invalid shape %v", shape)
			}
		}
	}
	if neg >= 0 {
		if prod == 0 || x.n%prod != 0 {
			return nil, c.errf("shape %v is invalid for input of size %d", shape, x.n)
		}
		out[neg] = x.n / prod
	} else if prod != x.n {
		return nil, c.errf("shape %v is invalid for input of size %d", shape, x.n)
	}
	return out, nil
}

func flattenShape(c *cc, x *val) ([]int, error) {
	if len(x.shape) == 0 {
		return []int{1}, nil
	}
	start, err := c.attrInt("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := c.attrInt("end", -1)
	if err != nil {
		return nil, err
	}
	s, err := c.normDim(start, len(x.shape))
	if err != nil {
		return nil, err
	}
	e, err := c.normDim(end, len(x.shape))
	if err != nil {
		return nil, err
	}
	if s > e {
		return nil, c.errf("start dim %d comes after end dim %d", start, end)
	}
	out := append([]int{}, x.shape[:s]...)
	out = append(out, format.Numel(x.shape[s:e+1]))
	return append(out, x.shape[e+1:]...), nil
}

func squeezeShape(c *cc, x *val) ([]int, error) {
	dims, err := c.attrInts("dims", nil)
	if err != nil {
		return nil, err
	}
	drop := make([]bool, len(x.shape))
	if len(dims) == 0 {
		for i, d := range x.shape {
			drop[i] = d == 1
		}
	}
	for _, d := range dims {
		if len(x.shape) == 0 {
			if _, err := c.normDim(d, 1); err != nil {
				return nil, err
			}
			continue
		}
		d, err := c.normDim(d, len(x.shape))
		if err != nil {
			return nil, err
		}
		drop[d] = x.shape[d] == 1
	}
	out := []int{}
	for i, d := range x.shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

func unsqueezeShape(c *cc, x *val) ([]int, error) {
	dim, err := c.attrInt("dim", 0)
	if err != nil {
		return nil, err
	}
	if len(x.shape) >= format.MaxRank {
		return nil, c.errf("input %v: rank too large", x)
	}
	d, err := c.normDim(dim, len(x.shape)+1)
	if err != nil {
		return nil, err
	}
	out := append([]int{}, x.shape[:d]...)
	out = append(out, 1)
	return append(out, x.shape[d:]...), nil
}

// permuteOp copies a tensor to the contiguous layout of its permutation:
// output element (i0, i1, ...) is input element at sum(i_k * src[k]).
type permuteOp struct {
	shape []int // the output's shape
	src   []int // the input's strides, permuted, in elements
	elem  int   // bytes per element
}

func compileTranspose(c *cc) error {
	x, err := c.input(0)
	if err != nil {
		return err
	}
	n := len(x.shape)
	d0, err := c.attrInt("d0", 0)
	if err != nil {
		return err
	}
	d1, err := c.attrInt("d1", 1)
	if err != nil {
		return err
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if n == 0 {
		if _, err := c.normDim(d0, 1); err != nil {
			return err
		}
		if _, err := c.normDim(d1, 1); err != nil {
			return err
		}
		return compilePerm(c, x, perm)
	}
	a, err := c.normDim(d0, n)
	if err != nil {
		return err
	}
	b, err := c.normDim(d1, n)
	if err != nil {
		return err
	}
	perm[a], perm[b] = perm[b], perm[a]
	return compilePerm(c, x, perm)
}

func compilePermute(c *cc) error {
	x, err := c.input(0)
	if err != nil {
		return err
	}
	dims, err := c.attrInts("dims", []int{})
	if err != nil {
		return err
	}
	n := len(x.shape)
	if len(dims) != n {
		return c.errf("permutation %v does not fit input %v", dims, x)
	}
	perm := make([]int, n)
	seen := make([]bool, n)
	for i, d := range dims {
		d, err := c.normDim(d, n)
		if err != nil {
			return err
		}
		if seen[d] {
			return c.errf("dimension %d repeats in permutation %v", d, dims)
		}
		seen[d], perm[i] = true, d
	}
	return compilePerm(c, x, perm)
}

func compilePerm(c *cc, x *val, perm []int) error {
	st := contiguousStrides(x.shape)
	p := &permuteOp{shape: make([]int, len(perm)), src: make([]int, len(perm)), elem: x.dt.Size()}
	for i, d := range perm {
		p.shape[i], p.src[i] = x.shape[d], st[d]
	}
	if err := c.output(0, x.dt, p.shape); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opPermute, p
	return nil
}

// permuteCopy copies src into dst as p describes, element by element
// along the last dimension (rank at most format.MaxRank).
func permuteCopy(p *permuteOp, dst, src []byte) {
	n := len(dst) / max(p.elem, 1)
	if n == 0 {
		return
	}
	nd := len(p.shape)
	if nd == 0 {
		copy(dst, src[:p.elem])
		return
	}
	var idx [format.MaxRank]int
	last, ls, e := p.shape[nd-1], p.src[nd-1], p.elem
	off := 0
	for o := 0; o < n; o += last {
		row := dst[o*e : (o+last)*e]
		switch e {
		case 4:
			for j := range last {
				s := (off + j*ls) * 4
				copy(row[j*4:j*4+4], src[s:s+4])
			}
		default:
			for j := range last {
				s := (off + j*ls) * e
				copy(row[j*e:j*e+e], src[s:s+e])
			}
		}
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			off += p.src[d]
			if idx[d] < p.shape[d] {
				break
			}
			off -= p.src[d] * p.shape[d]
			idx[d] = 0
		}
	}
}

// catOp concatenates along a dimension: each of outer rows of the output
// is the inputs' rows (rowBytes[i] bytes each) one after the other.
type catOp struct {
	outer    int
	rowBytes []int
}

func compileCat(c *cc) error {
	first, err := c.input(0)
	if err != nil {
		return err
	}
	dim, err := c.attrInt("dim", 0)
	if err != nil {
		return err
	}
	nd := len(first.shape)
	if nd == 0 {
		return c.errf("zero-dimensional tensors cannot be concatenated")
	}
	d, err := c.normDim(dim, nd)
	if err != nil {
		return err
	}
	shape := append([]int{}, first.shape...)
	shape[d] = 0
	p := &catOp{outer: format.Numel(first.shape[:d])}
	inner := format.Numel(first.shape[d+1:]) * first.dt.Size()
	for i := range c.in {
		x, err := c.input(i, first.dt)
		if err != nil {
			return err
		}
		if len(x.shape) != nd {
			return c.errf("input %d %v and input 0 %v differ in rank", i, x, first)
		}
		for j := range nd {
			if j != d && x.shape[j] != first.shape[j] {
				return c.errf("input %d %v and input 0 %v differ outside dimension %d", i, x, first, d)
			}
		}
		shape[d] += x.shape[d]
		if shape[d] > format.MaxElements {
			return c.errf("the result is too large")
		}
		p.rowBytes = append(p.rowBytes, x.shape[d]*inner)
	}
	if err := c.output(0, first.dt, shape); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opCat, p
	return nil
}

func (s *Session) cat(ins *instr, v []buf) {
	p := ins.p.(*catOp)
	y := v[ins.out[0]].b
	o := 0
	for r := range p.outer {
		for i, rb := range p.rowBytes {
			copy(y[o:o+rb], v[ins.in[i]].b[r*rb:(r+1)*rb])
			o += rb
		}
	}
}

// reduceOp is mean_dims or sum_dims: sum over shape's dimensions marked in
// reduced (sum_dims: cpu.SumDimsF32), or the mean of outer rows of inner
// elements of the input with the reduced dimensions moved last (a permuted
// copy in scratch memory, unless they already are last).
type reduceOp struct {
	sum          bool
	shape        []int
	reduced      []bool
	outer, inner int
	perm         *permuteOp // nil: no permutation needed
}

func compileReduce(c *cc, sum bool) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	dims, err := c.attrInts("dims", nil)
	if err != nil {
		return err
	}
	keep, err := c.attrBool("keepdim", false)
	if err != nil {
		return err
	}
	nd := len(x.shape)
	mask := make([]bool, nd)
	if len(dims) == 0 {
		for i := range mask {
			mask[i] = true
		}
	}
	for _, d := range dims {
		d, err := c.normDim(d, max(nd, 1))
		if err != nil {
			return err
		}
		if nd == 0 {
			continue
		}
		if mask[d] {
			return c.errf("dimension %d appears twice in %v", d, dims)
		}
		mask[d] = true
	}
	p := &reduceOp{sum: sum, shape: x.shape, reduced: mask, outer: 1, inner: 1}
	out := []int{}
	var perm []int
	for i, d := range x.shape {
		if !mask[i] {
			perm = append(perm, i)
			out = append(out, d)
			p.outer *= d
		} else if keep {
			out = append(out, 1)
		}
	}
	trailing := true
	for i := range nd {
		if mask[i] {
			perm = append(perm, i)
			p.inner *= x.shape[i]
		} else if i > 0 && mask[i-1] {
			trailing = false
		}
	}
	if err := c.output(0, Float32, out); err != nil {
		return err
	}
	if !sum && !trailing {
		st := contiguousStrides(x.shape)
		p.perm = &permuteOp{shape: make([]int, nd), src: make([]int, nd), elem: 4}
		for i, d := range perm {
			p.perm.shape[i], p.perm.src[i] = x.shape[d], st[d]
		}
		c.mt.wsF32 = max(c.mt.wsF32, x.n)
	}
	c.ins.op, c.ins.p = opMeanDims, p
	if sum {
		c.ins.op = opSumDims
	}
	return nil
}

func (s *Session) reduce(ins *instr, v []buf) {
	p := ins.p.(*reduceOp)
	x, y := v[ins.in[0]], v[ins.out[0]].f32
	if p.sum {
		cpu.SumDimsF32(y, x.f32, p.shape, p.reduced)
		return
	}
	src := x.f32
	if p.perm != nil {
		src = s.ws32[:len(src)]
		permuteCopy(p.perm, f32bytes(src), x.b)
	}
	cpu.MeanRows(y, src, p.outer, p.inner)
}
