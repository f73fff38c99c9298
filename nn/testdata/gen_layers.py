"""Golden values for nn's layers (nn/layers_test.go), from PyTorch 1.13.

Run with Debian's Python from this folder's package root:

    /usr/bin/python3 nn/testdata/gen_layers.py

Every case holds the layer's state dict (param.<key>), its input x, output
out, a random output gradient g and the gradients of (out * g).sum() with
respect to x (grad.x) and every parameter (grad.<name>), and as attributes
torch's repr of the layer (repr) and its state-dict keys in order (keys).
Inputs and parameters are multiples of 1/32 (short in JSON, exact in both
float64 and float32) except where ties would make a gradient ambiguous (max
pooling) or a kink would be hit (activations). Most cases run in float64 so
that a wrong eps or momentum cannot hide under float32 rounding.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../internal/golden"))
from golden import Golden  # noqa: E402

torch.set_default_dtype(torch.float64)
G = Golden(os.path.join(os.path.dirname(__file__), "layers.json"))


def q(t):
    """Rounds t to a multiple of 1/32."""
    return (t * 32).round() / 32


def seed(name):
    torch.manual_seed(sum(ord(c) * (i + 1) for i, c in enumerate(name)))


def state(m):
    return {"param." + k: v.clone() for k, v in m.state_dict().items()}


def layer(name, make, shape, *, quant=True, scale=1.0, train=True, quant_params=True, inplace=False, dtype=torch.float64,
          rtol=None):
    """A layer case: forward and backward of one input. rtol, when given,
    overrides the test's relative tolerance for the dtype."""
    seed(name)
    m = make().to(dtype)
    if quant_params:
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(q(p))
    m.train(train)
    sd = state(m)
    if isinstance(shape, torch.Tensor):
        x = shape
    else:
        x = torch.randn(*shape, dtype=dtype) * scale
        if quant:
            x = q(x)
        x.requires_grad_(True)
    inp = x * 1 if inplace else x
    out = m(inp)
    g = q(torch.randn_like(out))
    (out * g).sum().backward()
    ts = dict(sd)
    ts.update({"x": x, "out": out, "g": g})
    if x.requires_grad:
        ts["grad.x"] = x.grad
    for k, p in m.named_parameters():
        ts["grad." + k] = p.grad
    G.add(name, ts, kind="layer", repr=repr(m), keys=list(m.state_dict().keys()), train=train,
          inplace=inplace, dtype=str(dtype).replace("torch.", ""), **({"rtol": rtol} if rtol else {}))


def batchnorm(name, make, shape, nbt=0):
    """Two training passes (outputs, gradients, running statistics after
    them), then one pass in evaluation mode."""
    seed(name)
    m = make()
    with torch.no_grad():
        if m.affine:
            m.weight.copy_(q(1 + 0.5 * torch.randn_like(m.weight)))
            m.bias.copy_(q(0.5 * torch.randn_like(m.bias)))
        if m.track_running_stats:
            m.running_mean.copy_(q(torch.randn_like(m.running_mean)))
            m.running_var.copy_(q(0.5 + torch.rand_like(m.running_var)))
            m.num_batches_tracked.fill_(nbt)
    sd = state(m)
    ts = dict(sd)
    m.train()
    x1 = q(torch.randn(*shape) * 2 + 1).requires_grad_(True)
    x2 = q(torch.randn(*shape) - 0.5).requires_grad_(True)
    out1 = m(x1)
    out2 = m(x2)
    g1, g2 = q(torch.randn_like(out1)), q(torch.randn_like(out2))
    ((out1 * g1).sum() + (out2 * g2).sum()).backward()
    ts.update({"x1": x1, "x2": x2, "out1": out1, "out2": out2, "g1": g1, "g2": g2,
               "grad.x1": x1.grad, "grad.x2": x2.grad})
    for k, p in m.named_parameters():
        ts["grad." + k] = p.grad
        p.grad = None
    ts.update({"post." + k: v.clone() for k, v in m.state_dict().items()})
    m.eval()
    x3 = q(torch.randn(*shape)).requires_grad_(True)
    out3 = m(x3)
    g3 = q(torch.randn_like(out3))
    (out3 * g3).sum().backward()
    ts.update({"x3": x3, "out3": out3, "g3": g3, "grad.x3": x3.grad})
    for k, p in m.named_parameters():
        ts["evalgrad." + k] = p.grad
    G.add(name, ts, kind="bn", repr=repr(m), keys=list(m.state_dict().keys()))


# Linear
layer("linear", lambda: nn.Linear(4, 3), (2, 4))
layer("linear_nobias", lambda: nn.Linear(4, 3, bias=False), (2, 3, 4))
layer("linear_1d", lambda: nn.Linear(3, 2), (3,))
layer("linear_f32", lambda: nn.Linear(5, 3), (4, 5), dtype=torch.float32)

# Conv1d
layer("conv1d", lambda: nn.Conv1d(2, 3, 3), (2, 2, 7))
layer("conv1d_opts", lambda: nn.Conv1d(4, 4, 3, stride=2, padding=2, dilation=2, groups=2, bias=False), (2, 4, 9))
layer("conv1d_same_reflect", lambda: nn.Conv1d(2, 3, 4, padding="same", padding_mode="reflect"), (1, 2, 7))
layer("conv1d_circular", lambda: nn.Conv1d(2, 2, 3, padding=2, padding_mode="circular"), (2, 2, 5))
layer("conv1d_unbatched", lambda: nn.Conv1d(2, 2, 2), (2, 5))

# Conv2d
layer("conv2d", lambda: nn.Conv2d(3, 4, 3), (2, 3, 5, 5))
layer("conv2d_f32", lambda: nn.Conv2d(3, 2, 3, padding=1), (1, 3, 4, 4), dtype=torch.float32)
layer("conv2d_stride_pad", lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2)), (1, 2, 5, 4))
layer("conv2d_dilation", lambda: nn.Conv2d(2, 2, 3, dilation=2, padding=1, stride=2), (1, 2, 7, 6))
layer("conv2d_groups", lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False), (1, 4, 4, 5))
layer("conv2d_depthwise", lambda: nn.Conv2d(3, 3, 3, groups=3, padding=1), (2, 3, 4, 4))
layer("conv2d_reflect", lambda: nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), (1, 2, 4, 5))
layer("conv2d_replicate", lambda: nn.Conv2d(2, 2, 3, padding=(1, 2), padding_mode="replicate"), (1, 2, 4, 4))
layer("conv2d_circular", lambda: nn.Conv2d(2, 2, 3, padding=2, stride=2, padding_mode="circular"), (1, 2, 4, 5))
layer("conv2d_same", lambda: nn.Conv2d(2, 2, (3, 4), padding="same"), (1, 2, 4, 5))
layer("conv2d_same_reflect", lambda: nn.Conv2d(2, 2, 4, padding="same", dilation=(1, 2), padding_mode="reflect"), (1, 2, 5, 8))
layer("conv2d_valid", lambda: nn.Conv2d(2, 2, 2, padding="valid", padding_mode="replicate", bias=False), (1, 2, 3, 4))
layer("conv2d_unbatched", lambda: nn.Conv2d(2, 2, 3), (2, 4, 4))

# ConvTranspose2d
layer("convT", lambda: nn.ConvTranspose2d(3, 2, 3), (2, 3, 3, 3))
layer("convT_stride", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (1, 2, 3, 4))
layer("convT_groups", lambda: nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 1), groups=2, dilation=(1, 2), bias=False), (1, 4, 3, 3))
layer("convT_unbatched", lambda: nn.ConvTranspose2d(2, 2, 2, stride=2), (2, 2, 3))

# BatchNorm: training (two passes) and evaluation.
batchnorm("bn1d_2d", lambda: nn.BatchNorm1d(3), (5, 3))
batchnorm("bn1d_3d", lambda: nn.BatchNorm1d(3), (4, 3, 3))
batchnorm("bn2d", lambda: nn.BatchNorm2d(3), (2, 3, 3, 3))
batchnorm("bn2d_cma", lambda: nn.BatchNorm2d(2, momentum=None), (2, 2, 3, 2), nbt=3)
batchnorm("bn2d_momentum", lambda: nn.BatchNorm2d(2, momentum=0.3, eps=1e-3), (3, 2, 2, 2))
batchnorm("bn2d_noaffine", lambda: nn.BatchNorm2d(2, affine=False), (2, 2, 2, 3))
batchnorm("bn2d_nostats", lambda: nn.BatchNorm2d(2, track_running_stats=False), (2, 2, 3, 2))

# LayerNorm and GroupNorm
layer("layernorm", lambda: nn.LayerNorm(4), (2, 3, 4), scale=2)
layer("layernorm_2d", lambda: nn.LayerNorm([3, 4], eps=1e-3), (2, 3, 4), scale=2)
layer("layernorm_noaffine", lambda: nn.LayerNorm(5, elementwise_affine=False), (3, 5), scale=2)
layer("groupnorm", lambda: nn.GroupNorm(2, 4), (2, 4, 2, 3), scale=2)
layer("groupnorm_3d", lambda: nn.GroupNorm(3, 6, eps=1e-3), (2, 6, 3), scale=2)
layer("groupnorm_noaffine", lambda: nn.GroupNorm(1, 3, affine=False), (2, 3, 4), scale=2)

# Embedding
idx = torch.tensor([[0, 2, 5, 2], [1, 2, 0, 4]])
layer("embedding", lambda: nn.Embedding(6, 3), idx)
layer("embedding_pad", lambda: nn.Embedding(6, 3, padding_idx=2), idx)
layer("embedding_pad_neg", lambda: nn.Embedding(6, 3, padding_idx=-1), torch.tensor([5, 1, 5, 3]))

# Pooling, Flatten, Identity. Max pooling inputs stay unrounded: no ties.
layer("maxpool", lambda: nn.MaxPool2d(2), (2, 2, 5, 5), quant=False)
layer("maxpool_opts", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 6, 5), quant=False)
layer("maxpool_dilation", lambda: nn.MaxPool2d((2, 3), stride=(1, 2), dilation=2), (1, 2, 5, 7), quant=False)
layer("maxpool_unbatched", lambda: nn.MaxPool2d(2, stride=1), (2, 3, 3), quant=False)
layer("avgpool", lambda: nn.AvgPool2d(2), (2, 2, 5, 5))
layer("avgpool_opts", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (1, 2, 6, 5))
layer("avgpool_divisor", lambda: nn.AvgPool2d((2, 3), stride=1, divisor_override=4), (1, 1, 4, 5))
layer("adaptive", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7))
layer("adaptive1", lambda: nn.AdaptiveAvgPool2d(1), (1, 3, 3, 4))
layer("flatten", lambda: nn.Flatten(), (2, 3, 2, 2))
layer("flatten_dims", lambda: nn.Flatten(0, 1), (2, 3, 2))
layer("identity", lambda: nn.Identity(), (2, 3))
layer("dropout_eval", lambda: nn.Dropout(0.3), (2, 5), train=False)
layer("dropout2d_eval", lambda: nn.Dropout2d(), (2, 3, 2, 2), train=False)

# Activations, on unrounded inputs spread over their interesting range.
acts = {
    "relu": nn.ReLU,
    "relu_inplace": lambda: nn.ReLU(inplace=True),
    "relu6": nn.ReLU6,
    "relu6_inplace": lambda: nn.ReLU6(inplace=True),
    "leaky_relu": nn.LeakyReLU,
    "leaky_relu_02": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "elu_05": lambda: nn.ELU(0.5),
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU("tanh"),
    "hardtanh": nn.Hardtanh,
    "hardtanh_range": lambda: nn.Hardtanh(-0.5, 2.0),
    "hardtanh_inplace": lambda: nn.Hardtanh(inplace=True),
    "softplus": nn.Softplus,
    # PyTorch prints beta and threshold as given; Ember prints whole numbers
    # as ints, as the defaults (ints) print.
    "softplus_beta": lambda: nn.Softplus(2, 1.5),
    "softmax": lambda: nn.Softmax(dim=1),
    "softmax_0": lambda: nn.Softmax(dim=0),
    "log_softmax": lambda: nn.LogSoftmax(dim=-1),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
}
for name, make in acts.items():
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32
    # even in float64 (a relative error of 3e-8); Ember's is exact.
    layer("act_" + name, make, (3, 6), quant=False, scale=4, inplace=name.endswith("_inplace"),
          rtol=1e-7 if name == "hardsigmoid" else None)
# Softplus above its threshold is linear.
layer("act_softplus_threshold", lambda: nn.Softplus(1, 2), (3, 6), quant=False, scale=4)


# A network: a user module with nested children, in evaluation mode.
class layersNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.flatten = nn.Flatten()
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.drop(self.flatten(self.features(x))))


def net():
    m = layersNet()
    with torch.no_grad():
        bn = m.features[1]
        bn.running_mean.copy_(q(torch.randn(4) * 0.1))
        bn.running_var.copy_(q(torch.rand(4) + 0.5))
        bn.weight.copy_(q(1 + 0.3 * torch.randn(4)))
        bn.bias.copy_(q(0.3 * torch.randn(4)))
        bn.num_batches_tracked.fill_(7)
    return m


layer("net_eval", net, (2, 1, 4, 4), train=False, quant_params=False)

# Default initialisation: the bounds PyTorch's init code computes.
for name, make in {
    "init_linear": lambda: nn.Linear(64, 32),
    "init_conv1d": lambda: nn.Conv1d(6, 8, 5),
    "init_conv2d": lambda: nn.Conv2d(8, 16, 3, groups=2),
    "init_convT": lambda: nn.ConvTranspose2d(8, 12, 3, groups=2),
}.items():
    m = make()
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
    w = m.weight.detach()
    G.add(name, {}, kind="init", repr=repr(m), keys=list(m.state_dict().keys()),
          bound=1 / fan_in ** 0.5, torch_max=w.abs().max().item(), torch_std=w.std().item())

# Repr of modules whose forward is not tested here.
for name, make in {
    "repr_sequential": lambda: nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU()),
    "repr_nested": lambda: nn.ModuleList([nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Dropout(0.25)),
                                          nn.ModuleList([nn.ReLU(inplace=True), nn.Identity()])]),
    "repr_empty": lambda: nn.Sequential(),
    "repr_dict": lambda: nn.ModuleDict({"b": nn.ELU(alpha=0.1), "a": nn.LayerNorm((2, 3), eps=1e-6)}),
    "repr_convs": lambda: nn.Sequential(
        nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect"),
        nn.Conv2d(4, 4, (3, 2), stride=(2, 1), padding="valid", groups=4, padding_mode="circular"),
        nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1, groups=2, dilation=2, padding=1)),
    "repr_norms": lambda: nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm2d(3, momentum=None, affine=False, eps=1e-3),
                                        nn.BatchNorm2d(3, track_running_stats=False, momentum=1.0), nn.GroupNorm(2, 4)),
    "repr_pools": lambda: nn.Sequential(nn.MaxPool2d((3, 2), stride=1, padding=1, ceil_mode=True),
                                        nn.AvgPool2d(3, 2, 1), nn.AdaptiveAvgPool2d((2, 3)), nn.Embedding(10, 3, padding_idx=-1)),
}.items():
    G.add(name, {}, kind="repr", repr=repr(make()), keys=list(make().state_dict().keys()))

G.save()
