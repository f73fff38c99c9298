package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/emberml/ember/tensor"
)

// The IDX element type codes (the third byte of the magic number).
const (
	idxUint8   = 0x08
	idxInt8    = 0x09
	idxInt16   = 0x0B
	idxInt32   = 0x0C
	idxFloat32 = 0x0D
	idxFloat64 = 0x0E
)

// idxMaxBytes bounds the data an IDX header may announce (a header is
// untrusted: the data is read as it arrives, never allocated from the
// header's word alone, but the product of the sizes must fit in an int).
const idxMaxBytes = math.MaxInt / 2

// ReadIDX reads a tensor in the IDX format of the MNIST files (LeCun's
// "SN3" format, as torchvision's read_sn3_pascalvincent_tensor): a magic
// number 0x0000TTNN (T the element type, N the number of dimensions), N
// big-endian uint32 sizes, then the elements in row-major order,
// big-endian. The types are 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
// 0x0D float32 and 0x0E float64; the tensor has the same dtype, except
// int16, which Ember lacks and reads as int32. A gzip-compressed stream is
// recognised by its magic bytes and decompressed.
//
// A malformed or truncated stream (a bad magic number, an unknown type, a
// short header or body, bytes after the body) is an error, never a panic;
// the data is read as it arrives, so a header announcing more than the
// stream holds costs no more memory than the stream.
func ReadIDX(r io.Reader) (*tensor.Tensor, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: IDX: gzip header: %w", err)
		}
		defer zr.Close()
		t, err := readIDX(zr)
		if err != nil {
			return nil, fmt.Errorf("%w (in a gzip stream)", err)
		}
		// Reach the end of the gzip stream so its checksum is verified.
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return nil, fmt.Errorf("data: IDX: gzip: %w", err)
		}
		return t, nil
	}
	return readIDX(br)
}

func readIDX(r io.Reader) (*tensor.Tensor, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("data: IDX: reading the magic number: %w", idxEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("data: IDX: bad magic number %#08x: the first two bytes must be zero", binary.BigEndian.Uint32(magic[:]))
	}
	code, nd := magic[2], int(magic[3])
	size := map[byte]int{idxUint8: 1, idxInt8: 1, idxInt16: 2, idxInt32: 4, idxFloat32: 4, idxFloat64: 8}[code]
	if size == 0 {
		return nil, fmt.Errorf("data: IDX: unknown element type %#02x (want 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)", code)
	}
	if nd == 0 {
		return nil, errors.New("data: IDX: the header declares 0 dimensions")
	}
	dims := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, dims); err != nil {
		return nil, fmt.Errorf("data: IDX: reading the %d dimension sizes: %w", nd, idxEOF(err))
	}
	shape := make([]int, nd)
	total, prod := int64(size), int64(size)
	for i := range shape {
		s := int64(binary.BigEndian.Uint32(dims[4*i:]))
		if s > idxMaxBytes {
			return nil, fmt.Errorf("data: IDX: size %d is too large", s)
		}
		shape[i] = int(s)
		// Bound the product of the non-zero sizes too, so that no stride
		// of an empty tensor overflows.
		if s != 0 && prod > idxMaxBytes/s {
			return nil, fmt.Errorf("data: IDX: shape %v is too large", shape[:i+1])
		}
		prod *= max(s, 1)
		total *= s
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, total))
	if err != nil {
		return nil, fmt.Errorf("data: IDX: reading the data of shape %v: %w", shape, err)
	}
	if n < total {
		return nil, fmt.Errorf("data: IDX: truncated data: shape %v needs %d bytes, the stream holds %d: %w", shape, total, n, io.ErrUnexpectedEOF)
	}
	var extra [1]byte
	if m, _ := io.ReadFull(r, extra[:]); m > 0 {
		return nil, fmt.Errorf("data: IDX: unexpected bytes after the %d bytes of data of shape %v", total, shape)
	}
	b := buf.Bytes()
	switch code {
	case idxUint8:
		return tensor.FromSlice(b, shape...), nil
	case idxInt8:
		v := make([]int8, len(b))
		for i, x := range b {
			v[i] = int8(x)
		}
		return tensor.FromSlice(v, shape...), nil
	case idxInt16:
		v := make([]int32, len(b)/2)
		for i := range v {
			v[i] = int32(int16(binary.BigEndian.Uint16(b[2*i:])))
		}
		return tensor.FromSlice(v, shape...), nil
	case idxInt32:
		v := make([]int32, len(b)/4)
		for i := range v {
			v[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
		}
		return tensor.FromSlice(v, shape...), nil
	case idxFloat32:
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4*i:]))
		}
		return tensor.FromSlice(v, shape...), nil
	default:
		v := make([]float64, len(b)/8)
		for i := range v {
			v[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
		return tensor.FromSlice(v, shape...), nil
	}
}

// idxEOF reports a stream that ends early as io.ErrUnexpectedEOF.
func idxEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadIDXFile reads an IDX file (gzip-compressed or not) with ReadIDX.
func ReadIDXFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	t, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteIDX writes t in the IDX format ReadIDX reads, uncompressed: uint8,
// int8, int32, float32 and float64 tensors of 1 to 255 dimensions, each
// size below 2³². Other dtypes and shapes are an error.
func WriteIDX(w io.Writer, t *tensor.Tensor) error {
	var code byte
	switch t.DType() {
	case tensor.Uint8:
		code = idxUint8
	case tensor.Int8:
		code = idxInt8
	case tensor.Int32:
		code = idxInt32
	case tensor.Float32:
		code = idxFloat32
	case tensor.Float64:
		code = idxFloat64
	default:
		return fmt.Errorf("data: WriteIDX: IDX has no %v type", t.DType())
	}
	if t.Dim() < 1 || t.Dim() > 255 {
		return fmt.Errorf("data: WriteIDX: IDX holds 1 to 255 dimensions, got shape %v", t.Shape())
	}
	head := []byte{0, 0, code, byte(t.Dim())}
	for _, s := range t.Shape() {
		if uint64(s) > math.MaxUint32 {
			return fmt.Errorf("data: WriteIDX: size %d in shape %v does not fit in 32 bits", s, t.Shape())
		}
		head = binary.BigEndian.AppendUint32(head, uint32(s))
	}
	c := t.Contiguous()
	var body []byte
	switch code {
	case idxUint8:
		body = c.Data().([]uint8)
	case idxInt8:
		for _, v := range c.Data().([]int8) {
			body = append(body, byte(v))
		}
	case idxInt32:
		for _, v := range c.Data().([]int32) {
			body = binary.BigEndian.AppendUint32(body, uint32(v))
		}
	case idxFloat32:
		for _, v := range c.Data().([]float32) {
			body = binary.BigEndian.AppendUint32(body, math.Float32bits(v))
		}
	case idxFloat64:
		for _, v := range c.Data().([]float64) {
			body = binary.BigEndian.AppendUint64(body, math.Float64bits(v))
		}
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("data: WriteIDX: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("data: WriteIDX: %w", err)
	}
	return nil
}
