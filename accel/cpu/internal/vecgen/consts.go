package main

import "math"

var (
	mathFloat32frombits = math.Float32frombits
	mathFloat64frombits = math.Float64frombits
)

// A constant of the kernels: its Go name (as emitted into vec_consts.go,
// empty for asm-only constants), its table name and bits.
type konst struct {
	goName string // "" for asm-only constants
	name   string
	f64    bool
	bits   uint64
	soff   int // offset in veccs<>
	roff   int // offset in veccr<>
}

var konsts []konst

func f32(goName, name string, v float32) {
	konsts = append(konsts, konst{goName: goName, name: name, bits: uint64(math.Float32bits(v))})
}

func i32(name string, v uint32) { konsts = append(konsts, konst{name: name, bits: uint64(v)}) }

func f64(goName, name string, v float64) {
	konsts = append(konsts, konst{goName: goName, name: name, f64: true, bits: math.Float64bits(v)})
}

func i64(name string, v uint64) { konsts = append(konsts, konst{name: name, f64: true, bits: v}) }

// The polynomial coefficients were fitted with Sollya's fpminimax (relative
// error; float32 or float64 coefficients) on the ranges given below; the
// max errors quoted are the approximation errors Sollya reported.
func init() {
	// exp(r) = 1 + r + r^2·(c2 + r·(c3 + ...)), |r| <= ln2/2; 2^-28.2.
	f32("vecLog2e32", "log2e", 0x1.715476p+00)
	f32("vecMagic32", "magic", 0x1.8p+23)
	f32("vecLn2Hi32", "ln2hi", 0x1.62e43p-01)
	f32("vecLn2Lo32", "ln2lo", -0x1.05c61p-29)
	f32("vecExpC2", "expc2", 0x1.fffffap-02)
	f32("vecExpC3", "expc3", 0x1.55549p-03)
	f32("vecExpC4", "expc4", 0x1.555a22p-05)
	f32("vecExpC5", "expc5", 0x1.123b08p-07)
	f32("vecExpC6", "expc6", 0x1.695428p-10)
	f32("vecExpLo32", "explo", -110)
	f32("vecExpHi32", "exphi", 89)
	// tanh(x) = x + x^3·P(x^2), |x| < 0.625; 2^-32.4.
	f32("vecTanhSmall", "tanhsmall", 0.625)
	f32("vecTanhC3", "tanhc3", -0x1.555554p-02)
	f32("vecTanhC5", "tanhc5", 0x1.11107cp-03)
	f32("vecTanhC7", "tanhc7", -0x1.b9f218p-05)
	f32("vecTanhC9", "tanhc9", 0x1.63ac7p-06)
	f32("vecTanhC11", "tanhc11", -0x1.0c84eep-07)
	f32("vecTanhC13", "tanhc13", 0x1.1abac8p-09)
	// log(1+f) = f + f^2·P(f), f in [sqrt(1/2)-1, sqrt(2)-1]; 2^-27.8.
	f32("vecLogC2", "logc2", -0x1.fffff8p-02)
	f32("vecLogC3", "logc3", 0x1.55555p-02)
	f32("vecLogC4", "logc4", -0x1.000432p-02)
	f32("vecLogC5", "logc5", 0x1.99a41ap-03)
	f32("vecLogC6", "logc6", -0x1.5425c4p-03)
	f32("vecLogC7", "logc7", 0x1.226dfcp-03)
	f32("vecLogC8", "logc8", -0x1.0f3fa6p-03)
	f32("vecLogC9", "logc9", 0x1.0860cep-03)
	f32("vecLogC10", "logc10", -0x1.38472ap-04)
	// float64 exp for x <= 0, same form, degree 7; 2^-34.1.
	f64("vecLog2e64", "log2e64", 0x1.71547652b82fep+00)
	f64("vecMagic64", "magic64", 0x1.8p+52)
	f64("vecLn2Hi64", "ln2hi64", 0x1.62e42fefa39efp-01)
	f64("vecLn2Lo64", "ln2lo64", 0x1.abc9e3b39803fp-56)
	f64("vecExp64C2", "exp64c2", 0x1.0000003b10359p-01)
	f64("vecExp64C3", "exp64c3", 0x1.5555543eb5c5ap-03)
	f64("vecExp64C4", "exp64c4", 0x1.55548ba29fbacp-05)
	f64("vecExp64C5", "exp64c5", 0x1.111274984e08bp-07)
	f64("vecExp64C6", "exp64c6", 0x1.6d8f0862a134fp-10)
	f64("vecExp64C7", "exp64c7", 0x1.9f070045b7ccp-13)
	f64("vecExp64Lo", "exp64lo", -1000)
	// GELU: Phi(-u) = exp(-u^2/2)·t·S(t), t = 4/(4+u), S of degree 12 on
	// t in [4/18.6, 1] (u <= 14.6, beyond which the result is 0 or x); 2^-35.6.
	f64("vecGeluK", "geluk", 4)
	for i, c := range []float64{
		0x1.98859c5018f81p-04, 0x1.985ed956892d5p-04, 0x1.80e7985f6916bp-04,
		0x1.3ceeb5e3e8e04p-04, 0x1.51adf008a7c8ep-04, -0x1.9d4c65573156bp-06,
		0x1.9ad97291ac9bdp-03, -0x1.4a928cd6ab03ap-02, 0x1.bb7913d6c704fp-02,
		-0x1.9916f087d0d81p-02, 0x1.b8a856de8c60fp-03, -0x1.fc276b736c27ep-05,
		0x1.ebc2e5a9e3389p-08,
	} {
		f64(sprintf("vecGeluS%d", i), sprintf("gelus%d", i), c)
	}
	// the same coefficients from the highest degree down (NEON streams them)
	for i := 12; i >= 0; i-- {
		f64("", sprintf("gelur%d", 12-i), mathFloat64frombits(lookup(sprintf("gelus%d", i)).bits))
	}
	// tanh form: 0.5·x·(1+tanh(y)) = x·sigmoid(2y), 2y = x·(A + B·x^2).
	f64("vecGeluTA", "gelua", 2*math.Sqrt(2/math.Pi))
	f64("vecGeluTB", "gelub", 2*math.Sqrt(2/math.Pi)*0.044715)

	// asm-only constants
	f32("", "one", 1)
	f32("", "zero", 0)
	f64("", "zero64", 0)
	i32("keyneginf", 0x807fffff) // vecMaxKey(-Inf)
	f32("", "two", 2)
	f32("", "minus1", -1)
	f32("", "p2to23", 0x1p23)
	f32("", "inf", float32(math.Inf(1)))
	f32("", "neginf", float32(math.Inf(-1)))
	i32("nan", 0x7fc00000)
	i32("abs", 0x7fffffff)
	i32("sign", 0x80000000)
	i32("i127", 127)
	i32("im23", uint32(0xffffffe9)) // -23
	i32("minnorm", 0x00800000)
	i32("sqrthalf", 0x3f3504f3)
	i32("mant", 0x007fffff)
	f64("", "one64", 1)
	f64("", "mhalf64", -0.5)
	i64("abs64", 0x7fffffffffffffff)
	i64("sign64", 0x8000000000000000)
	i64("i1023", 1023|1023<<32)
}
