package nninit

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// initPanic panics with a message that starts with the function's name.
func initPanic(op, format string, args ...any) {
	panic(op + ": " + fmt.Sprintf(format, args...))
}

// initGen resolves a nil generator to the default one.
func initGen(g *tensor.Generator) *tensor.Generator {
	if g == nil {
		return tensor.DefaultGenerator()
	}
	return g
}

// initCheck panics for a nil tensor and, when float is set, for one that is
// not floating point.
func initCheck(op string, t *tensor.Tensor, float bool) {
	if t == nil {
		initPanic(op, "tensor is nil")
	}
	if float && !t.DType().IsFloat() {
		initPanic(op, "tensor of shape %v has dtype %v; random initialisation needs a floating-point tensor", t.Shape(), t.DType())
	}
}

// initCopy writes src (any dtype, t's shape or broadcastable to it) into t
// with gradient recording off.
func initCopy(t, src *tensor.Tensor) *tensor.Tensor {
	restore := tensor.SetGradEnabled(false)
	defer restore()
	t.Copy_(src)
	return t
}

// initWide reports whether t needs values drawn in float64: it is float64
// while the default dtype (in which the generator's tensor functions draw)
// is narrower.
func initWide(t *tensor.Tensor) bool {
	return t.DType() == tensor.Float64 && tensor.DefaultDType() != tensor.Float64
}

// initUniform returns values uniform in [lo, hi) for t, in t's shape.
func initUniform(g *tensor.Generator, t *tensor.Tensor, lo, hi float64) *tensor.Tensor {
	if !initWide(t) {
		return g.Uniform(lo, hi, t.Shape()...)
	}
	v := make([]float64, t.Numel())
	for i := range v {
		v[i] = lo + (hi-lo)*g.Float64()
	}
	return tensor.FromSlice(v).Reshape(t.Shape()...)
}

// initNormal returns values from N(mean, std²) for t, in t's shape.
func initNormal(g *tensor.Generator, t *tensor.Tensor, mean, std float64) *tensor.Tensor {
	if !initWide(t) {
		return g.Normal(mean, std, t.Shape()...)
	}
	v := make([]float64, t.Numel())
	for i := 0; i < len(v); i += 2 {
		// Box-Muller: two normals from two uniforms (1-u is in (0, 1]).
		r := math.Sqrt(-2 * math.Log(1-g.Float64()))
		s, c := math.Sincos(2 * math.Pi * g.Float64())
		v[i] = mean + std*r*c
		if i+1 < len(v) {
			v[i+1] = mean + std*r*s
		}
	}
	return tensor.FromSlice(v).Reshape(t.Shape()...)
}

// Uniform_ fills t with values uniform in [a, b), as torch.nn.init.uniform_
// (PyTorch's defaults are a = 0, b = 1).
func Uniform_(t *tensor.Tensor, a, b float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "uniform_"
	initCheck(op, t, true)
	if !(a <= b) {
		initPanic(op, "expects a <= b, got a=%v, b=%v", a, b)
	}
	if t.Numel() == 0 {
		return t
	}
	return initCopy(t, initUniform(initGen(gen), t, a, b))
}

// Normal_ fills t with values from N(mean, std²), as torch.nn.init.normal_
// (PyTorch's defaults are mean = 0, std = 1).
func Normal_(t *tensor.Tensor, mean, std float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "normal_"
	initCheck(op, t, true)
	if !(std >= 0) {
		initPanic(op, "expects std >= 0, got %v", std)
	}
	if t.Numel() == 0 {
		return t
	}
	return initCopy(t, initNormal(initGen(gen), t, mean, std))
}

// TruncNormal_ fills t with values from N(mean, std²) truncated to [a, b],
// as torch.nn.init.trunc_normal_ (PyTorch's defaults are mean 0, std 1,
// a = -2, b = 2; a and b are absolute bounds, not multiples of std). Like
// PyTorch it maps uniform values through the normal's inverse CDF, so
// every draw lands in the interval.
func TruncNormal_(t *tensor.Tensor, mean, std, a, b float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "trunc_normal_"
	initCheck(op, t, true)
	if !(std > 0) || !(a < b) {
		initPanic(op, "expects std > 0 and a < b, got std=%v, a=%v, b=%v", std, a, b)
	}
	if t.Numel() == 0 {
		return t
	}
	cdf := func(x float64) float64 { return (1 + math.Erf(x/math.Sqrt2)) / 2 }
	l, u := cdf((a-mean)/std), cdf((b-mean)/std)
	g := initGen(gen)
	v := make([]float64, t.Numel())
	for i := range v {
		p := 2*l - 1 + (2*u-2*l)*g.Float64()
		x := mean + std*math.Sqrt2*math.Erfinv(p)
		v[i] = math.Min(math.Max(x, a), b)
	}
	return initCopy(t, tensor.FromSlice(v).Reshape(t.Shape()...))
}

// Constant_ fills t with val, as torch.nn.init.constant_.
func Constant_(t *tensor.Tensor, val float64) *tensor.Tensor {
	initCheck("constant_", t, false)
	restore := tensor.SetGradEnabled(false)
	defer restore()
	return t.Fill_(val)
}

// Zeros_ fills t with zeros, as torch.nn.init.zeros_.
func Zeros_(t *tensor.Tensor) *tensor.Tensor { return Constant_(t, 0) }

// Ones_ fills t with ones, as torch.nn.init.ones_.
func Ones_(t *tensor.Tensor) *tensor.Tensor { return Constant_(t, 1) }

// Eye_ fills the 2-D tensor t with the identity matrix (ones on the main
// diagonal of a possibly rectangular matrix), as torch.nn.init.eye_, which
// keeps the identity of the inputs in a Linear layer.
func Eye_(t *tensor.Tensor) *tensor.Tensor {
	const op = "eye_"
	initCheck(op, t, false)
	if t.Dim() != 2 {
		initPanic(op, "only tensors with 2 dimensions are supported, got shape %v", t.Shape())
	}
	return initCopy(t, tensor.Eye(t.Size(0), t.Size(1)))
}

// Dirac_ fills the 3-, 4- or 5-D convolution weight t with the Dirac delta
// (identity convolution), as torch.nn.init.dirac_: in each of groups
// groups, output channel d gets a one at the centre of input channel d.
// groups of 0 means 1.
func Dirac_(t *tensor.Tensor, groups int) *tensor.Tensor {
	const op = "dirac_"
	initCheck(op, t, false)
	if groups == 0 {
		groups = 1
	}
	shape := t.Shape()
	if len(shape) < 3 || len(shape) > 5 {
		initPanic(op, "only tensors with 3, 4, or 5 dimensions are supported, got shape %v", shape)
	}
	if groups < 0 || shape[0]%groups != 0 {
		initPanic(op, "dimension 0 of shape %v should be divisible by groups=%d", shape, groups)
	}
	perGroup := shape[0] / groups
	minDim := min(perGroup, shape[1])
	v := make([]float64, t.Numel())
	strides := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = s
		s *= shape[i]
	}
	for g := range groups {
		for d := range minDim {
			off := (g*perGroup+d)*strides[0] + d*strides[1]
			for k := 2; k < len(shape); k++ {
				off += shape[k] / 2 * strides[k]
			}
			v[off] = 1
		}
	}
	return initCopy(t, tensor.FromSlice(v).Reshape(shape...))
}

// CalculateGain returns the recommended gain for a nonlinearity, as
// torch.nn.init.calculate_gain: 1 for "linear", the convolutions
// ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
// "conv_transpose3d") and "sigmoid"; 5/3 for "tanh"; √2 for "relu";
// √(2/(1+slope²)) for "leaky_relu", whose negative slope is param
// (PyTorch's default 0.01 without one); 3/4 for "selu". An unknown name
// panics.
func CalculateGain(nonlinearity string, param ...float64) float64 {
	switch nonlinearity {
	case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid":
		return 1
	case "tanh":
		return 5.0 / 3
	case "relu":
		return math.Sqrt(2)
	case "leaky_relu":
		slope := 0.01
		if len(param) > 0 {
			slope = param[0]
		}
		return math.Sqrt(2 / (1 + slope*slope))
	case "selu":
		return 3.0 / 4
	}
	initPanic("calculate_gain", "unsupported nonlinearity %q", nonlinearity)
	return 0
}

// FanInAndFanOut returns the fans of a weight tensor as PyTorch computes
// them (torch.nn.init._calculate_fan_in_and_fan_out): for shape
// [out, in, k1, k2, ...], fanIn = in·k1·k2·... and fanOut = out·k1·k2·...
// A Linear weight [out, in] has fanIn = in. It panics for fewer than 2
// dimensions.
func FanInAndFanOut(t *tensor.Tensor) (fanIn, fanOut int) {
	if t == nil {
		initPanic("fan_in_and_fan_out", "tensor is nil")
	}
	return initFans("fan_in_and_fan_out", t.Shape())
}

func initFans(op string, shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		initPanic(op, "fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape %v)", shape)
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// XavierUniform_ fills t from U(-b, b) with b = gain·√(6/(fanIn+fanOut)),
// as torch.nn.init.xavier_uniform_ (Glorot and Bengio, 2010). PyTorch's
// default gain is 1.
func XavierUniform_(t *tensor.Tensor, gain float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "xavier_uniform_"
	initCheck(op, t, true)
	fi, fo := initFans(op, t.Shape())
	if t.Numel() == 0 {
		return t
	}
	b := math.Sqrt(3) * gain * math.Sqrt(2/float64(fi+fo))
	return initCopy(t, initUniform(initGen(gen), t, -b, b))
}

// XavierNormal_ fills t from N(0, std²) with std = gain·√(2/(fanIn+fanOut)),
// as torch.nn.init.xavier_normal_. PyTorch's default gain is 1.
func XavierNormal_(t *tensor.Tensor, gain float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "xavier_normal_"
	initCheck(op, t, true)
	fi, fo := initFans(op, t.Shape())
	if t.Numel() == 0 {
		return t
	}
	return initCopy(t, initNormal(initGen(gen), t, 0, gain*math.Sqrt(2/float64(fi+fo))))
}

// KaimingOptions tune KaimingUniform_ and KaimingNormal_; the zero value is
// PyTorch's defaults (a = 0, mode "fan_in", nonlinearity "leaky_relu",
// which with a = 0 is ReLU's gain √2).
type KaimingOptions struct {
	// A is the negative slope of the rectifier after this layer (only
	// used with "leaky_relu").
	A float64
	// Mode is "fan_in" (also "") to preserve the variance of the forward
	// pass, or "fan_out" for the backward pass.
	Mode string
	// Nonlinearity is a name CalculateGain takes; "" means "leaky_relu".
	Nonlinearity string
}

// kaimingStd is gain/√fan for the options.
func kaimingStd(op string, t *tensor.Tensor, o KaimingOptions) float64 {
	fi, fo := initFans(op, t.Shape())
	fan := fi
	switch o.Mode {
	case "", "fan_in":
	case "fan_out":
		fan = fo
	default:
		initPanic(op, "mode %q not supported, please use one of fan_in, fan_out", o.Mode)
	}
	nl := o.Nonlinearity
	if nl == "" {
		nl = "leaky_relu"
	}
	return CalculateGain(nl, o.A) / math.Sqrt(float64(fan))
}

// KaimingUniform_ fills t from U(-b, b) with b = gain·√(3/fan), as
// torch.nn.init.kaiming_uniform_ (He et al., 2015). Ember's Linear and Conv
// layers use it with A = √5, which makes b = 1/√fanIn.
func KaimingUniform_(t *tensor.Tensor, o KaimingOptions, gen *tensor.Generator) *tensor.Tensor {
	const op = "kaiming_uniform_"
	initCheck(op, t, true)
	if t.Numel() == 0 {
		return t
	}
	b := math.Sqrt(3) * kaimingStd(op, t, o)
	return initCopy(t, initUniform(initGen(gen), t, -b, b))
}

// KaimingNormal_ fills t from N(0, std²) with std = gain/√fan, as
// torch.nn.init.kaiming_normal_.
func KaimingNormal_(t *tensor.Tensor, o KaimingOptions, gen *tensor.Generator) *tensor.Tensor {
	const op = "kaiming_normal_"
	initCheck(op, t, true)
	if t.Numel() == 0 {
		return t
	}
	return initCopy(t, initNormal(initGen(gen), t, 0, kaimingStd(op, t, o)))
}

// Orthogonal_ fills t with a (semi-)orthogonal matrix times gain, as
// torch.nn.init.orthogonal_ (Saxe et al., 2013): t is viewed as
// [size(0), rest] and gets the Q factor of the QR decomposition of a
// standard normal matrix, its columns' signs fixed so that R has a positive
// diagonal, which makes Q uniformly distributed. Rows are orthonormal when
// there are fewer rows than columns, columns otherwise. PyTorch's default
// gain is 1. The decomposition runs in float64 (Householder reflections),
// O(rows·cols·min(rows, cols)).
func Orthogonal_(t *tensor.Tensor, gain float64, gen *tensor.Generator) *tensor.Tensor {
	const op = "orthogonal_"
	initCheck(op, t, true)
	if t.Dim() < 2 {
		initPanic(op, "only tensors with 2 or more dimensions are supported, got shape %v", t.Shape())
	}
	if t.Numel() == 0 {
		return t
	}
	rows := t.Size(0)
	cols := t.Numel() / rows
	m, n := rows, cols
	if rows < cols {
		m, n = cols, rows
	}
	// The normal matrix is drawn as [rows, cols] and transposed when wide,
	// as PyTorch does; the QR works on the m×n matrix column by column.
	g := initNormal(initGen(gen), tensor.Empty(tensor.Float64, rows, cols), 0, 1).ToFloat64s()
	a := g // wide: the columns of gᵀ are the rows of g
	if rows >= cols {
		a = make([]float64, m*n)
		for i := range rows {
			for j := range cols {
				a[j*m+i] = g[i*cols+j]
			}
		}
	}
	q := initQR(a, m, n)
	out := q // wide: Qᵀ, whose rows are Q's columns
	if rows >= cols {
		out = make([]float64, rows*cols)
		for i := range m {
			for j := range n {
				out[i*cols+j] = q[j*m+i]
			}
		}
	}
	for i := range out {
		out[i] *= gain
	}
	return initCopy(t, tensor.FromSlice(out).Reshape(t.Shape()...))
}

// initQR returns the factor Q (m×n) of the reduced QR decomposition of the
// m×n matrix a (m ≥ n), both stored column by column (a is overwritten),
// with signs chosen so that R's diagonal is positive.
func initQR(a []float64, m, n int) []float64 {
	col := func(x []float64, j, from int) []float64 { return x[j*m+from : (j+1)*m] }
	// reflect applies I - 2vvᵀ to the tail x of a column.
	reflect := func(v, x []float64) {
		var d float64
		for i, vi := range v {
			d += vi * x[i]
		}
		d *= 2
		for i, vi := range v {
			x[i] -= d * vi
		}
	}
	vs := make([][]float64, n)
	sign := make([]float64, n)
	for k := range n {
		// Householder vector mapping column k's tail to alpha·e1.
		x := col(a, k, k)
		var norm float64
		for _, xi := range x {
			norm += xi * xi
		}
		norm = math.Sqrt(norm)
		sign[k] = 1
		if norm == 0 {
			continue
		}
		alpha := -norm
		if x[0] < 0 {
			alpha = norm
		}
		if alpha < 0 { // R[k][k] = alpha; its sign is fixed below
			sign[k] = -1
		}
		v := append([]float64(nil), x...)
		v[0] -= alpha
		var vn float64
		for _, vi := range v {
			vn += vi * vi
		}
		if vn == 0 {
			continue
		}
		vn = math.Sqrt(vn)
		for i := range v {
			v[i] /= vn
		}
		vs[k] = v
		for j := k; j < n; j++ {
			reflect(v, col(a, j, k))
		}
	}
	// Q = H0 H1 ... H(n-1) applied to the first n columns of the identity,
	// then Q·diag(sign(R)) so that R's diagonal is positive.
	q := make([]float64, m*n)
	for j := range n {
		q[j*m+j] = 1
	}
	for k := n - 1; k >= 0; k-- {
		if v := vs[k]; v != nil {
			for j := range n {
				reflect(v, col(q, j, k))
			}
		}
	}
	for j := range n {
		for i := range m {
			q[j*m+i] *= sign[j]
		}
	}
	return q
}
