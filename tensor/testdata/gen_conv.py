"""Golden values for the linear algebra and convolution ops: matmul (every
rank combination, broadcast batches, transposed operands, dtypes, NaN/inf,
empty), mm, bmm, dot, linear, conv1d, conv2d (stride, padding, "same" with
even kernels, dilation, groups, depthwise, 1x1, no bias, unbatched),
conv_transpose1d/2d, and gradients of several of them.
Run: /usr/bin/python3 testdata/gen_conv.py"""
import torch
import torch.nn.functional as F
from golden import Golden, randn

g = Golden("conv.json")
f64 = torch.float64

# --- matmul ---------------------------------------------------------------
for name, sa, sb in [
    ("1d_1d", (3,), (3,)),
    ("2d_2d", (2, 3), (3, 4)),
    ("1d_2d", (3,), (3, 4)),
    ("2d_1d", (2, 3), (3,)),
    ("1d_3d", (3,), (2, 3, 4)),
    ("3d_1d", (2, 2, 3), (3,)),
    ("3d_2d", (2, 2, 3), (3, 4)),
    ("2d_3d", (2, 3), (5, 3, 4)),
    ("3d_3d", (2, 2, 3), (2, 3, 4)),
    ("broadcast_4d_3d", (2, 1, 3, 4), (5, 4, 2)),
    ("broadcast_4d_4d", (2, 1, 2, 3), (1, 3, 3, 2)),
    ("4d_1d", (2, 3, 2, 4), (4,)),
]:
    a, b = randn(*sa), randn(*sb)
    g.add("matmul_" + name, "matmul", [a, b], torch.matmul(a, b), ta=False, tb=False)

# transposed operands: the inputs are stored as given and the Go op applies
# .mT before multiplying, so the GEMM sees transposed strides.
for name, sa, sb, ta, tb in [
    ("ta", (3, 2), (3, 4), True, False),
    ("tb", (2, 3), (4, 3), False, True),
    ("ta_tb", (3, 2), (4, 3), True, True),
    ("batched_ta", (2, 3, 2), (2, 3, 4), True, False),
    ("batched_tb_broadcast", (2, 1, 2, 3), (3, 4, 3), False, True),
    ("3d_2d_ta", (2, 3, 2), (3, 4), True, False),
]:
    a, b = randn(*sa), randn(*sb)
    x = a.mT if ta else a
    y = b.mT if tb else b
    g.add("matmul_" + name, "matmul", [a, b], torch.matmul(x, y), ta=ta, tb=tb)

a, b = randn(2, 3, 4, dtype=f64), randn(4, 5, dtype=f64)
g.add("matmul_f64", "matmul", [a, b], a @ b, ta=False, tb=False)
a, b = torch.randint(-5, 5, (2, 3, 4)), torch.randint(-5, 5, (4, 2))
g.add("matmul_int64", "matmul", [a, b], a @ b, ta=False, tb=False)
a, b = torch.randint(-5, 5, (3, 4), dtype=torch.int32), torch.randint(-5, 5, (4,), dtype=torch.int32)
g.add("matmul_int32", "matmul", [a, b], a @ b, ta=False, tb=False)
# float16 computes in float32 and rounds (PyTorch 1.13 has no CPU half matmul)
a, b = randn(2, 3).half(), randn(3, 4).half()
g.add("matmul_f16", "matmul", [a, b], (a.float() @ b.float()).half(), ta=False, tb=False)
a = torch.tensor([[1.0, float("nan"), 2.0], [float("inf"), 1.0, 0.0], [1.0, 2.0, 3.0], [float("inf"), -1.0, 1.0]])
b = torch.tensor([[1.0, -1.0], [2.0, 0.0], [0.5, 1.0]])
b[2, 1] = float("-inf")
g.add("matmul_nan_inf", "matmul", [a, b], a @ b, ta=False, tb=False)
a, b = randn(2, 0), randn(0, 3)
g.add("matmul_k0", "matmul", [a, b], a @ b, ta=False, tb=False)
a, b = randn(0, 3), randn(3, 2)
g.add("matmul_m0", "matmul", [a, b], a @ b, ta=False, tb=False)

a, b = randn(3, 4), randn(4, 2)
g.add("mm", "mm", [a, b], torch.mm(a, b))
a, b = randn(2, 3, 4), randn(2, 4, 2)
g.add("bmm", "bmm", [a, b], torch.bmm(a, b))
a, b = randn(5), randn(5)
g.add("dot", "dot", [a, b], torch.dot(a, b))
a, b = torch.randint(-9, 9, (6,)), torch.randint(-9, 9, (6,))
g.add("dot_int64", "dot", [a, b], torch.dot(a, b))

# matmul gradients with broadcast batch dims: inputs a, b, upstream grad
for name, sa, sb in [("broadcast", (2, 1, 3, 4), (5, 4, 2)), ("3d_2d", (2, 2, 3), (3, 4)),
                     ("1d_3d", (3,), (2, 3, 4)), ("1d_1d", (4,), (4,))]:
    a = randn(*sa, dtype=f64).requires_grad_()
    b = randn(*sb, dtype=f64).requires_grad_()
    y = torch.matmul(a, b)
    gy = torch.randn_like(y)
    ga, gb = torch.autograd.grad(y, [a, b], gy)
    g.add("matmul_grad_" + name, "matmul_grad", [a, b, gy], [y, ga, gb])

# --- linear ---------------------------------------------------------------
x, w, b = randn(4, 3), randn(5, 3), randn(5)
g.add("linear", "linear", [x, w, b], F.linear(x, w, b))
x, w = randn(2, 3, 3), randn(4, 3)
g.add("linear_3d_nobias", "linear", [x, w], F.linear(x, w))
x, w, b = randn(3), randn(2, 3), randn(2)
g.add("linear_1d", "linear", [x, w, b], F.linear(x, w, b))
x, w, b = randn(2, 4, dtype=f64), randn(3, 4, dtype=f64), randn(3, dtype=f64)
g.add("linear_f64", "linear", [x, w, b], F.linear(x, w, b))
x, w, b = randn(2, 3, dtype=f64).requires_grad_(), randn(4, 3, dtype=f64).requires_grad_(), randn(4, dtype=f64).requires_grad_()
y = F.linear(x, w, b)
gy = torch.randn_like(y)
g.add("linear_grad", "linear_grad", [x, w, b, gy], [y, *torch.autograd.grad(y, [x, w, b], gy)])


# --- conv2d ---------------------------------------------------------------
def conv_attrs(stride=1, padding=0, dilation=1, groups=1):
    a = dict(stride=stride, dilation=dilation, groups=groups)
    if isinstance(padding, str):
        a["padding_mode"] = padding
    else:
        a["padding"] = padding
    return a


def conv2d_case(name, xs, ws, bias=True, dtype=torch.float32, **kw):
    x, w = randn(*xs, dtype=dtype), randn(*ws, dtype=dtype)
    inputs = [x, w]
    b = None
    if bias:
        b = randn(ws[0], dtype=dtype)
        inputs.append(b)
    g.add("conv2d_" + name, "conv2d", inputs, F.conv2d(x, w, b, **kw), **conv_attrs(**kw))


conv2d_case("basic", (2, 3, 5, 5), (4, 3, 3, 3))
conv2d_case("stride2_pad1", (2, 3, 7, 6), (4, 3, 3, 3), stride=2, padding=1)
conv2d_case("rect", (1, 2, 6, 7), (3, 2, 2, 3), stride=[2, 1], padding=[1, 0])
conv2d_case("same_even", (1, 2, 6, 5), (3, 2, 2, 4), padding="same")
conv2d_case("same_dil2", (1, 2, 7, 7), (2, 2, 4, 3), padding="same", dilation=2)
conv2d_case("valid", (1, 2, 6, 6), (3, 2, 3, 3), padding="valid")
conv2d_case("dilation2", (2, 2, 7, 8), (3, 2, 3, 3), dilation=2, padding=1)
conv2d_case("groups2", (1, 4, 5, 5), (6, 2, 3, 3), groups=2, padding=1)
conv2d_case("depthwise", (2, 3, 6, 6), (3, 1, 3, 3), groups=3, padding=1)
conv2d_case("depthwise_stride2", (1, 4, 7, 7), (4, 1, 3, 3), groups=4, padding=1, stride=2)
conv2d_case("depthwise_mult2", (1, 3, 5, 5), (6, 1, 3, 3), groups=3, padding=1)
conv2d_case("depthwise_5x5_dil", (1, 2, 9, 8), (2, 1, 5, 5), groups=2, padding=3, dilation=2)
conv2d_case("1x1", (2, 4, 3, 3), (5, 4, 1, 1))
conv2d_case("1x1_stride2", (1, 3, 5, 5), (2, 3, 1, 1), stride=2)
conv2d_case("nobias", (1, 3, 5, 5), (2, 3, 3, 3), bias=False, padding=1)
conv2d_case("unbatched", (3, 5, 5), (2, 3, 3, 3), padding=1)
conv2d_case("f64", (1, 2, 5, 5), (3, 2, 3, 3), dtype=f64, stride=2, padding=2)
x, w = randn(1, 2, 4, 4), randn(2, 2, 3, 3)
x[0, 0, 1, 1] = float("nan")
x[0, 1, 3, 3] = float("inf")
g.add("conv2d_nan_inf", "conv2d", [x, w], F.conv2d(x, w, padding=1), **conv_attrs(padding=1))
x, w = randn(1, 2, 5, 5).half(), randn(3, 2, 3, 3).half()
g.add("conv2d_f16", "conv2d", [x, w], F.conv2d(x.float(), w.float()).half(), **conv_attrs())

# --- conv1d ---------------------------------------------------------------
for name, xs, ws, bias, kw in [
    ("basic", (2, 3, 7), (4, 3, 3), True, {}),
    ("stride2_pad1", (2, 3, 8), (4, 3, 3), True, dict(stride=2, padding=1)),
    ("same_even", (1, 2, 6), (3, 2, 4), True, dict(padding="same")),
    ("dil2_groups2", (1, 4, 9), (4, 2, 3), False, dict(dilation=2, groups=2)),
    ("depthwise", (2, 3, 6), (3, 1, 3), True, dict(groups=3, padding=1)),
    ("unbatched", (3, 6), (2, 3, 2), True, {}),
]:
    x, w = randn(*xs), randn(*ws)
    b = randn(ws[0]) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    g.add("conv1d_" + name, "conv1d", inputs, F.conv1d(x, w, b, **kw), **conv_attrs(**kw))


# --- conv_transpose -------------------------------------------------------
def convt_case(op, fn, name, xs, ws, bias=True, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    x, w = randn(*xs), randn(*ws)
    cout = ws[1] * groups
    b = randn(cout) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    y = fn(x, w, b, stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    g.add(op + "_" + name, op, inputs, y, stride=stride, padding=padding,
          output_padding=output_padding, groups=groups, dilation=dilation)


ct2 = ("conv_transpose2d", F.conv_transpose2d)
convt_case(*ct2, "basic", (2, 4, 3, 3), (4, 3, 3, 3))
convt_case(*ct2, "stride2_outpad1_groups2", (1, 4, 3, 3), (4, 2, 3, 3), stride=2, padding=1, output_padding=1, groups=2)
convt_case(*ct2, "dilation2", (1, 2, 3, 4), (2, 3, 3, 2), dilation=2, padding=1)
convt_case(*ct2, "rect", (1, 2, 3, 3), (2, 2, 3, 2), stride=[2, 1], padding=[1, 0], output_padding=[1, 0])
convt_case(*ct2, "nobias_unbatched", (3, 3, 3), (3, 2, 2, 2), bias=False, stride=2)
convt_case(*ct2, "depthwise", (1, 3, 4, 4), (3, 1, 3, 3), groups=3, stride=2, padding=1, output_padding=1)
ct1 = ("conv_transpose1d", F.conv_transpose1d)
convt_case(*ct1, "stride2", (2, 3, 4), (3, 2, 3), stride=2, padding=1, output_padding=1)
convt_case(*ct1, "groups", (1, 4, 5), (4, 1, 2), groups=2, bias=False)

# --- gradients against PyTorch's autograd -----------------------------------
for name, xs, ws, kw in [
    ("stride2_pad1", (2, 3, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("groups2_dil2", (1, 4, 5, 5), (4, 2, 3, 3), dict(groups=2, dilation=2, padding=2)),
    ("depthwise", (2, 3, 4, 4), (6, 1, 3, 3), dict(groups=3, padding=1)),
    ("same_even", (1, 2, 5, 5), (2, 2, 2, 2), dict(padding="same")),
    ("1x1", (2, 3, 4, 4), (2, 3, 1, 1), {}),
]:
    x = randn(*xs, dtype=f64).requires_grad_()
    w = randn(*ws, dtype=f64).requires_grad_()
    b = randn(ws[0], dtype=f64).requires_grad_()
    y = F.conv2d(x, w, b, **kw)
    gy = torch.randn_like(y)
    g.add("conv2d_grad_" + name, "conv2d_grad", [x, w, b, gy], [y, *torch.autograd.grad(y, [x, w, b], gy)], **conv_attrs(**kw))

x = randn(1, 4, 3, 3, dtype=f64).requires_grad_()
w = randn(4, 2, 3, 3, dtype=f64).requires_grad_()
b = randn(4, dtype=f64).requires_grad_()
kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
y = F.conv_transpose2d(x, w, b, **kw)
gy = torch.randn_like(y)
g.add("conv_transpose2d_grad", "conv_transpose2d_grad", [x, w, b, gy], [y, *torch.autograd.grad(y, [x, w, b], gy)], **kw)

g.save()
