"""Golden values for nn/functional's losses (torch 1.13, Debian's python3).

Each case holds the input, the target, optional weights, the loss, a random
output gradient g and the gradients of (loss * g).sum() with respect to the
input and (where PyTorch differentiates it) the target. Most cases are
float64 (compared tightly); the "f32" ones run in float32.

Run from this folder: /usr/bin/python3 gen_losses.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../internal/golden"))
from golden import Golden  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
G = Golden(os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.json"))
REDS = ["mean", "sum", "none"]


def case(name, loss, fn, inp, tgt, target_grad, extra=None, **attrs):
    """Run fn(input, target) and add a case with the loss and gradients."""
    x = inp.clone().requires_grad_(True)
    t = tgt.clone()
    if target_grad:
        t.requires_grad_(True)
    out = fn(x, t)
    g = torch.randn(out.shape, dtype=out.dtype)
    (out * g).sum().backward()
    tensors = {"input": inp, "target": tgt, "out": out, "g": g, "grad_input": x.grad}
    if target_grad:
        tensors["grad_target"] = t.grad
    tensors.update(extra or {})
    G.add(name, tensors, loss=loss, **attrs)


def ce_index():
    x = torch.randn(6, 5)
    t = torch.tensor([0, 4, 2, 2, 1, 3])
    ti = torch.tensor([0, -100, 2, 1, -100, 3])
    w = torch.rand(5) + 0.2
    for r in REDS:
        case(f"ce/idx/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x, t, False, reduction=r)
        case(f"ce/idx/weight/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, weight=w, reduction=r), x, t, False,
             {"weight": w}, reduction=r)
        case(f"ce/idx/ignore/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, weight=w, reduction=r), x, ti, False,
             {"weight": w}, reduction=r)
        case(f"ce/idx/ignore1/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, ignore_index=1, reduction=r), x, t, False,
             reduction=r, ignore_index=1)
        case(f"ce/idx/ignore0/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, ignore_index=0, weight=w, reduction=r), x, t,
             False, {"weight": w}, reduction=r, ignore_index=0)
        for ls in (0.1, 1.0):
            case(f"ce/idx/smooth{ls}/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, label_smoothing=ls, reduction=r), x, ti,
                 False, reduction=r, label_smoothing=ls)
        case(f"ce/idx/smooth_weight/{r}", "cross_entropy",
             lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.2, reduction=r), x, ti, False, {"weight": w},
             reduction=r, label_smoothing=0.2)
        case(f"ce/idx/smooth_weight_ignore2/{r}", "cross_entropy",
             lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.3, ignore_index=2, reduction=r), x, t, False,
             {"weight": w}, reduction=r, label_smoothing=0.3, ignore_index=2)
        # [N, C, d1, d2]
        x4 = torch.randn(2, 4, 3, 2)
        t4 = torch.randint(0, 4, (2, 3, 2))
        t4[0, 1, 1] = -100
        t4[1, 2, 0] = -100
        w4 = torch.rand(4) + 0.2
        case(f"ce/idx4d/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x4, t4, False, reduction=r)
        case(f"ce/idx4d/weight_smooth/{r}", "cross_entropy",
             lambda a, b: F.cross_entropy(a, b, weight=w4, label_smoothing=0.15, reduction=r), x4, t4, False, {"weight": w4},
             reduction=r, label_smoothing=0.15)
        x3 = torch.randn(3, 5, 4)
        t3 = torch.randint(0, 5, (3, 4))
        case(f"ce/idx3d/weight/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, weight=w, reduction=r), x3, t3, False,
             {"weight": w}, reduction=r)
        # unbatched
        case(f"ce/idx1d/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.1, reduction=r),
             torch.randn(5), torch.tensor(3), False, {"weight": w}, reduction=r, label_smoothing=0.1)
    # all targets ignored: NaN mean, zero sum
    ta = torch.full((6,), -100)
    for r in ("mean", "sum"):
        case(f"ce/idx/all_ignored/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x, ta, False, reduction=r)
    # float32: the vectorised path
    for r in REDS:
        x32 = torch.randn(8, 10, dtype=torch.float32) * 3
        t32 = torch.randint(0, 10, (8,))
        t32[3] = -100
        w32 = torch.rand(10, dtype=torch.float32) + 0.2
        case(f"ce/f32/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x32, t32, False, reduction=r)
        case(f"ce/f32/weight_smooth/{r}", "cross_entropy",
             lambda a, b: F.cross_entropy(a, b, weight=w32, label_smoothing=0.1, reduction=r), x32, t32, False, {"weight": w32},
             reduction=r, label_smoothing=0.1)
        x32 = torch.randn(2, 6, 3, 3, dtype=torch.float32)
        t32 = torch.randint(0, 6, (2, 3, 3))
        case(f"ce/f32/4d/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x32, t32, False, reduction=r)


def ce_probs():
    x = torch.randn(4, 5)
    p = torch.randn(4, 5).softmax(1)
    w = torch.rand(5) + 0.2
    x3 = torch.randn(2, 3, 4)
    p3 = torch.rand(2, 3, 4)  # unnormalised targets are allowed
    for r in REDS:
        case(f"ce/prob/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), x, p, True, reduction=r)
        case(f"ce/prob/weight/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, weight=w, reduction=r), x, p, True,
             {"weight": w}, reduction=r)
        case(f"ce/prob/weight_smooth/{r}", "cross_entropy",
             lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.25, reduction=r), x, p, True, {"weight": w},
             reduction=r, label_smoothing=0.25)
        case(f"ce/prob3d/smooth/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1, reduction=r),
             x3, p3, True, reduction=r, label_smoothing=0.1)
        case(f"ce/prob1d/{r}", "cross_entropy", lambda a, b: F.cross_entropy(a, b, reduction=r), torch.randn(5),
             torch.rand(5), True, reduction=r)


def nll():
    x = torch.randn(6, 5).log_softmax(1)
    t = torch.tensor([0, -100, 2, 1, 4, 3])
    t3 = torch.tensor([0, 3, 2, 1, 4, 3])
    w = torch.rand(5) + 0.2
    x4 = torch.randn(2, 4, 3, 2).log_softmax(1)
    t4 = torch.randint(0, 4, (2, 3, 2))
    t4[1, 0, 1] = 3
    for r in REDS:
        case(f"nll/{r}", "nll_loss", lambda a, b: F.nll_loss(a, b, reduction=r), x, t, False, reduction=r)
        case(f"nll/weight/{r}", "nll_loss", lambda a, b: F.nll_loss(a, b, weight=w, reduction=r), x, t, False, {"weight": w},
             reduction=r)
        case(f"nll/ignore3/{r}", "nll_loss", lambda a, b: F.nll_loss(a, b, weight=w, ignore_index=3, reduction=r), x, t3, False,
             {"weight": w}, reduction=r, ignore_index=3)
        case(f"nll/4d/{r}", "nll_loss", lambda a, b: F.nll_loss(a, b, ignore_index=3, reduction=r), x4, t4, False,
             reduction=r, ignore_index=3)
        case(f"nll/1d/{r}", "nll_loss", lambda a, b: F.nll_loss(a, b, weight=w, reduction=r), torch.randn(5), torch.tensor(2),
             False, {"weight": w}, reduction=r)


def regression():
    x = torch.randn(4, 5) * 2
    y = torch.randn(4, 5) * 2
    y[0, 0] = x[0, 0]  # |d| = 0: the L1 gradient is 0 there
    yb = torch.randn(5)
    for r in REDS:
        case(f"mse/{r}", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction=r), x, y, True, reduction=r)
        case(f"mse/broadcast/{r}", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction=r), x, yb, True, reduction=r)
        case(f"l1/{r}", "l1_loss", lambda a, b: F.l1_loss(a, b, reduction=r), x, y, True, reduction=r)
        case(f"l1/broadcast/{r}", "l1_loss", lambda a, b: F.l1_loss(a, b, reduction=r), x, yb, True, reduction=r)
        for beta in (None, 0.5, 2.0):
            kw = {} if beta is None else {"beta": beta}
            case(f"smooth_l1/beta{beta}/{r}", "smooth_l1_loss", lambda a, b: F.smooth_l1_loss(a, b, reduction=r, **kw), x, y, True,
                 reduction=r, beta=beta or 0.0)
        for delta in (None, 0.5, 2.0):
            kw = {} if delta is None else {"delta": delta}
            case(f"huber/delta{delta}/{r}", "huber_loss", lambda a, b: F.huber_loss(a, b, reduction=r, **kw), x, y, True,
                 reduction=r, delta=delta or 0.0)
    x32, y32 = torch.randn(3, 4, dtype=torch.float32), torch.randn(3, 4, dtype=torch.float32)
    case("mse/f32/mean", "mse_loss", lambda a, b: F.mse_loss(a, b), x32, y32, True, reduction="mean")
    case("smooth_l1/f32/mean", "smooth_l1_loss", lambda a, b: F.smooth_l1_loss(a, b), x32, y32, True, reduction="mean",
         beta=0.0)


def bce():
    x = torch.rand(4, 3) * 0.9 + 0.05
    y = torch.rand(4, 3)
    w = torch.rand(4, 3) + 0.5
    wrow = torch.rand(3) + 0.5
    pw = torch.rand(3) * 3 + 0.2
    logits = torch.randn(4, 3) * 3
    logits[0, 0] = 0.0
    logits[1, 1] = 40.0
    logits[2, 2] = -40.0
    for r in REDS:
        case(f"bce/{r}", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b, reduction=r), x, y, True, reduction=r)
        case(f"bce/weight/{r}", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=r), x, y,
             True, {"weight": w}, reduction=r)
        case(f"bce/weight_row/{r}", "binary_cross_entropy",
             lambda a, b: F.binary_cross_entropy(a, b, weight=wrow, reduction=r), x, y, True, {"weight": wrow}, reduction=r)
        case(f"bcel/{r}", "binary_cross_entropy_with_logits",
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), logits, y, True, reduction=r)
        case(f"bcel/weight/{r}", "binary_cross_entropy_with_logits",
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=wrow, reduction=r), logits, y, True, {"weight": wrow},
             reduction=r)
        case(f"bcel/pos_weight/{r}", "binary_cross_entropy_with_logits",
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction=r), logits, y, True,
             {"pos_weight": pw}, reduction=r)
        case(f"bcel/both/{r}", "binary_cross_entropy_with_logits",
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw, reduction=r), logits, y, True,
             {"weight": w, "pos_weight": pw}, reduction=r)
    # probabilities at the edges: clamped logs (loss 100) and PyTorch's
    # eps-guarded gradient
    xe = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5])
    ye = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    case("bce/edges/sum", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b, reduction="sum"), xe, ye, True,
         reduction="sum")
    x32, y32 = torch.rand(3, 4, dtype=torch.float32), torch.rand(3, 4, dtype=torch.float32)
    case("bce/f32/mean", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b), x32, y32, True, reduction="mean")
    case("bcel/f32/mean", "binary_cross_entropy_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b),
         x32 * 6 - 3, y32, True, reduction="mean")


def kldiv():
    x = torch.randn(4, 5).log_softmax(1)
    y = torch.randn(4, 5).softmax(1)
    y0 = y.clone()
    y0[1, 2] = 0.0
    ylog = torch.randn(4, 5).log_softmax(1)
    for r in REDS + ["batchmean"]:
        case(f"kl/{r}", "kl_div", lambda a, b: F.kl_div(a, b, reduction=r), x, y, True, reduction=r)
        case(f"kl/log_target/{r}", "kl_div", lambda a, b: F.kl_div(a, b, reduction=r, log_target=True), x, ylog, True,
             reduction=r, log_target=True)
        # a zero probability: xlogy(0, 0) = 0 (its target gradient is NaN in PyTorch; input only)
        case(f"kl/zero/{r}", "kl_div", lambda a, b: F.kl_div(a, b, reduction=r), x, y0, False, reduction=r)
    case("kl/broadcast/batchmean", "kl_div", lambda a, b: F.kl_div(a, b, reduction="batchmean"), x, y[0], True,
         reduction="batchmean")


ce_index()
ce_probs()
nll()
regression()
bce()
kldiv()
G.save()
