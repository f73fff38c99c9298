package lite_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/format/fb"
	"github.com/emberml/ember/mobile/lite"
)

// fieldPos returns the position in the buffer of field id of table t (0
// when absent).
func fieldPos(t flatbuffers.Table, id int) int {
	o := t.Offset(flatbuffers.VOffsetT(4 + 2*id))
	if o == 0 {
		return 0
	}
	return int(t.Pos) + int(o)
}

// vectorPos returns the position of the length of the vector in field id.
func vectorPos(b []byte, t flatbuffers.Table, id int) int {
	p := fieldPos(t, id)
	return p + int(binary.LittleEndian.Uint32(b[p:]))
}

// TestMalformed checks that corrupted files give errors, never panics.
// Each corruption edits a valid file built by the tests.
func TestMalformed(t *testing.T) {
	conv := newConvNet(1).file(t, true, true)
	ctrl := controlNet(t)
	root := func(b []byte) *fb.Model { return fb.GetRootAsModel(b, 0) }
	method := func(b []byte, i int) *fb.Method {
		var m fb.Method
		root(b).Methods(&m, i)
		return &m
	}
	instr := func(b []byte, m, i int) *fb.Instruction {
		var in fb.Instruction
		method(b, m).Instructions(&in, i)
		return &in
	}
	value := func(b []byte, m, i int) *fb.Value {
		var v fb.Value
		method(b, m).Values(&v, i)
		return &v
	}
	constant := func(b []byte, i int) *fb.Constant {
		var c fb.Constant
		root(b).Constants(&c, i)
		return &c
	}
	cur := ""
	must := func(ok bool) {
		if !ok {
			t.Helper()
			t.Fatalf("%s: mutation of an absent field", cur)
		}
	}
	cases := []struct {
		name string
		base []byte
		edit func(b []byte) []byte
		want string // in the error
	}{
		{"empty", conv, func(b []byte) []byte { return nil }, "too short"},
		{"truncated header", conv, func(b []byte) []byte { return b[:10] }, "too short"},
		{"truncated buffer", conv, func(b []byte) []byte { return b[:200] }, ""},
		{"truncated segment", conv, func(b []byte) []byte { return b[:len(b)-1] }, "outside the file"},
		{"bad identifier", conv, func(b []byte) []byte { copy(b[4:], "EMBX"); return b }, "identifier"},
		{"root offset out of range", conv, func(b []byte) []byte { binary.LittleEndian.PutUint32(b, 0xfffffff0); return b }, "outside the buffer"},
		{"root offset misaligned", conv, func(b []byte) []byte { binary.LittleEndian.PutUint32(b, 13); return b }, ""},
		{"vtable out of range", conv, func(b []byte) []byte {
			p := int(binary.LittleEndian.Uint32(b))
			binary.LittleEndian.PutUint32(b[p:], 0x7ffffff0)
			return b
		}, "vtable"},
		{"vtable size odd", conv, func(b []byte) []byte {
			tab := root(b).Table()
			vt := int(tab.Pos) - int(int32(binary.LittleEndian.Uint32(b[tab.Pos:])))
			binary.LittleEndian.PutUint16(b[vt:], 5)
			return b
		}, "vtable"},
		{"table size huge", conv, func(b []byte) []byte {
			tab := root(b).Table()
			vt := int(tab.Pos) - int(int32(binary.LittleEndian.Uint32(b[tab.Pos:])))
			binary.LittleEndian.PutUint16(b[vt+2:], 0xfff0)
			return b
		}, ""},
		{"field offset past table", conv, func(b []byte) []byte {
			tab := root(b).Table()
			vt := int(tab.Pos) - int(int32(binary.LittleEndian.Uint32(b[tab.Pos:])))
			binary.LittleEndian.PutUint16(b[vt+4+2*5:], 0xfff0) // methods
			return b
		}, "outside its table"},
		{"vector length huge", conv, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[vectorPos(b, root(b).Table(), 3):], 0x3fffffff) // constants
			return b
		}, "runs past the buffer"},
		{"vector offset out of range", conv, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[fieldPos(root(b).Table(), 5):], 0x7ffffff0)
			return b
		}, "outside the buffer"},
		{"string unterminated", conv, func(b []byte) []byte {
			c := constant(b, 0)
			p := vectorPos(b, c.Table(), 0)
			n := int(binary.LittleEndian.Uint32(b[p:]))
			b[p+4+n] = 'x'
			return b
		}, "not terminated"},
		{"string length huge", conv, func(b []byte) []byte {
			c := constant(b, 0)
			binary.LittleEndian.PutUint32(b[vectorPos(b, c.Table(), 0):], 0x7fffff00)
			return b
		}, ""},
		{"negative shape", conv, func(b []byte) []byte { must(value(b, 0, 0).MutateShape(1, -3)); return b }, "dimension -3"},
		{"huge shape", conv, func(b []byte) []byte { must(value(b, 0, 0).MutateShape(2, 1<<62)); return b }, "out of range"},
		{"huge element count", conv, func(b []byte) []byte {
			v := value(b, 0, 0)
			must(v.MutateShape(1, 1<<30))
			must(v.MutateShape(2, 1<<30))
			return b
		}, "elements"},
		{"unknown dtype", ctrl, func(b []byte) []byte { must(value(b, 0, 1).MutateDtype(42)); return b }, "unknown dtype"},
		{"constant index out of range", conv, func(b []byte) []byte { must(value(b, 0, 1).MutateConstant(99)); return b }, "out of range"},
		{"constant of another shape", conv, func(b []byte) []byte { must(value(b, 0, 1).MutateConstant(1)); return b }, "does not match its constant"},
		{"arena offset out of range", conv, func(b []byte) []byte { must(value(b, 0, 0).MutateArenaOffset(1 << 40)); return b }, "outside the arena"},
		{"arena offset misaligned", conv, func(b []byte) []byte { must(value(b, 0, 0).MutateArenaOffset(2)); return b }, "not a multiple"},
		{"arena too small", conv, func(b []byte) []byte { must(method(b, 0).MutateArenaSize(64)); return b }, "outside the arena"},
		{"arena too large", conv, func(b []byte) []byte { must(method(b, 0).MutateArenaSize(1 << 45)); return b }, "more than the limit"},
		{"input index out of range", conv, func(b []byte) []byte { must(instr(b, 0, 0).MutateInputs(0, 77)); return b }, "out of range"},
		{"output writes a constant", conv, func(b []byte) []byte { must(instr(b, 0, 0).MutateOutputs(0, 1)); return b }, "writes constant"},
		{"method input out of range", conv, func(b []byte) []byte { must(method(b, 0).MutateInputs(0, -5)); return b }, "out of range"},
		{"op index out of range", conv, func(b []byte) []byte { must(instr(b, 0, 1).MutateOp(42)); return b }, "op index 42 out of range"},
		{"unknown instruction kind", ctrl, func(b []byte) []byte { must(instr(b, 0, 0).MutateKind(9)); return b }, "unknown instruction kind"},
		{"jump out of range", ctrl, func(b []byte) []byte { must(instr(b, 0, 6).MutateTarget(99)); return b }, "jump target 99 out of range"},
		{"jump negative", ctrl, func(b []byte) []byte { must(instr(b, 0, 2).MutateTarget(-1)); return b }, "out of range"},
		{"condition not bool", ctrl, func(b []byte) []byte { must(instr(b, 0, 2).MutateInputs(0, 0)); return b }, "not a bool scalar"},
		{"move of different types", ctrl, func(b []byte) []byte { must(instr(b, 0, 0).MutateInputs(1, 1)); return b }, "move of"},
		{"segment misaligned", conv, func(b []byte) []byte {
			var s fb.Segment
			root(b).Segments(&s, 0)
			must(s.MutateOffset(s.Offset() - 4))
			return b
		}, "not a multiple of 64"},
		{"segment past the file", conv, func(b []byte) []byte {
			var s fb.Segment
			root(b).Segments(&s, 0)
			must(s.MutateSize(s.Size() + 1000))
			return b
		}, "outside the file"},
		{"constant outside its segment", conv, func(b []byte) []byte { must(constant(b, 1).MutateOffset(1 << 40)); return b }, "outside segment"},
		{"constant misaligned", conv, func(b []byte) []byte { must(constant(b, 1).MutateOffset(66)); return b }, "aligned"},
		{"constant size mismatch", conv, func(b []byte) []byte { must(constant(b, 1).MutateSize(12)); return b }, "bytes of data"},
		{"format version too new", conv, func(b []byte) []byte { must(root(b).MutateFormatVersion(99)); return b }, "format version 99"},
		{"min runtime version too new", conv, func(b []byte) []byte { must(root(b).MutateMinRuntimeVersion(5)); return b }, "runtime version 5"},
		{"op version too new", conv, func(b []byte) []byte {
			var o fb.OpCode
			root(b).Opcodes(&o, 0)
			must(o.MutateVersion(3))
			return b
		}, "version 3: this runtime supports up to 1"},
		{"unknown op", conv, func(b []byte) []byte {
			var o fb.OpCode
			root(b).Opcodes(&o, 0)
			copy(o.Name(), "zzzz")
			return b
		}, "does not have it"},
		{"test of unknown constant", conv, func(b []byte) []byte {
			var tc fb.TestCase
			root(b).Tests(&tc, 0)
			must(tc.MutateInputs(0, 1000))
			return b
		}, "out of range"},
		{"test of a constant of another shape", conv, func(b []byte) []byte {
			var tc fb.TestCase
			root(b).Tests(&tc, 0)
			must(tc.MutateExpected(0, 0))
			return b
		}, "expected outputs"},
		{"negative tolerance", conv, func(b []byte) []byte {
			var tc fb.TestCase
			root(b).Tests(&tc, 0)
			must(tc.MutateTolerance(-1))
			return b
		}, "tolerance"},
		{"attribute of the wrong kind", conv, func(b []byte) []byte {
			var a fb.Attr
			instr(b, 0, 0).Attrs(&a, 0)
			p := fieldPos(a.Table(), 1) // kind
			b[p] = byte(fb.AttrKindString)
			return b
		}, "want"},
	}
	for _, c := range cases {
		cur = c.name
		b := c.edit(append([]byte{}, c.base...))
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", c.name, r)
				}
			}()
			m, err := lite.LoadBytesOptions(b, lite.Options{MaxArenaBytes: 1 << 30})
			if err == nil {
				m.Close()
				t.Errorf("%s: loaded", c.name)
				return
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %q, want %q", c.name, err, c.want)
			}
			if _, ferr := format.Decode(b); ferr != nil && !errors.Is(ferr, format.ErrMalformed) {
				t.Errorf("%s: format error %v does not wrap ErrMalformed", c.name, ferr)
			}
		}()
	}
}

// TestTruncations loads every prefix of a file: all fail, none panics.
func TestTruncations(t *testing.T) {
	b := controlNet(t)
	for n := range len(b) {
		if _, err := lite.LoadBytes(b[:n]); err == nil {
			t.Errorf("prefix of %d bytes loaded", n)
		}
	}
}
