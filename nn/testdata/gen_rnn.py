"""Golden values for nn's recurrent layers (rnn.json) and attention
(attention.json), from PyTorch 1.13. Run with Debian's python:

    cd nn/testdata && /usr/bin/python3 gen_rnn.py

Every case seeds torch, builds the layer, saves its state dict under
"param.", the inputs, the outputs and the gradients of the inputs and of
every parameter ("grad.<name>") of a weighted sum of all outputs, with the
weights saved too ("g.<output>").
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../internal/golden"))
from golden import Golden  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Golden32(Golden):
    """Golden that writes float32 values with their shortest repr (which
    reads back as the same float32), to keep the files small."""

    def add(self, name, tensors, **attrs):
        super().add(name, tensors, **attrs)
        for t in self.cases[-1]["tensors"].values():
            if t["dtype"] == "float32":
                t["data"] = [float(repr(np.float32(v))) if isinstance(v, float) else v for v in t["data"]]


def rnn_case(gold, name, kind, input_size, hidden_size, seq, batch, state=True, dtype=torch.float32, seed=0, **kw):
    torch.manual_seed(seed)
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
    m = cls(input_size, hidden_size, **kw).to(dtype)
    layers = kw.get("num_layers", 1)
    dirs = 2 if kw.get("bidirectional", False) else 1
    hout = kw.get("proj_size", 0) or hidden_size
    if batch is None:
        xshape = (seq, input_size)
        hshape, cshape = (dirs * layers, hout), (dirs * layers, hidden_size)
    else:
        xshape = (batch, seq, input_size) if kw.get("batch_first", False) else (seq, batch, input_size)
        hshape, cshape = (dirs * layers, batch, hout), (dirs * layers, batch, hidden_size)
    x = torch.randn(xshape, dtype=dtype, requires_grad=True)
    t = {"x": x}
    h0 = c0 = None
    if state:
        h0 = torch.randn(hshape, dtype=dtype, requires_grad=True)
        t["h0"] = h0
        if kind == "LSTM":
            c0 = torch.randn(cshape, dtype=dtype, requires_grad=True)
            t["c0"] = c0
    if kind == "LSTM":
        out, (hn, cn) = m(x, (h0, c0)) if state else m(x)
        outs = {"out": out, "hn": hn, "cn": cn}
    else:
        out, hn = m(x, h0) if state else m(x)
        outs = {"out": out, "hn": hn}
    loss = 0
    for k, v in outs.items():
        g = torch.randn(v.shape, dtype=dtype)
        t["g." + k] = g
        t[k] = v
        loss = loss + (v * g).sum()
    loss.backward()
    t["grad.x"] = x.grad
    if h0 is not None:
        t["grad.h0"] = h0.grad
    if c0 is not None:
        t["grad.c0"] = c0.grad
    for k, p in m.named_parameters():
        t["param." + k] = p
        t["grad." + k] = p.grad
    gold.add(name, t, kind=kind, input_size=input_size, hidden_size=hidden_size,
             num_layers=layers, bias=kw.get("bias", True), batch_first=kw.get("batch_first", False),
             bidirectional=kw.get("bidirectional", False), proj_size=kw.get("proj_size", 0),
             nonlinearity=kw.get("nonlinearity", "tanh"), keys=list(m.state_dict().keys()),
             dtype=str(dtype).replace("torch.", ""))


def gen_rnn():
    g = Golden32(os.path.join(HERE, "rnn.json"))
    rnn_case(g, "lstm_basic", "LSTM", 3, 4, 5, 2)
    rnn_case(g, "lstm_2layer_zero_state", "LSTM", 3, 4, 5, 2, state=False, num_layers=2)
    rnn_case(g, "lstm_bidir_2layer_batch_first", "LSTM", 3, 4, 4, 2, num_layers=2, bidirectional=True, batch_first=True)
    rnn_case(g, "lstm_unbatched_bidir", "LSTM", 3, 4, 4, None, bidirectional=True)
    rnn_case(g, "lstm_unbatched_batch_first_zero_state", "LSTM", 3, 4, 4, None, state=False, batch_first=True)
    rnn_case(g, "lstm_proj_2layer_bidir", "LSTM", 3, 5, 4, 2, num_layers=2, bidirectional=True, proj_size=2)
    rnn_case(g, "lstm_proj_zero_state", "LSTM", 3, 5, 4, 2, state=False, proj_size=3)
    rnn_case(g, "lstm_nobias_2layer", "LSTM", 3, 4, 4, 2, num_layers=2, bias=False)
    rnn_case(g, "lstm_nobias_zero_state", "LSTM", 3, 4, 4, 2, state=False, bias=False)
    rnn_case(g, "lstm_float64", "LSTM", 3, 4, 5, 2, dtype=torch.float64, num_layers=2, bidirectional=True)
    rnn_case(g, "gru_basic", "GRU", 3, 4, 5, 2)
    rnn_case(g, "gru_2layer_bidir_batch_first", "GRU", 3, 4, 4, 2, num_layers=2, bidirectional=True, batch_first=True)
    rnn_case(g, "gru_unbatched_zero_state", "GRU", 3, 4, 4, None, state=False)
    rnn_case(g, "gru_unbatched_bidir", "GRU", 3, 4, 4, None, bidirectional=True)
    rnn_case(g, "gru_nobias_zero_state", "GRU", 3, 4, 4, 2, state=False, bias=False)
    rnn_case(g, "gru_nobias_2layer", "GRU", 3, 4, 4, 2, num_layers=2, bias=False)
    rnn_case(g, "gru_zero_state_bidir", "GRU", 3, 4, 4, 2, state=False, bidirectional=True)
    rnn_case(g, "rnn_tanh_2layer_bidir", "RNN", 3, 4, 5, 2, num_layers=2, bidirectional=True)
    rnn_case(g, "rnn_relu_batch_first_zero_state", "RNN", 3, 4, 5, 2, state=False, batch_first=True, nonlinearity="relu")
    rnn_case(g, "rnn_relu_unbatched", "RNN", 3, 4, 4, None, nonlinearity="relu", num_layers=2)
    rnn_case(g, "rnn_tanh_nobias_zero_state", "RNN", 3, 4, 4, 2, state=False, bias=False)
    g.save()


def padmask(shape, p=0.3):
    """A random bool mask with True (masked) at about p, never in column 0,
    so no row is masked out entirely."""
    m = torch.rand(shape) < p
    m[..., 0] = False
    return m


def mha_case(gold, name, E, H, L, S, N, self_attn=False, kv_same=False, kpm=None, attn_mask=None,
             need_weights=True, average=True, seed=0, **kw):
    torch.manual_seed(seed)
    m = nn.MultiheadAttention(E, H, **kw)
    # Non-zero biases, so that their gradients and uses are tested.
    with torch.no_grad():
        for k, p in m.named_parameters():
            if "bias" in k:
                p.uniform_(-0.5, 0.5)
    bf = kw.get("batch_first", False)
    kdim = kw.get("kdim") or E
    vdim = kw.get("vdim") or E

    def shape(seq, dim):
        if N is None:
            return (seq, dim)
        return (N, seq, dim) if bf else (seq, N, dim)

    t = {}
    q = torch.randn(shape(L, E), requires_grad=True)
    t["q"] = q
    if self_attn:
        k = v = q
    else:
        k = torch.randn(shape(S, kdim), requires_grad=True)
        t["k"] = k
        if kv_same:
            v = k
        else:
            v = torch.randn(shape(S, vdim), requires_grad=True)
            t["v"] = v
    if kpm is not None:
        t["key_padding_mask"] = kpm
    if attn_mask is not None:
        t["attn_mask"] = attn_mask
    out, w = m(q, k, v, key_padding_mask=kpm, need_weights=need_weights, attn_mask=attn_mask,
               average_attn_weights=average)
    go = torch.randn(out.shape)
    t["out"], t["g.out"] = out, go
    loss = (out * go).sum()
    if w is not None:
        gw = torch.randn(w.shape)
        t["weights"], t["g.weights"] = w, gw
        loss = loss + (w * gw).sum()
    loss.backward()
    for nm, x in (("q", q), ("k", k), ("v", v)):
        if nm in t:
            t["grad." + nm] = x.grad
    for nm, p in m.named_parameters():
        t["param." + nm] = p
        t["grad." + nm] = p.grad
    gold.add(name, t, embed_dim=E, num_heads=H, kdim=kdim, vdim=vdim, batch_first=bf,
             bias=kw.get("bias", True), add_bias_kv=kw.get("add_bias_kv", False),
             add_zero_attn=kw.get("add_zero_attn", False), self_attn=self_attn, kv_same=kv_same,
             need_weights=need_weights, average=average, keys=list(m.state_dict().keys()))


def sdpa_case(gold, name, shape_q, shape_k, mask=None, causal=False, seed=0):
    torch.manual_seed(seed)
    q = torch.randn(shape_q, dtype=torch.float64, requires_grad=True)
    k = torch.randn(shape_k, dtype=torch.float64, requires_grad=True)
    v = torch.randn(shape_k, dtype=torch.float64, requires_grad=True)
    if mask is None or mask.dtype == torch.bool:
        # PyTorch 1.13's private kernel: bool masks mark what takes part, as
        # torch 2's public F.scaled_dot_product_attention.
        out, _ = torch._C._nn._scaled_dot_product_attention(q, k, v, mask, 0.0, False, causal)
    else:
        # torch 2's definition for a float mask: added to the scores.
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)) + mask
        out = torch.softmax(scores, -1) @ v
    go = torch.randn(out.shape, dtype=torch.float64)
    (out * go).sum().backward()
    t = {"q": q, "k": k, "v": v, "out": out, "g.out": go, "grad.q": q.grad, "grad.k": k.grad, "grad.v": v.grad}
    if mask is not None:
        t["mask"] = mask
    gold.add(name, t, causal=causal)


def gen_attention():
    g = Golden32(os.path.join(HERE, "attention.json"))
    E, H = 4, 2
    mha_case(g, "self_attention", E, H, 4, 4, 3, self_attn=True)
    mha_case(g, "self_attention_batch_first_per_head", E, H, 4, 4, 2, self_attn=True, average=False, batch_first=True)
    torch.manual_seed(1)
    mha_case(g, "cross_bool_mask_per_head", E, H, 3, 5, 2, attn_mask=padmask((3, 5)), average=False)
    torch.manual_seed(2)
    mha_case(g, "cross_float_mask3d_bool_kpm", E, H, 3, 5, 2, attn_mask=torch.randn(2 * H, 3, 5),
             kpm=padmask((2, 5)))
    torch.manual_seed(3)
    mha_case(g, "cross_bool_mask_bool_kpm", E, H, 3, 5, 2, attn_mask=padmask((3, 5)), kpm=padmask((2, 5)))
    torch.manual_seed(4)
    mha_case(g, "cross_float_mask_bool_kpm", E, H, 3, 5, 2, attn_mask=torch.randn(3, 5), kpm=padmask((2, 5)))
    torch.manual_seed(5)
    mha_case(g, "float_kpm", E, H, 3, 5, 2, kpm=torch.randn(2, 5))
    mha_case(g, "kv_same", E, H, 3, 5, 2, kv_same=True)
    torch.manual_seed(6)
    mha_case(g, "kdim_vdim_batch_first", E, H, 3, 5, 2, kdim=5, vdim=6, batch_first=True, kpm=padmask((2, 5)))
    torch.manual_seed(7)
    mha_case(g, "unbatched_kpm_bool_mask", E, H, 3, 5, None, kpm=padmask((5,)), attn_mask=padmask((3, 5)))
    torch.manual_seed(8)
    mha_case(g, "unbatched_mask3d_per_head", E, H, 3, 5, None, attn_mask=torch.randn(H, 3, 5), average=False)
    mha_case(g, "unbatched_self_batch_first", E, H, 4, 4, None, self_attn=True, batch_first=True)
    mha_case(g, "no_bias", E, H, 3, 5, 2, bias=False)
    torch.manual_seed(9)
    mha_case(g, "bias_kv_zero_attn_masks", E, H, 3, 5, 2, add_bias_kv=True, add_zero_attn=True,
             attn_mask=padmask((3, 5)), kpm=padmask((2, 5)))
    mha_case(g, "bias_kv", E, H, 3, 5, 2, add_bias_kv=True)
    mha_case(g, "no_weights", E, H, 3, 5, 2, need_weights=False)
    mha_case(g, "one_head_kdim", 6, 1, 3, 4, 2, kdim=3)
    mha_case(g, "four_heads", 8, 4, 3, 5, 2)
    sdpa_case(g, "sdpa_plain", (2, 3, 4, 5), (2, 3, 6, 5))
    sdpa_case(g, "sdpa_causal", (2, 4, 5), (2, 4, 5), causal=True)
    torch.manual_seed(10)
    m = torch.rand(4, 6) > 0.3
    m[:, 0] = True
    sdpa_case(g, "sdpa_bool_mask", (2, 4, 5), (2, 6, 5), mask=m)
    torch.manual_seed(11)
    sdpa_case(g, "sdpa_float_mask", (2, 3, 4, 5), (2, 3, 6, 5), mask=torch.randn(3, 4, 6, dtype=torch.float64))
    g.save()


if __name__ == "__main__":
    gen_rnn()
    gen_attention()
