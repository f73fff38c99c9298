package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // ember run takes JPEG images too
	_ "image/png"  // and PNG
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// readInput reads the file at path as the values of an input described by
// t: a PNG or JPEG image (preprocessed with md's mean and std), a .npy
// file, or raw little-endian float32 numbers.
func readInput(path string, t lite.TensorInfo, md *format.Metadata) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v []float32
	switch {
	case bytes.HasPrefix(b, npyMagic):
		v, err = parseNPY(b, t)
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		v, err = parseImage(b, t, md)
	default:
		v, err = parseRaw(b, t)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// parseRaw reads little-endian float32 numbers, exactly t's element count.
func parseRaw(b []byte, t lite.TensorInfo) ([]float32, error) {
	n := t.Numel()
	if len(b) != 4*n {
		return nil, fmt.Errorf("raw float32 input of %d bytes: input %q %v takes %d values (%d bytes)", len(b), t.Name, t.Shape, n, 4*n)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

var npyMagic = []byte("\x93NUMPY")

// npyHeader is the part of a .npy header ember reads.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPY reads a NumPy .npy file (format versions 1 to 3) of dtype <f4,
// <f8 or |u1 in C order, whose element count is t's. Its shape must be
// t's, up to dimensions of size 1.
func parseNPY(b []byte, t lite.TensorInfo) ([]float32, error) {
	if len(b) < 10 {
		return nil, errors.New("npy: truncated header")
	}
	major := b[6]
	var hlen, start int
	switch major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New("npy: truncated header")
		}
		h := binary.LittleEndian.Uint32(b[8:])
		if h > uint32(len(b)) {
			return nil, fmt.Errorf("npy: header length %d beyond the file's %d bytes", h, len(b))
		}
		hlen, start = int(h), 12
	default:
		return nil, fmt.Errorf("npy: format version %d.%d not supported", major, b[7])
	}
	if start+hlen > len(b) {
		return nil, fmt.Errorf("npy: header length %d beyond the file's %d bytes", hlen, len(b))
	}
	h, err := parseNPYHeader(string(b[start : start+hlen]))
	if err != nil {
		return nil, err
	}
	if h.fortran {
		return nil, errors.New("npy: Fortran order is not supported (save a C-ordered array)")
	}
	n := 1
	for _, d := range h.shape {
		if d < 0 || d > format.MaxElements || n > 0 && d > format.MaxElements/n {
			return nil, fmt.Errorf("npy: shape %v too large", h.shape)
		}
		n *= d
	}
	if n != t.Numel() || !sameSqueezed(h.shape, t.Shape) {
		return nil, fmt.Errorf("npy: shape %v: input %q is %v", h.shape, t.Name, t.Shape)
	}
	data := b[start+hlen:]
	var size int
	switch h.descr {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	case "|u1", "<u1", ">u1":
		size = 1
	default:
		return nil, fmt.Errorf("npy: dtype %q not supported (want <f4, <f8 or |u1)", h.descr)
	}
	if len(data) != n*size {
		return nil, fmt.Errorf("npy: %d bytes of data for shape %v of %s (want %d)", len(data), h.shape, h.descr, n*size)
	}
	v := make([]float32, n)
	for i := range v {
		switch size {
		case 4:
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		case 8:
			v[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		default:
			v[i] = float32(data[i])
		}
	}
	return v, nil
}

// sameSqueezed reports whether two shapes are equal once their dimensions
// of size 1 are dropped.
func sameSqueezed(a, b []int) bool {
	sq := func(s []int) []int {
		var out []int
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out
	}
	x, y := sq(a), sq(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// parseNPYHeader parses the Python dict literal of a .npy header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }.
func parseNPYHeader(h string) (npyHeader, error) {
	var r npyHeader
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return r, fmt.Errorf("npy: header %q is not a dict", h)
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for s != "" {
		key, rest, err := npyString(s)
		if err != nil {
			return r, err
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return r, fmt.Errorf("npy: header: no ':' after %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		switch key {
		case "descr":
			r.descr, rest, err = npyString(rest)
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				r.fortran, rest = false, rest[5:]
			case strings.HasPrefix(rest, "True"):
				r.fortran, rest = true, rest[4:]
			default:
				err = fmt.Errorf("npy: header: fortran_order is not True or False")
			}
		case "shape":
			r.shape, rest, err = npyTuple(rest)
		default:
			return r, fmt.Errorf("npy: header: unknown key %q", key)
		}
		if err != nil {
			return r, err
		}
		seen[key] = true
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
		} else if rest != "" {
			return r, fmt.Errorf("npy: header: no ',' after %q", key)
		}
		s = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return r, fmt.Errorf("npy: header has no %q", k)
		}
	}
	return r, nil
}

// npyString reads a quoted Python string at the start of s.
func npyString(s string) (string, string, error) {
	if s == "" || s[0] != '\'' && s[0] != '"' {
		return "", s, fmt.Errorf("npy: header: want a string at %q", s)
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, errors.New("npy: header: unterminated string")
	}
	return s[1 : 1+end], s[2+end:], nil
}

// npyTuple reads a Python tuple of non-negative ints at the start of s.
func npyTuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, fmt.Errorf("npy: header: want a tuple at %q", s)
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, errors.New("npy: header: unterminated tuple")
	}
	shape := []int{}
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "L"))
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, s, fmt.Errorf("npy: header: bad dimension %q", f)
		}
		shape = append(shape, d)
	}
	if len(shape) > format.MaxRank {
		return nil, s, fmt.Errorf("npy: header: %d dimensions", len(shape))
	}
	return shape, s[end+1:], nil
}

// imageGeometry returns the channels, height and width of an image input
// [1, C, H, W] or [C, H, W] with C 1 or 3.
func imageGeometry(t lite.TensorInfo) (c, h, w int, err error) {
	s := t.Shape
	if len(s) == 4 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 3 || s[0] != 1 && s[0] != 3 || s[1] <= 0 || s[2] <= 0 {
		return 0, 0, 0, fmt.Errorf("input %q %v is not an image [1, C, H, W] or [C, H, W] with 1 or 3 channels", t.Name, t.Shape)
	}
	return s[0], s[1], s[2], nil
}

// parseImage decodes a PNG or JPEG image and makes it the input t: the
// model's channels (grayscale or RGB), bilinear resizing to its height and
// width, values in [0, 1], then (x - mean[c]) / std[c] with md's
// preprocessing (one value for all channels, or one per channel).
func parseImage(b []byte, t lite.TensorInfo, md *format.Metadata) ([]float32, error) {
	ch, oh, ow, err := imageGeometry(t)
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > 1<<28 {
		return nil, fmt.Errorf("image of %d×%d pixels not supported", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	planes := toPlanes(img, ch)
	r := img.Bounds()
	out := make([]float32, ch*oh*ow)
	for c := range ch {
		resizeBilinear(out[c*oh*ow:(c+1)*oh*ow], oh, ow, planes[c], r.Dy(), r.Dx())
	}
	if md != nil && len(md.Mean) > 0 {
		if len(md.Mean) != 1 && len(md.Mean) != ch || len(md.Std) != len(md.Mean) {
			return nil, fmt.Errorf("the metadata's mean %v and std %v do not fit %d channels", md.Mean, md.Std, ch)
		}
		for c := range ch {
			m, s := md.Mean[0], md.Std[0]
			if len(md.Mean) == ch {
				m, s = md.Mean[c], md.Std[c]
			}
			p := out[c*oh*ow : (c+1)*oh*ow]
			for i := range p {
				p[i] = (p[i] - m) / s
			}
		}
	}
	return out, nil
}

// toPlanes returns the image's pixels in [0, 1] as ch planes: the gray
// level (ITU-R 601 luma, as PIL's convert("L")), or R, G and B. Alpha is
// ignored (the colours are composited over black).
func toPlanes(img image.Image, ch int) [][]float32 {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	planes := make([][]float32, ch)
	for c := range planes {
		planes[c] = make([]float32, w*h)
	}
	for y := range h {
		for x := range w {
			cr, cg, cb, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			fr, fg, fb := float32(cr)/0xffff, float32(cg)/0xffff, float32(cb)/0xffff
			i := y*w + x
			if ch == 1 {
				planes[0][i] = 0.299*fr + 0.587*fg + 0.114*fb
			} else {
				planes[0][i], planes[1][i], planes[2][i] = fr, fg, fb
			}
		}
	}
	return planes
}

// resizeBilinear resizes the plane src (ih×iw) to dst (oh×ow) with
// bilinear interpolation and half-pixel centres, as PyTorch's
// interpolate(mode="bilinear", align_corners=False) without antialiasing.
func resizeBilinear(dst []float32, oh, ow int, src []float32, ih, iw int) {
	type tap struct {
		i0, i1 int
		w1     float32
	}
	taps := func(in, out int) []tap {
		t := make([]tap, out)
		scale := float64(in) / float64(out)
		for o := range t {
			s := (float64(o)+0.5)*scale - 0.5
			if s < 0 {
				s = 0
			}
			i0 := int(s)
			if i0 > in-1 {
				i0 = in - 1
			}
			i1 := min(i0+1, in-1)
			t[o] = tap{i0, i1, float32(s - float64(i0))}
		}
		return t
	}
	ty, tx := taps(ih, oh), taps(iw, ow)
	for y, a := range ty {
		r0, r1 := src[a.i0*iw:(a.i0+1)*iw], src[a.i1*iw:(a.i1+1)*iw]
		for x, b := range tx {
			top := r0[b.i0] + (r0[b.i1]-r0[b.i0])*b.w1
			bot := r1[b.i0] + (r1[b.i1]-r1[b.i0])*b.w1
			dst[y*ow+x] = top + (bot-top)*a.w1
		}
	}
}
