package lite

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/emberml/ember/mobile/format"
)

// Session runs a model's methods: it owns the arena (the memory of every
// intermediate value, laid out by the exporter's planner) and the kernels'
// scratch memory, allocated once by NewSession. A session is for one
// goroutine at a time; run a model from several goroutines with a session
// each. After its first run, a run allocates nothing.
type Session struct {
	m      *Model
	arena  []byte
	ws32   []float32
	ws64   []float64
	wsB    []byte
	frames [][]buf // per method, per value
	seen   []bool  // scratch for Run's input matching
	prof   Profiler
}

// Profiler receives the time each instruction of a run took: mt is the
// method, pc the instruction's index in its compiled code, op the op's name
// (or "jump", "jump_if_false", "move", "raise" for the control
// instructions). It runs on the goroutine of Session.Run, after the
// instruction, and must not use the session.
type Profiler func(mt *Method, pc int, op string, elapsed time.Duration)

// SetProfiler makes the session call f after each instruction of its runs
// (f nil: none, the default). Without a profiler a run pays one nil check
// per instruction; with one it reads the clock twice per instruction. The
// time spent in f is not part of any instruction's time.
func (s *Session) SetProfiler(f Profiler) { s.prof = f }

// buf is a value's bytes with the typed view its dtype uses.
type buf struct {
	b   []byte
	f32 []float32
	f64 []float64
	i64 []int64
	i32 []int32
}

func f32view(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func f32bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

func newBuf(b []byte, dt DType) buf {
	out := buf{b: b}
	if len(b) == 0 {
		return out
	}
	p := unsafe.Pointer(&b[0])
	switch dt {
	case Float32:
		out.f32 = unsafe.Slice((*float32)(p), len(b)/4)
	case Float64:
		out.f64 = unsafe.Slice((*float64)(p), len(b)/8)
	case Int64:
		out.i64 = unsafe.Slice((*int64)(p), len(b)/8)
	case Int32:
		out.i32 = unsafe.Slice((*int32)(p), len(b)/4)
	}
	return out
}

// NewSession returns a session for m, with its arena and scratch memory.
// The kernels' scratch is sized for the thread count of the time
// (cpu.SetNumThreads): set it before creating sessions.
func (m *Model) NewSession() *Session {
	s := &Session{m: m, arena: alignedBytes(int(m.arena))}
	ws32, ws64, wsB, nin := 0, 0, 0, 0
	for _, mt := range m.methods {
		ws32 = max(ws32, mt.wsF32)
		for _, p := range mt.convs {
			ws32 = max(ws32, p.WorkspaceSize())
		}
		ws64 = max(ws64, mt.wsF64)
		wsB = max(wsB, mt.wsBytes)
		nin = max(nin, len(mt.in), len(mt.out))
		fr := make([]buf, len(mt.vals))
		for i := range mt.vals {
			v := &mt.vals[i]
			var b []byte
			if v.konst >= 0 {
				b = m.consts[v.konst].b
			} else {
				b = s.arena[v.off : v.off+v.size : v.off+v.size]
			}
			fr[i] = newBuf(b, v.dt)
		}
		s.frames = append(s.frames, fr)
	}
	if ws32 > 0 {
		s.ws32 = f32view(alignedBytes(4 * ws32))
	}
	s.ws64 = make([]float64, ws64)
	s.wsB = make([]byte, wsB)
	s.seen = make([]bool, nin)
	return s
}

// Tensor is an input or output of Session.Run: Data is a []float32,
// []float64, []int64, []int32, []int8, []uint8 or []bool of the value's
// dtype (a float16 value takes []uint16, its bits), holding its elements in
// row-major order. Name, when set, picks the method's input or output by
// name; otherwise tensors are matched by position. Shape, when set, must be
// the value's.
//
// Storing a slice in Data converts it to an interface, which allocates:
// build the []Tensor once and reuse it across runs, changing the slices'
// contents, to run without allocating.
type Tensor struct {
	Name  string
	Shape []int
	Data  any
}

// ErrClosed is returned by runs of a closed model.
var ErrClosed = errors.New("lite: the model is closed")

// Run runs method mt: it copies the inputs in (one Tensor per input of
// the method), runs the method's instructions, and copies each output into
// the Data of its Tensor in out (out may be shorter than the method's
// outputs, and a Tensor with nil Data is skipped: read it with Output).
// Inputs and outputs are checked: name, dtype, length and shape.
func (s *Session) Run(mt *Method, in, out []Tensor) (err error) {
	m := s.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	if mt == nil || mt.model != m {
		return errors.New("lite: Run: the method is not one of this session's model")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("lite: method %q: internal error: %v", mt.name, r)
		}
	}()
	fr := s.frames[mt.index]
	if err := s.setInputs(mt, fr, in); err != nil {
		return err
	}
	if err := s.exec(mt, fr); err != nil {
		return err
	}
	return s.getOutputs(mt, fr, out)
}

// RunName runs the method named name; see Run.
func (s *Session) RunName(name string, in, out []Tensor) error {
	mt := s.m.Method(name)
	if mt == nil {
		return fmt.Errorf("lite: no method %q", name)
	}
	return s.Run(mt, in, out)
}

func (s *Session) setInputs(mt *Method, fr []buf, in []Tensor) error {
	if len(in) != len(mt.in) {
		return fmt.Errorf("lite: method %q takes %d inputs, got %d", mt.name, len(mt.in), len(in))
	}
	seen := s.seen[:len(mt.in)]
	clear(seen)
	for k := range in {
		t := &in[k]
		i := k
		if t.Name != "" {
			if i = mt.InputIndex(t.Name); i < 0 {
				return fmt.Errorf("lite: method %q has no input %q", mt.name, t.Name)
			}
		}
		if seen[i] {
			return fmt.Errorf("lite: method %q: input %q given twice", mt.name, mt.in[i].Name)
		}
		seen[i] = true
		v := &mt.vals[mt.inputs[i]]
		if err := transfer(v, fr[mt.inputs[i]], t, true); err != nil {
			return fmt.Errorf("lite: method %q: input %q: %w", mt.name, v.name, err)
		}
	}
	return nil
}

func (s *Session) getOutputs(mt *Method, fr []buf, out []Tensor) error {
	if len(out) > len(mt.out) {
		return fmt.Errorf("lite: method %q has %d outputs, got %d tensors", mt.name, len(mt.out), len(out))
	}
	for k := range out {
		t := &out[k]
		i := k
		if t.Name != "" {
			if i = mt.OutputIndex(t.Name); i < 0 {
				return fmt.Errorf("lite: method %q has no output %q", mt.name, t.Name)
			}
		}
		if t.Data == nil {
			continue
		}
		v := &mt.vals[mt.outputs[i]]
		if err := transfer(v, fr[mt.outputs[i]], t, false); err != nil {
			return fmt.Errorf("lite: method %q: output %q: %w", mt.name, v.name, err)
		}
	}
	return nil
}

// transfer copies t's data into b (in) or b into t's data (out), checking
// the dtype, length and shape.
func transfer(v *val, b buf, t *Tensor, in bool) error {
	if t.Shape != nil && !equalInts(t.Shape, v.shape) {
		return fmt.Errorf("shape %v, want %v", t.Shape, v.shape)
	}
	var n int
	var dt DType
	switch d := t.Data.(type) {
	case []float32:
		n, dt = len(d), Float32
		if dt == v.dt && n == v.n {
			copyDir(b.f32, d, in)
		}
	case []float64:
		n, dt = len(d), Float64
		if dt == v.dt && n == v.n {
			copyDir(b.f64, d, in)
		}
	case []int64:
		n, dt = len(d), Int64
		if dt == v.dt && n == v.n {
			copyDir(b.i64, d, in)
		}
	case []int32:
		n, dt = len(d), Int32
		if dt == v.dt && n == v.n {
			copyDir(b.i32, d, in)
		}
	case []uint8:
		n, dt = len(d), UInt8
		if dt == v.dt && n == v.n {
			copyDir(b.b, d, in)
		}
	case []int8:
		n, dt = len(d), Int8
		if dt == v.dt && n == v.n && n > 0 {
			copyDir(b.b, unsafe.Slice((*byte)(unsafe.Pointer(&d[0])), n), in)
		}
	case []uint16:
		n, dt = len(d), Float16
		if dt == v.dt && n == v.n && n > 0 {
			copyDir(b.b, unsafe.Slice((*byte)(unsafe.Pointer(&d[0])), 2*n), in)
		}
	case []bool:
		n, dt = len(d), Bool
		if dt == v.dt && n == v.n {
			for i := range d {
				if in {
					b.b[i] = 0
					if d[i] {
						b.b[i] = 1
					}
				} else {
					d[i] = b.b[i] != 0
				}
			}
		}
	default:
		return fmt.Errorf("data of type %T, want a slice of %v", t.Data, v.dt)
	}
	if dt != v.dt {
		return fmt.Errorf("%v data, want %v", dt, v.dt)
	}
	if n != v.n {
		return fmt.Errorf("%d elements, want %d (shape %v)", n, v.n, v.shape)
	}
	return nil
}

func copyDir[T any](b, d []T, in bool) {
	if in {
		copy(b, d)
	} else {
		copy(d, b)
	}
}

// OutputBytes returns the bytes of output i of mt as the last run left
// them (little-endian elements of the output's dtype), a view of the
// session's memory valid until the next run; nil when i is out of range.
func (s *Session) OutputBytes(mt *Method, i int) []byte {
	if mt == nil || mt.model != s.m || i < 0 || i >= len(mt.outputs) {
		return nil
	}
	return s.frames[mt.index][mt.outputs[i]].b
}

// OutputFloat32 returns output i of mt as the last run left it, a view of
// the session's memory valid until the next run; nil when i is out of
// range or the output is not float32.
func (s *Session) OutputFloat32(mt *Method, i int) []float32 {
	if mt == nil || mt.model != s.m || i < 0 || i >= len(mt.outputs) {
		return nil
	}
	return s.frames[mt.index][mt.outputs[i]].f32
}

// OutputInt64 is OutputFloat32 for an int64 output.
func (s *Session) OutputInt64(mt *Method, i int) []int64 {
	if mt == nil || mt.model != s.m || i < 0 || i >= len(mt.outputs) {
		return nil
	}
	return s.frames[mt.index][mt.outputs[i]].i64
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func indexError(i int64, n int) error {
	return fmt.Errorf("index %d out of range for %d rows", i, n)
}

// exec runs mt's code over the values fr.
func (s *Session) exec(mt *Method, fr []buf) error {
	code := mt.code
	maxJumps := s.m.opts.MaxJumps
	var jumps int64
	prof := s.prof
	var t0 time.Time
	for pc := 0; pc < len(code); pc++ {
		ins := &code[pc]
		if prof != nil {
			t0 = time.Now()
		}
		cur := pc
		switch ins.op {
		case opNop:
		case opJump:
			pc = int(ins.target) - 1
			if jumps++; maxJumps > 0 && jumps > maxJumps {
				return fmt.Errorf("lite: method %q: more than %d jumps", mt.name, maxJumps)
			}
		case opJumpIfFalse:
			if fr[ins.in[0]].b[0] == 0 {
				pc = int(ins.target) - 1
				if jumps++; maxJumps > 0 && jumps > maxJumps {
					return fmt.Errorf("lite: method %q: more than %d jumps", mt.name, maxJumps)
				}
			}
		case opMove:
			s.move(ins, fr)
		case opRaise:
			return fmt.Errorf("lite: method %q: instruction %d: raised: %s", mt.name, pc, ins.p.(*raiseOp).msg)
		case opConv:
			s.conv(ins, fr)
		case opLinear:
			s.linear(ins, fr)
		case opMatmul:
			s.matmul(ins, fr)
		case opBinary:
			s.binary(ins, fr)
		case opUnary:
			s.unary(ins, fr)
		case opMaxPool, opAvgPool, opAdaptiveAvgPool:
			s.pool(ins, fr)
		case opCopy:
			copy(fr[ins.out[0]].b, fr[ins.in[0]].b)
		case opPermute:
			permuteCopy(ins.p.(*permuteOp), fr[ins.out[0]].b, fr[ins.in[0]].b)
		case opCat:
			s.cat(ins, fr)
		case opSoftmax:
			s.softmax(ins, fr)
		case opBatchNorm:
			s.batchNorm(ins, fr)
		case opLayerNorm:
			s.layerNorm(ins, fr)
		case opMeanDims, opSumDims:
			s.reduce(ins, fr)
		case opEmbedding:
			if err := s.embedding(ins, fr); err != nil {
				return s.opError(mt, pc, err)
			}
		case opPrim:
			if err := s.prim(ins, mt, fr); err != nil {
				return s.opError(mt, pc, err)
			}
		default:
			return fmt.Errorf("lite: method %q: instruction %d: unknown opcode %d", mt.name, pc, ins.op)
		}
		if prof != nil {
			prof(mt, cur, ins.name, time.Since(t0))
		}
	}
	return nil
}

func (s *Session) opError(mt *Method, pc int, err error) error {
	ins := &mt.code[pc]
	pos := ""
	if ins.pos != "" {
		pos = " at " + ins.pos
	}
	return fmt.Errorf("lite: method %q: instruction %d (%s%s): %w", mt.name, pc, ins.name, pos, err)
}

func (s *Session) move(ins *instr, fr []buf) {
	if !ins.p.(*moveOp).staged {
		for i, o := range ins.out {
			copy(fr[o].b, fr[ins.in[i]].b)
		}
		return
	}
	off := 0
	for _, v := range ins.in {
		off += copy(s.wsB[off:], fr[v].b)
	}
	off = 0
	for _, o := range ins.out {
		off += copy(fr[o].b, s.wsB[off:])
	}
}

// Verify runs the model's bundled test cases in a new session and returns
// an error describing the first output element outside its tolerance (a
// NaN matches only a NaN), or nil when all pass. It reports an error
// when the model bundles no test.
func (m *Model) Verify() error {
	f := m.file
	if len(f.Tests) == 0 {
		return errors.New("lite: verify: the model bundles no test")
	}
	s := m.NewSession()
	for ti, tc := range f.Tests {
		mt := m.Method(tc.Method)
		in := make([]Tensor, len(tc.Inputs))
		for i, c := range tc.Inputs {
			in[i] = Tensor{Data: constData(&f.Constants[c], m.consts[c].b)}
		}
		if err := s.Run(mt, in, nil); err != nil {
			return fmt.Errorf("lite: verify: test %d (%s): %w", ti, tc.Method, err)
		}
		for i, c := range tc.Expected {
			v := &mt.vals[mt.outputs[i]]
			got := newBuf(s.OutputBytes(mt, i), v.dt)
			want := newBuf(m.consts[c].b, v.dt)
			for j := range v.n {
				g, w := element(got, v.dt, j), element(want, v.dt, j)
				if math.IsNaN(g) && math.IsNaN(w) {
					continue
				}
				if !(math.Abs(g-w) <= float64(tc.Tolerance)) {
					return fmt.Errorf("lite: verify: test %d (%s): output %d (%s) element %d: got %v, want %v (tolerance %v)",
						ti, tc.Method, i, v.name, j, g, w, tc.Tolerance)
				}
			}
		}
	}
	return nil
}

// constData returns a copy of a constant's elements as the slice type
// Tensor.Data takes.
func constData(c *format.Constant, b []byte) any {
	n := format.Numel(c.Shape)
	v := newBuf(b, c.DType)
	switch c.DType {
	case Float32:
		return append([]float32{}, v.f32[:n]...)
	case Float64:
		return append([]float64{}, v.f64[:n]...)
	case Int64:
		return append([]int64{}, v.i64[:n]...)
	case Int32:
		return append([]int32{}, v.i32[:n]...)
	case UInt8:
		return append([]uint8{}, b[:n]...)
	case Int8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out
	case Float16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return out
	case Bool:
		out := make([]bool, n)
		for i := range out {
			out[i] = b[i] != 0
		}
		return out
	}
	return nil
}

// element returns element j of a value as a float64 (float16 as its bits).
func element(b buf, dt DType, j int) float64 {
	switch dt {
	case Float32:
		return float64(b.f32[j])
	case Float64:
		return b.f64[j]
	case Int64:
		return float64(b.i64[j])
	case Int32:
		return float64(b.i32[j])
	case Int8:
		return float64(int8(b.b[j]))
	case Float16:
		return float64(uint16(b.b[2*j]) | uint16(b.b[2*j+1])<<8)
	}
	return float64(b.b[j])
}
