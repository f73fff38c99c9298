"""Golden values for the elementwise ops: unary math, rounding, clamp, pow,
maximum/minimum, remainder/floor_divide, comparisons, logical ops, where,
masked_fill, isclose/allclose/equal, activations and dtype casts.
Run: /usr/bin/python3 testdata/gen_elementwise.py"""
import torch
import torch.nn.functional as F
from golden import Golden, randn

nan, inf = float("nan"), float("inf")
g = Golden("elementwise.json")

# Edge values every unary float op sees: NaN, infinities, signed zeros,
# halves (rounding), kinks of the activations (0, ±3, ±1), large and small.
EDGE = [nan, inf, -inf, 0.0, -0.0, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1e-3, 3.0, -3.0, 1.0, -1.0, 7.25, -30.0, 25.0]


def edge(dtype=torch.float32):
    return torch.tensor(EDGE, dtype=dtype)


def half_ref(f, *xs):
    """f on float16 inputs. PyTorch 1.13 lacks many float16 CPU kernels; where
    one is missing, the reference is f in float32 rounded to float16, which is
    Ember's documented float16 semantics (and what PyTorch's own float16
    kernels do: compute in float32, round the result)."""
    try:
        return f(*xs)
    except RuntimeError:
        return f(*[x.float() for x in xs]).half()


def ints(dtype=torch.int64):
    return torch.tensor([[-3, -1, 0], [1, 2, 5]], dtype=dtype)


# ---- unary math --------------------------------------------------------
unary = {
    "exp": torch.exp, "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt, "abs": torch.abs, "sign": torch.sign, "floor": torch.floor,
    "ceil": torch.ceil, "round": torch.round, "sin": torch.sin, "cos": torch.cos,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "erf": torch.erf,
    "reciprocal": torch.reciprocal, "square": torch.square,
}
keeps_int = {"abs", "sign", "floor", "ceil", "round", "square"}
for name, f in unary.items():
    x = randn(2, 3)
    g.add(name + "_f32", name, [x], f(x))
    x = randn(3, 1, 2, dtype=torch.float64)
    g.add(name + "_f64", name, [x], f(x))
    x = edge()
    g.add(name + "_edge_f32", name, [x], f(x))
    x = edge(torch.float64)
    g.add(name + "_edge_f64", name, [x], f(x))
    x = edge(torch.float16)
    g.add(name + "_edge_f16", name, [x], half_ref(f, x))
    x = ints()
    g.add(name + "_int64", name, [x], f(x))
    x = torch.tensor([0, 3, 200], dtype=torch.uint8)
    g.add(name + "_uint8", name, [x], f(x))
    if name not in {"abs", "floor", "ceil", "round"}:
        x = torch.tensor([[True, False], [False, True]])
        g.add(name + "_bool", name, [x], f(x))
    if name in keeps_int:
        x = torch.tensor([-128, -5, 0, 7, 127], dtype=torch.int8)
        g.add(name + "_int8", name, [x], f(x))
x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 3.5000001, -0.50001])
g.add("round_halves", "round", [x], torch.round(x))
x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1e15 + 0.5], dtype=torch.float64)
g.add("round_halves_f64", "round", [x], torch.round(x))

# ---- clamp -------------------------------------------------------------
x = edge()
g.add("clamp_edge", "clamp", [x], torch.clamp(x, -1, 2), min=-1.0, max=2.0)
g.add("clamp_min", "clamp", [x], torch.clamp(x, min=-0.5), min=-0.5)
g.add("clamp_max", "clamp", [x], torch.clamp(x, max=1.5), max=1.5)
g.add("clamp_lo_gt_hi", "clamp", [x], torch.clamp(x, 2, -1), min=2.0, max=-1.0)
x = randn(2, 3, dtype=torch.float64)
g.add("clamp_f64", "clamp", [x], torch.clamp(x, -0.3, 0.4), min=-0.3, max=0.4)
x = edge(torch.float16)
g.add("clamp_f16", "clamp", [x], half_ref(lambda x: torch.clamp(x, -1.25, 2.5), x), min=-1.25, max=2.5)
x = ints()
g.add("clamp_int", "clamp", [x], torch.clamp(x, -1, 2), min=-1, max=2)
g.add("clamp_int_float_bound", "clamp", [x], torch.clamp(x, min=0.5), min=0.5)
g.add("clamp_int_max", "clamp", [x], torch.clamp(x, max=0), max=0)
x = torch.tensor([0, 100, 255], dtype=torch.uint8)
g.add("clamp_uint8", "clamp", [x], torch.clamp(x, 10, 200), min=10, max=200)
g.add("clamp_uint8_wrap", "clamp", [x], torch.clamp(x, min=-1), min=-1)
x = edge()
g.add("clamp_nan_min", "clamp", [x], torch.clamp(x, min=nan), min=nan)
g.add("clamp_nan_min_max", "clamp", [x], torch.clamp(x, nan, 1.0), min=nan, max=1.0)
g.add("clamp_int_nan", "clamp", [ints()], torch.clamp(ints(), max=nan), max=nan)
x = torch.tensor([True, False])
g.add("clamp_bool", "clamp", [x], torch.clamp(x, 0, 1), min=0, max=1)
x, lo, hi = randn(2, 3), randn(3) - 0.5, randn(2, 1) + 0.5
g.add("clamp_tensor", "clamp_tensor", [x, lo, hi], torch.clamp(x, lo, hi), has_min=True, has_max=True)
g.add("clamp_tensor_min", "clamp_tensor", [x, lo], torch.clamp(x, min=lo), has_min=True, has_max=False)
g.add("clamp_tensor_max", "clamp_tensor", [x, hi], torch.clamp(x, max=hi), has_min=False, has_max=True)
x = torch.tensor([1.0, nan, 3.0, 0.0])
lo = torch.tensor([nan, 0.0, 0.0, 2.0])
hi = torch.tensor([2.0, 2.0, nan, 1.0])
g.add("clamp_tensor_nan", "clamp_tensor", [x, lo, hi], torch.clamp(x, lo, hi), has_min=True, has_max=True)
x, lo = ints(), torch.tensor([0.5, -2.0, 1.0])
g.add("clamp_tensor_int_float", "clamp_tensor", [x, lo], torch.clamp(x, min=lo), has_min=True, has_max=False)

# ---- binary math -------------------------------------------------------
binary = {
    "pow": torch.pow, "maximum": torch.maximum, "minimum": torch.minimum,
    "remainder": torch.remainder, "floor_divide": torch.floor_divide,
}
for name, f in binary.items():
    x, y = randn(2, 3), randn(2, 3)
    if name == "pow":
        x = x.abs() + 0.1
    g.add(name + "_same", name, [x, y], f(x, y))
    x, y = randn(4, 1, 3), randn(2, 1)
    if name == "pow":
        x = x.abs()
    g.add(name + "_broadcast", name, [x, y], f(x, y))
    x, y = randn(2, 3, dtype=torch.float64), randn(3)
    g.add(name + "_promote_f64", name, [x, y], f(x, y))
    x = torch.tensor([[-7, -3, 0, 3, 7], [2, -2, 5, -5, 1]])
    y = torch.tensor([[3, -3, 2, 2, -2], [-3, 3, 3, 3, 3]], dtype=torch.int32)
    if name == "pow":
        y = torch.tensor([[3, 2, 2, 0, 1], [-1, -2, 3, 3, 10]], dtype=torch.int32)
        x = torch.tensor([[-7, -3, 0, 3, 7], [1, -1, -1, 1, 2]])
    g.add(name + "_int", name, [x, y], f(x, y))
    x, y = torch.tensor([1, 7, 200], dtype=torch.uint8), randn(2, 3)
    if name == "pow":
        y = y.abs()
    g.add(name + "_uint8_float", name, [x, y], f(x, y))
    x = torch.tensor([nan, 1.0, inf, -inf, 0.0, -0.0, 5.5, -5.5, 3.0, 2.0])
    y = torch.tensor([1.0, nan, 2.0, 2.0, 0.0, 2.0, -inf, inf, 0.0, -0.0])
    g.add(name + "_edge", name, [x, y], f(x, y))
    g.add(name + "_edge_f16", name, [x.half(), y.half()], half_ref(f, x.half(), y.half()))
x = torch.tensor([True, False, True])
g.add("maximum_bool", "maximum", [x, x.flip(0)], torch.maximum(x, x.flip(0)))
g.add("minimum_bool_int", "minimum", [x, torch.tensor([3, -1, 0])], torch.minimum(x, torch.tensor([3, -1, 0])))
x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0, 3.0])
y = torch.tensor([0.0, 1.0, -1.0, 0.5, -0.5])
g.add("pow_bases_exps", "pow", [x.reshape(6, 1), y], torch.pow(x.reshape(6, 1), y))
x = torch.tensor([-7.5, -3.0, -1.0, 0.0, 1.0, 3.0, 7.5])
g.add("remainder_many", "remainder", [x.reshape(7, 1), torch.tensor([2.0, -2.0, 0.75, -0.75])],
      torch.remainder(x.reshape(7, 1), torch.tensor([2.0, -2.0, 0.75, -0.75])))
g.add("floor_divide_many", "floor_divide", [x.reshape(7, 1), torch.tensor([2.0, -2.0, 0.75, -0.75])],
      torch.floor_divide(x.reshape(7, 1), torch.tensor([2.0, -2.0, 0.75, -0.75])))
xi8 = torch.tensor([-128, -7, 0, 7, 127], dtype=torch.int8)
yi8 = torch.tensor([3, -3, 5, 2, -2], dtype=torch.int8)
for name, f in [("remainder", torch.remainder), ("floor_divide", torch.floor_divide)]:
    g.add(name + "_int8", name, [xi8, yi8], f(xi8, yi8))
    g.add(name + "_uint8", name, [torch.tensor([0, 7, 255], dtype=torch.uint8), torch.tensor([3, 2, 16], dtype=torch.uint8)],
          f(torch.tensor([0, 7, 255], dtype=torch.uint8), torch.tensor([3, 2, 16], dtype=torch.uint8)))
g.add("pow_int8_wrap", "pow", [torch.tensor([2, 3, -2], dtype=torch.int8), torch.tensor([7, 5, 7], dtype=torch.int8)],
      torch.pow(torch.tensor([2, 3, -2], dtype=torch.int8), torch.tensor([7, 5, 7], dtype=torch.int8)))

x = randn(2, 3).abs() + 0.1
for s in [2.0, 0.5, -1.0, 3.0, 0.0, -2.5, 1.5]:
    g.add(f"pow_scalar_{s}", "pow_scalar", [x], torch.pow(x, s), s=s)
x = edge()
for s in [2.0, 0.5, -0.5, 0.0]:
    g.add(f"pow_scalar_edge_{s}", "pow_scalar", [x], torch.pow(x, s), s=s)
x = ints()
g.add("pow_scalar_int", "pow_scalar", [x], torch.pow(x, 2), s=2)
g.add("pow_scalar_int_frac", "pow_scalar", [x], torch.pow(x, 0.5), s=0.5)
g.add("pow_scalar_bool", "pow_scalar", [torch.tensor([True, False])], torch.pow(torch.tensor([True, False]), 2), s=2)
g.add("pow_scalar_f16", "pow_scalar", [edge(torch.float16)], half_ref(lambda x: torch.pow(x, 1.5), edge(torch.float16)), s=1.5)
x = randn(2, 3)
for s in [2.0, 0.5, 2.5, 0.0, -2.0]:
    g.add(f"rpow_scalar_{s}", "rpow_scalar", [x], torch.pow(s, x), s=s)
x = ints()
g.add("rpow_scalar_int", "rpow_scalar", [x], torch.pow(2, x), s=2)
g.add("rpow_scalar_int_frac", "rpow_scalar", [x], torch.pow(2.5, x), s=2.5)
g.add("rpow_scalar_bool", "rpow_scalar", [torch.tensor([True, False])], torch.pow(3, torch.tensor([True, False])), s=3)
x = randn(3, 4) * 3
for s in [2.0, -2.0, 0.75]:
    g.add(f"remainder_scalar_{s}", "remainder_scalar", [x], torch.remainder(x, s), s=s)
    g.add(f"floor_divide_scalar_{s}", "floor_divide_scalar", [x], torch.floor_divide(x, s), s=s)
g.add("remainder_scalar_int", "remainder_scalar", [ints()], torch.remainder(ints(), 2), s=2)
g.add("floor_divide_scalar_int", "floor_divide_scalar", [ints()], torch.floor_divide(ints(), -2), s=-2)
g.add("floor_divide_scalar_int_frac", "floor_divide_scalar", [ints()], torch.floor_divide(ints(), 1.5), s=1.5)

# ---- comparisons -------------------------------------------------------
cmps = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}
for name, f in cmps.items():
    x = torch.tensor([[1.0, 2.0, nan], [3.0, -inf, 0.0]])
    y = torch.tensor([2.0, 2.0, nan])
    g.add(name + "_broadcast", name, [x, y], f(x, y))
    x, y = torch.tensor([[1, 2, 3]]), torch.tensor([[1.0], [2.5]], dtype=torch.float64)
    g.add(name + "_int_float", name, [x, y], f(x, y))
    x, y = torch.tensor([True, False, True, False]), torch.tensor([True, True, False, False])
    g.add(name + "_bool", name, [x, y], f(x, y))
    x, y = torch.tensor([0, 5, 200], dtype=torch.uint8), torch.tensor([-1, 5, 100], dtype=torch.int8)
    g.add(name + "_uint8_int8", name, [x, y], f(x, y))
    x = torch.tensor([1.0, 2.0, 3.0, nan, 0.0]).half()
    g.add(name + "_f16", name, [x, torch.tensor([2.0]).half()], f(x, torch.tensor([2.0]).half()))
    x = torch.tensor([[1.0, 2.0, nan], [3.0, -inf, 2.5]])
    g.add(name + "_scalar", name + "_scalar", [x], f(x, 2.5), s=2.5)
    g.add(name + "_scalar_int", name + "_scalar", [ints()], f(ints(), 1), s=1)
    g.add(name + "_scalar_int_frac", name + "_scalar", [ints()], f(ints(), 0.5), s=0.5)
    g.add(name + "_scalar_bool", name + "_scalar", [torch.tensor([True, False])], f(torch.tensor([True, False]), 1), s=1)

# ---- logical -----------------------------------------------------------
logic = {"logical_and": torch.logical_and, "logical_or": torch.logical_or, "logical_xor": torch.logical_xor}
for name, f in logic.items():
    x = torch.tensor([[nan, 0.0, 1.0, -0.0], [2.0, 0.0, -inf, 0.5]])
    y = torch.tensor([1, 0, 0, 3])
    g.add(name + "_float_int", name, [x, y], f(x, y))
    x, y = torch.tensor([[True], [False]]), torch.tensor([True, False, True])
    g.add(name + "_bool_broadcast", name, [x, y], f(x, y))
    x, y = torch.tensor([0, 2, 255], dtype=torch.uint8), torch.tensor([0.0, 0.0, 1.0]).half()
    g.add(name + "_uint8_f16", name, [x, y], f(x, y))
g.add("logical_not_float", "logical_not", [edge()], torch.logical_not(edge()))
g.add("logical_not_int", "logical_not", [ints()], torch.logical_not(ints()))
g.add("logical_not_bool", "logical_not", [torch.tensor([True, False])], torch.logical_not(torch.tensor([True, False])))
g.add("logical_not_f16", "logical_not", [edge(torch.float16)], torch.logical_not(edge(torch.float16)))

# ---- where, masked_fill ------------------------------------------------
c = torch.tensor([[True], [False]])
x, y = randn(1, 3), randn(2, 3)
g.add("where_broadcast", "where", [c, x, y], torch.where(c, x, y))
c = torch.tensor([True, False, True])
x, y = torch.tensor([1, 2, 3]), torch.tensor([[0.5], [1.5]])
g.add("where_promote", "where", [c, x, y], torch.where(c, x, y))
x, y = torch.tensor([1, 2, 3], dtype=torch.int32), torch.tensor([-1, -2, -3], dtype=torch.int32)
g.add("where_int32", "where", [c, x, y], torch.where(c, x, y))
x, y = torch.tensor([True, True, False]), torch.tensor([False])
g.add("where_bool", "where", [c, x, y], torch.where(c, x, y))
x, y = torch.tensor([1.0, nan, inf]).half(), torch.tensor([0.5]).half()
g.add("where_f16", "where", [c, x, y], torch.where(c, x, y))
x = torch.tensor(2.0, dtype=torch.float64)
g.add("where_0d", "where", [c, x, torch.tensor([3.0, 4.0, 5.0], dtype=torch.float64)],
      torch.where(c, x, torch.tensor([3.0, 4.0, 5.0], dtype=torch.float64)))

x = randn(2, 3)
m = torch.tensor([[True, False, True], [False, False, True]])
g.add("masked_fill", "masked_fill", [x, m], x.masked_fill(m, -1.5), value=-1.5)
m = torch.tensor([[True], [False]])
g.add("masked_fill_broadcast_mask", "masked_fill", [x, m], x.masked_fill(m, 7.0), value=7.0)
x = randn(3)
m = torch.tensor([[True, False, False], [False, True, True]])
g.add("masked_fill_broadcast_out", "masked_fill", [x, m], x.masked_fill(m, 0.0), value=0.0)
g.add("masked_fill_nan", "masked_fill", [x, m], x.masked_fill(m, nan), value=nan)
g.add("masked_fill_inf", "masked_fill", [x, m], x.masked_fill(m, -inf), value=-inf)
x = ints()
m = torch.tensor([True, False, True])
g.add("masked_fill_int_frac", "masked_fill", [x, m], x.masked_fill(m, 2.7), value=2.7)
g.add("masked_fill_int_neg", "masked_fill", [x, m], x.masked_fill(m, -2.7), value=-2.7)
x = torch.tensor([True, False, True])
g.add("masked_fill_bool", "masked_fill", [x, m], x.masked_fill(m, 0), value=0)
x = torch.tensor([1, 2, 3], dtype=torch.uint8)
g.add("masked_fill_uint8", "masked_fill", [x, m], x.masked_fill(m, 255), value=255)
g.add("masked_fill_uint8_wrap", "masked_fill", [x, m], x.masked_fill(m, -1), value=-1)
x = torch.tensor([1, 2, 3], dtype=torch.int8)
g.add("masked_fill_int8_bounds", "masked_fill", [x, m], x.masked_fill(m, -128), value=-128)
x = torch.tensor([1.0, 2.0, 3.0]).half()
g.add("masked_fill_f16", "masked_fill", [x, m], x.masked_fill(m, 0.1), value=0.1)

# ---- closeness ---------------------------------------------------------
a = torch.tensor([1.0, 1.0, nan, inf, inf, -inf, 0.0, 1e-9, 100.0])
b = torch.tensor([1.0 + 1e-6, 1.1, nan, inf, -inf, -inf, 1e-8, 0.0, 100.001])
for rtol, atol, en in [(1e-5, 1e-8, False), (1e-5, 1e-8, True), (0.0, 0.0, False), (0.2, 0.0, False), (0.0, 1e-8, True)]:
    g.add(f"isclose_{rtol}_{atol}_{en}", "isclose", [a, b], torch.isclose(a, b, rtol, atol, en), rtol=rtol, atol=atol, equal_nan=en)
g.add("isclose_f64_broadcast", "isclose", [a.double().reshape(9, 1), b.double()[:3]],
      torch.isclose(a.double().reshape(9, 1), b.double()[:3], 1e-3, 1e-6), rtol=1e-3, atol=1e-6, equal_nan=False)
ai, bi = torch.tensor([0, 10, 100, 1000, -5]), torch.tensor([0, 11, 101, 1001, 5])
g.add("isclose_int", "isclose", [ai, bi], torch.isclose(ai, bi, 0.01, 0.5), rtol=0.01, atol=0.5, equal_nan=False)
ab, bb = torch.tensor([True, False, True]), torch.tensor([True, True, False])
g.add("isclose_bool", "isclose", [ab, bb], torch.isclose(ab, bb, 0.0, 1.0), rtol=0.0, atol=1.0, equal_nan=False)
g.add("isclose_f16", "isclose", [a.half(), b.half()], torch.isclose(a.half(), b.half(), 1e-3, 1e-5), rtol=1e-3, atol=1e-5, equal_nan=False)


def as_t(v):
    return torch.tensor(v)


x = randn(2, 3)
for name, (p, q, kw) in {
    "allclose_true": (x, x + 1e-7, dict(rtol=1e-5, atol=1e-8)),
    "allclose_false": (x, x + 1e-3, dict(rtol=1e-5, atol=1e-8)),
    "allclose_broadcast": (x, x[:1], dict(rtol=10.0, atol=10.0)),
    "allclose_nan": (torch.tensor([nan, 1.0]), torch.tensor([nan, 1.0]), dict(rtol=1e-5, atol=1e-8)),
    "allclose_inf": (torch.tensor([inf, 1.0]), torch.tensor([inf, 1.0]), dict(rtol=1e-5, atol=1e-8)),
    "allclose_int": (ai, bi, dict(rtol=0.0, atol=10.0)),
}.items():
    g.add(name, "allclose", [p, q], as_t(torch.allclose(p, q, **kw)), **kw)
for name, (p, q) in {
    "equal_true": (x, x.clone()),
    "equal_false": (x, x + 1),
    "equal_shape": (x, x.reshape(3, 2)),
    "equal_nan": (torch.tensor([nan]), torch.tensor([nan])),
    "equal_dtypes": (torch.tensor([1, 2]), torch.tensor([1.0, 2.0])),
    "equal_broadcastable": (torch.tensor([1.0, 1.0]), torch.tensor([1.0])),
}.items():
    g.add(name, "equal", [p, q], as_t(torch.equal(p, q)))

# ---- activations -------------------------------------------------------
acts = {
    "relu": (F.relu, {}), "relu6": (F.relu6, {}),
    "hardtanh": (lambda x: F.hardtanh(x), dict(min=-1.0, max=1.0)),
    "hardtanh_wide": (lambda x: F.hardtanh(x, -2.0, 0.5), dict(min=-2.0, max=0.5)),
    "leaky_relu": (lambda x: F.leaky_relu(x), dict(slope=0.01)),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), dict(slope=0.2)),
    "elu": (lambda x: F.elu(x), dict(alpha=1.0)),
    "elu_0.5": (lambda x: F.elu(x, 0.5), dict(alpha=0.5)),
    "gelu": (lambda x: F.gelu(x), dict(approximate="none")),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), dict(approximate="tanh")),
    "silu": (F.silu, {}), "hardswish": (F.hardswish, {}), "hardsigmoid": (F.hardsigmoid, {}),
    "softplus": (lambda x: F.softplus(x), dict(beta=1.0, threshold=20.0)),
    "softplus_b2_t4": (lambda x: F.softplus(x, 2.0, 4.0), dict(beta=2.0, threshold=4.0)),
    "softplus_b0.5": (lambda x: F.softplus(x, 0.5, 20.0), dict(beta=0.5, threshold=20.0)),
    "mish": (F.mish, {}),
}
for case, (f, attrs) in acts.items():
    op = case.split("_")[0] if case not in ("leaky_relu", "leaky_relu_0.2") else "leaky_relu"
    if case == "hardtanh_wide":
        op = "hardtanh"
    x = randn(2, 3) * 3
    g.add(case + "_f32", op, [x], f(x), **attrs)
    x = edge()
    g.add(case + "_edge", op, [x], f(x), **attrs)
    x = (randn(3, 2) * 3).double()
    g.add(case + "_f64", op, [x], f(x), **attrs)
    x = edge(torch.float16)
    g.add(case + "_f16", op, [x], half_ref(f, x), **attrs)
    x = torch.linspace(-4, 4, 33)
    g.add(case + "_sweep", op, [x], f(x), **attrs)
g.add("relu_int", "relu", [ints()], F.relu(ints()))
g.add("relu6_int", "relu6", [torch.tensor([-3, 0, 3, 6, 9])], F.relu6(torch.tensor([-3, 0, 3, 6, 9])))
g.add("hardtanh_int8", "hardtanh", [torch.tensor([-100, -1, 0, 2, 100], dtype=torch.int8)],
      F.hardtanh(torch.tensor([-100, -1, 0, 2, 100], dtype=torch.int8), -2, 2), min=-2, max=2)
g.add("relu_uint8", "relu", [torch.tensor([0, 1, 255], dtype=torch.uint8)], F.relu(torch.tensor([0, 1, 255], dtype=torch.uint8)))

# ---- gradients ----------------------------------------------------------
# Case op "grad": inputs are the op's inputs then the upstream gradient;
# outputs are the gradients of the floating-point inputs (PyTorch's values,
# kinks, ties, NaN and infinities included); fn names the forward op.


def grad_case(name, fn, f, xs, **attrs):
    xs = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in xs]
    out = f(*xs)
    gy = torch.randn(out.shape, dtype=out.dtype)
    out.backward(gy)
    grads = [x.grad for x in xs if x.is_floating_point()]
    g.add(name, "grad", [*xs, gy], grads, fn=fn, **attrs)


grad_unary = ["exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sign", "floor", "ceil", "round",
              "sin", "cos", "tanh", "sigmoid", "erf", "reciprocal", "square"]
for name in grad_unary:
    grad_case("grad_" + name + "_edge", name, unary[name], [edge(torch.float64)])
    grad_case("grad_" + name + "_f32", name, unary[name], [randn(2, 3)])
for case, (f, attrs) in acts.items():
    op = case.split("_")[0] if case not in ("leaky_relu", "leaky_relu_0.2") else "leaky_relu"
    if case == "hardtanh_wide":
        op = "hardtanh"
    grad_case("grad_" + case + "_edge", op, f, [edge(torch.float64)], **attrs)
    grad_case("grad_" + case + "_sweep", op, f, [torch.linspace(-4, 4, 33, dtype=torch.float64)], **attrs)
    grad_case("grad_" + case + "_f32", op, f, [randn(2, 3) * 3], **attrs)
for lo, hi in [(-1.0, 2.0), (2.0, -1.0)]:
    grad_case(f"grad_clamp_{lo}_{hi}", "clamp", lambda x: torch.clamp(x, lo, hi), [edge(torch.float64)], min=lo, max=hi)
grad_case("grad_clamp_nan_min", "clamp", lambda x: torch.clamp(x, min=nan, max=1.0), [edge(torch.float64)], min=nan, max=1.0)
grad_case("grad_clamp_min", "clamp", lambda x: torch.clamp(x, min=-0.5), [edge(torch.float64)], min=-0.5)
grad_case("grad_clamp_max", "clamp", lambda x: torch.clamp(x, max=1.5), [edge(torch.float64)], max=1.5)
x = torch.tensor([[1.0, 2.0, 3.0, 0.0], [-1.0, 2.5, 5.0, 1.0]], dtype=torch.float64)
lo = torch.tensor([2.0, 2.0, 0.0, 1.0], dtype=torch.float64)
hi = torch.tensor([[2.0], [3.0]], dtype=torch.float64)
grad_case("grad_clamp_tensor", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi), [x, lo, hi], has_min=True, has_max=True)
grad_case("grad_clamp_tensor_min", "clamp_tensor", lambda x, lo: torch.clamp(x, min=lo), [x, lo], has_min=True, has_max=False)
grad_case("grad_clamp_tensor_max", "clamp_tensor", lambda x, hi: torch.clamp(x, max=hi), [x, hi], has_min=False, has_max=True)
x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0, 3.0], dtype=torch.float64).reshape(6, 1)
y = torch.tensor([0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0], dtype=torch.float64)
grad_case("grad_pow", "pow", torch.pow, [x, y])
grad_case("grad_pow_f32_broadcast", "pow", torch.pow, [randn(2, 1, 3).abs() + 0.2, randn(2, 1)])
grad_case("grad_pow_int_exponent", "pow", torch.pow, [randn(2, 3, dtype=torch.float64), torch.tensor([0, 1, 2], dtype=torch.int64)])
for s in [2.0, 0.5, 0.0, -1.0, 3.0]:
    grad_case(f"grad_pow_scalar_{s}", "pow_scalar", lambda x: torch.pow(x, s), [edge(torch.float64)], s=s)
for s in [2.0, 0.0, -2.0, 0.5]:
    grad_case(f"grad_rpow_scalar_{s}", "rpow_scalar", lambda x: torch.pow(s, x), [edge(torch.float64)], s=s)
x = torch.tensor([[1.0, 2.0, 3.0, nan, 1.0, -inf], [0.0, 5.0, -1.0, 2.0, 2.0, 4.0]], dtype=torch.float64)
y = torch.tensor([2.0, 2.0, 1.0, 1.0, nan, -inf], dtype=torch.float64)
for name in ["maximum", "minimum"]:
    grad_case("grad_" + name, name, binary[name], [x, y])
grad_case("grad_remainder", "remainder", torch.remainder, [randn(2, 3, dtype=torch.float64) * 4, torch.tensor([1.5, -0.7, 2.0], dtype=torch.float64)])
grad_case("grad_remainder_scalar", "remainder_scalar", lambda x: torch.remainder(x, 0.75), [randn(2, 3, dtype=torch.float64) * 4], s=0.75)
c = torch.tensor([[True], [False]])
grad_case("grad_where", "where", torch.where, [c, randn(1, 3, dtype=torch.float64), randn(2, 1, dtype=torch.float64)])
grad_case("grad_where_f32_f64", "where", torch.where, [torch.tensor([True, False, True]), randn(3), randn(2, 3, dtype=torch.float64)])
m = torch.tensor([[True, False, False], [False, True, False]])
grad_case("grad_masked_fill", "masked_fill", lambda x, m: x.masked_fill(m, 2.0), [randn(3, dtype=torch.float64), m], value=2.0)

# ---- casts between all dtypes -----------------------------------------
dtypes = [torch.float32, torch.float64, torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool, torch.float16]
src_vals = {
    # floats: negatives, fractions (truncation toward zero), large values
    "float": [-130.75, -128.0, -2.7, -1.5, -0.5, -0.0, 0.0, 0.3, 0.5, 1.5, 2.5, 127.9, 255.5, 300.25, 65519.0,
              65520.0, 1e5, 3e9, 1e10, 16777217.0, 1e300, nan, inf, -inf],
    "int": [-(2 ** 40) - 3, -70000, -300, -129, -128, -2, -1, 0, 1, 2, 127, 128, 200, 255, 256, 300, 70000,
            16777217, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 5, 2 ** 53 - 1],
}


def valid(v, src, dst):
    """Whether torch's cast of v from src to dst is defined behaviour."""
    if not src.is_floating_point:
        return True  # integer narrowing wraps; int -> float rounds
    if v != v or v in (inf, -inf):
        return dst.is_floating_point or dst == torch.bool
    if dst.is_floating_point or dst == torch.bool:
        return True
    lim = {torch.int64: 2 ** 63, torch.int32: 2 ** 31, torch.int8: 128, torch.uint8: 256}[dst]
    lo = 0 if dst == torch.uint8 else -lim
    return lo - 1 < v < lim


for src in dtypes:
    base = src_vals["float" if src.is_floating_point else "int"]
    for dst in dtypes:
        if src == torch.bool:
            x = torch.tensor([True, False, True])
        else:
            # the source values themselves (rounded or wrapped) are what is tested
            x = torch.tensor(base, dtype=torch.float64 if src.is_floating_point else torch.int64).to(src)
            x = torch.tensor([v for v in x.tolist() if valid(v, src, dst)], dtype=src)
        sn, dn = str(src).replace("torch.", ""), str(dst).replace("torch.", "")
        g.add(f"to_{sn}_{dn}", "to", [x], x.to(dst), dtype=dn)

g.save()
