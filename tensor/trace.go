package tensor

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
)

// Tracer receives what eager execution does while it is installed with
// SetTracer: package jit builds graphs from it.
//
// Op is called once for every op (see OpDef) that runs outside other ops,
// after the op returned, with the op's tensor inputs (in
// the order of def.Inputs, a list input flattened; nil for an absent
// optional tensor), its attributes and its results. Ops that run inside
// other ops (Linear's matmul, AddScalar's add, ...) are not reported, nor
// are ops that panic. An op may return one of its inputs (Contiguous of a
// contiguous tensor, To to the same dtype, Dropout in eval mode, in-place
// ops).
//
// Read is called when code outside package tensor reads values or shapes
// of a tensor, that is, when Go code can take a decision that a graph
// would bake in: kind is "item", "at", "to_float32s", "to_float64s",
// "to_int64s", "to_bools", "data" (values), "equal", "all_close" (a Go
// bool from comparing values; called once per compared tensor), "size",
// "shape", "numel" (shapes), "set" (a write of one element from Go) or
// "backward" (autograd run on the tensor: Backward, BackwardWith or
// RunBackward, whose ops are not reported). pos is "file.go:123" of the
// caller, the first frame outside package tensor. Dim, DType, Strides and
// IsContiguous are not reported: a graph's values keep their rank and
// dtype.
//
// The tracer may keep the slices and the attributes it is given but must
// not modify them (a list result is the slice the op returns). Ops that
// the tracer itself runs from Op or Read are not reported. The calls come
// from the goroutine that ran the op; see SetTracer for concurrency.
type Tracer interface {
	Op(def *OpDef, inputs []*Tensor, attrs Attrs, outputs []*Tensor)
	Read(kind string, t *Tensor, pos string)
}

// tracing is true while a tracer is installed: the one atomic load each op
// pays when nothing traces.
var tracing atomic.Bool

// curTracer holds the installed tracer.
var curTracer atomic.Pointer[tracerBox]

type tracerBox struct{ tr Tracer }

// traceDepth counts the ops (and reads) running while tracing; only those
// entered at depth 0 are reported.
var traceDepth atomic.Int32

// SetTracer installs tr (nil for none) as the process-wide tracer and
// returns a function that puts back the previous one. Like grad mode,
// tracing is process-wide (Go has no goroutine-local state): while a
// tracer is installed, it sees the ops of every goroutine, and tensor work
// in other goroutines would mix into the trace and hide nested ops from
// it. Install a tracer when no op is running, and restore it when done:
// after restore, nothing is reported to tr.
func SetTracer(tr Tracer) (restore func()) {
	var box *tracerBox
	if tr != nil {
		box = &tracerBox{tr}
	}
	prev := curTracer.Swap(box)
	tracing.Store(box != nil)
	return func() {
		curTracer.Store(prev)
		tracing.Store(prev != nil)
	}
}

// Tracing reports whether a tracer is installed.
func Tracing() bool { return tracing.Load() }

func currentTracer() Tracer {
	if b := curTracer.Load(); b != nil {
		return b.tr
	}
	return nil
}

// The hook of an op. Every op function starts with
//
//	if tracing.Load() && outermost() {
//		return traceConv2d(x, w, b, o)
//	}
//
// With no tracer the cost is the atomic load. While tracing, an op called
// outside other ops goes to its generated traceConv2d, which counts the op
// as running (so that the ops inside, and this call of Conv2d itself, run
// their bodies: outermost is false for them), calls the op, and reports
// it with reportOp when it returns. An op that panics is not reported.

// outermost reports whether no op (or read) is running.
func outermost() bool { return traceDepth.Load() == 0 }

// enterOp counts an op as running; leaveOp, deferred, undoes it.
func enterOp() { traceDepth.Add(1) }

func leaveOp() { traceDepth.Add(-1) }

// reportOp reports an op call to the tracer, if one is still installed.
func reportOp(def *OpDef, in []*Tensor, attrs Attrs, out []*Tensor) {
	if tr := currentTracer(); tr != nil {
		tr.Op(def, in, attrs, out)
	}
}

// traceRead is the hook of a read (Item, Equal, Backward, ...):
//
//	if tracing.Load() {
//		defer traceRead("item", t)()
//	}
//
// It reports a Read of kind for each of ts when the read is not nested in
// an op or another read and its caller is outside package tensor, and
// counts the read as running until the returned function is called, so
// that what the read does inside (Equal compares with Eq) is not
// reported.
func traceRead(kind string, ts ...*Tensor) func() { return reportRead(kind, ts) }

// readNow is the hook of a read that runs no op (Size, Shape, Numel):
//
//	if tracing.Load() {
//		readNow("size", t)
//	}
//
// It reports as traceRead does, without a deferred call, which keeps these
// small accessors cheaper.
//
//go:noinline
func readNow(kind string, t *Tensor) { reportRead(kind, []*Tensor{t})() }

// reportRead is traceRead and readNow, which must call it directly (see
// outsideCaller).
func reportRead(kind string, ts []*Tensor) func() {
	if traceDepth.Add(1) != 1 {
		return leaveRead
	}
	tr := currentTracer()
	if tr == nil {
		return leaveRead
	}
	pos, ok := outsideCaller()
	if !ok {
		return leaveRead
	}
	reported := false
	defer func() {
		if !reported { // tr.Read panicked: the caller defers nothing
			leaveRead()
		}
	}()
	for _, t := range ts {
		tr.Read(kind, t, pos)
	}
	reported = true
	return leaveRead
}

func leaveRead() { traceDepth.Add(-1) }

// pkgPrefix is the prefix of the names of this package's functions in
// runtime frames.
var pkgPrefix = reflect.TypeFor[Tensor]().PkgPath() + "."

// outsideCaller returns "file.go:line" of the caller of the exported
// function whose hook called reportRead, and whether that caller is
// outside package tensor (compiler-made wrappers, such as those of method
// values, are skipped).
func outsideCaller() (string, bool) {
	var pcs [8]uintptr
	// Skip runtime.Callers, outsideCaller, reportRead, traceRead or
	// readNow, and the exported function itself. (Callers counts inlined
	// calls as frames.)
	n := runtime.Callers(5, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.File == "<autogenerated>" || strings.HasSuffix(f.Function, "-fm") {
			if !more {
				return "", false
			}
			continue
		}
		if f.Function == "" || strings.HasPrefix(f.Function, pkgPrefix) {
			return "", false
		}
		file := f.File
		if i := strings.LastIndexByte(file, '/'); i >= 0 {
			file = file[i+1:]
		}
		return file + ":" + strconv.Itoa(f.Line), true
	}
}
