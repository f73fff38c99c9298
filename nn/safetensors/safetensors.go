package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/x448/float16"

	"github.com/emberml/ember/tensor"
)

// MaxHeaderSize bounds the JSON header a file may declare (100 MB, the
// reference implementation's limit).
const MaxHeaderSize = 100 << 20

type entry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

var toName = map[tensor.DType]string{
	tensor.Float64: "F64", tensor.Float32: "F32", tensor.Float16: "F16", tensor.Int64: "I64",
	tensor.Int32: "I32", tensor.Int8: "I8", tensor.Uint8: "U8", tensor.Bool: "BOOL",
}

// Save writes tensors and optional metadata (string to string, stored as the
// header's __metadata__) to w in the safetensors format, tensors in name
// order. Every dtype Ember has can be written.
func Save(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for k, t := range tensors {
		if t == nil {
			return fmt.Errorf("safetensors: tensor %q is nil", k)
		}
		if k == "__metadata__" {
			return errors.New("safetensors: __metadata__ is reserved and cannot name a tensor")
		}
		names = append(names, k)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	blobs := make([][]byte, len(names))
	for i, k := range names {
		b, err := encode(tensors[k])
		if err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", k, err)
		}
		blobs[i] = b
		shape := tensors[k].Shape()
		if shape == nil {
			shape = []int{}
		}
		header[k] = entry{DType: toName[tensors[k].DType()], Shape: shape, DataOffsets: [2]int64{off, off + int64(len(b))}}
		off += int64(len(b))
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned, as the
	// reference writer does.
	for (8+len(h))%8 != 0 {
		h = append(h, ' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	if _, err := w.Write(n[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, b := range blobs {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
	}
	return nil
}

// SaveFile writes tensors and metadata to path atomically: to a temporary
// file in the same folder, synced, then renamed over path.
func SaveFile(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Save(w, tensors, metadata) })
}

// WriteFileAtomic creates path through a temporary file in the same folder
// that write fills; the file is synced and renamed over path only when write
// succeeds, so readers never see a partial file and a failure leaves any old
// file in place.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// LoadFile reads the tensors and metadata of the safetensors file at path.
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

// Load decodes a safetensors file held in b. The tensors are copies (b may
// be reused). BF16 tensors load as float32 (Ember has no bfloat16); I16,
// U16 and other dtypes Ember lacks are errors.
func Load(b []byte) (map[string]*tensor.Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: file of %d bytes is too short for the header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the file (%d bytes) or the %d-byte limit", n, len(b), MaxHeaderSize)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	data := b[8+n:]
	var md map[string]string
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	out := map[string]*tensor.Tensor{}
	for name, r := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(r, &md); err != nil {
				return nil, nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		t, err := decode(name, e, data)
		if err != nil {
			return nil, nil, err
		}
		out[name] = t
		spans = append(spans, span{name, e.DataOffsets[0], e.DataOffsets[1]})
	}
	// The byte ranges must tile the data exactly: no overlap, no gap.
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	var pos int64
	for _, s := range spans {
		if s.begin != pos {
			return nil, nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, expected %d (ranges overlap or leave a gap)", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != int64(len(data)) {
		return nil, nil, fmt.Errorf("safetensors: tensors cover %d of the %d data bytes", pos, len(data))
	}
	return out, md, nil
}

var elemSize = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1}

func decode(name string, e entry, data []byte) (*tensor.Tensor, error) {
	size, ok := elemSize[e.DType]
	if !ok {
		return nil, fmt.Errorf("safetensors: tensor %q has dtype %q, which Ember cannot load", name, e.DType)
	}
	count := int64(1)
	for _, d := range e.Shape {
		if d < 0 {
			return nil, fmt.Errorf("safetensors: tensor %q has a negative dimension in shape %v", name, e.Shape)
		}
		if d > 0 && count > math.MaxInt32*int64(1024)/int64(d) {
			return nil, fmt.Errorf("safetensors: tensor %q has an impossibly large shape %v", name, e.Shape)
		}
		count *= int64(d)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin || end > int64(len(data)) {
		return nil, fmt.Errorf("safetensors: tensor %q has byte range [%d, %d) outside the %d data bytes", name, begin, end, len(data))
	}
	if end-begin != count*int64(size) {
		return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, the range holds %d", name, e.Shape, e.DType, count*int64(size), end-begin)
	}
	b := data[begin:end]
	shape := e.Shape
	if shape == nil {
		shape = []int{}
	}
	var t *tensor.Tensor
	switch e.DType {
	case "F64":
		v := make([]float64, count)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		t = tensor.FromSlice(v)
	case "F32":
		v := make([]float32, count)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		t = tensor.FromSlice(v)
	case "BF16":
		v := make([]float32, count)
		for i := range v {
			v[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
		t = tensor.FromSlice(v)
	case "F16":
		v := make([]float16.Float16, count)
		for i := range v {
			v[i] = float16.Frombits(binary.LittleEndian.Uint16(b[2*i:]))
		}
		t = tensor.FromSlice(v)
	case "I64":
		v := make([]int64, count)
		for i := range v {
			v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		t = tensor.FromSlice(v)
	case "I32":
		v := make([]int32, count)
		for i := range v {
			v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		t = tensor.FromSlice(v)
	case "I8":
		v := make([]int8, count)
		for i := range v {
			v[i] = int8(b[i])
		}
		t = tensor.FromSlice(v)
	case "U8":
		t = tensor.FromSlice(append([]uint8(nil), b...))
	case "BOOL":
		v := make([]bool, count)
		for i := range v {
			if b[i] > 1 {
				return nil, fmt.Errorf("safetensors: tensor %q holds the byte %d where a bool must be 0 or 1", name, b[i])
			}
			v[i] = b[i] == 1
		}
		t = tensor.FromSlice(v)
	}
	return t.Reshape(shape...), nil
}

func encode(t *tensor.Tensor) ([]byte, error) {
	t = t.Detach().Contiguous()
	switch v := t.Data().(type) {
	case []float64:
		b := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		}
		return b, nil
	case []float32:
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b, nil
	case []float16.Float16:
		b := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], x.Bits())
		}
		return b, nil
	case []int64:
		b := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
		}
		return b, nil
	case []int32:
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
		}
		return b, nil
	case []int8:
		b := make([]byte, len(v))
		for i, x := range v {
			b[i] = byte(x)
		}
		return b, nil
	case []uint8:
		return append([]byte(nil), v...), nil
	case []bool:
		b := make([]byte, len(v))
		for i, x := range v {
			if x {
				b[i] = 1
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported dtype %v", t.DType())
}
