package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

func f32le(v []float32) []byte { return format.Float32Bytes(v) }

// npy encodes a .npy file (format version major) of the given dtype
// descriptor and shape around data.
func npy(major byte, descr, shape string, fortran bool, data []byte) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
	pre := 10
	if major > 1 {
		pre = 12
	}
	for (pre+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	}
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func TestParseRawAndNPY(t *testing.T) {
	info := lite.TensorInfo{Name: "x", DType: lite.Float32, Shape: []int{1, 2, 3}}
	want := []float32{1, -2, 3.5, 0, 1e-3, 255}
	f64 := make([]byte, 8*len(want))
	u8 := make([]byte, len(want))
	for i, v := range want {
		binary.LittleEndian.PutUint64(f64[8*i:], math.Float64bits(float64(v)))
		u8[i] = byte(max(v, 0))
	}
	for _, c := range []struct {
		name string
		b    []byte
		want []float32
		err  string
	}{
		{"raw", f32le(want), want, ""},
		{"raw short", f32le(want[:5]), nil, "raw float32 input of 20 bytes: input \"x\" [1 2 3] takes 6 values (24 bytes)"},
		{"npy f4", npy(1, "<f4", "(1, 2, 3)", false, f32le(want)), want, ""},
		{"npy f4 v2", npy(2, "<f4", "(1, 2, 3)", false, f32le(want)), want, ""},
		{"npy f4 v3 squeezed", npy(3, "<f4", "(2, 3)", false, f32le(want)), want, ""},
		{"npy f8", npy(1, "<f8", "(1,2,3)", false, f64), want, ""},
		{"npy u1", npy(1, "|u1", "(1, 2, 3)", false, u8), []float32{1, 0, 3, 0, 0, 255}, ""},
		{"npy fortran", npy(1, "<f4", "(1, 2, 3)", true, f32le(want)), nil, "Fortran order"},
		{"npy dtype", npy(1, "<i8", "(1, 2, 3)", false, f64), nil, `dtype "<i8" not supported`},
		{"npy big endian", npy(1, ">f4", "(1, 2, 3)", false, f32le(want)), nil, `dtype ">f4" not supported`},
		{"npy shape", npy(1, "<f4", "(3, 2)", false, f32le(want)), nil, "npy: shape [3 2]: input \"x\" is [1 2 3]"},
		{"npy count", npy(1, "<f4", "(1, 2, 4)", false, f32le(want)), nil, "npy: shape [1 2 4]"},
		{"npy short data", npy(1, "<f4", "(1, 2, 3)", false, f32le(want[:5])), nil, "20 bytes of data"},
		{"npy huge shape", npy(1, "<f4", "(1099511627776, 1099511627776)", false, nil), nil, "too large"},
		{"npy bad dim", npy(1, "<f4", "(1, x)", false, nil), nil, "bad dimension"},
		{"npy truncated", npy(1, "<f4", "(1, 2, 3)", false, nil)[:30], nil, "beyond the file"},
		{"npy version", append([]byte("\x93NUMPY\x09\x00"), 0, 0, 0, 0), nil, "format version 9.0"},
		{"npy header cut", npy(1, "<f4", "(1, 2, 3)", false, f32le(want))[:10], nil, "header length 118 beyond the file's 10 bytes"},
		{"npy short", []byte("\x93NUMPY\x01"), nil, "npy: truncated header"},
		{"npy not a dict", npy(1, "<f4", "(1, 2, 3)", false, nil)[:10], nil, "beyond"},
	} {
		got, err := readInput(writeFile(t, "in", c.b), info, nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestParseNPYHeader(t *testing.T) {
	h, err := parseNPYHeader(`{"shape": (), "fortran_order": False, "descr": "<f4"}`)
	if err != nil || h.descr != "<f4" || len(h.shape) != 0 || h.fortran {
		t.Fatalf("%+v %v", h, err)
	}
	h, err = parseNPYHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }   `)
	if err != nil || !slices.Equal(h.shape, []int{7}) {
		t.Fatalf("%+v %v", h, err)
	}
	for _, bad := range []string{"", "[]", "{'descr': '<f4'}", "{'descr' '<f4'}", "{'descr': '<f4, 'shape': (1,), 'fortran_order': False}",
		"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "{'other': 1}", "{'descr': '<f4' 'shape': (1,)}"} {
		if _, err := parseNPYHeader(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

func TestParseImage(t *testing.T) {
	// Gray 2x2 with levels 0, 51, 102, 153 (0, .2, .4, .6), to 4x4:
	// bilinear with half-pixel centres samples each axis at 0, .25, .75, 1
	// of the way between the two pixels (PyTorch's
	// interpolate(align_corners=False) gives the same).
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	g.SetGray(0, 0, color.Gray{0})
	g.SetGray(1, 0, color.Gray{51})
	g.SetGray(0, 1, color.Gray{102})
	g.SetGray(1, 1, color.Gray{153})
	gray := pngBytes(t, g)
	info := lite.TensorInfo{Name: "x", DType: lite.Float32, Shape: []int{1, 1, 4, 4}}
	got, err := readInput(writeFile(t, "g.png", gray), info, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	r := []float32{0, 0.25, 0.75, 1}
	for _, y := range r {
		for _, x := range r {
			want = append(want, 0.4*y+0.2*x)
		}
	}
	if !near(got, want, 1e-6) {
		t.Fatalf("resized\n%v\nwant\n%v", got, want)
	}
	// The same size keeps the pixels; mean and std normalise.
	md := &format.Metadata{Mean: []float32{0.5}, Std: []float32{0.25}}
	got, err = readInput(writeFile(t, "g.png", gray), lite.TensorInfo{Shape: []int{1, 2, 2}}, md)
	if err != nil || !near(got, []float32{-2, -1.2, -0.4, 0.4}, 1e-6) {
		t.Fatalf("same size: %v %v", got, err)
	}

	// RGB to an RGB input with a mean and std per channel, and to a gray
	// input (luma).
	c := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	c.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	c.SetNRGBA(1, 0, color.NRGBA{0, 255, 0, 255})
	c.SetNRGBA(2, 0, color.NRGBA{0, 0, 255, 255})
	rgb := pngBytes(t, c)
	md = &format.Metadata{Mean: []float32{0, 0.5, 1}, Std: []float32{1, 0.5, 2}}
	got, err = readInput(writeFile(t, "c.png", rgb), lite.TensorInfo{Shape: []int{1, 3, 1, 3}}, md)
	if err != nil || !near(got, []float32{1, 0, 0, -1, 1, -1, -0.5, -0.5, 0}, 1e-6) {
		t.Fatalf("rgb: %v %v", got, err)
	}
	got, err = readInput(writeFile(t, "c.png", rgb), lite.TensorInfo{Shape: []int{1, 1, 1, 3}}, nil)
	if err != nil || !near(got, []float32{0.299, 0.587, 0.114}, 1e-6) {
		t.Fatalf("luma: %v %v", got, err)
	}

	for _, c := range []struct {
		shape []int
		md    *format.Metadata
		err   string
	}{
		{[]int{1, 2, 4, 4}, nil, "is not an image"},
		{[]int{2, 1, 4, 4}, nil, "is not an image"},
		{[]int{16}, nil, "is not an image"},
		{[]int{1, 3, 4, 4}, &format.Metadata{Mean: []float32{0, 0}, Std: []float32{1, 1}}, "do not fit 3 channels"},
	} {
		if _, err := readInput(writeFile(t, "c.png", rgb), lite.TensorInfo{Name: "x", Shape: c.shape}, c.md); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: error %v, want %q", c.shape, err, c.err)
		}
	}
	bad := append([]byte{}, rgb[:40]...)
	if _, err := readInput(writeFile(t, "bad.png", bad), lite.TensorInfo{Shape: []int{1, 3, 1, 3}}, nil); err == nil || !strings.Contains(err.Error(), "image:") {
		t.Errorf("truncated png: %v", err)
	}
}
