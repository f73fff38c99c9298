package format

import (
	"fmt"
	"math"
	"os"
)

// Segment is where a constant segment lies in a file: bytes
// [Offset, Offset+Size), Offset a multiple of SegmentAlign.
type Segment struct {
	Offset, Size int64
}

// Location is where a constant's data lies: bytes [Offset, Offset+Size) of
// segment Segment, which are bytes [FileOffset, FileOffset+Size) of the
// file.
type Location struct {
	Segment      int
	Offset, Size int64
	FileOffset   int64
}

// File is a decoded and checked .ember file: the Model it holds, with every
// Constant.Data and ExtraFile.Data a sub-slice of Bytes (no copies), and
// where the segments and constants lie.
type File struct {
	Model
	// Bytes is the whole file, as given to Decode.
	Bytes []byte
	// Segments lists the constant segments.
	Segments []Segment
	// Locations gives, for each constant, where its data lies.
	Locations []Location
}

// Decode verifies b as a .ember file and decodes it: the FlatBuffer's
// structure (see the verifier notes in this package's documentation),
// then every check of Model.Check, then the constants' places in the file
// (each segment inside the file and aligned to SegmentAlign, each
// constant's bytes inside its segment and aligned to its element size).
// Any failure is an error wrapping ErrMalformed; Decode never panics on bad
// input. The small parts of the model are decoded into Go values once;
// constant data stays in b, which must not change while the File is in
// use.
func Decode(b []byte) (*File, error) {
	if len(b) < 12 {
		return nil, bad("file of %d bytes is too short", len(b))
	}
	if string(b[4:8]) != Identifier {
		return nil, bad("file identifier %q is not %q", b[4:8], Identifier)
	}
	buf := b
	if len(buf) > maxBufferSize {
		buf = buf[:maxBufferSize]
	}
	r := &vreader{buf: buf, budget: len(buf) + 4096}
	root, err := r.table(0, "model")
	if err != nil {
		return nil, err
	}
	f := &File{Bytes: b}
	if err := f.decodeModel(&root); err != nil {
		return nil, err
	}
	if err := f.Model.Check(); err != nil {
		return nil, err
	}
	return f, nil
}

// Open reads the file at path and decodes it (see Decode). It reads the
// whole file into memory; the lite runtime maps files instead.
func Open(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func (f *File) decodeModel(t *vtable) error {
	m := &f.Model
	fv, err := t.u32(0, 0)
	if err != nil {
		return err
	}
	if fv < 1 || fv > FormatVersion {
		return bad("format version %d is not supported (this reader supports 1 to %d)", fv, FormatVersion)
	}
	m.FormatVersion = int(fv)
	mrv, err := t.u32(1, 0)
	if err != nil {
		return err
	}
	m.MinRuntimeVersion = int(mrv)

	start, n, err := t.tables(2)
	if err != nil {
		return err
	}
	m.OpCodes = make([]OpCode, n)
	for i := range m.OpCodes {
		ot, err := t.r.table(start+4*i, fmt.Sprintf("opcode %d", i))
		if err != nil {
			return err
		}
		o := &m.OpCodes[i]
		if o.Name, err = ot.str(0); err != nil {
			return err
		}
		v, err := ot.i32(1, 0)
		if err != nil {
			return err
		}
		o.Version = int(v)
	}

	// Segments: a vector of 16-byte structs aligned to 8.
	sstart, ns, err := t.vector(4, 16, 8)
	if err != nil {
		return err
	}
	if err := t.r.spend(ns, "segments"); err != nil {
		return err
	}
	f.Segments = make([]Segment, ns)
	for i := range f.Segments {
		p := sstart + 16*i
		off := t.r.u64at(p)
		size := t.r.u64at(p + 8)
		if off > uint64(len(f.Bytes)) || size > uint64(len(f.Bytes))-off {
			return bad("segment %d: bytes [%d, %d+%d) outside the file of %d bytes", i, off, off, size, len(f.Bytes))
		}
		if off%SegmentAlign != 0 {
			return bad("segment %d: offset %d is not a multiple of %d", i, off, SegmentAlign)
		}
		f.Segments[i] = Segment{Offset: int64(off), Size: int64(size)}
	}

	start, n, err = t.tables(3)
	if err != nil {
		return err
	}
	m.Constants = make([]Constant, n)
	f.Locations = make([]Location, n)
	for i := range m.Constants {
		ct, err := t.r.table(start+4*i, fmt.Sprintf("constant %d", i))
		if err != nil {
			return err
		}
		if err := f.decodeConstant(&ct, i); err != nil {
			return err
		}
	}

	start, n, err = t.tables(5)
	if err != nil {
		return err
	}
	m.Methods = make([]Method, n)
	for i := range m.Methods {
		mt, err := t.r.table(start+4*i, fmt.Sprintf("method %d", i))
		if err != nil {
			return err
		}
		if err := decodeMethod(&mt, &m.Methods[i]); err != nil {
			return err
		}
	}

	if mdt, ok, err := t.sub(6, "metadata"); err != nil {
		return err
	} else if ok {
		if m.Metadata, err = decodeMetadata(&mdt); err != nil {
			return err
		}
	}

	start, n, err = t.tables(7)
	if err != nil {
		return err
	}
	m.ExtraFiles = make([]ExtraFile, n)
	for i := range m.ExtraFiles {
		xt, err := t.r.table(start+4*i, fmt.Sprintf("extra file %d", i))
		if err != nil {
			return err
		}
		x := &m.ExtraFiles[i]
		if x.Key, err = xt.str(0); err != nil {
			return err
		}
		if x.Data, err = xt.bytes(1); err != nil {
			return err
		}
	}

	start, n, err = t.tables(8)
	if err != nil {
		return err
	}
	m.Tests = make([]TestCase, n)
	for i := range m.Tests {
		tt, err := t.r.table(start+4*i, fmt.Sprintf("test %d", i))
		if err != nil {
			return err
		}
		tc := &m.Tests[i]
		if tc.Method, err = tt.str(0); err != nil {
			return err
		}
		if tc.Inputs, err = tt.uint32s(1); err != nil {
			return err
		}
		if tc.Expected, err = tt.uint32s(2); err != nil {
			return err
		}
		if tc.Tolerance, err = tt.f32(3, 0); err != nil {
			return err
		}
	}
	return nil
}

func (r *vreader) u64at(p int) uint64 {
	b := r.buf[p : p+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func (f *File) decodeConstant(t *vtable, i int) error {
	c := &f.Model.Constants[i]
	var err error
	if c.Name, err = t.str(0); err != nil {
		return err
	}
	dt, err := t.u8(1, 0)
	if err != nil {
		return err
	}
	c.DType = DType(dt)
	var present bool
	if c.Shape, err = t.shape(2, &present); err != nil {
		return err
	}
	if c.Shape == nil {
		c.Shape = []int{}
	}
	seg, err := t.u32(3, 0)
	if err != nil {
		return err
	}
	off, err := t.u64(4, 0)
	if err != nil {
		return err
	}
	size, err := t.u64(5, 0)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("constant %d (%s)", i, c.Name)
	if size > 0 || len(f.Segments) > 0 {
		if int(seg) >= len(f.Segments) || seg > math.MaxInt32 {
			return bad("%s: segment %d out of range (%d segments)", where, seg, len(f.Segments))
		}
		s := f.Segments[seg]
		if off > uint64(s.Size) || size > uint64(s.Size)-off {
			return bad("%s: bytes [%d, %d+%d) outside segment %d of %d bytes", where, off, off, size, seg, s.Size)
		}
		fo := s.Offset + int64(off)
		if c.DType.Valid() && fo%int64(c.DType.Size()) != 0 {
			return bad("%s: data at file offset %d is not aligned to %d bytes", where, fo, c.DType.Size())
		}
		c.Data = f.Bytes[fo : fo+int64(size) : fo+int64(size)]
		f.Locations[i] = Location{Segment: int(seg), Offset: int64(off), Size: int64(size), FileOffset: fo}
	}
	if qt, ok, err := t.sub(6, where+" quantization"); err != nil {
		return err
	} else if ok {
		if c.Quant, err = decodeQuant(&qt); err != nil {
			return err
		}
	}
	if st, ok, err := t.sub(7, where+" sparse layout"); err != nil {
		return err
	} else if ok {
		s := &Sparse{}
		fm, err := st.u8(0, 0)
		if err != nil {
			return err
		}
		s.Format = SparseFormat(fm)
		if s.Block, err = st.int32s(1); err != nil {
			return err
		}
		ip, err := st.i32(2, -1)
		if err != nil {
			return err
		}
		ix, err := st.i32(3, -1)
		if err != nil {
			return err
		}
		s.Indptr, s.Indices = int(ip), int(ix)
		c.Sparse = s
	}
	pk, err := t.u8(8, 0)
	if err != nil {
		return err
	}
	c.Packing = Packing(pk)
	present = false
	if c.PackedShape, err = t.shape(9, &present); err != nil {
		return err
	}
	if present && c.PackedShape == nil {
		c.PackedShape = []int{}
	}
	if c.PackedKernel, err = t.str(10); err != nil {
		return err
	}
	return nil
}

func decodeQuant(t *vtable) (*Quant, error) {
	q := &Quant{}
	s, err := t.u8(0, 0)
	if err != nil {
		return nil, err
	}
	q.Scheme = QuantScheme(s)
	axis, err := t.i32(1, 0)
	if err != nil {
		return nil, err
	}
	q.Axis = int(axis)
	if q.Scales, err = t.float32s(2); err != nil {
		return nil, err
	}
	if q.ZeroPoints, err = t.int64s(3); err != nil {
		return nil, err
	}
	return q, nil
}

func decodeMethod(t *vtable, m *Method) error {
	var err error
	if m.Name, err = t.str(0); err != nil {
		return err
	}
	start, n, err := t.tables(1)
	if err != nil {
		return err
	}
	m.Values = make([]Value, n)
	for i := range m.Values {
		vt, err := t.r.table(start+4*i, fmt.Sprintf("method %q: value %d", m.Name, i))
		if err != nil {
			return err
		}
		v := &m.Values[i]
		if v.Name, err = vt.str(0); err != nil {
			return err
		}
		dt, err := vt.u8(1, 0)
		if err != nil {
			return err
		}
		v.DType = DType(dt)
		var present bool
		if v.Shape, err = vt.shape(2, &present); err != nil {
			return err
		}
		if v.Shape == nil {
			v.Shape = []int{}
		}
		c, err := vt.i32(3, -1)
		if err != nil {
			return err
		}
		v.Constant = int(c)
		if v.ArenaOffset, err = vt.i64(4, -1); err != nil {
			return err
		}
		if qt, ok, err := vt.sub(5, "value quantization"); err != nil {
			return err
		} else if ok {
			if v.Quant, err = decodeQuant(&qt); err != nil {
				return err
			}
		}
	}
	if m.Inputs, err = t.int32s(2); err != nil {
		return err
	}
	if m.Outputs, err = t.int32s(3); err != nil {
		return err
	}
	start, n, err = t.tables(4)
	if err != nil {
		return err
	}
	m.Instructions = make([]Instruction, n)
	for i := range m.Instructions {
		it, err := t.r.table(start+4*i, fmt.Sprintf("method %q: instruction %d", m.Name, i))
		if err != nil {
			return err
		}
		if err := decodeInstruction(&it, &m.Instructions[i]); err != nil {
			return err
		}
	}
	as, err := t.u64(5, 0)
	if err != nil {
		return err
	}
	if as > MaxArenaSize {
		return bad("method %q: arena size %d out of range", m.Name, as)
	}
	m.ArenaSize = int64(as)
	return nil
}

func decodeInstruction(t *vtable, in *Instruction) error {
	k, err := t.u8(0, 0)
	if err != nil {
		return err
	}
	in.Kind = InstrKind(k)
	op, err := t.u32(1, 0)
	if err != nil {
		return err
	}
	if op > math.MaxInt32 {
		return bad("%s: op index %d out of range", t.name, op)
	}
	in.Op = int(op)
	if in.Inputs, err = t.int32s(2); err != nil {
		return err
	}
	if in.Outputs, err = t.int32s(3); err != nil {
		return err
	}
	start, n, err := t.tables(4)
	if err != nil {
		return err
	}
	if n > 0 {
		in.Attrs = make([]Attr, n)
	}
	for i := range in.Attrs {
		at, err := t.r.table(start+4*i, t.name+": attribute")
		if err != nil {
			return err
		}
		a := &in.Attrs[i]
		if a.Name, err = at.str(0); err != nil {
			return err
		}
		kind, err := at.u8(1, 0)
		if err != nil {
			return err
		}
		a.Kind = AttrKind(kind)
		if a.Int, err = at.i64(2, 0); err != nil {
			return err
		}
		if a.Float, err = at.f64(3, 0); err != nil {
			return err
		}
		if a.Str, err = at.str(4); err != nil {
			return err
		}
		if a.Ints, err = at.int64s(5); err != nil {
			return err
		}
		if a.Floats, err = at.float64s(6); err != nil {
			return err
		}
	}
	target, err := t.i32(5, 0)
	if err != nil {
		return err
	}
	in.Target = int(target)
	if in.Pos, err = t.str(6); err != nil {
		return err
	}
	return nil
}

func decodeMetadata(t *vtable) (*Metadata, error) {
	md := &Metadata{}
	var err error
	for id, p := range []*string{&md.Name, &md.Description, &md.Author, &md.License} {
		if *p, err = t.str(id); err != nil {
			return nil, err
		}
	}
	start, n, err := t.tables(4)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		md.Labels = make([]string, n)
	}
	for i := range md.Labels {
		p, err := t.r.deref(start+4*i, "metadata label")
		if err != nil {
			return nil, err
		}
		if md.Labels[i], err = t.r.stringAt(p); err != nil {
			return nil, err
		}
	}
	if md.Mean, err = t.float32s(5); err != nil {
		return nil, err
	}
	if md.Std, err = t.float32s(6); err != nil {
		return nil, err
	}
	if md.Producer, err = t.str(7); err != nil {
		return nil, err
	}
	return md, nil
}

// stringAt reads the string whose length prefix is at p.
func (r *vreader) stringAt(p int) (string, error) {
	if p%4 != 0 || !r.inside(p, 4) {
		return "", bad("string at %d misaligned or outside the buffer", p)
	}
	n := int64(r.u32(p))
	if n+1 > int64(len(r.buf)-p-4) {
		return "", bad("string at %d runs past the buffer", p)
	}
	end := p + 4 + int(n)
	if r.buf[end] != 0 {
		return "", bad("string at %d is not terminated", p)
	}
	if err := r.spend(int(n)+1, "string"); err != nil {
		return "", err
	}
	return string(r.buf[p+4 : end]), nil
}
