package functional_test

import (
	"fmt"
	"math"
	"testing"

	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// ceReference is cross entropy with class-index targets written
// independently of the fused op: the targets become a matrix B of the
// input's shape, B[c] = (1-ε)·w[t]·[c=t] + ε·w[c]/C on rows that are not
// ignored, the loss -Σ log_softmax(x)·B (via the class-probability path,
// made of plain tensor ops) divided by Σ w[t] for the mean.
func ceReference(x *tensor.Tensor, target []int64, w []float64, eps float64, red string) *tensor.Tensor {
	shape := x.Shape()
	c := shape[1]
	inner := 1
	for _, d := range shape[2:] {
		inner *= d
	}
	b := make([]float64, x.Numel())
	var denom float64
	for i, t := range target {
		if t == -100 {
			continue
		}
		n, k := i/inner, i%inner
		wt := 1.0
		if w != nil {
			wt = w[t]
		}
		denom += wt
		for j := range c {
			wj := 1.0
			if w != nil {
				wj = w[j]
			}
			v := eps * wj / float64(c)
			if int64(j) == t {
				v += (1 - eps) * wt
			}
			b[(n*c+j)*inner+k] = v
		}
	}
	bt := tensor.FromSlice(b).Reshape(shape...)
	switch red {
	case "none":
		return F.CrossEntropy(x, bt, F.CrossEntropyOptions{Reduction: "none"})
	case "sum":
		return F.CrossEntropy(x, bt, F.CrossEntropyOptions{Reduction: "sum"})
	}
	return F.CrossEntropy(x, bt, F.CrossEntropyOptions{Reduction: "sum"}).DivScalar(denom)
}

// TestCrossEntropyFusedLarge runs the fused op on inputs large enough to
// be split across threads, in float32 (the vectorised path) and float64,
// against ceReference in float64.
func TestCrossEntropyFusedLarge(t *testing.T) {
	gen := tensor.NewGenerator(3)
	for _, shape := range [][]int{{64, 700}, {4, 40, 16, 16}} {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			for _, red := range []string{"mean", "sum", "none"} {
				t.Run(fmt.Sprintf("%v/%v/%s", shape, dt, red), func(t *testing.T) {
					c := shape[1]
					tshape := append([]int{shape[0]}, shape[2:]...)
					tg := gen.RandInt(0, int64(c), tshape...)
					td := tg.ToInt64s()
					for i := 0; i < len(td); i += 7 {
						td[i] = -100
					}
					tg = tensor.FromSlice(td).Reshape(tshape...)
					w := gen.Rand(c).AddScalar(0.1).ToFloat64s()
					x := gen.Randn(shape...).MulScalar(4).To(dt).SetRequiresGrad(true)
					x64 := x.Detach().Double().SetRequiresGrad(true)
					got := F.CrossEntropy(x, tg, F.CrossEntropyOptions{Weight: tensor.FromSlice(w), LabelSmoothing: 0.1, Reduction: red})
					want := ceReference(x64, td, w, 0.1, red)
					rtol, atol := 1e-5, 1e-6
					if dt == tensor.Float64 {
						rtol, atol = 1e-11, 1e-12
					}
					if !tensor.AllClose(got.Double(), want, rtol, atol) {
						t.Fatalf("loss differs from the reference (max |diff| %v)", got.Double().Sub(want).Abs().Max().Item())
					}
					g := gen.Randn(got.Shape()...)
					got.Mul(g.To(dt)).Sum().Backward()
					want.Mul(g.Double()).Sum().Backward()
					if !tensor.AllClose(x.Grad().Double(), x64.Grad(), rtol, atol) {
						t.Fatalf("gradient differs from the reference (max |diff| %v)", x.Grad().Double().Sub(x64.Grad()).Abs().Max().Item())
					}
				})
			}
		}
	}
}

// TestCrossEntropyNonFinite checks that NaN and infinite logits give NaN
// as PyTorch's log_softmax does, except in ignored rows.
func TestCrossEntropyNonFinite(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := tensor.FromSlice([]float64{
			1, math.NaN(), 0,
			math.Inf(1), 0, 0,
			math.Inf(-1), math.Inf(-1), math.Inf(-1),
			math.NaN(), 1, 2,
			math.Inf(-1), 1, 2,
		}, 5, 3).To(dt)
		l := F.CrossEntropy(x, tensor.FromSlice([]int64{0, 1, 2, -100, 1}), F.CrossEntropyOptions{Reduction: "none"}).ToFloat64s()
		for i := range 3 {
			if !math.IsNaN(l[i]) {
				t.Errorf("%v: loss of row %d = %v, want NaN", dt, i, l[i])
			}
		}
		if l[3] != 0 {
			t.Errorf("%v: ignored row with NaN: loss %v, want 0", dt, l[3])
		}
		want := math.Log(math.E+math.E*math.E) - 1
		if math.Abs(l[4]-want) > 1e-6 {
			t.Errorf("%v: row with -Inf: loss %v, want %v", dt, l[4], want)
		}
	}
}

// BenchmarkCrossEntropy times forward and backward of the fused op and of
// the composition log_softmax → gather → mean it replaces.
func BenchmarkCrossEntropy(b *testing.B) {
	for _, s := range [][2]int{{64, 10}, {256, 1000}, {128, 32000}} {
		n, c := s[0], s[1]
		gen := tensor.NewGenerator(1)
		x := gen.Randn(n, c).SetRequiresGrad(true)
		tg := gen.RandInt(0, int64(c), n)
		b.Run(fmt.Sprintf("fused/%dx%d", n, c), func(b *testing.B) {
			for b.Loop() {
				F.CrossEntropy(x, tg).Backward()
				x.ZeroGrad()
			}
		})
		b.Run(fmt.Sprintf("composed/%dx%d", n, c), func(b *testing.B) {
			for b.Loop() {
				x.LogSoftmax(1).Gather(1, tg.Unsqueeze(1)).Neg().Mean().Backward()
				x.ZeroGrad()
			}
		})
	}
}
