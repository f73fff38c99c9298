"""Shared helpers for the golden-value generators in this folder.

Each gen_*.py script builds cases with PyTorch (Debian's python3-torch) and
writes one JSON file next to it. The Go tests read those files; CI never
needs PyTorch. Regenerate with:  /usr/bin/python3 testdata/gen_NAME.py
"""
import json
import math
import os

import torch

torch.manual_seed(0)


def _num(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    """Encode a tensor as {shape, dtype, data} (data flat, row-major)."""
    t = t.detach().contiguous()
    dtype = str(t.dtype).replace("torch.", "")
    if dtype == "float16":
        data = [float(v) for v in t.float().flatten().tolist()]
    else:
        data = t.flatten().tolist()
    return {"shape": list(t.shape), "dtype": dtype, "data": [_num(v) for v in data]}


class Golden:
    """Collects cases and writes them as JSON."""

    def __init__(self, path):
        self.path = path
        self.cases = []

    def add(self, name, op, inputs, outputs, **attrs):
        if isinstance(outputs, torch.Tensor):
            outputs = [outputs]
        self.cases.append({
            "name": name,
            "op": op,
            "inputs": [enc(x) for x in inputs],
            "attrs": {k: _num(v) for k, v in attrs.items()},
            "outputs": [enc(y) for y in outputs],
        })

    def save(self):
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, self.path), "w") as f:
            json.dump({"generator": "torch " + torch.__version__, "cases": self.cases}, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {len(self.cases)} cases to {self.path}")


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, dtype=dtype)
