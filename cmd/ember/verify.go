package main

import (
	"fmt"
	"io"
	"math"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

func verifyCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	m, err := lite.Load(path)
	if err != nil {
		return err
	}
	defer m.Close()
	f := m.File()
	if len(f.Tests) == 0 {
		return fmt.Errorf("%s bundles no test", path)
	}
	// Each output's largest difference, for the report; lite's Verify
	// decides.
	s := m.NewSession()
	for ti, tc := range f.Tests {
		mt := m.Method(tc.Method)
		in := make([]lite.Tensor, len(tc.Inputs))
		for i, c := range tc.Inputs {
			in[i] = lite.Tensor{Data: constantData(&f.Constants[c])}
		}
		if err := s.Run(mt, in, nil); err != nil {
			fmt.Fprintf(stdout, "test %d (%s): %v\n", ti, tc.Method, err)
			continue
		}
		for i, c := range tc.Expected {
			got, err := outputFloats(s, mt, i)
			if err != nil {
				return err
			}
			want := constantFloats(&f.Constants[c])
			d, bad := maxDiff(got, want, float64(tc.Tolerance))
			status := "ok"
			if bad > 0 {
				status = fmt.Sprintf("FAIL (%d elements outside)", bad)
			}
			fmt.Fprintf(stdout, "test %d (%s) output %d %q: max |diff| %.3g, tolerance %g: %s\n",
				ti, tc.Method, i, mt.Outputs()[i].Name, d, tc.Tolerance, status)
		}
	}
	if err := m.Verify(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %d tests pass\n", len(f.Tests))
	return nil
}

// maxDiff returns the largest |got-want| (NaN against NaN counts as 0,
// NaN against a number as +Inf) and how many elements exceed tol.
func maxDiff(got, want []float64, tol float64) (float64, int) {
	var d float64
	bad := 0
	for j := range min(len(got), len(want)) {
		g, w := got[j], want[j]
		e := math.Abs(g - w)
		switch {
		case math.IsNaN(g) && math.IsNaN(w):
			e = 0
		case math.IsNaN(e):
			e = math.Inf(1)
		}
		if e > tol {
			bad++
		}
		d = max(d, e)
	}
	return d, bad
}

// constantData returns a dense constant's elements as the slice type
// lite.Tensor.Data takes.
func constantData(c *format.Constant) any {
	n := format.Numel(c.Shape)
	b := c.Data
	switch c.DType {
	case format.Float32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le32(b[4*i:]))
		}
		return out
	case format.Float64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le64(b[8*i:]))
		}
		return out
	case format.Int64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le64(b[8*i:]))
		}
		return out
	case format.Int32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le32(b[4*i:]))
		}
		return out
	case format.Int8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out
	case format.UInt8:
		return append([]uint8{}, b[:n]...)
	case format.Float16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return out
	case format.Bool:
		out := make([]bool, n)
		for i := range out {
			out[i] = b[i] != 0
		}
		return out
	}
	return nil
}

// constantFloats returns a dense constant's elements as float64s (float16
// as its bits, as lite's Verify compares them).
func constantFloats(c *format.Constant) []float64 {
	n := format.Numel(c.Shape)
	out := make([]float64, n)
	switch d := constantData(c).(type) {
	case []float32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []float64:
		copy(out, d)
	case []int64:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int32:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []int8:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint8:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []uint16:
		for i, v := range d {
			out[i] = float64(v)
		}
	case []bool:
		for i, v := range d {
			if v {
				out[i] = 1
			}
		}
	}
	return out
}
