package lite_test

import (
	"math/rand/v2"
	"testing"

	"github.com/emberml/ember/mobile/format"
)

// mb builds a model file by hand, one method at a time: every arena value
// gets its own 64-byte-aligned bytes (no reuse, unless a test asks for it).
type mb struct {
	m    *format.Model
	meth *format.Method
}

func newMB(method string) *mb {
	b := &mb{m: &format.Model{MinRuntimeVersion: 1}}
	b.m.Methods = []format.Method{{Name: method}}
	b.meth = &b.m.Methods[0]
	return b
}

// arena adds an arena value and returns its index.
func (b *mb) arena(name string, dt format.DType, shape ...int) int {
	v := format.ArenaValue(name, dt, shape, b.meth.ArenaSize)
	b.meth.Values = append(b.meth.Values, v)
	b.meth.ArenaSize += (v.Bytes() + 63) / 64 * 64
	return len(b.meth.Values) - 1
}

// at adds an arena value at the same bytes as value v (aliasing).
func (b *mb) at(v int, name string, dt format.DType, shape ...int) int {
	b.meth.Values = append(b.meth.Values, format.ArenaValue(name, dt, shape, b.meth.Values[v].ArenaOffset))
	return len(b.meth.Values) - 1
}

// konst adds a constant and a value reading it.
func (b *mb) konst(name string, dt format.DType, data []byte, shape ...int) int {
	c := b.m.AddConstant(format.Constant{Name: name, DType: dt, Shape: shape, Data: data})
	b.meth.Values = append(b.meth.Values, format.ConstantValue(b.m, c))
	return len(b.meth.Values) - 1
}

func (b *mb) f32(name string, v []float32, shape ...int) int {
	return b.konst(name, format.Float32, format.Float32Bytes(v), shape...)
}

func (b *mb) i64(name string, v int64) int {
	return b.konst(name, format.Int64, format.Int64Bytes([]int64{v}))
}

// op appends an instruction running op name.
func (b *mb) op(name string, in, out []int, attrs ...format.Attr) {
	b.meth.Instructions = append(b.meth.Instructions, format.Instruction{
		Kind: format.InstrOp, Op: b.m.OpCode(name, 1), Inputs: in, Outputs: out, Attrs: attrs})
}

// instr appends a control instruction and returns its index.
func (b *mb) instr(k format.InstrKind, in, out []int, target int) int {
	b.meth.Instructions = append(b.meth.Instructions, format.Instruction{Kind: k, Inputs: in, Outputs: out, Target: target})
	return len(b.meth.Instructions) - 1
}

func (b *mb) pc() int { return len(b.meth.Instructions) }

func (b *mb) io(inputs, outputs []int) {
	b.meth.Inputs, b.meth.Outputs = inputs, outputs
}

func (b *mb) encode(t testing.TB) []byte {
	t.Helper()
	data, err := format.Encode(b.m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func ints(v ...int) []int { return v }

func randn(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64()) * scale
	}
	return v
}
