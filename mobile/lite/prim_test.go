package lite_test

import (
	"math"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// runPrim runs the prim op on scalar inputs (given as []int64, []float64
// or []bool of one element) and returns the output tensor's data.
func runPrim(t *testing.T, op string, out format.DType, attrs []format.Attr, in ...any) (any, error) {
	t.Helper()
	b := newMB("forward")
	var vs []int
	var data []lite.Tensor
	for _, x := range in {
		var dt format.DType
		switch x.(type) {
		case []int64:
			dt = format.Int64
		case []float64:
			dt = format.Float64
		case []bool:
			dt = format.Bool
		case []float32:
			dt = format.Float32
		}
		vs = append(vs, b.arena("in", dt))
		data = append(data, lite.Tensor{Data: x})
	}
	y := b.arena("y", out)
	b.op(op, vs, ints(y), attrs...)
	b.io(vs, ints(y))
	m, err := lite.LoadBytes(b.encode(t))
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	var res any
	switch out {
	case format.Int64:
		res = make([]int64, 1)
	case format.Float64:
		res = make([]float64, 1)
	case format.Bool:
		res = make([]bool, 1)
	case format.Float32:
		res = make([]float32, 1)
	}
	err = m.NewSession().Run(m.Method("forward"), data, []lite.Tensor{{Data: res}})
	return res, err
}

func TestPrimOps(t *testing.T) {
	I := func(v int64) []int64 { return []int64{v} }
	F := func(v float64) []float64 { return []float64{v} }
	B := func(v bool) []bool { return []bool{v} }
	cases := []struct {
		op   string
		out  format.DType
		in   []any
		want any
	}{
		{"prim.add", format.Int64, []any{I(3), I(4)}, I(7)},
		{"prim.sub", format.Int64, []any{I(3), I(4)}, I(-1)},
		{"prim.mul", format.Int64, []any{I(3), I(-4)}, I(-12)},
		{"prim.div", format.Int64, []any{I(-7), I(2)}, I(-3)},
		{"prim.floordiv", format.Int64, []any{I(-7), I(2)}, I(-4)},
		{"prim.mod", format.Int64, []any{I(-7), I(2)}, I(-1)},
		{"prim.neg", format.Int64, []any{I(5)}, I(-5)},
		{"prim.add", format.Float64, []any{F(0.5), F(0.25)}, F(0.75)},
		{"prim.div", format.Float64, []any{F(1), F(4)}, F(0.25)},
		{"prim.floordiv", format.Float64, []any{F(-7), F(2)}, F(-4)},
		{"prim.mod", format.Float64, []any{F(7.5), F(2)}, F(1.5)},
		{"prim.neg", format.Float64, []any{F(2)}, F(-2)},
		{"prim.lt", format.Bool, []any{I(3), I(4)}, B(true)},
		{"prim.le", format.Bool, []any{I(4), I(4)}, B(true)},
		{"prim.gt", format.Bool, []any{F(3), F(4)}, B(false)},
		{"prim.ge", format.Bool, []any{F(4), F(4)}, B(true)},
		{"prim.eq", format.Bool, []any{B(true), B(true)}, B(true)},
		{"prim.ne", format.Bool, []any{I(1), I(2)}, B(true)},
		{"prim.and", format.Bool, []any{B(true), B(false)}, B(false)},
		{"prim.or", format.Bool, []any{B(true), B(false)}, B(true)},
		{"prim.not", format.Bool, []any{B(false)}, B(true)},
		{"prim.int", format.Int64, []any{F(-2.7)}, I(-2)},
		{"prim.float", format.Float64, []any{I(3)}, F(3)},
		{"prim.bool", format.Bool, []any{F(0)}, B(false)},
		{"prim.item", format.Float64, []any{[]float32{1.5}}, F(1.5)},
		{"prim.tensor_to_bool", format.Bool, []any{[]float32{-1}}, B(true)},
		{"prim.numel", format.Int64, []any{F(2)}, I(1)},
		{"prim.dim", format.Int64, []any{F(2)}, I(0)},
	}
	for _, c := range cases {
		got, err := runPrim(t, c.op, c.out, nil, c.in...)
		if err != nil {
			t.Errorf("%s%v: %v", c.op, c.in, err)
			continue
		}
		if !equalAny(got, c.want) {
			t.Errorf("%s%v = %v, want %v", c.op, c.in, got, c.want)
		}
	}
	if _, err := runPrim(t, "prim.div", format.Int64, nil, I(1), I(0)); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("integer division by zero: %v", err)
	}
	if got, err := runPrim(t, "prim.div", format.Float64, nil, F(1), F(0)); err != nil || !math.IsInf(got.([]float64)[0], 1) {
		t.Errorf("float division by zero: %v %v", got, err)
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []int64:
		return x[0] == b.([]int64)[0]
	case []float64:
		return x[0] == b.([]float64)[0]
	case []bool:
		return x[0] == b.([]bool)[0]
	}
	return false
}

// TestPrimSize checks prim.size with a dim attribute and with a dim input.
func TestPrimSize(t *testing.T) {
	b := newMB("forward")
	x := b.arena("x", format.Float32, 2, 5, 3)
	d := b.arena("d", format.Int64)
	s1, s2 := b.arena("s1", format.Int64), b.arena("s2", format.Int64)
	b.op("prim.size", ints(x), ints(s1), format.IntAttr("dim", -2))
	b.op("prim.size", ints(x, d), ints(s2))
	b.io(ints(x, d), ints(s1, s2))
	m := loadT(t, b.encode(t))
	s := m.NewSession()
	fwd := m.Method("forward")
	for _, dim := range []int64{0, 2, -1} {
		if err := s.Run(fwd, []lite.Tensor{{Data: make([]float32, 30)}, {Data: []int64{dim}}}, nil); err != nil {
			t.Fatal(err)
		}
		want := []int64{2, 5, 3}[(dim+3)%3]
		if a, b := s.OutputInt64(fwd, 0)[0], s.OutputInt64(fwd, 1)[0]; a != 5 || b != want {
			t.Errorf("dim %d: sizes %d, %d; want 5, %d", dim, a, b, want)
		}
	}
	if err := s.Run(fwd, []lite.Tensor{{Data: make([]float32, 30)}, {Data: []int64{3}}}, nil); err == nil {
		t.Error("dim 3 of a 3-d tensor accepted")
	}
}
