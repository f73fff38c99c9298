package tensor

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/x448/float16"
)

// Generator is a seedable source of random numbers for the random creation
// functions, like torch.Generator. A Generator is safe for concurrent use.
type Generator struct {
	mu  sync.Mutex
	src *rand.PCG
	rng *rand.Rand
}

// NewGenerator returns a generator seeded with seed.
func NewGenerator(seed uint64) *Generator {
	g := &Generator{}
	g.Seed(seed)
	return g
}

// Seed resets the generator to the stream for seed.
func (g *Generator) Seed(seed uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.src = rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	g.rng = rand.New(g.src)
}

// State returns the generator's state, for checkpoints.
func (g *Generator) State() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, _ := g.src.MarshalBinary()
	return b
}

// SetState restores a state returned by State.
func (g *Generator) SetState(b []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.src.UnmarshalBinary(b)
}

// defaultGen is the generator the package-level random functions use. Its
// seed is 0 until ManualSeed changes it.
var defaultGen = NewGenerator(0)

// DefaultGenerator returns the generator used by the package-level random
// functions.
func DefaultGenerator() *Generator { return defaultGen }

// ManualSeed seeds the default generator, like torch.manual_seed.
func ManualSeed(seed uint64) { defaultGen.Seed(seed) }

// Rand returns default-dtype values uniform in [0, 1).
func (g *Generator) Rand(shape ...int) *Tensor {
	validShape("rand", shape)
	return g.randOf(DefaultDType(), shape)
}

// randOf returns values uniform in [0, 1) of dtype dt, drawn with the
// dtype's precision (24 random bits for float32, 11 for float16, 53 for
// float64), so that rounding never produces 1.
func (g *Generator) randOf(dt DType, shape []int) *Tensor {
	t := newTensor(dt, shape)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch d := t.st.data.(type) {
	case []float32:
		for i := range d {
			d[i] = g.rng.Float32()
		}
	case []float16.Float16:
		for i := range d {
			d[i] = float16.Fromfloat32(float32(g.rng.Uint32()>>21) / (1 << 11))
		}
	default:
		for i := range t.Numel() {
			setF64(t.st.data, i, g.rng.Float64())
		}
	}
	return t
}

// Randn returns default-dtype values from the standard normal distribution.
func (g *Generator) Randn(shape ...int) *Tensor {
	validShape("randn", shape)
	t := newTensor(DefaultDType(), shape)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range t.Numel() {
		setF64(t.st.data, i, g.rng.NormFloat64())
	}
	return t
}

// Uniform returns default-dtype values uniform in [lo, hi).
func (g *Generator) Uniform(lo, hi float64, shape ...int) *Tensor {
	validShape("uniform", shape)
	t := newTensor(DefaultDType(), shape)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range t.Numel() {
		setF64(t.st.data, i, lo+(hi-lo)*g.rng.Float64())
	}
	return t
}

// Normal returns default-dtype values from N(mean, std²).
func (g *Generator) Normal(mean, std float64, shape ...int) *Tensor {
	validShape("normal", shape)
	if !(std >= 0) {
		panicf("normal", "expects std >= 0.0, but found std %v", std)
	}
	t := newTensor(DefaultDType(), shape)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range t.Numel() {
		setF64(t.st.data, i, mean+std*g.rng.NormFloat64())
	}
	return t
}

// RandInt returns int64 values uniform in [low, high).
func (g *Generator) RandInt(low, high int64, shape ...int) *Tensor {
	validShape("randint", shape)
	if high <= low {
		panicf("randint", "empty range [%d, %d)", low, high)
	}
	t := newTensor(Int64, shape)
	d := t.st.data.([]int64)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range d {
		d[i] = low + g.rng.Int64N(high-low)
	}
	return t
}

// RandPerm returns a random permutation of 0..n-1 as int64.
func (g *Generator) RandPerm(n int) *Tensor {
	validShape("randperm", []int{n})
	t := newTensor(Int64, []int{n})
	d := t.st.data.([]int64)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, v := range g.rng.Perm(n) {
		d[i] = int64(v)
	}
	return t
}

// Float64 returns a uniform value in [0, 1) (for dropout masks, shuffling and
// other consumers of the generator).
func (g *Generator) Float64() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Float64()
}

// Bernoulli returns a default-dtype tensor whose elements are 1 with
// probability p and 0 otherwise.
func (g *Generator) Bernoulli(p float64, shape ...int) *Tensor {
	validShape("bernoulli", shape)
	if p < 0 || p > 1 || math.IsNaN(p) {
		panicf("bernoulli", "probability %v is not in [0, 1]", p)
	}
	t := newTensor(DefaultDType(), shape)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range t.Numel() {
		if g.rng.Float64() < p {
			setF64(t.st.data, i, 1)
		}
	}
	return t
}

// Rand returns values uniform in [0, 1) from the default generator.
func Rand(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRand(shape)
	}
	return defaultGen.Rand(shape...)
}

// Randn returns standard normal values from the default generator.
func Randn(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRandn(shape)
	}
	return defaultGen.Randn(shape...)
}

// RandInt returns int64 values in [low, high) from the default generator.
func RandInt(low, high int64, shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRandInt(low, high, shape)
	}
	return defaultGen.RandInt(low, high, shape...)
}

// RandPerm returns a random permutation of 0..n-1 from the default generator.
func RandPerm(n int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRandPerm(n)
	}
	return defaultGen.RandPerm(n)
}

// RandLike returns uniform values with the shape of t (default dtype).
func RandLike(t *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceRandLike(t)
	}
	return defaultGen.randOf(floatOr(t.dtype), t.shape)
}

// RandnLike returns standard normal values with the shape of t.
func RandnLike(t *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceRandnLike(t)
	}
	return defaultGen.Randn(t.shape...).To(floatOr(t.dtype))
}

// floatOr returns dt if it is a float type, else the default dtype.
func floatOr(dt DType) DType {
	if dt.IsFloat() {
		return dt
	}
	return DefaultDType()
}
