package format

import (
	"encoding/binary"
	"math"
)

// This file is the FlatBuffers verifier for the schema (FlatBuffers' Go
// runtime has none): a reader that checks every offset, vtable, vector and
// string before it reads it, so that a malformed or hostile file gives an
// error instead of an out-of-range panic. It follows the checks of the C++
// runtime's Verifier: the buffer's size and identifier, the root offset,
// each table's vtable (inside the buffer, aligned, a size of at least 4 and
// even, covering the fields it lists), each field inside its table's inline
// data and aligned to its size, each vector's length and elements inside
// the buffer, each string's terminating zero, and a budget on the number of
// objects read (the C++ max_tables), since a small buffer can reference the
// same table or string any number of times.

// maxBufferSize is the largest buffer the verifier reads: FlatBuffers
// offsets are 32-bit.
const maxBufferSize = math.MaxInt32

// vreader reads a verified view of buf.
type vreader struct {
	buf    []byte
	budget int // objects and string bytes left to read
}

// vtable is one verified table: its inline data is buf[pos:pos+size], its
// vtable buf[vt:vt+vsize].
type vtable struct {
	r         *vreader
	pos, size int
	vt, vsize int
	name      string
}

func (r *vreader) u16(p int) int    { return int(binary.LittleEndian.Uint16(r.buf[p:])) }
func (r *vreader) u32(p int) uint32 { return binary.LittleEndian.Uint32(r.buf[p:]) }

func (r *vreader) spend(n int, what string) error {
	if n < 0 || n > r.budget {
		return bad("%s: too many objects for a file of %d bytes", what, len(r.buf))
	}
	r.budget -= n
	return nil
}

// inside reports whether [p, p+n) lies in the buffer (n >= 0).
func (r *vreader) inside(p, n int) bool {
	return p >= 0 && n >= 0 && p <= len(r.buf) && n <= len(r.buf)-p
}

// deref reads the uoffset at p and returns the position it points to.
func (r *vreader) deref(p int, what string) (int, error) {
	if p%4 != 0 || !r.inside(p, 4) {
		return 0, bad("%s: offset at %d outside the buffer or misaligned", what, p)
	}
	t := int64(p) + int64(r.u32(p))
	if t >= int64(len(r.buf)) {
		return 0, bad("%s: offset at %d points outside the buffer (to %d of %d)", what, p, t, len(r.buf))
	}
	return int(t), nil
}

// table verifies the table referenced by the uoffset at ref.
func (r *vreader) table(ref int, name string) (vtable, error) {
	pos, err := r.deref(ref, name)
	if err != nil {
		return vtable{}, err
	}
	if err := r.spend(1, name); err != nil {
		return vtable{}, err
	}
	if pos%4 != 0 || !r.inside(pos, 4) {
		return vtable{}, bad("%s: table at %d misaligned or outside the buffer", name, pos)
	}
	vt := int64(pos) - int64(int32(r.u32(pos)))
	if vt < 0 || vt%2 != 0 || vt > int64(len(r.buf))-4 {
		return vtable{}, bad("%s: vtable at %d outside the buffer or misaligned", name, vt)
	}
	t := vtable{r: r, pos: pos, vt: int(vt), name: name}
	t.vsize = r.u16(t.vt)
	t.size = r.u16(t.vt + 2)
	if t.vsize < 4 || t.vsize%2 != 0 || !r.inside(t.vt, t.vsize) {
		return vtable{}, bad("%s: vtable of %d bytes at %d is invalid", name, t.vsize, t.vt)
	}
	if t.size < 4 || !r.inside(pos, t.size) {
		return vtable{}, bad("%s: table of %d bytes at %d outside the buffer", name, t.size, pos)
	}
	return t, nil
}

// field returns the position of field id (of size bytes) and whether it is
// present.
func (t *vtable) field(id, size int) (int, bool, error) {
	vo := 4 + 2*id
	if vo+2 > t.vsize {
		return 0, false, nil
	}
	fo := t.r.u16(t.vt + vo)
	if fo == 0 {
		return 0, false, nil
	}
	if fo < 4 || fo+size > t.size {
		return 0, false, bad("%s: field %d at %d outside its table of %d bytes", t.name, id, fo, t.size)
	}
	p := t.pos + fo
	if p%size != 0 {
		return 0, false, bad("%s: field %d at %d is not aligned to %d", t.name, id, p, size)
	}
	return p, true, nil
}

func (t *vtable) u8(id int, def uint8) (uint8, error) {
	p, ok, err := t.field(id, 1)
	if !ok || err != nil {
		return def, err
	}
	return t.r.buf[p], nil
}

func (t *vtable) i32(id int, def int32) (int32, error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return def, err
	}
	return int32(t.r.u32(p)), nil
}

func (t *vtable) u32(id int, def uint32) (uint32, error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return def, err
	}
	return t.r.u32(p), nil
}

func (t *vtable) f32(id int, def float32) (float32, error) {
	v, err := t.u32(id, math.Float32bits(def))
	return math.Float32frombits(v), err
}

func (t *vtable) u64(id int, def uint64) (uint64, error) {
	p, ok, err := t.field(id, 8)
	if !ok || err != nil {
		return def, err
	}
	return binary.LittleEndian.Uint64(t.r.buf[p:]), nil
}

func (t *vtable) i64(id int, def int64) (int64, error) {
	v, err := t.u64(id, uint64(def))
	return int64(v), err
}

func (t *vtable) f64(id int, def float64) (float64, error) {
	v, err := t.u64(id, math.Float64bits(def))
	return math.Float64frombits(v), err
}

// vector returns the position of the first element and the length of the
// vector in field id, whose elements are elem bytes (aligned to align);
// n is 0 for an absent field.
func (t *vtable) vector(id, elem, align int) (start, n int, err error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return 0, 0, err
	}
	what := t.name
	v, err := t.r.deref(p, what)
	if err != nil {
		return 0, 0, err
	}
	if v%4 != 0 || !t.r.inside(v, 4) {
		return 0, 0, bad("%s: vector at %d misaligned or outside the buffer", what, v)
	}
	n64 := int64(t.r.u32(v))
	start = v + 4
	if n64*int64(elem) > int64(len(t.r.buf)-start) {
		return 0, 0, bad("%s: vector of %d elements at %d runs past the buffer", what, n64, v)
	}
	if align > 1 && n64 > 0 && start%align != 0 {
		return 0, 0, bad("%s: vector at %d is not aligned to %d", what, start, align)
	}
	return start, int(n64), nil
}

// scalars returns the length of a vector of scalars and charges it to the
// budget.
func (t *vtable) scalars(id, elem int) (start, n int, err error) {
	start, n, err = t.vector(id, elem, elem)
	if err == nil {
		err = t.r.spend(n, t.name)
	}
	return start, n, err
}

func (t *vtable) int64s(id int) ([]int64, error) {
	start, n, err := t.scalars(id, 8)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.r.buf[start+8*i:]))
	}
	return out, nil
}

// shape reads a [long] field as a shape, nil when absent.
func (t *vtable) shape(id int, present *bool) ([]int, error) {
	if _, ok, err := t.field(id, 4); err != nil || !ok {
		return nil, err
	}
	*present = true
	start, n, err := t.scalars(id, 8)
	if err != nil {
		return nil, err
	}
	if n > MaxRank {
		return nil, bad("%s: rank %d exceeds %d", t.name, n, MaxRank)
	}
	out := make([]int, n)
	for i := range out {
		d := int64(binary.LittleEndian.Uint64(t.r.buf[start+8*i:]))
		if d < 0 || d > MaxElements {
			return nil, bad("%s: dimension %d out of range", t.name, d)
		}
		out[i] = int(d)
	}
	return out, nil
}

func (t *vtable) float64s(id int) ([]float64, error) {
	v, err := t.int64s(id)
	if err != nil || v == nil {
		return nil, err
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Float64frombits(uint64(x))
	}
	return out, nil
}

// int32s reads a vector of int32 (signed) as ints.
func (t *vtable) int32s(id int) ([]int, error) {
	start, n, err := t.scalars(id, 4)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(int32(t.r.u32(start + 4*i)))
	}
	return out, nil
}

// uint32s reads a vector of uint32 as ints.
func (t *vtable) uint32s(id int) ([]int, error) {
	start, n, err := t.scalars(id, 4)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(t.r.u32(start + 4*i))
	}
	return out, nil
}

func (t *vtable) float32s(id int) ([]float32, error) {
	start, n, err := t.scalars(id, 4)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(t.r.u32(start + 4*i))
	}
	return out, nil
}

// bytes returns the [ubyte] vector in field id as a sub-slice of the
// buffer (no copy; nil when absent).
func (t *vtable) bytes(id int) ([]byte, error) {
	start, n, err := t.vector(id, 1, 1)
	if err != nil || n == 0 {
		return nil, err
	}
	return t.r.buf[start : start+n : start+n], nil
}

// str returns the string in field id ("" when absent). The bytes need not
// be UTF-8 (they are copied as they are), but the terminating zero must be
// there.
func (t *vtable) str(id int) (string, error) {
	start, n, err := t.vector(id, 1, 1)
	if err != nil {
		return "", err
	}
	if _, ok, _ := t.field(id, 4); !ok {
		return "", nil
	}
	if !t.r.inside(start, n+1) || t.r.buf[start+n] != 0 {
		return "", bad("%s: string at %d is not terminated", t.name, start-4)
	}
	if err := t.r.spend(n+1, t.name); err != nil {
		return "", err
	}
	return string(t.r.buf[start : start+n]), nil
}

// sub returns the table in field id and whether it is present.
func (t *vtable) sub(id int, name string) (vtable, bool, error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return vtable{}, false, err
	}
	s, err := t.r.table(p, name)
	return s, err == nil, err
}

// tables returns the positions of the offsets of the vector of tables in
// field id (read each with r.table).
func (t *vtable) tables(id int) (start, n int, err error) {
	return t.vector(id, 4, 4)
}
