package lite_test

import (
	"math"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// controlNet builds a method with a loop and an if:
//
//	acc = x; for i := 0; i < n; i++ { acc = acc * 2 }
//	if n > 3 { y = relu(acc) } else { y = -acc }
//
// and a second method computing the n-th Fibonacci number with a loop
// whose carried values swap (a parallel move).
func controlNet(t testing.TB) []byte {
	b := newMB("forward")
	x := b.arena("x", format.Float32, 4)
	n := b.arena("n", format.Int64)
	zero, one, three := b.i64("zero", 0), b.i64("one", 1), b.i64("three", 3)
	i := b.arena("i", format.Int64)
	acc := b.arena("acc", format.Float32, 4)
	acc2 := b.arena("acc2", format.Float32, 4)
	i2 := b.arena("i2", format.Int64)
	cond := b.arena("cond", format.Bool)
	flag := b.arena("flag", format.Bool)
	y := b.arena("y", format.Float32, 4)
	b.instr(format.InstrMove, ints(zero, x), ints(i, acc), 0)
	head := b.pc()
	b.op("prim.lt", ints(i, n), ints(cond))
	exit := b.instr(format.InstrJumpIfFalse, ints(cond), nil, -1)
	b.op("mul_scalar", ints(acc), ints(acc2), format.FloatAttr("s", 2))
	b.op("prim.add", ints(i, one), ints(i2))
	b.instr(format.InstrMove, ints(acc2, i2), ints(acc, i), 0)
	b.instr(format.InstrJump, nil, nil, head)
	b.meth.Instructions[exit].Target = b.pc()
	b.op("prim.gt", ints(n, three), ints(flag))
	els := b.instr(format.InstrJumpIfFalse, ints(flag), nil, -1)
	b.op("relu", ints(acc), ints(y))
	end := b.instr(format.InstrJump, nil, nil, -1)
	b.meth.Instructions[els].Target = b.pc()
	b.op("mul_scalar", ints(acc), ints(y), format.FloatAttr("s", -1))
	b.meth.Instructions[end].Target = b.pc()
	b.io(ints(x, n), ints(y))

	// fib(n): a, b = 0, 1; repeat n times: a, b = b, a+b; return a.
	b.m.Methods = append(b.m.Methods, format.Method{Name: "fib"})
	b.meth = &b.m.Methods[1]
	fn := b.arena("n", format.Int64)
	fzero, fone := b.konst("zero", format.Int64, format.Int64Bytes([]int64{0}))+0, b.konst("one", format.Int64, format.Int64Bytes([]int64{1}))
	f0, f1 := b.f32("f0", []float32{0}, 1), b.f32("f1", []float32{1}, 1)
	fi := b.arena("i", format.Int64)
	fa := b.arena("a", format.Float32, 1)
	fb := b.arena("b", format.Float32, 1)
	ft := b.arena("t", format.Float32, 1)
	fi2 := b.arena("i2", format.Int64)
	fc := b.arena("c", format.Bool)
	b.instr(format.InstrMove, ints(fzero, f0, f1), ints(fi, fa, fb), 0)
	fhead := b.pc()
	b.op("prim.lt", ints(fi, fn), ints(fc))
	fexit := b.instr(format.InstrJumpIfFalse, ints(fc), nil, -1)
	b.op("add", ints(fa, fb), ints(ft))
	b.op("prim.add", ints(fi, fone), ints(fi2))
	b.instr(format.InstrMove, ints(fb, ft, fi2), ints(fa, fb, fi), 0) // a, b, i = b, t, i2
	b.instr(format.InstrJump, nil, nil, fhead)
	b.meth.Instructions[fexit].Target = b.pc()
	b.io(ints(fn), ints(fa))
	return b.encode(t)
}

func TestControlFlow(t *testing.T) {
	m := loadT(t, controlNet(t))
	s := m.NewSession()
	fwd := m.Method("forward")
	x := []float32{1, -2, 3, -4}
	for _, n := range []int64{0, 1, 2, 3, 4, 5} {
		y := make([]float32, 4)
		nn := []int64{n}
		if err := s.Run(fwd, []lite.Tensor{{Name: "n", Data: nn}, {Name: "x", Data: x}}, []lite.Tensor{{Data: y}}); err != nil {
			t.Fatal(err)
		}
		scale := float32(math.Pow(2, float64(n)))
		for j, v := range x {
			want := -v * scale
			if n > 3 {
				want = max(v*scale, 0)
			}
			if y[j] != want {
				t.Errorf("n=%d: y = %v at %d, want %v", n, y[j], j, want)
			}
		}
	}
	fib := m.Method("fib")
	a, b := 0.0, 1.0
	for n := range int64(20) {
		if err := s.Run(fib, []lite.Tensor{{Data: []int64{n}}}, nil); err != nil {
			t.Fatal(err)
		}
		if got := s.OutputFloat32(fib, 0)[0]; float64(got) != a {
			t.Errorf("fib(%d) = %v, want %v", n, got, a)
		}
		a, b = b, a+b
	}
	// A loop that never ends is stopped by MaxJumps.
	m2, err := lite.LoadBytesOptions(controlNet(t), lite.Options{MaxJumps: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.NewSession().Run(m2.Method("fib"), []lite.Tensor{{Data: []int64{1000}}}, nil); err == nil {
		t.Error("1000 iterations ran within 100 jumps")
	}
}

func TestControlFlowAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	m := loadT(t, controlNet(t))
	s := m.NewSession()
	fwd := m.Method("forward")
	x, n, y := []float32{1, -2, 3, -4}, []int64{5}, make([]float32, 4)
	in, out := []lite.Tensor{{Data: x}, {Data: n}}, []lite.Tensor{{Data: y}}
	if err := s.Run(fwd, in, out); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { s.Run(fwd, in, out) }); a != 0 {
		t.Errorf("%v allocations per run", a)
	}
}
