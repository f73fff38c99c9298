package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/x448/float16"

	"github.com/emberml/ember/internal/atomicfile"
	"github.com/emberml/ember/tensor"
)

// MaxHeaderSize bounds the JSON header a file may declare (100 MB, the
// reference implementation's limit).
const MaxHeaderSize = 100 << 20

// stMaxElems bounds the element count a shape may declare (zero dimensions
// counted as one), so that no byte count overflows; real files are bounded
// far lower by their own size.
const stMaxElems = 1 << 50

// entry is one tensor's record in the header.
type entry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// stNames maps Ember's dtypes to the format's names; every dtype Ember has
// is listed.
var stNames = map[tensor.DType]string{
	tensor.Float64: "F64", tensor.Float32: "F32", tensor.Float16: "F16", tensor.Int64: "I64",
	tensor.Int32: "I32", tensor.Int8: "I8", tensor.Uint8: "U8", tensor.Bool: "BOOL",
}

// stElemSize is the size in bytes of one element of each dtype Load reads.
var stElemSize = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1}

// Save writes tensors and optional metadata (string to string, stored as the
// header's __metadata__) to w in the safetensors format, with the data of
// the tensors in name order and the header padded with spaces so that the
// data starts 8-byte aligned, as the reference writer does. Every dtype
// Ember has can be written; views are written as their elements in
// row-major order. Names and metadata must be valid UTF-8, and
// "__metadata__" cannot name a tensor.
func Save(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for k, t := range tensors {
		switch {
		case t == nil:
			return fmt.Errorf("safetensors: tensor %q is nil", k)
		case k == "__metadata__":
			return errors.New("safetensors: __metadata__ is reserved and cannot name a tensor")
		case !utf8.ValidString(k):
			return fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", k)
		}
		if _, ok := stNames[t.DType()]; !ok {
			return fmt.Errorf("safetensors: tensor %q has dtype %v, which the format cannot hold", k, t.DType())
		}
		names = append(names, k)
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: metadata %q is not valid UTF-8", k)
		}
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, k := range names {
		t := tensors[k]
		shape := t.Shape()
		if shape == nil {
			shape = []int{}
		}
		n := int64(t.Numel()) * int64(t.DType().Size())
		header[k] = entry{DType: stNames[t.DType()], Shape: shape, DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	bw.Write(n[:])
	bw.Write(h)
	for _, k := range names {
		if err := stEncode(bw, tensors[k]); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", k, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// SaveFile writes tensors and metadata to path atomically (see
// [WriteFileAtomic]).
func SaveFile(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Save(w, tensors, metadata) })
}

// WriteFileAtomic creates or replaces path with what write writes, through
// a temporary file in the same folder: the file is synced and renamed over
// path only when write succeeds (returns nil without panicking), so readers
// never see a partial file, and a failure leaves any old file as it was and
// no temporary file behind. A replaced file keeps its permissions; a new
// one gets 0644. The error of write is returned unchanged.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write("safetensors", path, write)
}

// LoadFile reads the tensors and metadata of the safetensors file at path
// (see [Load]).
func LoadFile(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	ts, md, err := Load(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, md, nil
}

// Load decodes a safetensors file held in b, with tensors stored in any
// order. The tensors are copies (b may be reused); metadata is nil when the
// file has none. BF16 tensors load as float32 (exactly: Ember has no
// bfloat16); I16, U16 and the other dtypes Ember lacks are errors. The
// whole header is checked before any tensor is allocated: a malformed file
// is an error, never a panic.
func Load(b []byte) (map[string]*tensor.Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: file of %d bytes is too short for the header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the file (%d bytes) or the %d-byte limit", n, len(b), MaxHeaderSize)
	}
	h := b[8 : 8+n]
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("safetensors: header does not start with '{'")
	}
	if !utf8.Valid(h) {
		return nil, nil, errors.New("safetensors: header is not valid UTF-8")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(h, &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	data := b[8+n:]
	var md map[string]string
	type span struct {
		name       string
		e          entry
		begin, end int64
	}
	spans := make([]span, 0, len(raw))
	for name, r := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(r, &md); err != nil {
				return nil, nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		e, err := stParseEntry(name, r, int64(len(data)))
		if err != nil {
			return nil, nil, err
		}
		spans = append(spans, span{name, e, e.DataOffsets[0], e.DataOffsets[1]})
	}
	// The byte ranges must tile the data exactly: no overlap, no gap.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		if spans[i].end != spans[j].end {
			return spans[i].end < spans[j].end
		}
		return spans[i].name < spans[j].name
	})
	var pos int64
	for _, s := range spans {
		if s.begin != pos {
			return nil, nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, expected %d (byte ranges overlap or leave a gap)", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != int64(len(data)) {
		return nil, nil, fmt.Errorf("safetensors: tensors cover %d of the %d data bytes", pos, len(data))
	}
	out := make(map[string]*tensor.Tensor, len(spans))
	for _, s := range spans {
		t, err := stDecode(s.name, s.e, data[s.begin:s.end])
		if err != nil {
			return nil, nil, err
		}
		out[s.name] = t
	}
	return out, md, nil
}

// stParseEntry decodes and checks one tensor's header record: the three
// fields present with the right JSON types, a dtype Ember reads, a shape of
// bounded size whose byte count equals the byte range, and a range inside
// the dataLen data bytes.
func stParseEntry(name string, r json.RawMessage, dataLen int64) (entry, error) {
	var e entry
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil || m == nil {
		return e, fmt.Errorf("safetensors: tensor %q: header entry is not an object", name)
	}
	for _, f := range []string{"dtype", "shape", "data_offsets"} {
		if _, ok := m[f]; !ok {
			return e, fmt.Errorf("safetensors: tensor %q: header entry lacks %q", name, f)
		}
	}
	if err := json.Unmarshal(m["dtype"], &e.DType); err != nil || !bytes.HasPrefix(m["dtype"], []byte(`"`)) {
		return e, fmt.Errorf("safetensors: tensor %q: dtype must be a string", name)
	}
	size, ok := stElemSize[e.DType]
	if !ok {
		return e, fmt.Errorf("safetensors: tensor %q has dtype %q, which Ember cannot load", name, e.DType)
	}
	shape, ok := stInts(m["shape"])
	if !ok {
		return e, fmt.Errorf("safetensors: tensor %q: shape must be an array of integers", name)
	}
	offs, ok := stInts(m["data_offsets"])
	if !ok || len(offs) != 2 {
		return e, fmt.Errorf("safetensors: tensor %q: data_offsets must be an array of two integers", name)
	}
	count, bound := int64(1), int64(1)
	e.Shape = make([]int, len(shape))
	for i, d := range shape {
		if d < 0 {
			return e, fmt.Errorf("safetensors: tensor %q has a negative dimension in shape %v", name, shape)
		}
		if d > 0 {
			if d > stMaxElems/bound {
				return e, fmt.Errorf("safetensors: tensor %q has an impossibly large shape %v", name, shape)
			}
			bound *= d
		}
		count *= d
		e.Shape[i] = int(d)
	}
	begin, end := offs[0], offs[1]
	if begin < 0 || end < begin || end > dataLen {
		return e, fmt.Errorf("safetensors: tensor %q has byte range [%d, %d) outside the %d data bytes", name, begin, end, dataLen)
	}
	if end-begin != count*int64(size) {
		return e, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, its byte range holds %d", name, shape, e.DType, count*int64(size), end-begin)
	}
	e.DataOffsets = [2]int64{begin, end}
	return e, nil
}

// stInts decodes a JSON array of integers that fit in an int64; null
// elements, fractions and exponents are refused.
func stInts(r json.RawMessage) ([]int64, bool) {
	var elems []json.RawMessage
	if err := json.Unmarshal(r, &elems); err != nil || elems == nil {
		return nil, false
	}
	out := make([]int64, len(elems))
	for i, x := range elems {
		v, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// stDecode builds the tensor of a checked entry from its bytes b.
func stDecode(name string, e entry, b []byte) (*tensor.Tensor, error) {
	dt := map[string]tensor.DType{"F64": tensor.Float64, "F32": tensor.Float32, "BF16": tensor.Float32,
		"F16": tensor.Float16, "I64": tensor.Int64, "I32": tensor.Int32, "I8": tensor.Int8,
		"U8": tensor.Uint8, "BOOL": tensor.Bool}[e.DType]
	t := tensor.Empty(dt, e.Shape...)
	switch v := t.Data().(type) {
	case []float64:
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case []float32:
		if e.DType == "BF16" {
			for i := range v {
				v[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
			break
		}
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []float16.Float16:
		for i := range v {
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case []int64:
		for i := range v {
			v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case []int32:
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []int8:
		for i := range v {
			v[i] = int8(b[i])
		}
	case []uint8:
		copy(v, b)
	case []bool:
		for i := range v {
			if b[i] > 1 {
				return nil, fmt.Errorf("safetensors: tensor %q holds the byte %d where a bool must be 0 or 1", name, b[i])
			}
			v[i] = b[i] == 1
		}
	}
	return t, nil
}

// stEncode writes t's elements in row-major order, little-endian, to w.
func stEncode(w *bufio.Writer, t *tensor.Tensor) error {
	t = t.Detach().Contiguous()
	switch v := t.Data().(type) {
	case []float64:
		stPut(w, v, 8, func(b []byte, x float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(x)) })
	case []float32:
		stPut(w, v, 4, func(b []byte, x float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(x)) })
	case []float16.Float16:
		stPut(w, v, 2, func(b []byte, x float16.Float16) { binary.LittleEndian.PutUint16(b, x.Bits()) })
	case []int64:
		stPut(w, v, 8, func(b []byte, x int64) { binary.LittleEndian.PutUint64(b, uint64(x)) })
	case []int32:
		stPut(w, v, 4, func(b []byte, x int32) { binary.LittleEndian.PutUint32(b, uint32(x)) })
	case []int8:
		stPut(w, v, 1, func(b []byte, x int8) { b[0] = byte(x) })
	case []uint8:
		w.Write(v)
	case []bool:
		stPut(w, v, 1, func(b []byte, x bool) {
			b[0] = 0
			if x {
				b[0] = 1
			}
		})
	default:
		return fmt.Errorf("unsupported dtype %v", t.DType())
	}
	// A bufio.Writer keeps its first error and returns it from every later
	// Write.
	_, err := w.Write(nil)
	return err
}

// stPut encodes v with put (size bytes an element) in chunks and writes
// them to w.
func stPut[T any](w *bufio.Writer, v []T, size int, put func([]byte, T)) {
	const chunk = 4096
	buf := make([]byte, chunk*size)
	for len(v) > 0 {
		n := min(len(v), chunk)
		for i, x := range v[:n] {
			put(buf[i*size:], x)
		}
		if _, err := w.Write(buf[:n*size]); err != nil {
			return
		}
		v = v[n:]
	}
}
