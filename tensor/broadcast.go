package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// BroadcastShapes returns the shape that shapes broadcast to under NumPy's
// rules, and false if they are incompatible.
func BroadcastShapes(shapes ...[]int) ([]int, bool) {
	nd := 0
	for _, s := range shapes {
		nd = max(nd, len(s))
	}
	out := make([]int, nd)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := nd - len(s)
		for i, d := range s {
			switch {
			case out[off+i] == d || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// broadcastShapes is BroadcastShapes that panics naming op.
func broadcastShapes(op string, ts ...*Tensor) []int {
	shapes := make([][]int, len(ts))
	for i, t := range ts {
		shapes[i] = t.shape
	}
	s, ok := BroadcastShapes(shapes...)
	if !ok {
		if len(ts) == 2 {
			panicf(op, "shapes %v and %v cannot be broadcast together", ts[0].shape, ts[1].shape)
		}
		panicf(op, "shapes %v cannot be broadcast together", shapes)
	}
	return s
}

// broadcastView returns the view of t read as the (larger) shape: missing
// leading dimensions and size-1 dimensions get stride 0.
func broadcastView(t *Tensor, shape []int) cpu.View {
	st := make([]int, len(shape))
	off := len(shape) - len(t.shape)
	for i := range t.shape {
		if t.shape[i] != 1 {
			st[off+i] = t.strides[i]
		}
	}
	return cpu.View{Offset: t.offset, Strides: st}
}

// sumToShape reduces a gradient of a broadcast result back to shape, the
// shape of the input that was broadcast.
func sumToShape(g *Tensor, shape []int) *Tensor {
	if slices.Equal(g.shape, shape) {
		return g
	}
	lead := len(g.shape) - len(shape)
	var dims []int
	for i := range g.shape {
		if i < lead || (shape[i-lead] == 1 && g.shape[i] != 1) {
			dims = append(dims, i)
		}
	}
	r := g
	if len(dims) > 0 {
		r = g.SumDims(dims, true)
	}
	return r.Reshape(shape...)
}
