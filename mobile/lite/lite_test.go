package lite_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/tensor"
)

// convNet is the small conv net of the tests: conv(3->8, 3x3, pad 1) ->
// relu -> max_pool(2) -> flatten -> linear(512->10), fused or not, with its
// weights, and the same computation done eagerly by package tensor.
type convNet struct {
	w1, b1, w2, b2 []float32
}

func newConvNet(seed uint64) *convNet {
	r := rand.New(rand.NewPCG(seed, 1))
	return &convNet{w1: randn(r, 8*3*3*3, 0.3), b1: randn(r, 8, 0.1), w2: randn(r, 10*512, 0.05), b2: randn(r, 10, 0.1)}
}

func (n *convNet) file(t testing.TB, fused, test bool) []byte {
	b := newMB("forward")
	x := b.arena("x", format.Float32, 1, 3, 16, 16)
	w1 := b.f32("w1", n.w1, 8, 3, 3, 3)
	b1 := b.f32("b1", n.b1, 8)
	w2 := b.f32("w2", n.w2, 10, 512)
	b2 := b.f32("b2", n.b2, 10)
	c := b.arena("c", format.Float32, 1, 8, 16, 16)
	pool := b.arena("p", format.Float32, 1, 8, 8, 8)
	flat := b.arena("f", format.Float32, 1, 512)
	y := b.arena("y", format.Float32, 1, 10)
	conv := []format.Attr{format.IntsAttr("stride", 1, 1), format.IntsAttr("padding", 1, 1),
		format.StringAttr("padding_mode", ""), format.IntsAttr("dilation", 1, 1), format.IntAttr("groups", 1)}
	if fused {
		b.op("conv2d_act", ints(x, w1, b1), ints(c), append(conv, format.StringAttr("act", "relu"))...)
	} else {
		r := b.arena("r", format.Float32, 1, 8, 16, 16)
		b.op("conv2d", ints(x, w1, b1), ints(r), conv...)
		b.op("relu", ints(r), ints(c))
	}
	b.op("max_pool2d", ints(c), ints(pool), format.IntsAttr("kernel_size", 2), format.NoneAttr("stride"),
		format.IntsAttr("padding", 0), format.IntsAttr("dilation", 1), format.BoolAttr("ceil_mode", false))
	b.op("flatten", ints(pool), ints(flat), format.IntAttr("start", 1), format.IntAttr("end", -1))
	b.op("linear", ints(flat, w2, b2), ints(y))
	b.io(ints(x), ints(y))
	if test {
		in := randn(rand.New(rand.NewPCG(7, 7)), 3*256, 1)
		want := n.eager(in)
		ci := b.m.AddConstant(format.Constant{Name: "test_x", DType: format.Float32, Shape: []int{1, 3, 16, 16}, Data: format.Float32Bytes(in)})
		co := b.m.AddConstant(format.Constant{Name: "test_y", DType: format.Float32, Shape: []int{1, 10}, Data: format.Float32Bytes(want)})
		b.m.Tests = []format.TestCase{{Method: "forward", Inputs: ints(ci), Expected: ints(co), Tolerance: 1e-6}}
	}
	return b.encode(t)
}

func (n *convNet) eager(x []float32) []float32 {
	xt := tensor.FromSlice(x, 1, 3, 16, 16)
	h := tensor.Conv2d(xt, tensor.FromSlice(n.w1, 8, 3, 3, 3), tensor.FromSlice(n.b1, 8), tensor.Conv2dOptions{Padding: []int{1}}).ReLU()
	h = tensor.MaxPool2d(h, tensor.MaxPool2dOptions{KernelSize: []int{2}}).Flatten(1, -1)
	y := tensor.Linear(h, tensor.FromSlice(n.w2, 10, 512), tensor.FromSlice(n.b2, 10))
	return y.ToFloat32s()
}

func loadT(t testing.TB, b []byte) *lite.Model {
	t.Helper()
	m, err := lite.LoadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestConvNetMatchesEager(t *testing.T) {
	n := newConvNet(1)
	for _, fused := range []bool{false, true} {
		m := loadT(t, n.file(t, fused, false))
		s := m.NewSession()
		fwd := m.Method("forward")
		r := rand.New(rand.NewPCG(3, 4))
		for range 3 {
			x := randn(r, 3*256, 1)
			y := make([]float32, 10)
			if err := s.Run(fwd, []lite.Tensor{{Name: "x", Data: x}}, []lite.Tensor{{Data: y}}); err != nil {
				t.Fatal(err)
			}
			want := n.eager(x)
			if !sameBits(y, want) {
				t.Errorf("fused=%v: lite %v\neager %v", fused, y, want)
			}
			if v := s.OutputFloat32(fwd, 0); !slices.Equal(v, y) {
				t.Errorf("view %v, copy %v", v, y)
			}
		}
	}
}
