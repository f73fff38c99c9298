"""Golden-value helpers for module-level tests (nn, nn/optim, models, data).

A generator script builds cases with Debian's PyTorch (/usr/bin/python3) and
writes one JSON file: {"generator": ..., "cases": [{"name", "attrs",
"tensors": {name: {shape, dtype, data}}}]}. internal/golden/golden.go reads
it. Import from a testdata folder with:

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../internal/golden"))
    from golden import Golden, enc
"""
import json
import math

import torch


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
    if dtype in ("float16", "bfloat16"):
        data = [float(v) for v in t.float().flatten().tolist()]
    else:
        data = t.flatten().tolist()
    return {"shape": list(t.shape), "dtype": dtype, "data": [_num(v) for v in data]}


class Golden:
    """Collects cases and writes them as JSON to path."""

    def __init__(self, path):
        self.path = path
        self.cases = []

    def add(self, name, tensors, **attrs):
        """Add a case: tensors maps names to torch tensors."""
        self.cases.append({
            "name": name,
            "attrs": {k: _num(v) for k, v in attrs.items()},
            "tensors": {k: enc(v) for k, v in tensors.items()},
        })

    def save(self):
        with open(self.path, "w") as f:
            json.dump({"generator": "torch " + torch.__version__, "cases": self.cases}, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {len(self.cases)} cases to {self.path}")
