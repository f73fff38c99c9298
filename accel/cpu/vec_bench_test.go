package cpu

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkVec times the Vec kernels on every path available here, on 4096
// elements (in cache) and 1M elements (memory). GB/s counts the bytes read
// and written; Gelem/s the elements processed. Compare paths with e.g.
//
//	go test ./accel/cpu -run '^$' -bench 'Vec/exp/' -benchtime 200ms
func BenchmarkVec(b *testing.B) {
	type op struct {
		name  string
		bytes int // bytes moved per element
		run   func(d, x, y []float32)
	}
	ops := []op{
		{"exp", 8, func(d, x, y []float32) { VecExp(d, x) }},
		{"tanh", 8, func(d, x, y []float32) { VecTanh(d, x) }},
		{"log", 8, func(d, x, y []float32) { VecLog(d, y) }},
		{"sigmoid", 8, func(d, x, y []float32) { VecSigmoid(d, x) }},
		{"silu", 8, func(d, x, y []float32) { VecSiLU(d, x) }},
		{"gelu", 8, func(d, x, y []float32) { VecGELU(d, x) }},
		{"gelutanh", 8, func(d, x, y []float32) { VecGELUTanh(d, x) }},
		{"relu", 8, func(d, x, y []float32) { VecReLU(d, x) }},
		{"add", 12, func(d, x, y []float32) { VecAdd(d, x, y) }},
		{"mul", 12, func(d, x, y []float32) { VecMul(d, x, y) }},
		{"affine", 8, func(d, x, y []float32) { VecAffine(d, x, 1.5, 0.25) }},
		{"axpy", 12, func(d, x, y []float32) { VecAxpy(0.5, x, d) }},
		{"sum", 4, func(d, x, y []float32) { VecSum(x) }},
		{"dot", 8, func(d, x, y []float32) { VecDot(x, y) }},
		{"max", 4, func(d, x, y []float32) { VecMax(x) }},
		{"softmax", 8, func(d, x, y []float32) { VecSoftmax(d, x, 1024) }},
		{"logsoftmax", 8, func(d, x, y []float32) { VecLogSoftmax(d, x, 1024) }},
	}
	rng := rand.New(rand.NewSource(1))
	for _, o := range ops {
		for _, n := range []int{4096, 1 << 20} {
			x, y, d := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 3)
				y[i] = 0.01 + rng.Float32()*100
			}
			for _, p := range VecPaths() {
				b.Run(fmt.Sprintf("%s/n=%d/%s", o.name, n, p), func(b *testing.B) {
					prev, _ := SetVecPath(p)
					defer SetVecPath(prev)
					b.SetBytes(int64(n * o.bytes))
					for b.Loop() {
						o.run(d, x, y)
					}
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(float64(n*o.bytes)/sec/1e9, "GB/s")
					b.ReportMetric(float64(n)/sec/1e9, "Gelem/s")
				})
			}
		}
	}
}
