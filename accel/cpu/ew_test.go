package cpu

import (
	"math"
	"testing"
)

// The elementwise functions are checked against PyTorch through the tensor
// package's golden tests; these tests check identities between them.

func TestEwPowInt(t *testing.T) {
	for a := int64(-4); a <= 4; a++ {
		for b := int64(0); b <= 9; b++ {
			want := int64(1)
			for range b {
				want *= a
			}
			if got := PowInt(a, b); got != want {
				t.Errorf("PowInt(%d, %d) = %d, want %d", a, b, got, want)
			}
			if got, want := PowInt(int8(a), int8(b)), int8(want); got != want {
				t.Errorf("PowInt[int8](%d, %d) = %d, want %d (wrapped)", a, b, got, want)
			}
		}
		for b := int64(-3); b < 0; b++ {
			want := int64(0)
			switch a {
			case 1:
				want = 1
			case -1:
				want = 1 - 2*(-b%2)
			}
			if got := PowInt(a, b); got != want {
				t.Errorf("PowInt(%d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestEwFloorDivideRemainder(t *testing.T) {
	vals := []float64{-7.5, -3, -1, -0.25, 0, 0.25, 1, 3, 7.5, 10}
	divs := []float64{-2, -0.75, 0.75, 2, 3}
	for _, a := range vals {
		for _, b := range divs {
			q, r := FloorDivideFloat(a, b), RemainderFloat(a, b)
			if q != math.Floor(a/b) {
				t.Errorf("FloorDivideFloat(%v, %v) = %v, want %v", a, b, q, math.Floor(a/b))
			}
			if math.Abs(q*b+r-a) > 1e-12 || (r != 0 && (r < 0) != (b < 0)) || math.Abs(r) >= math.Abs(b) {
				t.Errorf("%v = %v*%v + %v breaks floor division", a, q, b, r)
			}
		}
	}
	for a := int64(-9); a <= 9; a++ {
		for _, b := range []int64{-4, -3, -1, 1, 2, 5} {
			q, r := FloorDivideInt(a, b), RemainderInt(a, b)
			if want := int64(math.Floor(float64(a) / float64(b))); q != want {
				t.Errorf("FloorDivideInt(%d, %d) = %d, want %d", a, b, q, want)
			}
			if q*b+r != a || (r != 0 && (r < 0) != (b < 0)) {
				t.Errorf("%d = %d*%d + %d breaks floor division", a, q, b, r)
			}
		}
	}
	if q := FloorDivideFloat(1.0, 0); !math.IsInf(q, 1) {
		t.Errorf("1 // 0 = %v, want +Inf", q)
	}
	if r := RemainderFloat(1.0, 0); !math.IsNaN(r) {
		t.Errorf("1 %% 0 = %v, want NaN", r)
	}
}

func TestEwActivationIdentities(t *testing.T) {
	for x := -6.0; x <= 6; x += 0.125 {
		near := func(name string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
				t.Errorf("%s(%v) = %v, want %v", name, x, got, want)
			}
		}
		near("Hardswish", Hardswish(x), x*Hardsigmoid(x))
		near("SiLU", SiLU(x), x*Sigmoid(x))
		near("Softplus", Softplus(x, 1, 100), math.Log(1+math.Exp(x)))
		near("Mish", Mish(x), x*math.Tanh(Softplus(x, 1, 100)))
		near("ReLU", ReLU(x), math.Max(x, 0))
		near("Clamp", Clamp(x, -1, 2), math.Min(math.Max(x, -1), 2))
		near("LeakyReLU", LeakyReLU(x, 0.1), math.Max(x, 0)+0.1*math.Min(x, 0))
		near("ELU", ELU(x, 2), math.Max(x, 0)+2*(math.Exp(math.Min(x, 0))-1))
		if math.Abs(GELUTanh(x)-GELU(x)) > 1e-3 {
			t.Errorf("GELU tanh approximation off by %v at %v", GELUTanh(x)-GELU(x), x)
		}
	}
	if !math.IsNaN(ReLU(math.NaN())) || !math.IsNaN(Clamp(math.NaN(), 0, 1)) || Sign(math.NaN()) != 0 {
		t.Error("NaN handling of ReLU/Clamp/Sign")
	}
}
