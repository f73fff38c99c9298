package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/emberml/ember/mobile/lite"
)

func runCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	input := fs.String("input", "", "the input: a raw little-endian float32 file, a .npy file, or a PNG or JPEG image")
	k := fs.Int("k", 5, "how many of the largest outputs to print")
	method := fs.String("method", "forward", "the method to run")
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	if *input == "" {
		return usagef("-input is required")
	}
	if *k < 1 {
		return usagef("-k %d: want at least 1", *k)
	}
	m, err := lite.Load(path)
	if err != nil {
		return err
	}
	defer m.Close()
	mt, err := pickMethod(m, *method)
	if err != nil {
		return err
	}
	ins := mt.Inputs()
	if len(ins) != 1 {
		return fmt.Errorf("method %q takes %d inputs: ember run feeds one", mt.Name(), len(ins))
	}
	x, err := readInput(*input, ins[0], m.Metadata())
	if err != nil {
		return err
	}
	in := []lite.Tensor{{Data: x}}
	if err := convertInputs(mt, in); err != nil {
		return err
	}
	s := m.NewSession()
	if err := s.Run(mt, in, nil); err != nil {
		return err
	}
	outs := mt.Outputs()
	if len(outs) == 0 {
		return fmt.Errorf("method %q has no output", mt.Name())
	}
	y, err := outputFloats(s, mt, 0)
	if err != nil {
		return err
	}
	var labels []string
	if md := m.Metadata(); md != nil {
		labels = md.Labels
	}
	fmt.Fprintf(stdout, "%s: %s %v -> %s %v\n", mt.Name(), ins[0].Name, ins[0].Shape, outs[0].Name, outs[0].Shape)
	printTopK(stdout, y, *k, labels)
	return nil
}

// pickMethod returns the method named name.
func pickMethod(m *lite.Model, name string) (*lite.Method, error) {
	if mt := m.Method(name); mt != nil {
		return mt, nil
	}
	var names []string
	for _, mt := range m.Methods() {
		names = append(names, mt.Name())
	}
	return nil, fmt.Errorf("no method %q (the file has %v)", name, names)
}

// convertInputs turns the []float32 data of in into the dtypes of mt's
// inputs (float64, or integers by truncation).
func convertInputs(mt *lite.Method, in []lite.Tensor) error {
	for i, t := range mt.Inputs() {
		x := in[i].Data.([]float32)
		switch t.DType {
		case lite.Float32:
		case lite.Float64:
			in[i].Data = convertSlice[float64](x)
		case lite.Int64:
			in[i].Data = convertSlice[int64](x)
		case lite.Int32:
			in[i].Data = convertSlice[int32](x)
		case lite.Int8:
			in[i].Data = convertSlice[int8](x)
		case lite.UInt8:
			in[i].Data = convertSlice[uint8](x)
		case lite.Bool:
			b := make([]bool, len(x))
			for j, v := range x {
				b[j] = v != 0
			}
			in[i].Data = b
		default:
			return fmt.Errorf("input %q is %v: not supported here", t.Name, t.DType)
		}
	}
	return nil
}

func convertSlice[T int8 | uint8 | int32 | int64 | float64](x []float32) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

// outputFloats returns output i of the session's last run of mt as
// float64s.
func outputFloats(s *lite.Session, mt *lite.Method, i int) ([]float64, error) {
	t := mt.Outputs()[i]
	if f := s.OutputFloat32(mt, i); f != nil || t.DType == lite.Float32 {
		return convertF64(f), nil
	}
	if v := s.OutputInt64(mt, i); v != nil {
		out := make([]float64, len(v))
		for j, x := range v {
			out[j] = float64(x)
		}
		return out, nil
	}
	b := s.OutputBytes(mt, i)
	out := make([]float64, t.Numel())
	for j := range out {
		switch t.DType {
		case lite.Float64:
			out[j] = math.Float64frombits(le64(b[8*j:]))
		case lite.Int32:
			out[j] = float64(int32(le32(b[4*j:])))
		case lite.Int8:
			out[j] = float64(int8(b[j]))
		case lite.UInt8, lite.Bool:
			out[j] = float64(b[j])
		case lite.Float16: // its bits, as lite's Verify compares them
			out[j] = float64(uint16(b[2*j]) | uint16(b[2*j+1])<<8)
		default:
			return nil, errors.New("output " + t.Name + " is " + t.DType.String() + ": not supported here")
		}
	}
	return out, nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

func convertF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// printTopK prints the k largest values of y (NaN last) with their
// indices, their labels and their softmax probabilities (over all of y).
func printTopK(w io.Writer, y []float64, k int, labels []string) {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, z := y[a], y[b]
		switch {
		case math.IsNaN(x) && math.IsNaN(z):
			return 0
		case math.IsNaN(x):
			return 1
		case math.IsNaN(z):
			return -1
		}
		return cmp.Compare(z, x)
	})
	mx := math.Inf(-1)
	for _, v := range y {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range y {
		sum += math.Exp(v - mx)
	}
	fmt.Fprintf(w, "%4s %6s %12s %8s  %s\n", "rank", "index", "value", "prob", "label")
	for r, i := range idx[:min(k, len(idx))] {
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		fmt.Fprintf(w, "%4d %6d %12.6g %8.4f  %s\n", r+1, i, y[i], math.Exp(y[i]-mx)/sum, label)
	}
}
