package cpu

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestVecFMA compares VecFMA with a·b+c computed exactly (math/big) and
// rounded once to float32, on random operands and on ones built to hit
// float32 ties and the subnormal range, where a float64 sum rounded again
// would be wrong.
func TestVecFMA(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 4096
	a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		switch i % 4 {
		case 0:
			a[i], b[i], c[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
		case 1: // tie: c = 1, a·b = 2^-24 + 2^-48 style
			a[i], b[i], c[i] = 1+float32(math.Ldexp(1, -12)), float32(math.Ldexp(1, -12)), 1
		case 2: // subnormal results
			a[i], b[i], c[i] = float32(r.NormFloat64())*1e-20, float32(r.NormFloat64())*1e-20, float32(r.NormFloat64())*1e-39
		case 3:
			a[i], b[i], c[i] = float32(r.Float64()), 1<<24+float32(r.IntN(16)), -float32(r.IntN(1<<24))
		}
	}
	dst := make([]float32, n)
	VecFMA(dst, a, b, c)
	for i := range dst {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a[i]))
		x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b[i])))
		x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c[i])))
		want, _ := x.Float32()
		if math.Float32bits(dst[i]) != math.Float32bits(want) {
			t.Fatalf("VecFMA(%g, %g, %g) = %g, want %g", a[i], b[i], c[i], dst[i], want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("short operands did not panic")
		}
	}()
	VecFMA(dst, a[:1], b, c)
}
