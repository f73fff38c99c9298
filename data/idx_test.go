package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/tensor"
)

// idxBytes encodes an IDX file by hand (independently of WriteIDX): the
// magic number for code and len(shape), the sizes, then body as given.
func idxBytes(code byte, shape []int, body []byte) []byte {
	b := []byte{0, 0, code, byte(len(shape))}
	for _, s := range shape {
		b = binary.BigEndian.AppendUint32(b, uint32(s))
	}
	return append(b, body...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadIDXTypes(t *testing.T) {
	be16 := func(v ...int16) (b []byte) {
		for _, x := range v {
			b = binary.BigEndian.AppendUint16(b, uint16(x))
		}
		return b
	}
	be32 := func(v ...uint32) (b []byte) {
		for _, x := range v {
			b = binary.BigEndian.AppendUint32(b, x)
		}
		return b
	}
	be64 := func(v ...uint64) (b []byte) {
		for _, x := range v {
			b = binary.BigEndian.AppendUint64(b, x)
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		file  []byte
		dtype tensor.DType
		shape []int
		want  []float64
	}{
		{"ubyte", idxBytes(0x08, []int{2, 3}, []byte{0, 1, 2, 253, 254, 255}), tensor.Uint8, []int{2, 3}, []float64{0, 1, 2, 253, 254, 255}},
		{"byte", idxBytes(0x09, []int{4}, []byte{0, 1, 0x80, 0xff}), tensor.Int8, []int{4}, []float64{0, 1, -128, -1}},
		{"short", idxBytes(0x0B, []int{3}, be16(-32768, 1, 32767)), tensor.Int32, []int{3}, []float64{-32768, 1, 32767}},
		{"int", idxBytes(0x0C, []int{1, 2}, be32(0x80000000, 70000)), tensor.Int32, []int{1, 2}, []float64{math.MinInt32, 70000}},
		{"float", idxBytes(0x0D, []int{2}, be32(math.Float32bits(1.5), math.Float32bits(-0.25))), tensor.Float32, []int{2}, []float64{1.5, -0.25}},
		{"double", idxBytes(0x0E, []int{2, 1, 1}, be64(math.Float64bits(math.Pi), math.Float64bits(-1e300))), tensor.Float64, []int{2, 1, 1}, []float64{math.Pi, -1e300}},
		{"empty", idxBytes(0x08, []int{0, 28, 28}, nil), tensor.Uint8, []int{0, 28, 28}, nil},
	} {
		for _, gz := range []bool{false, true} {
			file := tc.file
			if gz {
				file = gzipBytes(t, file)
			}
			got, err := ReadIDX(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("%s (gzip %v): %v", tc.name, gz, err)
			}
			if got.DType() != tc.dtype || !slices.Equal(got.Shape(), tc.shape) {
				t.Fatalf("%s: %v %v, want %v %v", tc.name, got.DType(), got.Shape(), tc.dtype, tc.shape)
			}
			if v := got.ToFloat64s(); len(v) != len(tc.want) || (len(v) > 0 && !slices.Equal(v, tc.want)) {
				t.Fatalf("%s: values %v, want %v", tc.name, v, tc.want)
			}
		}
	}
}

func TestIDXRoundTrip(t *testing.T) {
	for _, x := range []*tensor.Tensor{
		tensor.RandInt(0, 256, 3, 4, 5).To(tensor.Uint8),
		tensor.RandInt(-128, 128, 7).To(tensor.Int8),
		tensor.RandInt(math.MinInt32, math.MaxInt32, 2, 3).To(tensor.Int32),
		tensor.Randn(2, 2, 2, 2),
		tensor.Randn(5).Double(),
		tensor.Randn(4, 6).Transpose(0, 1), // not contiguous
	} {
		var buf bytes.Buffer
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatal(err)
		}
		got, err := ReadIDX(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType() != x.DType() || !tensor.Equal(got, x) {
			t.Fatalf("round trip of %v %v gives %v %v", x.DType(), x.Shape(), got.DType(), got.Shape())
		}
	}
	// WriteIDX agrees with the hand encoding.
	var buf bytes.Buffer
	if err := WriteIDX(&buf, tensor.FromSlice([]uint8{9, 8, 7}, 1, 3)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), idxBytes(0x08, []int{1, 3}, []byte{9, 8, 7})) {
		t.Fatalf("WriteIDX wrote % x", buf.Bytes())
	}
	for _, bad := range []*tensor.Tensor{tensor.Zeros(2).Long(), Label(3), tensor.Ones(1).To(tensor.Bool)} {
		if err := WriteIDX(io.Discard, bad); err == nil {
			t.Fatalf("WriteIDX of %v %v succeeded", bad.DType(), bad.Shape())
		}
	}
}

func TestReadIDXMalformed(t *testing.T) {
	valid := idxBytes(0x08, []int{2, 2}, []byte{1, 2, 3, 4})
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"short magic", []byte{0, 0, 8}, "magic"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "bad magic"},
		{"unknown type", []byte{0, 0, 0x0A, 1, 0, 0, 0, 0}, "unknown element type"},
		{"zero dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 1, 0, 0}, "dimension sizes"},
		{"truncated data", valid[:len(valid)-1], "truncated"},
		{"trailing data", append(slices.Clone(valid), 0), "after"},
		{"huge header", idxBytes(0x0E, []int{1 << 31, 1 << 31, 1 << 31, 1 << 31}, nil), "too large"},
		{"huge claim, short data", idxBytes(0x08, []int{60000, 28, 28}, []byte{1, 2, 3}), "truncated"},
		{"corrupt gzip", gzipBytes(t, valid)[:20], "gzip"},
	} {
		_, err := ReadIDX(bytes.NewReader(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "data: IDX") {
			t.Fatalf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	_, err := ReadIDX(bytes.NewReader(valid[:len(valid)-2]))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated data: %v does not wrap io.ErrUnexpectedEOF", err)
	}
	// A corrupted gzip checksum is caught.
	gz := gzipBytes(t, valid)
	gz[len(gz)-8] ^= 0xff
	if _, err := ReadIDX(bytes.NewReader(gz)); err == nil {
		t.Fatal("gzip with a bad CRC read without error")
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x-idx1-ubyte")
	if err := os.WriteFile(p, idxBytes(0x08, []int{3}, []byte{4, 5, 6}), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIDXFile(p)
	if err != nil || !slices.Equal(x.ToFloat64s(), []float64{4, 5, 6}) {
		t.Fatalf("ReadIDXFile: %v, %v", x, err)
	}
	if err := os.WriteFile(p, []byte{0, 0, 8}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDXFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("a malformed file's error %v does not name it", err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzReadIDX checks that no input makes ReadIDX panic, and that what it
// accepts is consistent with the header and survives a round trip.
func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(0x08, []int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes(0x09, []int{1}, []byte{0xff}))
	f.Add(idxBytes(0x0B, []int{2}, []byte{0x80, 0, 0, 1}))
	f.Add(idxBytes(0x0C, []int{1, 1}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes(0x0D, []int{1}, []byte{0x3f, 0x80, 0, 0}))
	f.Add(idxBytes(0x0E, []int{1}, []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}))
	f.Add(idxBytes(0x08, []int{0, 5}, nil))
	f.Add(idxBytes(0x08, []int{60000, 28, 28}, []byte{1}))
	f.Add(gzipBytes(f, idxBytes(0x08, []int{3}, []byte{1, 2, 3})))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			if x != nil {
				t.Fatal("a tensor with an error")
			}
			return
		}
		n := 1
		for _, s := range x.Shape() {
			n *= s
		}
		if x.Numel() != n {
			t.Fatalf("numel %d for shape %v", x.Numel(), x.Shape())
		}
		if x.DType() == tensor.Int32 && len(b) > 2 && b[2] == 0x0B {
			return // int16 widens to int32 and is written back as int32
		}
		var buf bytes.Buffer
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadIDX(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x.Shape(), y.Shape()) || x.DType() != y.DType() {
			t.Fatalf("round trip %v %v -> %v %v", x.DType(), x.Shape(), y.DType(), y.Shape())
		}
		var xb, yb bytes.Buffer
		_ = WriteIDX(&xb, x)
		_ = WriteIDX(&yb, y)
		if !bytes.Equal(xb.Bytes(), yb.Bytes()) { // bitwise, NaNs included
			t.Fatal("round trip changed the data")
		}
	})
}
