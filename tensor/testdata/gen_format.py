"""Golden strings for Tensor.String: torch's repr with the default print
options. Each case is a tensor (values, dtype, shape), optionally made to
require grad and passed through an op (recipe), and the repr torch prints.
Run: /usr/bin/python3 testdata/gen_format.py"""
import json
import math
import os

import torch
from golden import enc

torch.manual_seed(0)
torch.set_printoptions(profile="default")
cases = []

# Recipes applied to a leaf that requires grad; the Go test applies the same.
RECIPES = {
    "add_self": lambda x: x + x,
    "sub_self": lambda x: x - x,
    "mul_scalar": lambda x: x * 2,
    "div_scalar": lambda x: x / 2,
    "neg": lambda x: -x,
    "sum": lambda x: x.sum(),
}


def add(name, x, requires_grad=False, recipe=None, view=None):
    x = x.clone()
    y = x
    if view == "t":  # the Go test prints x.T(), a non-contiguous view
        y = x.T
    if requires_grad:
        y = x.requires_grad_(True)
        if recipe:
            y = RECIPES[recipe](y)
    c = enc(x)
    c.update(name=name, requires_grad=requires_grad, want=repr(y))
    if recipe:
        c["recipe"] = recipe
    if view:
        c["view"] = view
    cases.append(c)


f32, f64 = torch.float32, torch.float64
T = torch.tensor
nan, inf = math.nan, math.inf

# fixed-point floats
add("fixed_2x2", T([[1.0, -2.5], [0.12345, 3.0]]))
add("fixed_randn", torch.randn(5))
add("fixed_tie_round_even", T([0.03125, 0.09375, 1.0]))
add("fixed_f64", T([1.23456789012, -0.5, 2.0], dtype=f64))
add("fixed_neg_zero", T([-0.0, 1.5]))
add("fixed_ratio_1000", T([0.5, 500.0]))
add("fixed_min_1e-4_f64", T([1e-4, 0.5], dtype=f64))
add("sci_large_ratio", T([12345.678, 0.5, -99999.5], dtype=f64))
# integral floats
add("int_mode", T([1.0, 2.0, 3.0]))
add("int_mode_neg", T([[-1.0, 20.0], [300.0, 0.0]]))
add("int_mode_ratio_1000", T([1.0, 1000.0]))
add("int_mode_sci_ratio", T([1.0, 1e5]))
add("int_mode_sci_big", T([1e9, 2e9]))
add("int_mode_1e8", T([1e8, 5e7], dtype=f64))
add("int_mode_neg_zero", T([-0.0, 1.0, 2.0]))
# scientific
add("sci_small", T([1e-5, 1.0]))
add("sci_f32_1e-4", T([1e-4, 0.5]))
add("sci_ratio", T([0.5, 1000.5]))
add("sci_big_f64", T([123456789.5, 1.5], dtype=f64))
add("sci_neg", T([-1.5e10, 2.25, -3e-3]))
add("sci_huge_exp", T([1.5e200, 1e-200], dtype=f64))
add("sci_2d", T([[1e-6, 2.5], [3.0, -4e6]]))
# nan and inf
add("nan_inf_fixed", T([nan, inf, -inf, 1.5]))
add("nan_int_mode", T([nan, 1.0, 2.0]))
add("inf_int_mode", T([inf, -inf, 100.0]))
add("nan_inf_sci", T([1e-5, inf, nan, -inf]))
add("only_nan", T([nan]))
add("only_inf", T([inf, -inf]))
add("nan_zero", T([nan, 0.0]))
add("zeros", torch.zeros(3))
add("zeros_2d", torch.zeros(2, 2))
# 0-d
add("scalar_int_mode", T(3.0))
add("scalar_fixed", T(-0.5))
add("scalar_nan", T(nan))
add("scalar_zero", T(0.0))
add("scalar_sci", T(1e-5))
add("scalar_f64", T(2.5, dtype=f64))
add("scalar_int64", T(7))
add("scalar_int32", T(-7, dtype=torch.int32))
add("scalar_bool", T(True))
add("scalar_f16", T(1.5, dtype=torch.float16))
# empty
add("empty", torch.zeros(0))
add("empty_int64", torch.zeros(0, dtype=torch.int64))
add("empty_2d", torch.zeros(0, 3))
add("empty_3d_f64", torch.zeros(2, 0, 1, dtype=f64))
add("empty_bool", torch.zeros(3, 0, dtype=torch.bool))
# integer and bool dtypes
add("int64", torch.arange(10))
add("int64_neg", T([[-5, 10], [300, -4000]]))
add("int64_big", T([2**62 + 1, -(2**63)]))
add("int32", T([1, -2, 3], dtype=torch.int32))
add("int8", T([-128, 0, 127], dtype=torch.int8))
add("uint8", T([0, 7, 255], dtype=torch.uint8))
add("bool", T([True, False, True]))
add("bool_2d", T([[True], [False]]))
add("float16", T([0.1, 2.0, -3.5], dtype=torch.float16))
add("float16_int_mode", T([1.0, 2.0], dtype=torch.float16))
# line wrapping
add("wrap_randn", torch.randn(30))
add("wrap_2d", torch.randn(3, 20))
add("wrap_int64", torch.arange(100))
add("wrap_int_mode", torch.arange(40, dtype=f32))
add("wrap_wide_fixed", torch.randn(20) * 1e6)
add("wrap_sci", torch.logspace(-6, 6, 20) * torch.randn(20).sign())
add("wrap_bool", torch.rand(40) > 0.5)
add("wrap_3d", torch.randn(2, 2, 15))
# more dims
add("three_d", torch.randn(2, 3, 4))
add("four_d", torch.randn(2, 1, 2, 2))
add("transposed", torch.randn(3, 5), view="t")
add("transposed_summarised", torch.arange(1200).reshape(30, 40), view="t")
add("one_by_one", T([[[5.0]]]))
# summarisation (most values are multiples of 1/64 to keep the JSON small;
# their 4-decimal forms are exact ties, which exercises round-half-even)


def r64(*shape):
    return torch.randint(-200, 200, shape).float() / 64


add("sum_int64", torch.arange(2000))
add("sum_randn", r64(1001))
add("sum_2d", torch.randn(40, 40))
add("sum_2d_rows", r64(3, 400))
add("sum_2d_cols", r64(400, 3) * 1e-3)
add("sum_3d", r64(10, 10, 11))
add("sum_int_mode", torch.arange(1001, dtype=f32))
# the middle (not shown) holds values that would change the formatter
m = torch.ones(2000)
m[1000] = 1e-9
m[1001] = 0.5
add("sum_hidden_values", m)
add("sum_sci", r64(1200).double() * 1e-5)
add("sum_exact_threshold", torch.arange(1000))
# autograd suffixes
add("requires_grad", T([1.0, 2.5]), requires_grad=True)
add("requires_grad_f64", T([1.0, 2.5], dtype=f64), requires_grad=True)
add("requires_grad_scalar", T(3.0), requires_grad=True)
add("requires_grad_wrap", torch.randn(2, 9, dtype=f64), requires_grad=True)
add("requires_grad_wrap_1d", torch.randn(10, dtype=f64), requires_grad=True)
add("suffix_wrap_fits", torch.randn(7), requires_grad=True)
for r in RECIPES:
    add("grad_fn_" + r, T([[1.5, -2.0], [0.25, 4.0]]), requires_grad=True, recipe=r)
add("grad_fn_f64_wrap", torch.randn(9, dtype=f64), requires_grad=True, recipe="mul_scalar")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "format.json"), "w") as fh:
    json.dump({"generator": "torch " + torch.__version__, "cases": cases}, fh, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {len(cases)} cases to format.json")
