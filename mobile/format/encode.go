package format

import (
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/emberml/ember/internal/atomicfile"
	"github.com/emberml/ember/mobile/format/fb"
)

// Encode checks m (see Model.Check) and returns the bytes of its .ember
// file: the FlatBuffer, identified "EMBR", followed by one constant segment
// starting at the first multiple of SegmentAlign after it, in which each
// constant's data starts at a multiple of SegmentAlign too. A zero
// FormatVersion is written as FormatVersion. m is not modified.
func Encode(m *Model) ([]byte, error) {
	mm := *m
	if mm.FormatVersion == 0 {
		mm.FormatVersion = FormatVersion
	}
	if err := mm.Check(); err != nil {
		return nil, err
	}
	// Lay out the constants in one segment.
	offs := make([]int64, len(mm.Constants))
	var segSize int64
	for i, c := range mm.Constants {
		segSize = alignUp(segSize, SegmentAlign)
		offs[i] = segSize
		segSize += int64(len(c.Data))
	}
	b := flatbuffers.NewBuilder(1024)
	root := buildModel(b, &mm, offs, segSize)
	b.FinishWithFileIdentifier(root, []byte(Identifier))
	fbBytes := b.FinishedBytes()
	segStart := alignUp(int64(len(fbBytes)), SegmentAlign)
	if len(mm.Constants) > 0 {
		// Now that the FlatBuffer's size is known, set where the segment
		// starts (a struct field: fixed size, so the layout does not move).
		root := fb.GetRootAsModel(fbBytes, 0)
		var seg fb.Segment
		if !root.Segments(&seg, 0) || !seg.MutateOffset(uint64(segStart)) {
			return nil, fmt.Errorf("format: encode: cannot set the segment offset")
		}
	}
	total := segStart + segSize
	if len(mm.Constants) == 0 {
		total = int64(len(fbBytes))
	}
	out := make([]byte, total)
	copy(out, fbBytes)
	for i, c := range mm.Constants {
		copy(out[segStart+offs[i]:], c.Data)
	}
	return out, nil
}

// Save encodes m and writes it to path atomically: to a temporary file in
// the same directory, synced, then renamed over path.
func Save(path string, m *Model) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) error {
	return atomicfile.Write("format", path, func(w io.Writer) error {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("format: save %s: %w", path, err)
		}
		return nil
	})
}

func alignUp(x, a int64) int64 { return (x + a - 1) / a * a }

// Builders for the schema's vectors; each must be called before the table
// that refers to the result is started.

func buildInt64s(b *flatbuffers.Builder, v []int64) flatbuffers.UOffsetT {
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt64(v[i])
	}
	return b.EndVector(len(v))
}

func buildShape(b *flatbuffers.Builder, v []int) flatbuffers.UOffsetT {
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt64(int64(v[i]))
	}
	return b.EndVector(len(v))
}

func buildInt32s(b *flatbuffers.Builder, v []int) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(int32(v[i]))
	}
	return b.EndVector(len(v))
}

func buildUint32s(b *flatbuffers.Builder, v []int) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUint32(uint32(v[i]))
	}
	return b.EndVector(len(v))
}

func buildFloat32s(b *flatbuffers.Builder, v []float32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependFloat32(v[i])
	}
	return b.EndVector(len(v))
}

func buildFloat64s(b *flatbuffers.Builder, v []float64) flatbuffers.UOffsetT {
	b.StartVector(8, len(v), 8)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependFloat64(v[i])
	}
	return b.EndVector(len(v))
}

func buildOffsets(b *flatbuffers.Builder, v []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUOffsetT(v[i])
	}
	return b.EndVector(len(v))
}

// str returns the offset of s, or 0 (field absent) for the empty string.
func str(b *flatbuffers.Builder, s string) flatbuffers.UOffsetT {
	if s == "" {
		return 0
	}
	return b.CreateString(s)
}

func buildQuant(b *flatbuffers.Builder, q *Quant) flatbuffers.UOffsetT {
	if q == nil {
		return 0
	}
	scales := buildFloat32s(b, q.Scales)
	zps := buildInt64s(b, q.ZeroPoints)
	fb.QuantizationStart(b)
	fb.QuantizationAddScheme(b, fb.QuantScheme(q.Scheme))
	fb.QuantizationAddAxis(b, int32(q.Axis))
	fb.QuantizationAddScales(b, scales)
	fb.QuantizationAddZeroPoints(b, zps)
	return fb.QuantizationEnd(b)
}

func buildSparse(b *flatbuffers.Builder, s *Sparse) flatbuffers.UOffsetT {
	if s == nil {
		return 0
	}
	block := buildInt32s(b, s.Block)
	fb.SparseLayoutStart(b)
	fb.SparseLayoutAddFormat(b, fb.SparseFormat(s.Format))
	fb.SparseLayoutAddBlock(b, block)
	fb.SparseLayoutAddIndptr(b, int32(s.Indptr))
	fb.SparseLayoutAddIndices(b, int32(s.Indices))
	return fb.SparseLayoutEnd(b)
}

func buildConstant(b *flatbuffers.Builder, c *Constant, off int64) flatbuffers.UOffsetT {
	name := str(b, c.Name)
	shape := buildShape(b, c.Shape)
	quant := buildQuant(b, c.Quant)
	sparse := buildSparse(b, c.Sparse)
	var packedShape flatbuffers.UOffsetT
	if c.PackedShape != nil {
		packedShape = buildShape(b, c.PackedShape)
	}
	kernel := str(b, c.PackedKernel)
	fb.ConstantStart(b)
	if name != 0 {
		fb.ConstantAddName(b, name)
	}
	fb.ConstantAddDtype(b, fb.DType(c.DType))
	fb.ConstantAddShape(b, shape)
	fb.ConstantAddSegment(b, 0)
	fb.ConstantAddOffset(b, uint64(off))
	fb.ConstantAddSize(b, uint64(len(c.Data)))
	if quant != 0 {
		fb.ConstantAddQuant(b, quant)
	}
	if sparse != 0 {
		fb.ConstantAddSparse(b, sparse)
	}
	fb.ConstantAddPacking(b, fb.Packing(c.Packing))
	if packedShape != 0 {
		fb.ConstantAddPackedShape(b, packedShape)
	}
	if kernel != 0 {
		fb.ConstantAddPackedKernel(b, kernel)
	}
	return fb.ConstantEnd(b)
}

func buildValue(b *flatbuffers.Builder, v *Value) flatbuffers.UOffsetT {
	name := str(b, v.Name)
	shape := buildShape(b, v.Shape)
	quant := buildQuant(b, v.Quant)
	fb.ValueStart(b)
	if name != 0 {
		fb.ValueAddName(b, name)
	}
	fb.ValueAddDtype(b, fb.DType(v.DType))
	fb.ValueAddShape(b, shape)
	fb.ValueAddConstant(b, int32(v.Constant))
	fb.ValueAddArenaOffset(b, v.ArenaOffset)
	if quant != 0 {
		fb.ValueAddQuant(b, quant)
	}
	return fb.ValueEnd(b)
}

func buildAttr(b *flatbuffers.Builder, a *Attr) flatbuffers.UOffsetT {
	name := str(b, a.Name)
	var s, ints, floats flatbuffers.UOffsetT
	switch a.Kind {
	case AttrString:
		s = b.CreateString(a.Str)
	case AttrInts:
		ints = buildInt64s(b, a.Ints)
	case AttrFloats:
		floats = buildFloat64s(b, a.Floats)
	}
	fb.AttrStart(b)
	if name != 0 {
		fb.AttrAddName(b, name)
	}
	fb.AttrAddKind(b, fb.AttrKind(a.Kind))
	switch a.Kind {
	case AttrInt, AttrBool, AttrDType:
		fb.AttrAddI(b, a.Int)
	case AttrFloat:
		fb.AttrAddF(b, a.Float)
	case AttrString:
		fb.AttrAddS(b, s)
	case AttrInts:
		fb.AttrAddInts(b, ints)
	case AttrFloats:
		fb.AttrAddFloats(b, floats)
	}
	return fb.AttrEnd(b)
}

func buildInstruction(b *flatbuffers.Builder, in *Instruction) flatbuffers.UOffsetT {
	inputs := buildInt32s(b, in.Inputs)
	outputs := buildInt32s(b, in.Outputs)
	var attrs flatbuffers.UOffsetT
	if len(in.Attrs) > 0 {
		offs := make([]flatbuffers.UOffsetT, len(in.Attrs))
		for i := range in.Attrs {
			offs[i] = buildAttr(b, &in.Attrs[i])
		}
		attrs = buildOffsets(b, offs)
	}
	pos := str(b, in.Pos)
	fb.InstructionStart(b)
	fb.InstructionAddKind(b, fb.InstrKind(in.Kind))
	fb.InstructionAddOp(b, uint32(in.Op))
	fb.InstructionAddInputs(b, inputs)
	fb.InstructionAddOutputs(b, outputs)
	if attrs != 0 {
		fb.InstructionAddAttrs(b, attrs)
	}
	fb.InstructionAddTarget(b, int32(in.Target))
	if pos != 0 {
		fb.InstructionAddPos(b, pos)
	}
	return fb.InstructionEnd(b)
}

func buildMethod(b *flatbuffers.Builder, m *Method) flatbuffers.UOffsetT {
	name := str(b, m.Name)
	vals := make([]flatbuffers.UOffsetT, len(m.Values))
	for i := range m.Values {
		vals[i] = buildValue(b, &m.Values[i])
	}
	values := buildOffsets(b, vals)
	inputs := buildInt32s(b, m.Inputs)
	outputs := buildInt32s(b, m.Outputs)
	ins := make([]flatbuffers.UOffsetT, len(m.Instructions))
	for i := range m.Instructions {
		ins[i] = buildInstruction(b, &m.Instructions[i])
	}
	instrs := buildOffsets(b, ins)
	fb.MethodStart(b)
	if name != 0 {
		fb.MethodAddName(b, name)
	}
	fb.MethodAddValues(b, values)
	fb.MethodAddInputs(b, inputs)
	fb.MethodAddOutputs(b, outputs)
	fb.MethodAddInstructions(b, instrs)
	fb.MethodAddArenaSize(b, uint64(m.ArenaSize))
	return fb.MethodEnd(b)
}

func buildMetadata(b *flatbuffers.Builder, md *Metadata) flatbuffers.UOffsetT {
	if md == nil {
		return 0
	}
	name, desc, author, lic := str(b, md.Name), str(b, md.Description), str(b, md.Author), str(b, md.License)
	var labels flatbuffers.UOffsetT
	if len(md.Labels) > 0 {
		offs := make([]flatbuffers.UOffsetT, len(md.Labels))
		for i, l := range md.Labels {
			offs[i] = b.CreateString(l)
		}
		labels = buildOffsets(b, offs)
	}
	var mean, std flatbuffers.UOffsetT
	if md.Mean != nil {
		mean = buildFloat32s(b, md.Mean)
	}
	if md.Std != nil {
		std = buildFloat32s(b, md.Std)
	}
	producer := str(b, md.Producer)
	fb.MetadataStart(b)
	for _, f := range []struct {
		off flatbuffers.UOffsetT
		add func(*flatbuffers.Builder, flatbuffers.UOffsetT)
	}{
		{name, fb.MetadataAddName}, {desc, fb.MetadataAddDescription}, {author, fb.MetadataAddAuthor},
		{lic, fb.MetadataAddLicense}, {labels, fb.MetadataAddLabels}, {mean, fb.MetadataAddMean},
		{std, fb.MetadataAddStd}, {producer, fb.MetadataAddProducer},
	} {
		if f.off != 0 {
			f.add(b, f.off)
		}
	}
	return fb.MetadataEnd(b)
}

func buildModel(b *flatbuffers.Builder, m *Model, offs []int64, segSize int64) flatbuffers.UOffsetT {
	ops := make([]flatbuffers.UOffsetT, len(m.OpCodes))
	for i, o := range m.OpCodes {
		name := b.CreateString(o.Name)
		fb.OpCodeStart(b)
		fb.OpCodeAddName(b, name)
		fb.OpCodeAddVersion(b, int32(o.Version))
		ops[i] = fb.OpCodeEnd(b)
	}
	opcodes := buildOffsets(b, ops)
	cs := make([]flatbuffers.UOffsetT, len(m.Constants))
	for i := range m.Constants {
		cs[i] = buildConstant(b, &m.Constants[i], offs[i])
	}
	constants := buildOffsets(b, cs)
	nseg := 0
	if len(m.Constants) > 0 {
		nseg = 1
	}
	fb.ModelStartSegmentsVector(b, nseg)
	if nseg == 1 {
		fb.CreateSegment(b, 0, uint64(segSize)) // the offset is set after Finish
	}
	segments := b.EndVector(nseg)
	ms := make([]flatbuffers.UOffsetT, len(m.Methods))
	for i := range m.Methods {
		ms[i] = buildMethod(b, &m.Methods[i])
	}
	methods := buildOffsets(b, ms)
	meta := buildMetadata(b, m.Metadata)
	xs := make([]flatbuffers.UOffsetT, len(m.ExtraFiles))
	for i, x := range m.ExtraFiles {
		key := b.CreateString(x.Key)
		data := b.CreateByteVector(x.Data)
		fb.ExtraFileStart(b)
		fb.ExtraFileAddKey(b, key)
		fb.ExtraFileAddData(b, data)
		xs[i] = fb.ExtraFileEnd(b)
	}
	extra := buildOffsets(b, xs)
	ts := make([]flatbuffers.UOffsetT, len(m.Tests))
	for i, t := range m.Tests {
		method := b.CreateString(t.Method)
		inputs := buildUint32s(b, t.Inputs)
		expected := buildUint32s(b, t.Expected)
		fb.TestCaseStart(b)
		fb.TestCaseAddMethod(b, method)
		fb.TestCaseAddInputs(b, inputs)
		fb.TestCaseAddExpected(b, expected)
		fb.TestCaseAddTolerance(b, t.Tolerance)
		ts[i] = fb.TestCaseEnd(b)
	}
	tests := buildOffsets(b, ts)
	fb.ModelStart(b)
	fb.ModelAddFormatVersion(b, uint32(m.FormatVersion))
	fb.ModelAddMinRuntimeVersion(b, uint32(m.MinRuntimeVersion))
	fb.ModelAddOpcodes(b, opcodes)
	fb.ModelAddConstants(b, constants)
	fb.ModelAddSegments(b, segments)
	fb.ModelAddMethods(b, methods)
	if meta != 0 {
		fb.ModelAddMetadata(b, meta)
	}
	fb.ModelAddExtraFiles(b, extra)
	fb.ModelAddTests(b, tests)
	return fb.ModelEnd(b)
}
