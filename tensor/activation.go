package tensor

import (
	"math"

	"github.com/emberml/ember/accel/cpu"
)

// This file holds the activation functions, with PyTorch's definitions,
// defaults (given in each doc comment, since Go has no default arguments)
// and gradient conventions at the kinks. Except for ReLU, ReLU6 and
// Hardtanh, which also accept integer tensors, they need floating-point
// input (PyTorch does not implement them for integers either).

// ewFloatOnly builds unFuncs for a float64 function (rounded for float32)
// that rejects integer and bool inputs.
func ewFloatOnly(f func(float64) float64) *unFuncs {
	return &unFuncs{
		f32: func(x float32) float32 { return float32(f(float64(x))) },
		f64: f,
	}
}

// The activations with a float32 Vec kernel.
var (
	ewGELUFns     = ewFloatOnlyVec(cpu.GELU, cpu.VecGELU)
	ewGELUTanhFns = ewFloatOnlyVec(cpu.GELUTanh, cpu.VecGELUTanh)
	ewSiLUFns     = ewFloatOnlyVec(cpu.SiLU, cpu.VecSiLU)
)

// ewFloatOnlyVec is ewFloatOnly with vec computing contiguous float32.
func ewFloatOnlyVec(f func(float64) float64, vec func(dst, src []float32)) *unFuncs {
	fs := ewFloatOnly(f)
	fs.vec = vec
	return fs
}

var ewReluFns = &unFuncs{f32: cpu.ReLU[float32], f64: cpu.ReLU[float64], i64: cpu.ReLU[int64],
	i32: cpu.ReLU[int32], i8: cpu.ReLU[int8], u8: cpu.ReLU[uint8]}

// ReLU returns max(t, 0); NaN stays NaN. Integer tensors keep their dtype.
// The gradient at 0 is 0, as in PyTorch.
func (t *Tensor) ReLU() *Tensor {
	if tracing.Load() && outermost() {
		return traceReLU(t)
	}
	if t.dtype == Bool {
		panicf("relu", "bool inputs not supported")
	}
	return ewUnary("relu", ewReluFns, t, func(g, out *Tensor) *Tensor {
		if !ovhNeedGraph(g) {
			if r := perfGradF32(g, out, cpu.ReLUGradF32); r != nil {
				return r
			}
		}
		return ewBackward("relu", g, out,
			func(g, y float64) float64 {
				if y <= 0 {
					return 0
				}
				return g
			},
			func() *Tensor { return Where(out.LeScalar(0), ewZero(g.dtype), g) })
	})
}

// ReLU6 returns min(max(t, 0), 6), which is Hardtanh(0, 6); the gradient is
// 0 at 0 and at 6.
func (t *Tensor) ReLU6() *Tensor {
	if tracing.Load() && outermost() {
		return traceReLU6(t)
	}
	return t.ewHardtanh("relu6", 0, 6)
}

// Hardtanh returns t clamped to [lo, hi] (PyTorch's defaults are -1 and 1).
// Integer tensors keep their dtype. The gradient passes strictly inside
// (lo, hi) and is 0 at and beyond the bounds and at NaN, as PyTorch's
// (vectorized) kernel gives.
func (t *Tensor) Hardtanh(lo, hi float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceHardtanh(t, lo, hi)
	}
	return t.ewHardtanh("hardtanh", lo, hi)
}

// ewCheckHardtanh checks the operands of Hardtanh and its in-place form.
func ewCheckHardtanh(op string, t *Tensor, lo, hi float64) {
	if t.dtype == Bool {
		panicf(op, "bool inputs not supported")
	}
	ewCheckFits(op, t.dtype, lo)
	ewCheckFits(op, t.dtype, hi)
}

func (t *Tensor) ewHardtanh(op string, lo, hi float64) *Tensor {
	ewCheckHardtanh(op, t, lo, hi)
	return ewUnary(op, ewClampFns(lo, hi, true, true), t, func(g, out *Tensor) *Tensor {
		if !ovhNeedGraph(g) && perfF32Exact(lo) && perfF32Exact(hi) {
			lo32, hi32 := float32(lo), float32(hi)
			if r := perfGradF32(g, t, func(d, g, x []float32) { cpu.RangeGradF32(d, g, x, lo32, hi32) }); r != nil {
				return r
			}
		}
		return ewBackward(op, g, t,
			func(g, x float64) float64 {
				if x > lo && x < hi {
					return g
				}
				return 0
			},
			func() *Tensor {
				return Where(t.GtScalar(lo).LogicalAnd(t.LtScalar(hi)), g, ewZero(g.dtype))
			})
	})
}

// LeakyReLU returns t where t > 0 and slope*t elsewhere (PyTorch's default
// slope is 0.01). The gradient at 0 is slope.
func (t *Tensor) LeakyReLU(slope float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceLeakyReLU(t, slope)
	}
	fs := ewFloatOnly(func(x float64) float64 { return cpu.LeakyReLU(x, slope) })
	return ewUnary("leaky_relu", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("leaky_relu", g, t,
			func(g, x float64) float64 {
				if x > 0 {
					return g
				}
				return g * slope
			},
			func() *Tensor { return Where(t.GtScalar(0), g, g.MulScalar(slope)) })
	})
}

// ELU returns t where t > 0 and alpha*(exp(t)-1) elsewhere (PyTorch's
// default alpha is 1). The gradient at 0 is alpha (and NaN at NaN), as in
// PyTorch.
func (t *Tensor) ELU(alpha float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceELU(t, alpha)
	}
	fs := ewFloatOnly(func(x float64) float64 { return cpu.ELU(x, alpha) })
	return ewUnary("elu", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("elu", g, t,
			func(g, x float64) float64 {
				if x > 0 {
					return g
				}
				return g * alpha * math.Exp(x)
			},
			func() *Tensor { return Where(t.GtScalar(0), g, g.Mul(out.AddScalar(alpha))) })
	})
}

const (
	ewSqrt2OverPi = cpu.GELUTanhBeta // sqrt(2/pi)
	ewGeluKappa   = cpu.GELUTanhKappa
	ewInvSqrt2Pi  = 1 / (math.Sqrt2 * math.SqrtPi)
)

// GELU returns the Gaussian error linear unit t*Φ(t). approximate is "none"
// (PyTorch's default: the exact erf form) or "tanh" (the tanh
// approximation 0.5*t*(1+tanh(sqrt(2/π)*(t+0.044715*t³)))).
func (t *Tensor) GELU(approximate string) *Tensor {
	if tracing.Load() && outermost() {
		return traceGELU(t, approximate)
	}
	switch approximate {
	case "none", "":
		fs := ewGELUFns
		return ewUnary("gelu", fs, t, func(g, out *Tensor) *Tensor {
			return ewBackward("gelu", g, t,
				func(g, x float64) float64 {
					return g * (0.5*(1+math.Erf(x/math.Sqrt2)) + x*ewInvSqrt2Pi*math.Exp(-0.5*x*x))
				},
				func() *Tensor {
					cdf := t.MulScalar(1 / math.Sqrt2).Erf().AddScalar(1).MulScalar(0.5)
					pdf := t.Mul(t).MulScalar(-0.5).Exp().MulScalar(ewInvSqrt2Pi)
					return g.Mul(cdf.Add(t.Mul(pdf)))
				})
		})
	case "tanh":
		fs := ewGELUTanhFns
		return ewUnary("gelu", fs, t, func(g, out *Tensor) *Tensor {
			return ewBackward("gelu", g, t,
				func(g, x float64) float64 {
					th := math.Tanh(ewSqrt2OverPi * (x + ewGeluKappa*x*x*x))
					return g * (0.5*(1+th) + 0.5*x*(1-th*th)*ewSqrt2OverPi*(1+3*ewGeluKappa*x*x))
				},
				func() *Tensor {
					x2 := t.Mul(t)
					th := t.Add(x2.Mul(t).MulScalar(ewGeluKappa)).MulScalar(ewSqrt2OverPi).Tanh()
					left := th.AddScalar(1).MulScalar(0.5)
					right := t.MulScalar(0.5).Mul(th.Mul(th).RSubScalar(1)).Mul(x2.MulScalar(3 * ewGeluKappa).AddScalar(1)).MulScalar(ewSqrt2OverPi)
					return g.Mul(left.Add(right))
				})
		})
	}
	panicf("gelu", "approximate must be \"none\" or \"tanh\", got %q", approximate)
	return nil
}

// SiLU returns t*sigmoid(t) (also called swish).
func (t *Tensor) SiLU() *Tensor {
	if tracing.Load() && outermost() {
		return traceSiLU(t)
	}
	fs := ewSiLUFns
	return ewUnary("silu", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("silu", g, t,
			func(g, x float64) float64 {
				s := cpu.Sigmoid(x)
				return g * s * (1 + x*(1-s))
			},
			func() *Tensor {
				s := t.Sigmoid()
				return g.Mul(s.Mul(t.Mul(s.RSubScalar(1)).AddScalar(1)))
			})
	})
}

// Hardswish returns t*relu6(t+3)/6. Its gradient follows PyTorch's
// (vectorized) kernel: 0 below -3, t/3+0.5 on [-3, 3), 1 from 3 on.
func (t *Tensor) Hardswish() *Tensor {
	if tracing.Load() && outermost() {
		return traceHardswish(t)
	}
	fs := ewFloatOnly(cpu.Hardswish)
	return ewUnary("hardswish", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("hardswish", g, t,
			func(g, x float64) float64 {
				switch {
				case x < -3:
					return 0
				case x >= 3:
					return g
				}
				return g * (x/3 + 0.5)
			},
			func() *Tensor {
				mid := Where(t.GeScalar(3), g, g.Mul(t.DivScalar(3).AddScalar(0.5)))
				return Where(t.LtScalar(-3), ewZero(g.dtype), mid)
			})
	})
}

// Hardsigmoid returns relu6(t+3)/6. The gradient is 1/6 strictly inside
// (-3, 3) and 0 elsewhere.
func (t *Tensor) Hardsigmoid() *Tensor {
	if tracing.Load() && outermost() {
		return traceHardsigmoid(t)
	}
	fs := ewFloatOnly(cpu.Hardsigmoid)
	return ewUnary("hardsigmoid", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("hardsigmoid", g, t,
			func(g, x float64) float64 {
				if x > -3 && x < 3 {
					return g / 6
				}
				return 0
			},
			func() *Tensor {
				return Where(t.GtScalar(-3).LogicalAnd(t.LtScalar(3)), g.DivScalar(6), ewZero(g.dtype))
			})
	})
}

// Softplus returns log(1+exp(beta*t))/beta, or t itself where beta*t >
// threshold (PyTorch's defaults are beta 1, threshold 20).
func (t *Tensor) Softplus(beta, threshold float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceSoftplus(t, beta, threshold)
	}
	fs := ewFloatOnly(func(x float64) float64 { return cpu.Softplus(x, beta, threshold) })
	return ewUnary("softplus", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("softplus", g, t,
			func(g, x float64) float64 {
				if x*beta > threshold {
					return g
				}
				return g * cpu.Sigmoid(x*beta)
			},
			func() *Tensor {
				bx := t.MulScalar(beta)
				return Where(bx.GtScalar(threshold), g, g.Mul(bx.Sigmoid()))
			})
	})
}

// Mish returns t*tanh(softplus(t)), with softplus = log(1+exp(t)).
func (t *Tensor) Mish() *Tensor {
	if tracing.Load() && outermost() {
		return traceMish(t)
	}
	fs := ewFloatOnly(cpu.Mish)
	return ewUnary("mish", fs, t, func(g, out *Tensor) *Tensor {
		return ewBackward("mish", g, t,
			func(g, x float64) float64 {
				tsp := math.Tanh(math.Log1p(math.Exp(x)))
				return g * (tsp + x*cpu.Sigmoid(x)*(1-tsp*tsp))
			},
			func() *Tensor {
				tsp := t.Exp().Log1p().Tanh()
				return g.Mul(tsp.Add(t.Mul(t.Sigmoid()).Mul(tsp.Mul(tsp).RSubScalar(1))))
			})
	})
}
