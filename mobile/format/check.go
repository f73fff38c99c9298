package format

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrMalformed is the error every check of this package wraps: match it
// with errors.Is to tell a bad file (or model) from an I/O error.
var ErrMalformed = errors.New("malformed model")

// Error is a failed check: what is wrong and where.
type Error struct {
	Msg string
}

// Error returns the message, prefixed with "format: ".
func (e *Error) Error() string { return "format: " + e.Msg }

// Is reports whether target is ErrMalformed.
func (e *Error) Is(target error) bool { return target == ErrMalformed }

func bad(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Check reports the first inconsistency of m that would make its file
// invalid: a version out of range, an unknown dtype or kind, a bad shape, a
// constant whose data has the wrong size, inconsistent quantization, an
// index (value, constant, opcode, jump target) out of range, an arena value
// outside the arena or misaligned, an instruction writing a constant, a
// test case that does not fit its method. Encode and Decode run it; a file
// that passes can be run without further bounds checks on these indices.
// It does not know the ops: their arities and attributes are the
// runtime's to check.
func (m *Model) Check() error {
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return bad("format version %d is not supported (this reader supports 1 to %d)", m.FormatVersion, FormatVersion)
	}
	if m.MinRuntimeVersion < 0 || m.MinRuntimeVersion > math.MaxUint32 {
		return bad("min runtime version %d out of range", m.MinRuntimeVersion)
	}
	seen := map[string]bool{}
	for i, o := range m.OpCodes {
		if o.Name == "" {
			return bad("opcode %d has no name", i)
		}
		if seen[o.Name] {
			return bad("opcode %d: op %q listed twice", i, o.Name)
		}
		seen[o.Name] = true
		if o.Version < 1 || o.Version > math.MaxInt32 {
			return bad("opcode %d (%s): version %d out of range", i, o.Name, o.Version)
		}
	}
	for i := range m.Constants {
		if err := m.checkConstant(i); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i := range m.Methods {
		mt := &m.Methods[i]
		if mt.Name == "" {
			return bad("method %d has no name", i)
		}
		if names[mt.Name] {
			return bad("method %q defined twice", mt.Name)
		}
		names[mt.Name] = true
		if err := m.checkMethod(mt); err != nil {
			return err
		}
	}
	if md := m.Metadata; md != nil {
		if len(md.Mean) != len(md.Std) {
			return bad("metadata: %d means and %d stds", len(md.Mean), len(md.Std))
		}
		for i := range md.Std {
			if !finite(float64(md.Mean[i])) || !finite(float64(md.Std[i])) || md.Std[i] == 0 {
				return bad("metadata: mean %v and std %v of channel %d: need finite values and a non-zero std", md.Mean[i], md.Std[i], i)
			}
		}
	}
	keys := map[string]bool{}
	for i, x := range m.ExtraFiles {
		if x.Key == "" {
			return bad("extra file %d has no key", i)
		}
		if keys[x.Key] {
			return bad("extra file %q listed twice", x.Key)
		}
		keys[x.Key] = true
	}
	for i := range m.Tests {
		if err := m.checkTest(i); err != nil {
			return err
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (m *Model) checkConstant(i int) error {
	c := &m.Constants[i]
	where := fmt.Sprintf("constant %d (%s)", i, c.Name)
	if !c.DType.Valid() {
		return bad("%s: unknown dtype %d", where, int(c.DType))
	}
	n, err := CheckShape(c.Shape)
	if err != nil {
		return bad("%s: %v", where, err)
	}
	size := int64(n) * int64(c.DType.Size())
	switch {
	case c.Packing == PackGemmB:
		if c.DType != Float32 {
			return bad("%s: packed data must be float32, not %v", where, c.DType)
		}
		if len(c.PackedShape) != 2 {
			return bad("%s: packed shape %v is not [K, N]", where, c.PackedShape)
		}
		pn, err := CheckShape(c.PackedShape)
		if err != nil {
			return bad("%s: packed shape: %v", where, err)
		}
		if pn != n {
			return bad("%s: packed shape %v and shape %v have different element counts", where, c.PackedShape, c.Shape)
		}
		if c.PackedKernel == "" {
			return bad("%s: packed data does not name its kernel", where)
		}
		// The packed layout pads N to the kernel's panel width (at most
		// 64 columns).
		k, nn := int64(c.PackedShape[0]), int64(c.PackedShape[1])
		if int64(len(c.Data))%4 != 0 || int64(len(c.Data)) < size || int64(len(c.Data)) > k*(nn+64)*4 {
			return bad("%s: %d bytes of packed data for a [%d, %d] operand", where, len(c.Data), k, nn)
		}
		if c.Sparse != nil && c.Sparse.Format != SparseDense {
			return bad("%s: packed data cannot be sparse", where)
		}
	case c.Packing != PackNone:
		return bad("%s: unknown packing %d", where, int(c.Packing))
	case c.Sparse != nil && c.Sparse.Format != SparseDense:
		if int64(len(c.Data))%int64(c.DType.Size()) != 0 || int64(len(c.Data)) > size {
			return bad("%s: %d bytes of sparse values for %d elements of %v", where, len(c.Data), n, c.DType)
		}
	default:
		if int64(len(c.Data)) != size {
			return bad("%s: %d bytes of data, want %d (%v %v)", where, len(c.Data), size, c.DType, c.Shape)
		}
	}
	if s := c.Sparse; s != nil {
		switch s.Format {
		case SparseDense:
		case SparseCSR, SparseBlockCSR:
			for _, ref := range []int{s.Indptr, s.Indices} {
				if ref < 0 || ref >= len(m.Constants) || ref == i {
					return bad("%s: sparse index constant %d out of range", where, ref)
				}
				if dt := m.Constants[ref].DType; dt != Int32 && dt != Int64 {
					return bad("%s: sparse index constant %d is %v, not an integer", where, ref, dt)
				}
			}
			if s.Format == SparseBlockCSR && (len(s.Block) != 2 || s.Block[0] <= 0 || s.Block[1] <= 0) {
				return bad("%s: block %v is not two positive sizes", where, s.Block)
			}
		default:
			return bad("%s: unknown sparse format %d", where, int(s.Format))
		}
	}
	if c.PackedShape != nil && c.Packing == PackNone {
		return bad("%s: a packed shape without packing", where)
	}
	return checkQuant(where, c.Quant, c.DType, c.Shape)
}

func checkQuant(where string, q *Quant, dt DType, shape []int) error {
	if q == nil || q.Scheme == QuantNone && len(q.Scales) == 0 && len(q.ZeroPoints) == 0 {
		return nil
	}
	if dt != Int8 && dt != UInt8 && dt != Int32 {
		return bad("%s: quantization of a %v tensor", where, dt)
	}
	switch q.Scheme {
	case QuantPerTensor:
		if len(q.Scales) != 1 {
			return bad("%s: per-tensor quantization with %d scales", where, len(q.Scales))
		}
	case QuantPerChannel:
		if q.Axis < 0 || q.Axis >= len(shape) {
			return bad("%s: quantization axis %d out of range for shape %v", where, q.Axis, shape)
		}
		if len(q.Scales) != shape[q.Axis] {
			return bad("%s: %d scales for %d channels (axis %d of %v)", where, len(q.Scales), shape[q.Axis], q.Axis, shape)
		}
	default:
		return bad("%s: unknown quantization scheme %d", where, int(q.Scheme))
	}
	if len(q.ZeroPoints) != 0 && len(q.ZeroPoints) != len(q.Scales) {
		return bad("%s: %d zero points for %d scales", where, len(q.ZeroPoints), len(q.Scales))
	}
	for _, s := range q.Scales {
		if !finite(float64(s)) || s <= 0 {
			return bad("%s: quantization scale %v is not finite and positive", where, s)
		}
	}
	return nil
}

func (m *Model) checkMethod(mt *Method) error {
	where := fmt.Sprintf("method %q", mt.Name)
	if mt.ArenaSize < 0 || mt.ArenaSize > MaxArenaSize {
		return bad("%s: arena size %d out of range", where, mt.ArenaSize)
	}
	for i := range mt.Values {
		if err := m.checkValue(mt, i); err != nil {
			return err
		}
	}
	nv := len(mt.Values)
	seen := make([]bool, nv)
	for _, v := range mt.Inputs {
		if v < 0 || v >= nv {
			return bad("%s: input value %d out of range (%d values)", where, v, nv)
		}
		if mt.Values[v].IsConstant() {
			return bad("%s: input %q is a constant", where, mt.Values[v].Name)
		}
		if seen[v] {
			return bad("%s: value %d is an input twice", where, v)
		}
		seen[v] = true
	}
	for _, v := range mt.Outputs {
		if v < 0 || v >= nv {
			return bad("%s: output value %d out of range (%d values)", where, v, nv)
		}
	}
	n := len(mt.Instructions)
	for pc := range mt.Instructions {
		in := &mt.Instructions[pc]
		iw := fmt.Sprintf("%s: instruction %d", where, pc)
		for _, v := range in.Inputs {
			if v == NoValue && in.Kind == InstrOp {
				continue // an absent optional input
			}
			if v < 0 || v >= nv {
				return bad("%s: input value %d out of range (%d values)", iw, v, nv)
			}
		}
		for _, v := range in.Outputs {
			if v < 0 || v >= nv {
				return bad("%s: output value %d out of range (%d values)", iw, v, nv)
			}
			if mt.Values[v].IsConstant() {
				return bad("%s: writes constant value %d (%s)", iw, v, mt.Values[v].Name)
			}
		}
		if err := checkAttrs(iw, in.Attrs); err != nil {
			return err
		}
		switch in.Kind {
		case InstrOp:
			if in.Op < 0 || in.Op >= len(m.OpCodes) {
				return bad("%s: op index %d out of range (%d opcodes)", iw, in.Op, len(m.OpCodes))
			}
		case InstrJump, InstrJumpIfFalse:
			if in.Target < 0 || in.Target > n {
				return bad("%s: jump target %d out of range (%d instructions)", iw, in.Target, n)
			}
			if in.Kind == InstrJump && (len(in.Inputs) != 0 || len(in.Outputs) != 0) {
				return bad("%s: a jump takes no values", iw)
			}
			if in.Kind == InstrJumpIfFalse {
				if len(in.Inputs) != 1 || len(in.Outputs) != 0 {
					return bad("%s: jump_if_false takes one condition and no outputs", iw)
				}
				if c := &mt.Values[in.Inputs[0]]; c.DType != Bool || Numel(c.Shape) != 1 {
					return bad("%s: condition %q is %v %v, not a bool scalar", iw, c.Name, c.DType, c.Shape)
				}
			}
		case InstrMove:
			if len(in.Inputs) != len(in.Outputs) {
				return bad("%s: move of %d values into %d", iw, len(in.Inputs), len(in.Outputs))
			}
			for j := range in.Inputs {
				a, b := &mt.Values[in.Inputs[j]], &mt.Values[in.Outputs[j]]
				if a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) {
					return bad("%s: move of %v %v into %v %v", iw, a.DType, a.Shape, b.DType, b.Shape)
				}
			}
		case InstrRaise:
			if len(in.Outputs) != 0 {
				return bad("%s: raise has outputs", iw)
			}
		default:
			return bad("%s: unknown instruction kind %d", iw, int(in.Kind))
		}
	}
	return nil
}

func (m *Model) checkValue(mt *Method, i int) error {
	v := &mt.Values[i]
	where := fmt.Sprintf("method %q: value %d (%s)", mt.Name, i, v.Name)
	if !v.DType.Valid() {
		return bad("%s: unknown dtype %d", where, int(v.DType))
	}
	if _, err := CheckShape(v.Shape); err != nil {
		return bad("%s: %v", where, err)
	}
	if v.Constant < NoConstant || v.Constant >= len(m.Constants) {
		return bad("%s: constant %d out of range (%d constants)", where, v.Constant, len(m.Constants))
	}
	if v.IsConstant() {
		c := &m.Constants[v.Constant]
		if v.ArenaOffset != NoConstant {
			return bad("%s: a constant with an arena offset", where)
		}
		if c.DType != v.DType || !slices.Equal(c.Shape, v.Shape) {
			return bad("%s: %v %v does not match its constant, %v %v", where, v.DType, v.Shape, c.DType, c.Shape)
		}
	} else {
		if v.ArenaOffset < 0 {
			return bad("%s: arena offset %d", where, v.ArenaOffset)
		}
		if v.ArenaOffset%int64(v.DType.Size()) != 0 {
			return bad("%s: arena offset %d is not a multiple of %d", where, v.ArenaOffset, v.DType.Size())
		}
		if end := v.ArenaOffset + v.Bytes(); v.ArenaOffset > mt.ArenaSize || end > mt.ArenaSize {
			return bad("%s: bytes [%d, %d) outside the arena of %d bytes", where, v.ArenaOffset, end, mt.ArenaSize)
		}
	}
	return checkQuant(where, v.Quant, v.DType, v.Shape)
}

func checkAttrs(where string, attrs []Attr) error {
	for i := range attrs {
		a := &attrs[i]
		if a.Name == "" {
			return bad("%s: attribute %d has no name", where, i)
		}
		for j := range i {
			if attrs[j].Name == a.Name {
				return bad("%s: attribute %q given twice", where, a.Name)
			}
		}
		switch a.Kind {
		case AttrBool:
			if a.Int != 0 && a.Int != 1 {
				return bad("%s: bool attribute %q is %d", where, a.Name, a.Int)
			}
		case AttrDType:
			if a.Int < 0 || a.Int >= int64(numDTypes) {
				return bad("%s: dtype attribute %q is %d", where, a.Name, a.Int)
			}
		case AttrInt, AttrFloat, AttrString, AttrInts, AttrFloats, AttrNone:
		default:
			return bad("%s: attribute %q has unknown kind %d", where, a.Name, int(a.Kind))
		}
	}
	return nil
}

func (m *Model) checkTest(i int) error {
	t := &m.Tests[i]
	where := fmt.Sprintf("test %d", i)
	mt := m.Method(t.Method)
	if mt == nil {
		return bad("%s: no method %q", where, t.Method)
	}
	if !finite(float64(t.Tolerance)) || t.Tolerance < 0 {
		return bad("%s: tolerance %v", where, t.Tolerance)
	}
	for _, side := range []struct {
		name   string
		consts []int
		values []int
	}{{"inputs", t.Inputs, mt.Inputs}, {"expected outputs", t.Expected, mt.Outputs}} {
		if len(side.consts) != len(side.values) {
			return bad("%s: %d %s for method %q, which has %d", where, len(side.consts), side.name, t.Method, len(side.values))
		}
		for j, c := range side.consts {
			if c < 0 || c >= len(m.Constants) {
				return bad("%s: %s constant %d out of range", where, side.name, c)
			}
			k, v := &m.Constants[c], &mt.Values[side.values[j]]
			if k.DType != v.DType || !slices.Equal(k.Shape, v.Shape) || k.Packing != PackNone || k.Sparse != nil && k.Sparse.Format != SparseDense {
				return bad("%s: %s %d: constant %d is %v %v, the method's value %q is %v %v", where, side.name, j, c, k.DType, k.Shape, v.Name, v.DType, v.Shape)
			}
		}
	}
	return nil
}
