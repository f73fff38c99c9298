"""Golden values for joining, splitting, padding and indexing ops: cat, stack,
split, chunk, unbind, pad (all modes), gather, scatter, scatter_add,
index_select, index_add, index_copy, index_put, tril, triu, masked_select.
Run: /usr/bin/python3 testdata/gen_index.py"""
import torch
import torch.nn.functional as F
from golden import Golden, randn

g = Golden("index.json")


def ints(lo, hi, *shape, dtype=torch.int64):
    return torch.randint(lo, hi, shape, dtype=dtype)


def uniq_index(shape, dim, size):
    """An int64 index of `shape` whose values along `dim` are distinct and in
    [0, size) (shape[dim] <= size), so scatter has no repeated target."""
    big = list(shape)
    big[dim] = size
    return torch.rand(big).argsort(dim).narrow(dim, 0, shape[dim])


# ---- cat / stack
a, b, c = randn(2, 3), randn(1, 3), randn(4, 3)
g.add("cat_dim0", "cat", [a, b, c], torch.cat([a, b, c], 0), dim=0)
a, b = randn(2, 3, 4), randn(2, 1, 4)
g.add("cat_neg_dim", "cat", [a, b], torch.cat([a, b], -2), dim=-2)
a, b = randn(2, 3), randn(2, 2)
g.add("cat_last", "cat", [a, b], torch.cat([a, b], -1), dim=-1)
a, b = randn(2, 2, dtype=torch.float64), randn(1, 2)
g.add("cat_f64_f32", "cat", [a, b], torch.cat([a, b]), dim=0)
a, b = ints(-5, 5, 2, 2, dtype=torch.int32), ints(-5, 5, 2, 1)
g.add("cat_int32_int64", "cat", [a, b], torch.cat([a, b], 1), dim=1)
a, b = ints(-5, 5, 2, 2), randn(2, 2)
g.add("cat_int_float", "cat", [a, b], torch.cat([a, b]), dim=0)
a, b = torch.tensor([True, False]), torch.tensor([3, 200], dtype=torch.uint8)
g.add("cat_bool_uint8", "cat", [a, b], torch.cat([a, b]), dim=0)
a, b = torch.tensor([[True, False]]), torch.tensor([[False, False], [True, True]])
g.add("cat_bool", "cat", [a, b], torch.cat([a, b]), dim=0)
a, b = randn(2, 2).half(), randn(2, 2)
g.add("cat_f16_f32", "cat", [a, b], torch.cat([a, b], 1), dim=1)
a, b = randn(2, 3), torch.zeros(0)
g.add("cat_legacy_empty", "cat", [a, b], torch.cat([a, b], 1), dim=1)
a, b = torch.zeros(0, 3), randn(2, 3)
g.add("cat_zero_rows", "cat", [a, b], torch.cat([a, b]), dim=0)
a = torch.tensor([1.0, float("nan"), float("inf")])
g.add("cat_special", "cat", [a, -a], torch.cat([a, -a]), dim=0)

a, b, c = randn(2, 3), randn(2, 3), randn(2, 3)
g.add("stack_dim0", "stack", [a, b, c], torch.stack([a, b, c]), dim=0)
g.add("stack_dim1", "stack", [a, b], torch.stack([a, b], 1), dim=1)
g.add("stack_neg", "stack", [a, b, c], torch.stack([a, b, c], -1), dim=-1)
a, b = ints(-5, 5, 3, dtype=torch.int32), randn(3)
g.add("stack_mixed", "stack", [a, b], torch.stack([a, b]), dim=0)
a, b = torch.tensor([True, False]), torch.tensor([False, True])
g.add("stack_bool", "stack", [a, b], torch.stack([a, b], 1), dim=1)
g.add("stack_scalars", "stack", [torch.tensor(1.5), torch.tensor(-2.0)], torch.stack([torch.tensor(1.5), torch.tensor(-2.0)]), dim=0)

# ---- split / chunk / unbind
x = randn(5, 3)
g.add("split_2_dim0", "split", [x], list(x.split(2, 0)), size=2, dim=0)
x = randn(2, 7)
g.add("split_3_neg", "split", [x], list(x.split(3, -1)), size=3, dim=-1)
g.add("split_big", "split", [x], list(x.split(10, 1)), size=10, dim=1)
x = ints(-9, 9, 2, 6, 2)
g.add("split_sizes", "split_sizes", [x], list(x.split([1, 3, 0, 2], 1)), sizes=[1, 3, 0, 2], dim=1)
x = torch.arange(6.0)
g.add("chunk_6_in_4", "chunk", [x], list(x.chunk(4)), n=4, dim=0)
x = randn(3, 5)
g.add("chunk_5_in_3", "chunk", [x], list(x.chunk(3, 1)), n=3, dim=1)
x = randn(2, 7)
g.add("chunk_7_in_3_neg", "chunk", [x], list(x.chunk(3, -1)), n=3, dim=-1)
x = torch.tensor([True, False])
g.add("chunk_2_in_5_bool", "chunk", [x], list(x.chunk(5)), n=5, dim=0)
x = torch.zeros(0, 3)
g.add("chunk_empty", "chunk", [x], list(x.chunk(3)), n=3, dim=0)
x = randn(2, 3, 2)
g.add("unbind_dim1", "unbind", [x], list(x.unbind(1)), dim=1)
g.add("unbind_neg", "unbind", [x], list(x.unbind(-1)), dim=-1)

# ---- pad
x = randn(2, 3)
g.add("pad_const_1d", "pad", [x], F.pad(x, (2, 1), value=1.5), pads=[2, 1], mode="constant", value=1.5)
x = randn(2, 3, 4)
g.add("pad_const_2d", "pad", [x], F.pad(x, (1, 2, 0, 1)), pads=[1, 2, 0, 1], mode="constant", value=0.0)
x = randn(1, 2, 2, 3)
g.add("pad_const_3d", "pad", [x], F.pad(x, (1, 0, 0, 1, 2, 1), value=-1), pads=[1, 0, 0, 1, 2, 1], mode="constant", value=-1.0)
g.add("pad_const_all_dims", "pad", [x], F.pad(x, (1, 1, 1, 1, 1, 1, 1, 1)), pads=[1] * 8, mode="constant", value=0.0)
x = randn(2, 4)
g.add("pad_const_crop", "pad", [x], F.pad(x, (-1, 2)), pads=[-1, 2], mode="constant", value=0.0)
g.add("pad_const_crop_2d", "pad", [x], F.pad(x, (-1, -2, 1, -1), value=3), pads=[-1, -2, 1, -1], mode="constant", value=3.0)
g.add("pad_const_crop_all", "pad", [x], F.pad(x, (-2, -2)), pads=[-2, -2], mode="constant", value=0.0)
x = ints(-9, 9, 2, 3)
g.add("pad_const_int", "pad", [x], F.pad(x, (1, 1, 1, 0), value=7), pads=[1, 1, 1, 0], mode="constant", value=7.0)
x = torch.tensor([[True, False]])
g.add("pad_const_bool", "pad", [x], F.pad(x, (1, 0), value=1), pads=[1, 0], mode="constant", value=1.0)
x = randn(2, 3, dtype=torch.float64)
g.add("pad_const_f64", "pad", [x], F.pad(x, (0, 0, 2, 0)), pads=[0, 0, 2, 0], mode="constant", value=0.0)

for mode in ["reflect", "replicate", "circular"]:
    x = randn(2, 3, 4)
    g.add(f"pad_{mode}_1d", "pad", [x], F.pad(x, (2, 3), mode=mode), pads=[2, 3], mode=mode, value=0.0)
    x = randn(2, 4)
    if mode != "circular":  # PyTorch 1.13's circular needs a batch dimension
        g.add(f"pad_{mode}_1d_nobatch", "pad", [x], F.pad(x, (3, 1), mode=mode), pads=[3, 1], mode=mode, value=0.0)
    x = randn(1, 2, 3, 4)
    g.add(f"pad_{mode}_2d", "pad", [x], F.pad(x, (1, 2, 2, 1), mode=mode), pads=[1, 2, 2, 1], mode=mode, value=0.0)
    x = randn(1, 1, 3, 3, 4)
    g.add(f"pad_{mode}_3d", "pad", [x], F.pad(x, (1, 2, 2, 0, 1, 2), mode=mode), pads=[1, 2, 2, 0, 1, 2], mode=mode, value=0.0)
    x = randn(1, 2, 4)
    g.add(f"pad_{mode}_neg_left", "pad", [x], F.pad(x, (-1, 2), mode=mode), pads=[-1, 2], mode=mode, value=0.0)
    g.add(f"pad_{mode}_neg_right", "pad", [x], F.pad(x, (2, -2), mode=mode), pads=[2, -2], mode=mode, value=0.0)
    g.add(f"pad_{mode}_neg_right_wide", "pad", [x], F.pad(x, (3, -1), mode=mode), pads=[3, -1], mode=mode, value=0.0)
    x = randn(1, 2, 3, dtype=torch.float64)
    g.add(f"pad_{mode}_f64", "pad", [x], F.pad(x, (2, 2), mode=mode), pads=[2, 2], mode=mode, value=0.0)
    x = ints(-9, 9, 1, 2, 3)
    # PyTorch has no integer reflect/replicate kernels; the values are exact in float64.
    g.add(f"pad_{mode}_int", "pad", [x], F.pad(x.double(), (2, 1), mode=mode).long(), pads=[2, 1], mode=mode, value=0.0)

# ---- gather / scatter along each dim of a 3-D tensor
x = randn(2, 3, 4)
for d, ishape in [(0, (3, 2, 4)), (1, (2, 5, 3)), (2, (1, 3, 6)), (-1, (2, 2, 2))]:
    size = x.shape[d]
    idx = torch.randint(0, size, ishape)
    g.add(f"gather_dim{d}", "gather", [x, idx], x.gather(d, idx), dim=d)
idx = torch.randint(0, 3, (2, 2, 4), dtype=torch.int32)
g.add("gather_int32_index", "gather", [x, idx], x.gather(1, idx.long()), dim=1)
xi = ints(-9, 9, 3, 4)
idx = torch.randint(0, 4, (3, 2))
g.add("gather_int", "gather", [xi, idx], xi.gather(1, idx), dim=1)
g.add("gather_bool", "gather", [xi > 0, idx], (xi > 0).gather(1, idx), dim=1)

x = randn(3, 4, 5)
for d, ishape, sshape in [(0, (2, 3, 5), (3, 4, 5)), (1, (3, 4, 2), (3, 4, 3)), (2, (2, 2, 3), (2, 3, 4)), (-2, (1, 2, 5), (1, 2, 5))]:
    idx = uniq_index(ishape, d, x.shape[d])
    src = randn(*sshape)
    g.add(f"scatter_dim{d}", "scatter", [x, idx, src], x.scatter(d, idx, src), dim=d)
    idx2 = torch.randint(0, x.shape[d], ishape)
    g.add(f"scatter_add_dim{d}", "scatter_add", [x, idx2, src], x.scatter_add(d, idx2, src), dim=d)
    g.add(f"scatter_value_dim{d}", "scatter_value", [x, idx], x.scatter(d, idx, -2.5), dim=d, value=-2.5)
xi = ints(-9, 9, 3, 4)
idx = uniq_index((2, 4), 0, 3).int()
si = ints(-9, 9, 2, 4)
g.add("scatter_int_int32_index", "scatter", [xi, idx, si], xi.scatter(0, idx.long(), si), dim=0)
g.add("scatter_add_int", "scatter_add", [xi, idx, si], xi.scatter_add(0, idx.long(), si), dim=0)
g.add("scatter_value_bool", "scatter_value", [xi > 0, idx], (xi > 0).scatter(0, idx.long(), True), dim=0, value=1.0)
xh = randn(4).half()
idx = torch.tensor([0, 0, 3])
sh = randn(3).half()
g.add("scatter_add_f16", "scatter_add", [xh, idx, sh], xh.scatter_add(0, idx, sh), dim=0)

# ---- index_select / index_add / index_copy / index_put
x = randn(3, 4, 2)
g.add("index_select_dim0", "index_select", [x, torch.tensor([2, 0, 2, 1])], x.index_select(0, torch.tensor([2, 0, 2, 1])), dim=0)
g.add("index_select_dim1_int32", "index_select", [x, torch.tensor([3, 1], dtype=torch.int32)], x.index_select(1, torch.tensor([3, 1])), dim=1)
g.add("index_select_neg", "index_select", [x, torch.tensor([1, 1, 0])], x.index_select(-1, torch.tensor([1, 1, 0])), dim=-1)
g.add("index_select_0d_index", "index_select", [x, torch.tensor(2)], x.index_select(1, torch.tensor(2)), dim=1)
g.add("index_select_empty", "index_select", [x, torch.zeros(0, dtype=torch.long)], x.index_select(0, torch.zeros(0, dtype=torch.long)), dim=0)
xi = ints(-9, 9, 4, 3)
g.add("index_select_int", "index_select", [xi, torch.tensor([3, 0])], xi.index_select(0, torch.tensor([3, 0])), dim=0)
g.add("index_select_bool", "index_select", [xi > 0, torch.tensor([2, 2, 0])], (xi > 0).index_select(1, torch.tensor([2, 2, 0])), dim=1)

x = randn(3, 4, 2)
idx = torch.tensor([3, 0, 3])
src = randn(3, 3, 2)
g.add("index_add_dim1", "index_add", [x, idx, src], x.index_add(1, idx, src), dim=1)
idx = torch.tensor([2, 0])
src = randn(3, 4, 2)[:2]
g.add("index_add_dim0", "index_add", [x, idx, src], x.index_add(0, idx, src), dim=0)
src = ints(-9, 9, 4, 2)
g.add("index_add_int", "index_add", [xi, torch.tensor([1, 1]), src], xi.index_add(1, torch.tensor([1, 1]), src), dim=1)
idx = torch.tensor([1, 0])
src = randn(3, 4, 2)[:, :2]
g.add("index_copy_dim1", "index_copy", [x, idx, src], x.index_copy(1, idx, src), dim=1)

x = randn(4, 3)
i0 = torch.tensor([0, 2, -1])
v = randn(3, 3)
g.add("index_put_rows", "index_put", [x, v, i0], x.index_put((i0,), v), accumulate=False)
i0 = torch.tensor([[0], [3]])
i1 = torch.tensor([1, 2, 0])
v = randn(2, 3)
g.add("index_put_2idx_broadcast", "index_put", [x, v, i0, i1], x.index_put((i0, i1), v), accumulate=False)
i0, i1 = torch.tensor([1, 1, 2]), torch.tensor([0, 0, 2])
v = torch.tensor([1.0, 2.0, 4.0])
g.add("index_put_accumulate", "index_put", [x, v, i0, i1], x.index_put((i0, i1), v, accumulate=True), accumulate=True)
v = torch.tensor(9.0)
g.add("index_put_scalar_value", "index_put", [x, v, i0, i1], x.index_put((i0, i1), v, accumulate=True), accumulate=True)
mask = x > 0
v = torch.tensor(-1.0)
g.add("index_put_mask", "index_put", [x, v, mask], x.index_put((mask,), v), accumulate=False)
xi = ints(-9, 9, 4, 3)
g.add("index_put_int", "index_put", [xi, torch.tensor([5, 6, 7]), torch.tensor([3, 0])], xi.index_put((torch.tensor([3, 0]),), torch.tensor([5, 6, 7])), accumulate=False)

# ---- tril / triu (batched, non-square)
for shape in [(2, 3, 5), (2, 4, 3)]:
    x = randn(*shape)
    for k in [-1, 0, 2]:
        g.add(f"tril_{shape[1]}x{shape[2]}_k{k}", "tril", [x], x.tril(k), k=k)
        g.add(f"triu_{shape[1]}x{shape[2]}_k{k}", "triu", [x], x.triu(k), k=k)
x = randn(3, 4)
g.add("tril_big_k", "tril", [x], x.tril(-5), k=-5)
g.add("triu_big_k", "triu", [x], x.triu(-5), k=-5)
xi = ints(-9, 9, 2, 3, 4)
g.add("tril_int", "tril", [xi], xi.tril(1), k=1)
g.add("triu_bool", "triu", [xi > 0], (xi > 0).triu(-1), k=-1)

# ---- masked_select
x = randn(3, 4)
m = x > 0.2
g.add("masked_select", "masked_select", [x, m], x.masked_select(m))
m = torch.tensor([[True], [False], [True]])
g.add("masked_select_bcast_mask", "masked_select", [x, m], x.masked_select(m))
x = randn(4)
m = torch.rand(3, 4) > 0.5
g.add("masked_select_bcast_input", "masked_select", [x, m], x.masked_select(m))
xi = ints(-9, 9, 2, 3)
g.add("masked_select_int", "masked_select", [xi, xi > 0], xi.masked_select(xi > 0))
g.add("masked_select_none", "masked_select", [xi, xi > 100], xi.masked_select(xi > 100))
g.save()
