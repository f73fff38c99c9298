package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/x448/float16"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

// bitsOf returns t's dtype name and elements as raw bits, so that tests
// compare values exactly (NaN payloads and -0 included).
func bitsOf(t *tensor.Tensor) []uint64 {
	t = t.Contiguous()
	var out []uint64
	switch v := t.Data().(type) {
	case []float64:
		for _, x := range v {
			out = append(out, math.Float64bits(x))
		}
	case []float32:
		for _, x := range v {
			out = append(out, uint64(math.Float32bits(x)))
		}
	case []float16.Float16:
		for _, x := range v {
			out = append(out, uint64(x.Bits()))
		}
	case []int64:
		for _, x := range v {
			out = append(out, uint64(x))
		}
	case []int32:
		for _, x := range v {
			out = append(out, uint64(x))
		}
	case []int8:
		for _, x := range v {
			out = append(out, uint64(x))
		}
	case []uint8:
		for _, x := range v {
			out = append(out, uint64(x))
		}
	case []bool:
		for _, x := range v {
			if x {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}

// sameTensor fails t unless got has want's dtype, shape and bits.
func sameTensor(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: missing", name)
		return
	}
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		t.Errorf("%s: got %v %v, want %v %v", name, got.DType(), got.Shape(), want.DType(), want.Shape())
		return
	}
	if g, w := bitsOf(got), bitsOf(want); !slices.Equal(g, w) {
		t.Errorf("%s: got bits %x, want %x", name, g, w)
	}
}

// allDTypes returns tensors of every dtype Ember has, with edge values and
// scalar, empty, strided and offset shapes.
func allDTypes() map[string]*tensor.Tensor {
	nan := math.Float64frombits(0x7ff8000000000123)
	f64 := []float64{0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), math.Inf(-1), nan, math.SmallestNonzeroFloat64, math.MaxFloat64}
	f32 := []float32{0, float32(math.Copysign(0, -1)), 1.5, -2.25, float32(math.Inf(1)), math.Float32frombits(0x7fc00042), math.SmallestNonzeroFloat32, math.MaxFloat32}
	f16 := []float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(-0.5), float16.Frombits(0x0001), float16.Frombits(0x7bff), float16.Frombits(0x7e01), float16.Frombits(0xfc00)}
	grid := tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4)
	return map[string]*tensor.Tensor{
		"f64":        tensor.FromSlice(f64),
		"f32":        tensor.FromSlice(f32, 2, 4),
		"f16":        tensor.FromSlice(f16, 3, 2),
		"i64":        tensor.FromSlice([]int64{math.MinInt64, -1, 0, math.MaxInt64}),
		"i32":        tensor.FromSlice([]int32{math.MinInt32, -1, 0, math.MaxInt32}, 2, 2),
		"i8":         tensor.FromSlice([]int8{-128, -1, 0, 127}),
		"u8":         tensor.FromSlice([]uint8{0, 1, 128, 255}),
		"bool":       tensor.FromSlice([]bool{true, false, false, true, true, false}, 2, 1, 3),
		"scalar.f32": tensor.FromSlice([]float32{3.5}).Reshape(),
		"scalar.i64": tensor.FromSlice([]int64{7}).Reshape(),
		"scalar.b":   tensor.FromSlice([]bool{true}).Reshape(),
		"empty":      tensor.Zeros(0),
		"empty.2d":   tensor.Empty(tensor.Int64, 0, 3),
		"empty.mid":  tensor.Empty(tensor.Float16, 2, 0, 5),
		"transposed": grid.Transpose(0, 1),
		"narrowed":   grid.Narrow(0, 1, 2),
		"ones.4d":    tensor.Ones(1, 2, 1, 3).To(tensor.Float64),
	}
}

func TestRoundTripAllDTypes(t *testing.T) {
	ts := allDTypes()
	md := map[string]string{"format": "pt", "empty": "", "json": `{"a": [1, 2]}`, "unicode": "ünïcødé ✓"}
	var buf bytes.Buffer
	if err := safetensors.Save(&buf, ts, md); err != nil {
		t.Fatal(err)
	}
	got, gotMD, err := safetensors.Load(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ts) {
		t.Errorf("loaded %d tensors, saved %d", len(got), len(ts))
	}
	for k, want := range ts {
		sameTensor(t, k, got[k], want.Contiguous())
	}
	if fmt.Sprint(gotMD) != fmt.Sprint(md) {
		t.Errorf("metadata %v, want %v", gotMD, md)
	}
	// Loaded tensors own their memory: reusing the buffer changes nothing.
	before := bitsOf(got["f32"])
	for i := range buf.Bytes() {
		buf.Bytes()[i] = 0xff
	}
	if !slices.Equal(bitsOf(got["f32"]), before) {
		t.Error("a loaded tensor aliases the input bytes")
	}

	// No metadata: no __metadata__ entry, nil on load; no tensors at all is a
	// valid file too.
	buf.Reset()
	if err := safetensors.Save(&buf, map[string]*tensor.Tensor{}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String()[8:], "{}") || buf.Len() != 16 {
		t.Errorf("empty file %q", buf.String())
	}
	got, gotMD, err = safetensors.Load(buf.Bytes())
	if err != nil || len(got) != 0 || gotMD != nil {
		t.Errorf("empty file loads as %v %v %v", got, gotMD, err)
	}
}

func TestSaveIsDeterministic(t *testing.T) {
	ts := allDTypes()
	var a, b bytes.Buffer
	if err := safetensors.Save(&a, ts, map[string]string{"x": "1", "y": "2"}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b.Reset()
		if err := safetensors.Save(&b, ts, map[string]string{"y": "2", "x": "1"}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("two saves of the same tensors differ")
		}
	}
}

// stFile assembles a file from a header given as JSON text and data bytes,
// padding nothing, so that tests control every byte.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func le32(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func TestKeyOrderIndependence(t *testing.T) {
	// The same three tensors with the header's keys and the data laid out
	// in different orders, with and without padding and whitespace.
	a := []float32{1, 2, 3}
	b := []float32{4}
	c := []byte{1, 0}
	files := [][]byte{
		stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"c":{"dtype":"BOOL","shape":[2],"data_offsets":[16,18]}}`,
			slices.Concat(le32(a...), le32(b...), c)),
		stFile(`{"c":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]},"__metadata__":{"k":"v"},"a":{"data_offsets":[6,18],"shape":[3],"dtype":"F32"},"b":{"shape":[1],"dtype":"F32","data_offsets":[2,6]}}   `,
			slices.Concat(c, le32(b...), le32(a...))),
		stFile(`{ "b" : { "dtype" : "F32", "shape" : [ 1 ], "data_offsets" : [ 14 , 18 ] },
			"a": {"dtype": "F32", "shape": [3], "data_offsets": [2, 14]}, "c": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]} }`,
			slices.Concat(c, le32(a...), le32(b...))),
	}
	want := map[string]*tensor.Tensor{"a": tensor.FromSlice(a), "b": tensor.FromSlice(b), "c": tensor.FromSlice([]bool{true, false})}
	for i, f := range files {
		got, _, err := safetensors.Load(f)
		if err != nil {
			t.Fatalf("file %d: %v", i, err)
		}
		for k, w := range want {
			sameTensor(t, fmt.Sprintf("file %d: %s", i, k), got[k], w)
		}
	}
}

// TestLayout checks a file Save writes against the spec byte by byte.
func TestLayout(t *testing.T) {
	ts := map[string]*tensor.Tensor{
		"b.one":   tensor.FromSlice([]float32{1}),                               // 00 00 80 3f
		"a.ints":  tensor.FromSlice([]int64{-2, 258}),                           // fe ff.. 02 01 00..
		"c.half":  tensor.FromSlice([]float16.Float16{float16.Fromfloat32(-2)}), // 00 c0
		"d.flags": tensor.FromSlice([]bool{true, false, true}),
		"e.s":     tensor.FromSlice([]int8{-1}).Reshape(),
	}
	var buf bytes.Buffer
	if err := safetensors.Save(&buf, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at byte %d, not 8-byte aligned", 8+n)
	}
	h := b[8 : 8+n]
	trimmed := bytes.TrimRight(h, " ")
	if h[0] != '{' || trimmed[len(trimmed)-1] != '}' || len(h)-len(trimmed) >= 8 {
		t.Errorf("header %q is not a JSON object padded with fewer than 8 spaces", h)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatal(err)
	}
	if string(header["__metadata__"]) != `{"format":"pt"}` {
		t.Errorf("__metadata__ = %s", header["__metadata__"])
	}
	type ent struct {
		DType       string  `json:"dtype"`
		Shape       []int   `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	want := map[string]ent{
		"a.ints":  {"I64", []int{2}, []int64{0, 16}},
		"b.one":   {"F32", []int{1}, []int64{16, 20}},
		"c.half":  {"F16", []int{1}, []int64{20, 22}},
		"d.flags": {"BOOL", []int{3}, []int64{22, 25}},
		"e.s":     {"I8", []int{}, []int64{25, 26}},
	}
	for k, w := range want {
		var e ent
		if err := json.Unmarshal(header[k], &e); err != nil {
			t.Fatal(err)
		}
		if e.DType != w.DType || !slices.Equal(e.Shape, w.Shape) || !slices.Equal(e.DataOffsets, w.DataOffsets) {
			t.Errorf("%s: header %s, want %+v", k, header[k], w)
		}
		if e.Shape == nil {
			t.Errorf("%s: shape is null, want []", k)
		}
	}
	data := b[8+n:]
	wantData := []byte{
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0, 0, 0, 0, 0, 0,
		0, 0, 0x80, 0x3f,
		0x00, 0xc0,
		1, 0, 1,
		0xff,
	}
	if !bytes.Equal(data, wantData) {
		t.Errorf("data % x\nwant % x", data, wantData)
	}
}

// torchExpected is the JSON st_writer.py writes next to a file.
type torchExpected struct {
	Generator string                `json:"generator"`
	Metadata  map[string]string     `json:"metadata"`
	Tensors   map[string]torchValue `json:"tensors"`
	Input     torchValue            `json:"input"`
	Output    torchValue            `json:"output"`
}

type torchValue struct {
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// emberDType is the dtype Ember loads each format dtype as.
var emberDType = map[string]tensor.DType{
	"F64": tensor.Float64, "F32": tensor.Float32, "F16": tensor.Float16, "BF16": tensor.Float32,
	"I64": tensor.Int64, "I32": tensor.Int32, "I8": tensor.Int8, "U8": tensor.Uint8, "BOOL": tensor.Bool,
}

func (v torchValue) float32() *tensor.Tensor {
	return tensor.FromSlice(v.Data).To(tensor.Float32).Reshape(v.Shape...)
}

// smallModel is st_writer.py's small_model.
func smallModel() *nn.Sequential {
	return nn.NewSequential(nn.NewConv2d(1, 2, 3), nn.NewBatchNorm2d(2), nn.NewReLU(), nn.NewFlatten(), nn.NewLinear(2*4*4, 3))
}

func TestLoadTorchFile(t *testing.T) {
	ts, md, err := safetensors.LoadFile("testdata/torch_small.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/torch_small.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp torchExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(md) != fmt.Sprint(exp.Metadata) {
		t.Errorf("metadata %v, want %v", md, exp.Metadata)
	}
	var names, wantNames []string
	for k := range ts {
		names = append(names, k)
	}
	for k := range exp.Tensors {
		wantNames = append(wantNames, k)
	}
	sort.Strings(names)
	sort.Strings(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("names %v, want %v", names, wantNames)
	}
	seen := map[string]bool{}
	for k, e := range exp.Tensors {
		got := ts[k]
		seen[e.DType] = true
		if got.DType() != emberDType[e.DType] || !slices.Equal(got.Shape(), e.Shape) {
			t.Errorf("%s: %v %v, want %s (%v) %v", k, got.DType(), got.Shape(), e.DType, emberDType[e.DType], e.Shape)
			continue
		}
		vals := got.To(tensor.Float64).ToFloat64s()
		if !slices.Equal(vals, e.Data) && !(len(vals) == 0 && len(e.Data) == 0) {
			t.Errorf("%s: values %v, want %v", k, vals, e.Data)
		}
	}
	for _, d := range []string{"F64", "F32", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL"} {
		if !seen[d] {
			t.Errorf("the torch file holds no %s tensor", d)
		}
	}
	if nbt := ts["1.num_batches_tracked"]; nbt.DType() != tensor.Int64 || len(nbt.Shape()) != 0 || nbt.Item() != 2 {
		t.Errorf("num_batches_tracked = %v %v %v, want int64 scalar 2", nbt.DType(), nbt.Shape(), nbt.Item())
	}

	// The state dict drives the same model in Ember.
	m := smallModel()
	sd := map[string]*tensor.Tensor{}
	for k, v := range ts {
		if !strings.HasPrefix(k, "extra.") {
			sd[k] = v
		}
	}
	if _, err := nn.LoadStateDict(m, sd, true); err != nil {
		t.Fatal(err)
	}
	nn.Eval(m)
	y := m.Forward(exp.Input.float32())
	if want := exp.Output.float32(); !tensor.AllClose(y, want, 1e-5, 1e-6) {
		t.Errorf("output %v, want %v", y.ToFloat64s(), want.ToFloat64s())
	}
}

// emberFile builds st_writer.py's small model in Ember, trains its
// BatchNorm statistics on two batches and returns its state dict plus extra
// tensors of the dtypes Ember writes, with the expected JSON for
// st_writer.py verify.
func emberFile(t *testing.T) (map[string]*tensor.Tensor, map[string]string, []byte) {
	tensor.ManualSeed(11)
	m := smallModel()
	for range 2 {
		m.Forward(tensor.Randn(4, 1, 6, 6))
	}
	nn.Eval(m)
	x := tensor.Randn(2, 1, 6, 6)
	y := m.Forward(x)
	ts := nn.StateDict(m)
	for k, v := range allDTypes() {
		if k == "f64" || k == "f32" || k == "f16" {
			continue // NaN payloads do not survive JSON
		}
		ts["extra."+k] = v
	}
	ts["extra.f16"] = tensor.FromSlice([]float32{0.5, -3, 65504, 6e-8}).To(tensor.Float16)
	md := map[string]string{"format": "pt", "writer": "ember"}
	enc := func(v *tensor.Tensor) torchValue {
		name := map[tensor.DType]string{tensor.Float64: "F64", tensor.Float32: "F32", tensor.Float16: "F16", tensor.Int64: "I64",
			tensor.Int32: "I32", tensor.Int8: "I8", tensor.Uint8: "U8", tensor.Bool: "BOOL"}[v.DType()]
		shape := v.Shape()
		if shape == nil {
			shape = []int{}
		}
		data := v.To(tensor.Float64).Contiguous().ToFloat64s()
		if data == nil {
			data = []float64{}
		}
		return torchValue{DType: name, Shape: shape, Data: data}
	}
	exp := torchExpected{Generator: "ember", Metadata: md, Tensors: map[string]torchValue{}, Input: enc(x), Output: enc(y)}
	for k, v := range ts {
		exp.Tensors[k] = enc(v)
	}
	raw, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	return ts, md, raw
}

// TestPyTorchReadsEmberFile writes a file for st_writer.py verify. It always
// checks the file's layout and that it loads back; with EMBER_TORCH_PYTHON
// set to a Python that has torch (e.g. /usr/bin/python3) it runs the script,
// which loads the state dict into the torch model strictly and compares its
// output.
func TestPyTorchReadsEmberFile(t *testing.T) {
	ts, md, exp := emberFile(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ember_small.safetensors")
	if err := safetensors.SaveFile(path, ts, md); err != nil {
		t.Fatal(err)
	}
	jpath := filepath.Join(dir, "ember_small.json")
	if err := os.WriteFile(jpath, exp, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 || b[8] != '{' {
		t.Errorf("header of %d bytes: data not 8-byte aligned or header not an object", n)
	}
	got, _, err := safetensors.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ts {
		sameTensor(t, k, got[k], v.Contiguous())
	}
	py := os.Getenv("EMBER_TORCH_PYTHON")
	if py == "" {
		t.Skip("set EMBER_TORCH_PYTHON to a Python with torch to check the file with PyTorch")
	}
	out, err := exec.Command(py, "testdata/st_writer.py", "verify", path, jpath).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("st_writer.py verify: %v", err)
	}
}

// validFile returns a small valid file for the malformed-file tests: two F32
// tensors "a" [2] at [0, 8) and "b" [1] at [8, 12).
func validFile() []byte {
	return stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, le32(1, 2, 3))
}

func TestMalformed(t *testing.T) {
	ent := func(dtype, shape, offs string) string {
		return fmt.Sprintf(`{"x":{"dtype":%s,"shape":%s,"data_offsets":%s}}`, dtype, shape, offs)
	}
	valid := validFile()
	hugeLen := binary.LittleEndian.AppendUint64(nil, math.MaxUint64)
	cases := []struct {
		name, want string
		file       []byte
	}{
		{"empty", "too short", nil},
		{"seven bytes", "too short", valid[:7]},
		{"header length past the file", "exceeds the file", valid[:20]},
		{"header length max uint64", "exceeds the file", append(hugeLen, valid[8:]...)},
		{"header length over the limit", "limit", append(binary.LittleEndian.AppendUint64(nil, safetensors.MaxHeaderSize+1), make([]byte, safetensors.MaxHeaderSize+8)...)},
		{"truncated data", "outside", valid[:len(valid)-1]},
		{"trailing bytes", "cover", append(slices.Clone(valid), 0)},
		{"empty header", "start with '{'", stFile("", nil)},
		{"header not an object", "start with '{'", stFile(`[1,2]`, nil)},
		{"leading space", "start with '{'", stFile(` {}`, nil)},
		{"bad json", "header", stFile(`{"x":`, nil)},
		{"trailing garbage", "header", stFile(`{}x`, nil)},
		{"invalid utf-8", "UTF-8", stFile("{\"\xff\":1}", nil)},
		{"metadata not strings", "__metadata__", stFile(`{"__metadata__":{"a":1}}`, nil)},
		{"metadata not an object", "__metadata__", stFile(`{"__metadata__":"x"}`, nil)},
		{"entry not an object", "not an object", stFile(`{"x":[1]}`, nil)},
		{"entry null", "not an object", stFile(`{"x":null}`, nil)},
		{"missing dtype", `lacks "dtype"`, stFile(`{"x":{"shape":[1],"data_offsets":[0,4]}}`, le32(1))},
		{"missing shape", `lacks "shape"`, stFile(`{"x":{"dtype":"F32","data_offsets":[0,4]}}`, le32(1))},
		{"missing offsets", `lacks "data_offsets"`, stFile(`{"x":{"dtype":"F32","shape":[1]}}`, le32(1))},
		{"upper-case field", `lacks "dtype"`, stFile(`{"x":{"DTYPE":"F32","shape":[1],"data_offsets":[0,4]}}`, le32(1))},
		{"dtype not a string", "dtype must be a string", stFile(ent(`4`, `[1]`, `[0,4]`), le32(1))},
		{"unknown dtype", `"Q7"`, stFile(ent(`"Q7"`, `[1]`, `[0,4]`), le32(1))},
		{"dtype Ember lacks", `"I16"`, stFile(ent(`"I16"`, `[2]`, `[0,4]`), le32(1))},
		{"lower-case dtype", `"f32"`, stFile(ent(`"f32"`, `[1]`, `[0,4]`), le32(1))},
		{"shape null", "shape must be", stFile(ent(`"F32"`, `null`, `[0,4]`), le32(1))},
		{"shape not an array", "shape must be", stFile(ent(`"F32"`, `1`, `[0,4]`), le32(1))},
		{"shape fraction", "shape must be", stFile(ent(`"F32"`, `[1.5]`, `[0,4]`), le32(1))},
		{"shape exponent", "shape must be", stFile(ent(`"F32"`, `[1e0]`, `[0,4]`), le32(1))},
		{"shape null element", "shape must be", stFile(ent(`"F32"`, `[null]`, `[0,0]`), nil)},
		{"shape string element", "shape must be", stFile(ent(`"F32"`, `["1"]`, `[0,4]`), le32(1))},
		{"shape beyond int64", "shape must be", stFile(ent(`"F32"`, `[99999999999999999999]`, `[0,4]`), le32(1))},
		{"negative dimension", "negative", stFile(ent(`"F32"`, `[-1]`, `[0,4]`), le32(1))},
		{"huge shape", "impossibly large", stFile(ent(`"F32"`, `[1099511627776,1099511627776]`, `[0,4]`), le32(1))},
		{"huge shape with a zero", "impossibly large", stFile(ent(`"F32"`, `[0,4611686018427387904,4611686018427387904]`, `[0,0]`), nil)},
		{"huge shape overflowing to the byte count", "needs", stFile(ent(`"F64"`, `[1125899906842624]`, `[0,0]`), nil)},
		{"offsets one number", "two integers", stFile(ent(`"F32"`, `[1]`, `[4]`), le32(1))},
		{"offsets three numbers", "two integers", stFile(ent(`"F32"`, `[1]`, `[0,4,8]`), le32(1))},
		{"offsets null", "two integers", stFile(ent(`"F32"`, `[1]`, `null`), le32(1))},
		{"offsets fraction", "two integers", stFile(ent(`"F32"`, `[1]`, `[0,4.0]`), le32(1))},
		{"offsets reversed", "outside", stFile(ent(`"F32"`, `[1]`, `[4,0]`), le32(1))},
		{"offsets negative", "outside", stFile(ent(`"F32"`, `[1]`, `[-4,0]`), le32(1))},
		{"offsets past the data", "outside", stFile(ent(`"F32"`, `[1]`, `[4,8]`), le32(1))},
		{"offsets huge", "outside", stFile(ent(`"F32"`, `[1]`, `[0,9223372036854775807]`), le32(1))},
		{"byte count mismatch", "needs 8 bytes", stFile(ent(`"F32"`, `[2]`, `[0,4]`), le32(1))},
		{"bool shape mismatch", "needs 3 bytes", stFile(ent(`"BOOL"`, `[3]`, `[0,4]`), []byte{0, 1, 0, 1})},
		{"bool byte 2", "must be 0 or 1", stFile(ent(`"BOOL"`, `[2]`, `[0,2]`), []byte{1, 2})},
		{"bool byte 255", "must be 0 or 1", stFile(ent(`"BOOL"`, `[]`, `[0,1]`), []byte{255})},
		{"overlap", "overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, le32(1, 2))},
		{"same range twice", "overlap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, le32(1))},
		{"gap", "gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, le32(1, 2, 3))},
		{"gap at the start", "gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, le32(1, 2))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ts map[string]*tensor.Tensor
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Load panicked: %v", r)
					}
				}()
				ts, _, err = safetensors.Load(c.file)
			}()
			if err == nil {
				t.Fatalf("Load succeeded with %d tensors", len(ts))
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q, want one containing %q", err, c.want)
			}
		})
	}
	// Empty tensors may share an offset with their neighbours.
	ok := stFile(`{"e1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e2":{"dtype":"I64","shape":[2,0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, le32(1, 2))
	if ts, _, err := safetensors.Load(ok); err != nil || len(ts) != 4 {
		t.Errorf("empty tensors between others: %v", err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, _, err := safetensors.LoadFile(filepath.Join(t.TempDir(), "missing.safetensors"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	p := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(p, []byte("not a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := safetensors.LoadFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("bad file: %v, want an error naming %s", err, p)
	}
}

func TestSaveErrors(t *testing.T) {
	one := tensor.Ones(2)
	cases := []struct {
		name string
		ts   map[string]*tensor.Tensor
		md   map[string]string
		want string
	}{
		{"nil tensor", map[string]*tensor.Tensor{"a": nil}, nil, `"a" is nil`},
		{"reserved name", map[string]*tensor.Tensor{"__metadata__": one}, nil, "reserved"},
		{"invalid utf-8 name", map[string]*tensor.Tensor{"a\xff": one}, nil, "UTF-8"},
		{"invalid utf-8 metadata", map[string]*tensor.Tensor{"a": one}, map[string]string{"k": "\xfe"}, "UTF-8"},
	}
	for _, c := range cases {
		err := safetensors.Save(io.Discard, c.ts, c.md)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A writer that fails after k bytes fails the save, whatever k.
	ts := allDTypes()
	var full bytes.Buffer
	if err := safetensors.Save(&full, ts, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 7, 8, 100, full.Len() - 1} {
		w := &failWriter{left: k}
		if err := safetensors.Save(w, ts, nil); !errors.Is(err, errDiskFull) {
			t.Errorf("writer failing after %d of %d bytes: error %v", k, full.Len(), err)
		}
	}
}

var errDiskFull = errors.New("disk full")

// failWriter accepts left bytes, then fails.
type failWriter struct{ left int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		w.left -= len(p)
		return len(p), nil
	}
	n := w.left
	w.left = 0
	return n, errDiskFull
}

// dirNames lists dir's entries.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	failing := func(w io.Writer) error {
		w.Write([]byte("partial"))
		return errDiskFull
	}

	// A failing writer leaves no file and no temporary file.
	if err := safetensors.WriteFileAtomic(path, failing); !errors.Is(err, errDiskFull) {
		t.Fatalf("error %v, want the writer's", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("failed write left %v", names)
	}

	// A successful write creates the file with mode 0644.
	ts := map[string]*tensor.Tensor{"w": tensor.Ones(3)}
	if err := safetensors.SaveFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}

	// Failing writers, errors and panics keep the old file intact.
	if err := safetensors.WriteFileAtomic(path, failing); !errors.Is(err, errDiskFull) {
		t.Fatalf("error %v, want the writer's", err)
	}
	if err := safetensors.SaveFile(path, map[string]*tensor.Tensor{"w": nil}, nil); err == nil {
		t.Fatal("saving a nil tensor succeeded")
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the writer's panic", r)
			}
		}()
		safetensors.WriteFileAtomic(path, func(w io.Writer) error {
			w.Write([]byte("half"))
			panic("boom")
		})
	}()
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("a failed write changed the old file")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
		t.Errorf("folder holds %v after failed writes", names)
	}

	// Replacing keeps the old file's permissions.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.SaveFile(path, map[string]*tensor.Tensor{"w": tensor.Zeros(3)}, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want 0600", fi.Mode().Perm())
	}
	got, _, err := safetensors.LoadFile(path)
	if err != nil || got["w"].Sum().Item() != 0 {
		t.Errorf("replaced file: %v %v", got, err)
	}

	// A folder in the way or a missing folder is an error, not a panic.
	if err := safetensors.SaveFile(dir, ts, nil); err == nil {
		t.Error("saving over a folder succeeded")
	}
	if err := safetensors.SaveFile(filepath.Join(dir, "no", "such.safetensors"), ts, nil); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
		t.Errorf("folder holds %v", names)
	}
}

func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	if err := safetensors.Save(&buf, allDTypes(), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if b, err := os.ReadFile("testdata/torch_small.safetensors"); err == nil {
		f.Add(b)
	}
	f.Add(validFile())
	f.Add(stFile(`{"x":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add(stFile(`{"x":{"dtype":"BF16","shape":[],"data_offsets":[0,2]},"__metadata__":{"a":"b"}}`, []byte{0x80, 0x3f}))
	f.Add(stFile(`{"x":{"dtype":"F32","shape":[0,4611686018427387904],"data_offsets":[0,0]}}`, nil))
	f.Add(stFile(`{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, md, err := safetensors.Load(b)
		if err != nil {
			return
		}
		// What loads saves and loads back to the same tensors.
		var out bytes.Buffer
		if err := safetensors.Save(&out, ts, md); err != nil {
			t.Fatalf("saving a loaded file: %v", err)
		}
		again, _, err := safetensors.Load(out.Bytes())
		if err != nil {
			t.Fatalf("loading a saved file: %v", err)
		}
		for k, v := range ts {
			sameTensor(t, k, again[k], v)
		}
	})
}
