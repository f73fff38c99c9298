"""Golden values for the core ops: arithmetic with broadcasting and type
promotion, sum, and the view ops. Run: /usr/bin/python3 testdata/gen_core.py"""
import torch
from golden import Golden, randn

g = Golden("core.json")
a, b = randn(2, 3), randn(3)
for op, f in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)]:
    x, y = randn(2, 3), randn(2, 3)
    g.add(op + "_same", op, [x, y], f(x, y))
    x, y = randn(4, 1, 3), randn(2, 1)
    g.add(op + "_broadcast", op, [x, y], f(x, y))
    x, y = randn(2, 3, dtype=torch.float64), randn(3)
    g.add(op + "_promote_f64", op, [x, y], f(x, y))
    x, y = torch.randint(-5, 5, (2, 3)), torch.randint(1, 5, (3,), dtype=torch.int32)
    g.add(op + "_int", op, [x, y], f(x, y))
    x, y = torch.randint(0, 5, (3,), dtype=torch.uint8), randn(2, 3)
    g.add(op + "_uint8_float", op, [x, y], f(x, y))
x = randn(3, 4)
g.add("add_scalar", "add_scalar", [x], x + 2.5, s=2.5)
g.add("mul_scalar_int", "mul_scalar", [torch.arange(6).reshape(2, 3)], torch.arange(6).reshape(2, 3) * 3, s=3)
g.add("mul_scalar_int_float", "mul_scalar", [torch.arange(6).reshape(2, 3)], torch.arange(6).reshape(2, 3) * 0.5, s=0.5)
g.add("rsub_scalar", "rsub_scalar", [x], 1 - x, s=1)
g.add("rdiv_scalar", "rdiv_scalar", [x], 2 / x, s=2)
g.add("neg", "neg", [x], -x)
g.add("div_by_zero", "div", [torch.tensor([1.0, -1.0, 0.0]), torch.tensor([0.0, 0.0, 0.0])], torch.tensor([1.0, -1.0, 0.0]) / 0)
x = randn(2, 3, 4)
g.add("sum_all", "sum", [x], x.sum(), dims=[], keepdim=False)
g.add("sum_dim1", "sum", [x], x.sum(1), dims=[1], keepdim=False)
g.add("sum_dims_keep", "sum", [x], x.sum((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
g.add("sum_neg_dim", "sum", [x], x.sum(-1), dims=[-1], keepdim=False)
xi = torch.randint(-9, 9, (3, 4), dtype=torch.int32)
g.add("sum_int32", "sum", [xi], xi.sum(0), dims=[0], keepdim=False)
g.add("sum_bool", "sum", [xi > 0], (xi > 0).sum(1), dims=[1], keepdim=False)
# views
g.add("reshape", "reshape", [x], x.reshape(4, -1), shape=[4, -1])
g.add("permute", "permute", [x], x.permute(2, 0, 1), dims=[2, 0, 1])
g.add("transpose", "transpose", [x], x.transpose(0, 2), d0=0, d1=2)
m = randn(3, 5)
g.add("t", "t", [m], m.T)
g.add("slice", "slice", [x], x[:, 1:3], dim=1, start=1, end=3, step=1)
g.add("slice_step", "slice", [x], x[..., ::2], dim=2, start=0, end=4, step=2)
g.add("slice_neg", "slice", [x], x[:, -2:], dim=1, start=-2, end=3, step=1)
g.add("narrow", "narrow", [x], x.narrow(2, 1, 2), dim=2, start=1, length=2)
g.add("select", "select", [x], x.select(1, -1), dim=1, index=-1)
y = randn(3, 1)
g.add("expand", "expand", [y], y.expand(2, 3, 4), shape=[2, 3, 4])
z = randn(1, 3, 1, 2)
g.add("squeeze_all", "squeeze", [z], z.squeeze(), dims=[])
g.add("squeeze_dim", "squeeze", [z], z.squeeze(2), dims=[2])
g.add("unsqueeze", "unsqueeze", [m], m.unsqueeze(-1), dim=-1)
g.add("flatten", "flatten", [x], x.flatten(1), start=1, end=-1)
# result_type: 0-d tensors do not raise a dimensioned tensor's dtype within a category
for name, x, y in [
    ("f32_dim_f64_zero", randn(3), torch.tensor(2.5, dtype=torch.float64)),
    ("i64_dim_f64_zero", torch.arange(3), torch.tensor(0.5, dtype=torch.float64)),
    ("i32_dim_i64_zero", torch.arange(3, dtype=torch.int32), torch.tensor(7)),
    ("bool_dim_i64_zero", torch.tensor([True, False, True]), torch.tensor(3)),
    ("f16_dim_f32_zero", randn(3).half(), torch.tensor(1.5)),
    ("zero_zero", torch.tensor(2, dtype=torch.int32), torch.tensor(1.5, dtype=torch.float64)),
]:
    g.add("result_type_" + name, "add", [x, y], x + y)
    g.add("result_type_rev_" + name, "mul", [y, x], y * x)
b = torch.tensor([True, False])
g.add("bool_add_scalar", "add_scalar", [b], b + 1, s=1)
g.add("bool_mul_scalar_float", "mul_scalar", [b], b * 2.5, s=2.5)
g.save()
