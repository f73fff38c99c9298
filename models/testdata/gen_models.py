"""Golden values for package models, from torchvision and torch_models.py.

Run with Debian's PyTorch from this folder's package root:

    /usr/bin/python3 models/testdata/gen_models.py

The full pretrained weights are too large to commit, so both sides build the
same weights from a formula instead. For state-dict entry k (0-based, in
state-dict order, buffers included) and element i (row-major):

    u = ((i*2654435761 + k*40503) mod 2^32) / 2^32 - 0.5   (exact in float64)

and the entry is, computed in float64 and rounded to float32 once:

    weight of rank >= 2 (conv, linear):  u * 2*sqrt(6/fan_in), fan_in = numel/size(0)
    rank-1 *.weight (BatchNorm gamma):   1 + 0.5*u
    rank-1 *.bias:                       0.2*u
    running_mean:                        0.1*u
    running_var:                         1 + 0.5*u
    num_batches_tracked:                 0

The input image batch is the same formula with k = 1000003 and scale 4
(values in [-2, 2)). Each case records the state dict's keys, shapes, module
names and types in order, a bit-exact hash of every tensor (proving both
sides built identical weights) and the eval-mode output; the MNIST cases also
hold the loss of a train-mode step and strided samples of each parameter's
gradient. The script also writes smallcnn.safetensors: a SmallCNN state dict
with PyTorch's own initialisation (torch.manual_seed(0)), in the safetensors
format written by hand with struct and json (the safetensors package is not
installed), plus a case with that network's output.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../internal/golden"))
from golden import Golden  # noqa: E402

torch.set_num_threads(1)
INPUT_K = 1000003


# The MNIST networks, copied from shared/bench/pytorch/torch_models.py.
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(32, 10)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class ExamplesNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), 1)


class MLP(nn.Module):  # 784-256-10
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(784, 256)
        self.l2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x.flatten(1))))


def base(k, n):
    """u for entry k, elements 0..n-1, as float64."""
    i = np.arange(n, dtype=np.uint64)
    v = (i * np.uint64(2654435761) + np.uint64(k * 40503)) % np.uint64(2**32)
    return v.astype(np.float64) / 2.0**32 - 0.5


def value(name, k, shape):
    n = int(np.prod(shape, dtype=np.int64))
    u = base(k, n)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "running_mean":
        v = 0.1 * u
    elif leaf == "running_var":
        v = 1 + 0.5 * u
    elif len(shape) >= 2:
        v = u * (2 * math.sqrt(6 / (n // shape[0])))
    elif leaf == "weight":
        v = 1 + 0.5 * u
    elif leaf == "bias":
        v = 0.2 * u
    else:
        raise ValueError(f"no rule for {name} {shape}")
    return v.astype(np.float32).reshape(shape)


def fill(model):
    sd = model.state_dict()
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            if name.endswith("num_batches_tracked"):
                t.zero_()
                continue
            t.copy_(torch.from_numpy(value(name, k, tuple(t.shape))))


def image(*shape):
    n = int(np.prod(shape))
    return torch.from_numpy((base(INPUT_K, n) * 4).astype(np.float32).reshape(shape))


def tensor_hash(t):
    """sum over i of bits(t[i]) * (2i+1) mod 2^64, as 16 hex digits."""
    a = t.detach().contiguous().flatten().numpy()
    if a.dtype == np.float32:
        bits = a.view(np.uint32).astype(np.uint64)
    elif a.dtype == np.int64:
        bits = a.view(np.uint64)
    else:
        raise ValueError(a.dtype)
    idx = np.arange(len(bits), dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = np.sum(bits * (np.uint64(2) * idx + np.uint64(1)), dtype=np.uint64)
    return f"{int(h):016x}"


def structure(model):
    sd = model.state_dict()
    mods = list(model.named_modules())
    return dict(
        keys=list(sd.keys()),
        shapes=[list(t.shape) for t in sd.values()],
        hashes=[tensor_hash(t) for t in sd.values()],
        modules=[n for n, _ in mods],
        module_types=[type(m).__name__ for _, m in mods],
        inplace=[bool(getattr(m, "inplace", False)) for _, m in mods],
        num_params=sum(p.numel() for p in model.parameters()),
    )


def vision_case(g, name, model, batch, size):
    fill(model)
    model.eval()
    x = image(batch, 3, size, size)
    with torch.no_grad():
        out = model(x)
    print(f"{name}: |logits| max {out.abs().max():.4g} mean {out.abs().mean():.4g}")
    g.add(name, {"logits": out}, batch=batch, size=size, input_k=INPUT_K, **structure(model))


def projections(named, k0):
    """[L2 norm, projection on u(k0+j, .)] of each tensor j, in float64."""
    out = []
    for j, (_, t) in enumerate(named):
        a = t.detach().double().flatten().numpy()
        out.append([float(np.sqrt(np.sum(a * a))), float(np.dot(a, base(k0 + j, a.size)))])
    return out


def vision_train_case(g, name, model, batch, size):
    """One train-mode step in float64: batch-statistics BatchNorm, loss,
    gradients. Float64 because a train-mode step of these deep networks on
    a batch of 2 is ill-conditioned in float32 (BatchNorm over 8 values per
    channel in the last stages amplifies rounding: PyTorch's own float32
    gradient norms differ from its float64 ones by up to 0.2% for
    MobileNetV2), which would hide real errors under a loose tolerance. The
    classifier's dropout (MobileNetV2) stays in eval mode, as random masks
    cannot match. Gradients and updated running statistics are compared
    through their norms and projections (see projections)."""
    fill(model)
    model.double().train()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    x = image(batch, 3, size, size).double()
    y = labels(batch)
    out = model(x)
    loss = F.nll_loss(F.log_softmax(out, 1), y)
    loss.backward()
    grads = [(n, p.grad) for n, p in model.named_parameters()]
    bufs = [(n, b) for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")]
    print(f"{name}: loss {loss.item():.6g}")
    g.add(name, {"out": out.detach(), "loss": loss.detach()}, batch=batch, size=size,
          grad_names=[n for n, _ in grads], grad_stats=projections(grads, 777),
          buffer_names=[n for n, _ in bufs], buffer_stats=projections(bufs, 555))


def labels(n):
    return torch.tensor([(3 * i + 1) % 10 for i in range(n)], dtype=torch.int64)


def mnist_case(g, name, model, batch, log_probs):
    fill(model)
    x = image(batch, 1, 28, 28)
    y = labels(batch)
    with torch.no_grad():
        out = model.eval()(x)
    model.train()
    lp = model(x)
    if not log_probs:
        lp = F.log_softmax(lp, 1)
    loss = F.nll_loss(lp, y)
    loss.backward()
    tensors = {"out": out, "loss": loss.detach()}
    strides = []
    for pname, p in model.named_parameters():
        n = p.numel()
        s = max(1, n // 997 + (1 if n > 997 else 0))
        strides.append(s)
        tensors["grad." + pname] = p.grad.flatten()[::s]
    print(f"{name}: loss {loss.item():.6g}, |out| max {out.abs().max():.4g}")
    g.add(name, tensors, batch=batch, input_k=INPUT_K, grad_strides=strides, **structure(model))


def write_safetensors(path, sd, metadata):
    """Write sd in the safetensors format (huggingface/safetensors), as
    safetensors.torch.save_file does: 8-byte little-endian header size, a
    JSON header padded with spaces to a multiple of 8, then the tensors'
    little-endian bytes in name order."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for name in sorted(sd):
        t = sd[name].detach().contiguous()
        b = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)
    print(f"wrote {path} ({8 + len(h) + off} bytes)")


def main():
    g = Golden(os.path.join(HERE, "models_mobilenetv2.json"))
    vision_case(g, "mobilenet_v2", torchvision.models.mobilenet_v2(), 2, 224)
    vision_train_case(g, "mobilenet_v2_train", torchvision.models.mobilenet_v2(), 2, 64)
    g.save()
    g = Golden(os.path.join(HERE, "models_resnet18.json"))
    vision_case(g, "resnet18", torchvision.models.resnet18(), 2, 224)
    vision_train_case(g, "resnet18_train", torchvision.models.resnet18(), 2, 64)
    g.save()

    g = Golden(os.path.join(HERE, "models_mnist.json"))
    mnist_case(g, "mlp", MLP(), 8, False)
    mnist_case(g, "smallcnn", SmallCNN(), 8, False)
    mnist_case(g, "examplesnet", ExamplesNet(), 8, True)

    torch.manual_seed(0)
    m = SmallCNN().eval()
    write_safetensors(os.path.join(HERE, "smallcnn.safetensors"), m.state_dict(), {"format": "pt"})
    x = image(2, 1, 28, 28)
    with torch.no_grad():
        out = m(x)
    g.add("smallcnn_safetensors", {"out": out}, batch=2, input_k=INPUT_K)
    g.save()


if __name__ == "__main__":
    main()
