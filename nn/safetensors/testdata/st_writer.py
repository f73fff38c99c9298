#!/usr/bin/env python3
"""PyTorch side of Ember's safetensors interop tests.

The format is written and read by hand (struct + json), following
huggingface/safetensors' spec, because Debian's Python lacks the
`safetensors` package; where it is installed it is used as a second check.

  /usr/bin/python3 st_writer.py write
      Builds a small seeded torch model, Sequential(Conv2d(1, 2, 3),
      BatchNorm2d(2), ReLU, Flatten, Linear(32, 3)), runs two training
      batches (so BatchNorm's running stats and its int64
      num_batches_tracked are not their initial values), and saves its
      state dict plus "extra.*" tensors of every other dtype PyTorch writes
      (float16, bfloat16, float64, int32, int8, uint8, bool, a 0-d scalar,
      an empty [0, 3] tensor, a transposed view) to torch_small.safetensors,
      and the expected names, dtypes, shapes, values and the model's output
      on a fixed input to torch_small.json. The header lists the tensors in
      state-dict order while the data is laid out by element size and name,
      as the reference writer does, so the Go reader must not rely on order.

  /usr/bin/python3 st_writer.py verify FILE.safetensors EXPECTED.json
      Reads a file Ember wrote, checks its layout (header length, 8-byte
      alignment, byte ranges that tile the data), compares every tensor
      with EXPECTED.json exactly, then loads the non-"extra." tensors into
      the same torch model with strict=True and compares its eval output
      with EXPECTED.json's. The Go test TestPyTorchReadsEmberFile writes
      both files and runs this when EMBER_TORCH_PYTHON names a Python with
      torch:

        EMBER_TORCH_PYTHON=/usr/bin/python3 go test ./nn/safetensors -run PyTorch -v
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
DTYPES = {v: k for k, v in NAMES.items()}


def small_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(2 * 4 * 4, 3))


def tensor_bytes(t):
    assert sys.byteorder == "little"
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save(path, tensors, metadata=None):
    """Writes tensors (a dict, header in its order) to path by hand."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    entries, blobs, off = {}, [], 0
    for k in order:
        b = tensor_bytes(tensors[k])
        entries[k] = {"dtype": NAMES[tensors[k].dtype], "shape": list(tensors[k].shape),
                      "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    for k in tensors:
        header[k] = entries[k]
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load(path):
    """Reads a safetensors file by hand, checking its layout."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) >= 8, "file too short"
    (n,) = struct.unpack("<Q", data[:8])
    assert 8 + n <= len(data), f"header length {n} exceeds the file"
    assert (8 + n) % 8 == 0, f"data starts at byte {8 + n}, not 8-byte aligned"
    h = data[8:8 + n]
    assert h[:1] == b"{", "header does not start with '{'"
    header = json.loads(h.decode("utf-8"))
    metadata = header.pop("__metadata__", None)
    buf = data[8 + n:]
    spans = sorted((e["data_offsets"][0], e["data_offsets"][1], k) for k, e in header.items())
    pos = 0
    for begin, end, k in spans:
        assert begin == pos, f"{k} starts at {begin}, expected {pos}"
        pos = end
    assert pos == len(buf), f"tensors cover {pos} of {len(buf)} data bytes"
    out = {}
    for k, e in header.items():
        dt = DTYPES[e["dtype"]]
        begin, end = e["data_offsets"]
        b = bytearray(buf[begin:end])
        shape = e["shape"]
        numel = 1
        for d in shape:
            numel *= d
        size = torch.empty(0, dtype=dt).element_size()
        assert len(b) == numel * size, f"{k}: {len(b)} bytes for shape {shape}"
        if len(b) == 0:
            t = torch.empty(shape, dtype=dt)
        elif dt == torch.bool:
            assert all(x in (0, 1) for x in b), f"{k}: bool bytes other than 0/1"
            t = torch.frombuffer(b, dtype=torch.uint8).bool()
        elif dt == torch.bfloat16:
            t = torch.frombuffer(b, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(b, dtype=dt)
        out[k] = t.reshape(shape).clone()
    return out, metadata


def enc(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        data = t.float().flatten().tolist()
    elif t.dtype == torch.bool:
        data = [int(v) for v in t.flatten().tolist()]
    else:
        data = t.flatten().tolist()
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": data}


def write():
    torch.manual_seed(0)
    m = small_model()
    m.train()
    for _ in range(2):
        m(torch.randn(4, 1, 6, 6))
    m.eval()
    x = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        y = m(x)
    tensors = dict(m.state_dict())
    tensors.update({
        "extra.f16": torch.randn(2, 3).half(),
        "extra.bf16": torch.randn(3, 2).bfloat16(),
        "extra.f64": torch.randn(3, dtype=torch.float64),
        "extra.i32": torch.tensor([-7, 0, 2**31 - 1], dtype=torch.int32),
        "extra.i8": torch.tensor([-128, 5, 127], dtype=torch.int8),
        "extra.u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "extra.bool": torch.tensor([[True, False], [False, True]]),
        "extra.scalar": torch.tensor(3.5),
        "extra.empty": torch.zeros(0, 3),
        "extra.strided": torch.arange(12.0).reshape(3, 4).t(),
    })
    metadata = {"format": "pt", "note": "Ember interop test"}
    path = os.path.join(HERE, "torch_small.safetensors")
    save(path, tensors, metadata)
    expected = {
        "generator": "torch " + torch.__version__,
        "order": list(tensors),
        "metadata": metadata,
        "tensors": {k: enc(v) for k, v in tensors.items()},
        "input": enc(x),
        "output": enc(y),
    }
    with open(os.path.join(HERE, "torch_small.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
    # Our own reader must give back what we wrote.
    got, md = load(path)
    assert md == metadata
    for k, v in tensors.items():
        assert got[k].dtype == v.dtype and torch.equal(got[k], v.contiguous()), k
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        ref = load_file(path)
        for k, v in tensors.items():
            assert torch.equal(ref[k], v.contiguous()), k
        print("checked with the safetensors package too")
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and torch_small.json")


def verify(path, expected_path):
    with open(expected_path) as f:
        expected = json.load(f)
    got, md = load(path)
    assert (md or {}) == expected.get("metadata", {}), f"metadata {md}"
    assert set(got) == set(expected["tensors"]), f"names {sorted(got)}"
    for k, e in expected["tensors"].items():
        t = got[k]
        assert NAMES[t.dtype] == e["dtype"], f"{k}: dtype {t.dtype}, want {e['dtype']}"
        assert list(t.shape) == e["shape"], f"{k}: shape {list(t.shape)}, want {e['shape']}"
        want = torch.tensor(e["data"], dtype=torch.float64).reshape(e["shape"])
        assert torch.equal(t.double(), want), f"{k}: values differ"
    m = small_model()
    m.load_state_dict({k: v for k, v in got.items() if not k.startswith("extra.")}, strict=True)
    m.eval()
    x = torch.tensor(expected["input"]["data"], dtype=torch.float32).reshape(expected["input"]["shape"])
    want = torch.tensor(expected["output"]["data"], dtype=torch.float32).reshape(expected["output"]["shape"])
    with torch.no_grad():
        y = m(x)
    assert torch.allclose(y, want, rtol=1e-5, atol=1e-6), f"output {y} want {want}"
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        ref = load_file(path)
        for k, v in got.items():
            assert torch.equal(ref[k], v), k
    print(f"ok: {path}: {len(got)} tensors match, torch model output matches")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "write":
        write()
    elif len(sys.argv) == 4 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
