"""Golden values for the creation functions (zeros, ones, full, empty and
the *_like forms, from_slice for every element type, arange, linspace, eye,
scalar) and for casts between every pair of dtypes.
Run: /usr/bin/python3 testdata/gen_create.py

create.json is compared exactly. create_long.json holds arange and linspace
cases of 16 or more float32 elements (8 or more float64 elements): torch's
AVX2 CPU kernels fill those in vector blocks (base + k*step, with base
rounded to the dtype) that round differently from the scalar formula Ember
uses everywhere, so the Go test compares them within two ulps of the range.
"""
import math

import torch
from golden import Golden, _num

g = Golden("create.json")
long = Golden("create_long.json")
f32, f64 = torch.float32, torch.float64
nan, inf = math.nan, math.inf
DTYPES = [torch.float32, torch.float64, torch.int64, torch.int32, torch.int8,
          torch.uint8, torch.bool, torch.float16]


def name(dt):
    return str(dt).replace("torch.", "")


# zeros, ones, full, empty
for shape in [[], [0], [3], [2, 3], [2, 0, 4], [1, 1, 1]]:
    s = "x".join(map(str, shape)) or "scalar"
    g.add("zeros_" + s, "zeros", [], torch.zeros(shape), shape=shape)
    g.add("ones_" + s, "ones", [], torch.ones(shape), shape=shape)
for v in [2.5, -0.0, 1e-3, 1e30, nan, inf, -inf, 7]:
    g.add(f"full_{v}", "full", [], torch.full([2, 3], float(v)), shape=[2, 3], v=v)
g.add("full_scalar", "full", [], torch.full([], 3.25), shape=[], v=3.25)
for dt in DTYPES:
    # Ember's Empty zeroes its memory (torch.empty leaves it uninitialised).
    g.add("empty_" + name(dt), "empty", [], torch.zeros(2, 3, dtype=dt), shape=[2, 3], dtype=name(dt))
    x = torch.tensor([[1, 0, 3], [4, 5, 6]], dtype=dt)
    g.add("zeros_like_" + name(dt), "zeros_like", [x], torch.zeros_like(x))
    g.add("ones_like_" + name(dt), "ones_like", [x], torch.ones_like(x))
    fill = 1 if dt == torch.bool else (2 if dt == torch.uint8 else -2.75)
    g.add("full_like_" + name(dt), "full_like", [x], torch.full_like(x, fill), v=fill)
g.add("full_like_nan", "full_like", [torch.zeros(3)], torch.full_like(torch.zeros(3), nan), v=nan)

# from_slice: the Go test converts values (Python numbers) to the Go type
FROM = {
    torch.float32: [0.1, -2.5, 1e-40, 3.4e38, nan, inf, -0.0, 16777217.0],
    torch.float64: [0.1, -2.5, 1e-310, 1.7e308, nan, -inf, -0.0, 2.0**53 + 1],
    torch.int64: [0, -1, 2**53, -(2**53), 123456789],
    torch.int32: [0, -1, 2**31 - 1, -(2**31)],
    torch.int8: [0, -128, 127, -1],
    torch.uint8: [0, 255, 128, 1],
    torch.bool: [True, False, True],
    torch.float16: [0.1, -2.5, 65504.0, 70000.0, 1e-8, 6e-8, 1e-5, nan, -inf, -0.0, 1.0 + 2.0**-11],
}
for dt, vals in FROM.items():
    t = torch.tensor(vals, dtype=dt)
    g.add("from_slice_" + name(dt), "from_slice", [], t, dtype=name(dt), values=[_num(v) for v in vals])
    g.add("from_slice_2d_" + name(dt), "from_slice", [], t[:4].reshape(2, 2) if len(vals) >= 4 else t.reshape(1, 3),
          dtype=name(dt), values=[_num(v) for v in vals[:4 if len(vals) >= 4 else 3]],
          shape=[2, 2] if len(vals) >= 4 else [1, 3])

# arange with float arguments: the length is ceil((end - start) / step) in
# float64, so steps that are not exact in binary give an extra element
for a, b, s in [(0, 10, 1), (1, 2.5, 0.5), (0, 1, 0.1), (10, 0, -1.5), (-1, 1, 0.3),
                (0, 1, 1 / 3), (0.5, 0.9, 0.1), (1, 1.3, 0.1), (5, 5, 1), (0, -1, -0.25),
                (2, 3, 5), (0.1, 3.3, 0.7), (-3.7, 40.2, 0.9), (100, -3, -2.6), (0, 1, 1 / 16)]:
    for dt, lanes, suffix in [(f32, 8, ""), (f64, 4, "_f64")]:
        out = torch.arange(float(a), float(b), float(s), dtype=dt)
        dst = g if out.numel() < 2 * lanes else long
        dst.add(f"arange{suffix}_{a}_{b}_{s}", "arange", [], out, start=a, end=b, step=s, f64=dt == f64)
for a, b, s in [(0, 10, 1), (0, 10, 3), (10, 0, -3), (-5, 5, 2), (3, 3, 1), (0, 1, 5), (7, -8, -5), (0, 100, 7)]:
    g.add(f"arange_int_{a}_{b}_{s}", "arange_int", [], torch.arange(a, b, s), start=a, end=b, step=s)

# linspace: torch fills the first half from start and the second from end
for a, b, n in [(0, 1, 7), (-3.3, 7.1, 13), (0.1, 0.9, 5), (2.5, -7.25, 15), (0, 1, 1), (0, 1, 0),
                (5, 5, 4), (0, 1, 2), (3.14159, 2.71828, 11), (-2.2, 9.9, 14), (1e-3, 5.7, 9), (-1, 1, 3)]:
    g.add(f"linspace_{a}_{b}_{n}", "linspace", [], torch.linspace(a, b, n), start=a, end=b, steps=n)
for a, b, n in [(0, 1, 7), (-3.3, 7.1, 5), (0.1, 0.9, 3), (2.5, -7.25, 6), (0.3, 0.7, 4), (0, 1, 1)]:
    g.add(f"linspace_f64_{a}_{b}_{n}", "linspace", [], torch.linspace(a, b, n, dtype=f64),
          start=a, end=b, steps=n, f64=True)
g.add("linspace_15_rounding", "linspace", [], torch.linspace(0.1, 0.7, 15), start=0.1, end=0.7, steps=15)
for a, b, n in [(0.1, 0.9, 33), (-1, 1, 101), (1e-3, 5.7, 100), (0.3, 0.7, 50), (-10, 10, 99), (0, 1, 16)]:
    long.add(f"linspace_{a}_{b}_{n}", "linspace", [], torch.linspace(a, b, n), start=a, end=b, steps=n, f64=False)
    long.add(f"linspace_f64_{a}_{b}_{n}", "linspace", [], torch.linspace(a, b, n, dtype=f64),
             start=a, end=b, steps=n, f64=True)

# eye
for n, m in [(3, None), (2, 4), (4, 2), (0, None), (1, 1), (0, 3)]:
    out = torch.eye(n) if m is None else torch.eye(n, m)
    kw = {"n": n} if m is None else {"n": n, "m": m}
    g.add(f"eye_{n}_{m}", "eye", [], out, **kw)

# scalar
for v in [2.5, -0.0, nan, 1e-45, 7]:
    g.add(f"scalar_{v}", "scalar", [], torch.tensor(float(v)), v=v)

# casts between every pair of dtypes; values stay in the range where the
# C++ conversions PyTorch uses are defined
SRC = {
    "float": [0.0, -0.0, 1.0, -2.75, 2.75, 100.5, 0.1, 127.0],
    "float_special": [nan, inf, -inf, 1e-8, 65519.0, 65520.0, 3.0e38],
    "int": [0, 1, -1, 127, -128, 100, 255, 300, -300],
    "bool": [True, False, True],
}
for dt_from in DTYPES:
    for dt_to in DTYPES:
        if dt_from.is_floating_point:
            vals = SRC["float"]
            if not dt_to.is_floating_point:
                # float -> unsigned/narrow int of negative or large values is UB in C++
                if dt_to == torch.uint8:
                    vals = [0.0, 1.0, 2.75, 100.5, 0.1, 127.0, 200.9]
                elif dt_to == torch.int8:
                    vals = [0.0, -0.0, 1.0, -2.75, 2.75, 100.5, 0.1, 127.0, -128.0]
            x = torch.tensor(vals, dtype=dt_from)
            g.add(f"to_{name(dt_from)}_{name(dt_to)}", "to", [x], x.to(dt_to), dtype=name(dt_to))
            if dt_to.is_floating_point or dt_to == torch.bool:
                x = torch.tensor(SRC["float_special"], dtype=f64).to(dt_from)
                g.add(f"to_special_{name(dt_from)}_{name(dt_to)}", "to", [x], x.to(dt_to), dtype=name(dt_to))
        elif dt_from == torch.bool:
            x = torch.tensor(SRC["bool"])
            g.add(f"to_bool_{name(dt_to)}", "to", [x], x.to(dt_to), dtype=name(dt_to))
        else:
            x = torch.tensor(SRC["int"]).to(dt_from)  # wraps like C++
            g.add(f"to_{name(dt_from)}_{name(dt_to)}", "to", [x], x.to(dt_to), dtype=name(dt_to))
x = torch.tensor([1 + 2.0**-11 + 2.0**-40, 1 + 2.0**-11, 2049.0, 2051.0], dtype=f64)
g.add("to_f64_f16_double_rounding", "to", [x], x.to(torch.float16), dtype="float16")
x = torch.tensor([2**24 + 1, 2**40 + 1, -(2**31) - 1, 16777219])
g.add("to_int64_float_rounding", "to", [x], x.to(f32), dtype="float32")
g.save()
long.save()
