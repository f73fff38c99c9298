"""Golden values for flip, roll, repeat, tile, repeat_interleave, cumsum,
cumprod, diff, sort, argsort, topk, kthvalue, any/all, count_nonzero,
nonzero, outer, diagonal, diag and trace, and for the gradients of the
differentiable ones (cumprod through zeros, sort/topk through ties).
Run: /usr/bin/python3 testdata/gen_more.py"""
import torch
from golden import Golden, randn

g = Golden("more.json")
nan, inf = float("nan"), float("inf")


def ints(lo, hi, *shape, dtype=torch.int64):
    return torch.randint(lo, hi, shape, dtype=dtype)


def grad_case(name, of, x, f, **attrs):
    """Gradient of f at x (float64) for a random output gradient."""
    x = x.detach().clone().double().requires_grad_(True)
    y = f(x)
    if isinstance(y, tuple):
        y = y[0]
    gout = torch.randn(y.shape, dtype=y.dtype) if y.dim() > 0 else torch.tensor(1.5, dtype=y.dtype)
    y.backward(gout)
    g.add(name, "grad", [x, gout], x.grad, of=of, **attrs)


# ---- flip ----
x = randn(2, 3, 4)
g.add("flip_0_2", "flip", [x], x.flip(0, 2), dims=[0, 2])
g.add("flip_neg", "flip", [x], x.flip(-1), dims=[-1])
g.add("flip_all", "flip", [x], x.flip(2, 0, 1), dims=[2, 0, 1])
g.add("flip_none", "flip", [x], x.flip([]), dims=[])
xi = ints(-9, 9, 3, 4, dtype=torch.int32)
g.add("flip_int32", "flip", [xi], xi.flip(1), dims=[1])
xb = torch.tensor([[True, False, False], [False, True, True]])
g.add("flip_bool", "flip", [xb], xb.flip(1), dims=[1])
s = torch.tensor(2.5)
g.add("flip_0d", "flip", [s], s.flip(0), dims=[0])
g.add("flip_empty", "flip", [torch.zeros(0, 3)], torch.zeros(0, 3).flip(0, 1), dims=[0, 1])

# ---- roll ----
g.add("roll_flat", "roll", [x], x.roll(5), shifts=[5], dims=[])
g.add("roll_flat_neg", "roll", [x], x.roll(-7), shifts=[-7], dims=[])
g.add("roll_dims", "roll", [x], x.roll((2, -1), (0, 2)), shifts=[2, -1], dims=[0, 2])
g.add("roll_big", "roll", [x], x.roll(10, 1), shifts=[10], dims=[1])
g.add("roll_neg_dim", "roll", [x], x.roll(-5, -1), shifts=[-5], dims=[-1])
g.add("roll_repeat_dim", "roll", [x], x.roll((1, 1), (2, 2)), shifts=[1, 1], dims=[2, 2])
g.add("roll_int", "roll", [xi], xi.roll(1, 0), shifts=[1], dims=[0])
g.add("roll_0d", "roll", [s], s.roll(3), shifts=[3], dims=[])
g.add("roll_empty", "roll", [torch.zeros(0, 3)], torch.zeros(0, 3).roll(1, 0), shifts=[1], dims=[0])

# ---- repeat, tile, repeat_interleave ----
m = randn(2, 3)
g.add("repeat_same_rank", "repeat", [m], m.repeat(2, 3), sizes=[2, 3])
g.add("repeat_lead", "repeat", [m], m.repeat(2, 1, 2), sizes=[2, 1, 2])
g.add("repeat_zero", "repeat", [m], m.repeat(0, 2), sizes=[0, 2])
g.add("repeat_int", "repeat", [xi], xi.repeat(1, 2), sizes=[1, 2])
g.add("repeat_0d", "repeat", [s], s.repeat(2, 3), sizes=[2, 3])
g.add("repeat_bool", "repeat", [xb], xb.repeat(2, 1, 1), sizes=[2, 1, 1])
g.add("tile_short", "tile", [x], x.tile((2,)), dims=[2])
g.add("tile_long", "tile", [m], m.tile((2, 1, 3)), dims=[2, 1, 3])
g.add("tile_empty_dims", "tile", [m], m.tile(()), dims=[])
g.add("repeat_interleave_0", "repeat_interleave", [m], m.repeat_interleave(2, dim=0), repeats=2, dim=0)
g.add("repeat_interleave_neg", "repeat_interleave", [x], x.repeat_interleave(3, dim=-1), repeats=3, dim=-1)
g.add("repeat_interleave_zero", "repeat_interleave", [m], m.repeat_interleave(0, dim=1), repeats=0, dim=1)
g.add("repeat_interleave_int", "repeat_interleave", [xi], xi.repeat_interleave(2, dim=1), repeats=2, dim=1)
r = torch.tensor([2, 0, 3])
g.add("repeat_interleave_tensor", "repeat_interleave_tensor", [m, r], m.repeat_interleave(r, dim=1), dim=1)
r1 = torch.tensor([3], dtype=torch.int32)
g.add("repeat_interleave_tensor_one", "repeat_interleave_tensor", [m, r1], m.repeat_interleave(r1, dim=0), dim=0)

# ---- cumsum, cumprod, diff ----
for d in [0, 1, -1]:
    g.add(f"cumsum_{d}", "cumsum", [x], x.cumsum(d), dim=d)
    g.add(f"cumprod_{d}", "cumprod", [x], x.cumprod(d), dim=d)
xe = torch.tensor([[1.0, nan, 2.0, 3.0], [inf, 1.0, -inf, 2.0], [0.0, 2.0, inf, 1.0]])
g.add("cumsum_nan_inf", "cumsum", [xe], xe.cumsum(1), dim=1)
g.add("cumprod_nan_inf", "cumprod", [xe], xe.cumprod(1), dim=1)
xd = randn(3, 4, dtype=torch.float64)
g.add("cumsum_f64", "cumsum", [xd], xd.cumsum(0), dim=0)
g.add("cumprod_f64", "cumprod", [xd], xd.cumprod(1), dim=1)
for dt in [torch.int64, torch.int32, torch.int8, torch.uint8]:
    xk = ints(0 if dt == torch.uint8 else -5, 6, 3, 5, dtype=dt)
    name = str(dt).replace("torch.", "")
    g.add(f"cumsum_{name}", "cumsum", [xk], xk.cumsum(1), dim=1)
    g.add(f"cumprod_{name}", "cumprod", [xk], xk.cumprod(1), dim=1)
xb8 = torch.tensor([[100, 100, 100], [-100, 2, 3]], dtype=torch.int8)
g.add("cumsum_int8_wide", "cumsum", [xb8], xb8.cumsum(1), dim=1)
g.add("cumprod_int8_wide", "cumprod", [xb8], xb8.cumprod(1), dim=1)
g.add("cumsum_bool", "cumsum", [xb], xb.cumsum(1), dim=1)
g.add("cumsum_0d", "cumsum", [s], s.cumsum(0), dim=0)
g.add("cumprod_0d", "cumprod", [s], s.cumprod(-1), dim=-1)
g.add("cumsum_empty", "cumsum", [torch.zeros(2, 0)], torch.zeros(2, 0).cumsum(1), dim=1)
for n, d in [(1, -1), (2, 1), (1, 0), (3, 0), (5, 2)]:
    g.add(f"diff_{n}_{d}", "diff", [x], x.diff(n=n, dim=d), n=n, dim=d)
g.add("diff_int", "diff", [xi], xi.diff(dim=1), n=1, dim=1)
xu = ints(0, 200, 6, dtype=torch.uint8)
g.add("diff_uint8", "diff", [xu], xu.diff(), n=1, dim=0)
g.add("diff_bool", "diff", [xb], xb.diff(n=2, dim=1), n=2, dim=1)
g.add("diff_0", "diff", [m], m.diff(n=0), n=0, dim=-1)

# ---- sort, argsort ----
xt = torch.tensor([[3.0, nan, 1.0, 3.0, -0.0, 0.0, nan, 1.0],
                   [-inf, 2.0, inf, 2.0, 2.0, -1.0, inf, -inf],
                   [0.0, -0.0, nan, -inf, 0.0, -0.0, 1.0, -1.0]])  # -0 ties with 0
for d in [1, -1, 0]:
    for desc in [False, True]:
        vals, idx = torch.sort(xt, dim=d, descending=desc, stable=True)
        g.add(f"sort_ties_{d}_{desc}", "sort", [xt], [vals, idx], dim=d, descending=desc)
for desc in [False, True]:
    vals, idx = torch.sort(x, dim=1, descending=desc, stable=True)
    g.add(f"sort_3d_{desc}", "sort", [x], [vals, idx], dim=1, descending=desc)
    g.add(f"argsort_ties_{desc}", "argsort", [xt], torch.argsort(xt, dim=-1, descending=desc, stable=True), dim=-1, descending=desc)
for dt in [torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool, torch.float64]:
    name = str(dt).replace("torch.", "")
    if dt == torch.bool:
        xk = ints(0, 2, 3, 7).bool()
    elif dt == torch.float64:
        xk = ints(-3, 3, 3, 7).double()
    else:
        xk = ints(0 if dt == torch.uint8 else -4, 4, 3, 7, dtype=dt)
    for desc in [False, True]:
        vals, idx = torch.sort(xk, dim=1, descending=desc, stable=True)
        g.add(f"sort_{name}_{desc}", "sort", [xk], [vals, idx], dim=1, descending=desc)
vals, idx = torch.sort(s, dim=0, stable=True)
g.add("sort_0d", "sort", [s], [vals, idx], dim=0, descending=False)
xl = ints(-20, 20, 2, 300).float()  # long lines with many ties
for desc in [False, True]:
    vals, idx = torch.sort(xl, dim=1, descending=desc, stable=True)
    g.add(f"sort_long_{desc}", "sort", [xl], [vals, idx], dim=1, descending=desc)

# ---- topk, kthvalue ----
xr = randn(3, 40)  # distinct values: torch's indices are defined
for k in [0, 1, 3, 10, 40]:
    for largest in [True, False]:
        vals, idx = torch.topk(xr, k, dim=1, largest=largest)
        g.add(f"topk_{k}_{largest}", "topk", [xr], [vals, idx], k=k, dim=1, largest=largest, sorted=True)
vals, idx = torch.topk(x, 2, dim=0)
g.add("topk_dim0", "topk", [x], [vals, idx], k=2, dim=0, largest=True, sorted=True)
vals, idx = torch.topk(x, 3, dim=-2, largest=False)
g.add("topk_neg_dim", "topk", [x], [vals, idx], k=3, dim=-2, largest=False, sorted=True)
vals, idx = torch.topk(s, 1)
g.add("topk_0d", "topk", [s], [vals, idx], k=1, dim=0, largest=True, sorted=True)
xk = ints(-50, 50, 2, 30)
vals, idx = torch.topk(xk, 4, dim=1)
g.add("topk_int64", "topk", [xk], [vals, idx], k=4, dim=1, largest=True, sorted=True)
# Ties and NaN: torch's values are defined, its order of tied positions is
# not; ember's positions are those of a stable sort.
for k in [1, 3, 6, 8]:
    for largest in [True, False]:
        vals, idx = torch.topk(xt, k, dim=1, largest=largest)
        svals, sidx = torch.sort(xt, dim=1, descending=largest, stable=True)
        assert torch.equal(vals.nan_to_num(), svals[:, :k].nan_to_num())
        g.add(f"topk_ties_{k}_{largest}", "topk", [xt], [vals, sidx[:, :k]], k=k, dim=1, largest=largest, sorted=True)
xlt = ints(-5, 5, 2, 200).float()  # ties on the heap path (k small)
vals, idx = torch.topk(xlt, 7, dim=1)
svals, sidx = torch.sort(xlt, dim=1, descending=True, stable=True)
assert torch.equal(vals, svals[:, :7])
g.add("topk_ties_heap", "topk", [xlt], [vals, sidx[:, :7]], k=7, dim=1, largest=True, sorted=True)
for k in [1, 2, 5]:
    for keep in [False, True]:
        vals, idx = torch.kthvalue(xr[:, :5], k, 1, keep)
        g.add(f"kthvalue_{k}_{keep}", "kthvalue", [xr[:, :5]], [vals, idx], k=k, dim=1, keepdim=keep)
vals, idx = torch.kthvalue(x, 2, 0)
g.add("kthvalue_dim0", "kthvalue", [x], [vals, idx], k=2, dim=0, keepdim=False)
xn = torch.tensor([[2.0, nan, 1.0], [nan, nan, 3.0]])
for k in [1, 2, 3]:
    vals, idx = torch.kthvalue(xn, k, 1)
    g.add(f"kthvalue_nan_{k}", "kthvalue_values", [xn], vals, k=k, dim=1, keepdim=False)
vals, idx = torch.kthvalue(s, 1)
g.add("kthvalue_0d", "kthvalue", [s], [vals, idx], k=1, dim=0, keepdim=False)

# ---- any, all, count_nonzero, nonzero ----
xa = torch.tensor([[0.0, 0.0, 0.0], [0.0, nan, 0.0], [1.0, -0.0, 2.0], [inf, 1.0, -3.0]])
cases = [("f32", xa), ("f64", xa.double()), ("f16", xa.half()),
         ("int64", ints(0, 2, 4, 3)), ("int32", ints(-1, 2, 4, 3, dtype=torch.int32)),
         ("int8", ints(0, 2, 4, 3, dtype=torch.int8)), ("uint8", ints(0, 2, 4, 3, dtype=torch.uint8)),
         ("bool", ints(0, 2, 4, 3).bool())]
for name, xc in cases:
    g.add(f"any_{name}", "any", [xc], xc.any())
    g.add(f"all_{name}", "all", [xc], xc.all())
    for d, k in [(1, False), (0, True), (-1, True)]:
        g.add(f"any_dim_{name}_{d}_{k}", "any_dim", [xc], xc.any(d, keepdim=k), dim=d, keepdim=k)
        g.add(f"all_dim_{name}_{d}_{k}", "all_dim", [xc], xc.all(d, keepdim=k), dim=d, keepdim=k)
    g.add(f"count_nonzero_{name}", "count_nonzero", [xc], torch.count_nonzero(xc), dims=[])
    g.add(f"count_nonzero_dim_{name}", "count_nonzero", [xc], torch.count_nonzero(xc, dim=0), dims=[0])
    g.add(f"nonzero_{name}", "nonzero", [xc], torch.nonzero(xc))
g.add("any_all_zero", "any", [torch.zeros(2, 2)], torch.zeros(2, 2).any())
g.add("all_ones", "all", [torch.ones(2, 2)], torch.ones(2, 2).all())
e = torch.zeros(0, 3)
g.add("any_empty", "any", [e], e.any())
g.add("all_empty", "all", [e], e.all())
g.add("any_dim_empty", "any_dim", [e], e.any(0), dim=0, keepdim=False)
g.add("all_dim_empty", "all_dim", [e], e.all(0), dim=0, keepdim=False)
g.add("any_0d", "any_dim", [s], s.any(0), dim=0, keepdim=False)
x3 = torch.tensor([[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [3.0, 4.0]]])
g.add("count_nonzero_dims", "count_nonzero", [x3], torch.count_nonzero(x3, dim=(0, 2)), dims=[0, 2])
g.add("count_nonzero_neg", "count_nonzero", [x3], torch.count_nonzero(x3, dim=-1), dims=[-1])
g.add("nonzero_3d", "nonzero", [x3], torch.nonzero(x3))
g.add("nonzero_0d", "nonzero", [s], torch.nonzero(s))
g.add("nonzero_0d_zero", "nonzero", [torch.tensor(0.0)], torch.nonzero(torch.tensor(0.0)))
g.add("nonzero_none", "nonzero", [torch.zeros(2, 3)], torch.nonzero(torch.zeros(2, 3)))
g.add("nonzero_1d", "nonzero", [torch.tensor([0, 3, 0, -1])], torch.nonzero(torch.tensor([0, 3, 0, -1])))

# ---- outer, diagonal, diag, trace ----
u, v = randn(3), randn(4)
g.add("outer", "outer", [u, v], torch.outer(u, v))
ui, vd = ints(-3, 3, 3), randn(2, dtype=torch.float64)
g.add("outer_promote", "outer", [ui, vd], torch.outer(ui, vd))
vi = ints(-3, 3, 4, dtype=torch.int32)
g.add("outer_int", "outer", [ui, vi], torch.outer(ui, vi))
q = randn(3, 4)
for off in [0, 1, -1, 3, -3, 5]:
    g.add(f"diagonal_{off}", "diagonal", [q], q.diagonal(off), offset=off, dim1=0, dim2=1)
x4 = randn(2, 3, 4)
g.add("diagonal_02", "diagonal", [x4], x4.diagonal(1, 0, 2), offset=1, dim1=0, dim2=2)
g.add("diagonal_neg_dims", "diagonal", [x4], x4.diagonal(-1, -1, -2), offset=-1, dim1=-1, dim2=-2)
g.add("diagonal_21", "diagonal", [x4], x4.diagonal(0, 2, 1), offset=0, dim1=2, dim2=1)
g.add("diagonal_int", "diagonal", [xi], xi.diagonal(1), offset=1, dim1=0, dim2=1)
for k in [0, 2, -1]:
    g.add(f"diag_vec_{k}", "diag", [u], torch.diag(u, k), diagonal=k)
    g.add(f"diag_mat_{k}", "diag", [q], torch.diag(q, k), diagonal=k)
g.add("diag_int", "diag", [ui], torch.diag(ui, 1), diagonal=1)
g.add("trace", "trace", [q], torch.trace(q))
g.add("trace_tall", "trace", [q.T], torch.trace(q.T))
g.add("trace_int32", "trace", [xi], torch.trace(xi))
g.add("trace_f64", "trace", [xd], torch.trace(xd))

# ---- gradients from torch ----
xz = torch.tensor([[1.5, 0.0, 2.0, -1.0, 0.5], [0.0, 0.0, 3.0, 1.0, 2.0], [2.0, -0.5, 1.0, 3.0, 0.0], [1.0, 2.0, -1.0, 0.5, 1.5]])
grad_case("grad_cumprod_zeros", "cumprod", xz, lambda t: t.cumprod(1), dim=1)
grad_case("grad_cumprod_zeros_dim0", "cumprod", xz, lambda t: t.cumprod(0), dim=0)
grad_case("grad_cumprod", "cumprod", x, lambda t: t.cumprod(-1), dim=-1)
grad_case("grad_cumsum", "cumsum", x, lambda t: t.cumsum(1), dim=1)
xg = torch.tensor([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0], [0.5, 0.5, 0.5, -1.0, 2.0, 2.0]])
grad_case("grad_sort_ties", "sort", xg, lambda t: torch.sort(t, dim=1, stable=True), dim=1, descending=False)
grad_case("grad_sort_ties_desc", "sort", xg, lambda t: torch.sort(t, dim=1, descending=True, stable=True), dim=1, descending=True)
grad_case("grad_topk", "topk", xr, lambda t: torch.topk(t, 5, 1), k=5, dim=1, largest=True)
grad_case("grad_kthvalue", "kthvalue", xr[:, :7], lambda t: torch.kthvalue(t, 3, 1), k=3, dim=1, keepdim=False)
grad_case("grad_repeat", "repeat", m, lambda t: t.repeat(2, 1, 3), sizes=[2, 1, 3])
grad_case("grad_repeat_interleave", "repeat_interleave", m, lambda t: t.repeat_interleave(3, dim=1), repeats=3, dim=1)
grad_case("grad_roll", "roll", x, lambda t: t.roll((1, -2), (0, 2)), shifts=[1, -2], dims=[0, 2])
grad_case("grad_diagonal", "diagonal", x4, lambda t: t.diagonal(1, 0, 2), offset=1, dim1=0, dim2=2)
grad_case("grad_diag_vec", "diag", u, lambda t: torch.diag(t, -2), diagonal=-2)
grad_case("grad_trace", "trace", q, lambda t: torch.trace(t))
grad_case("grad_diff", "diff", x, lambda t: t.diff(n=2, dim=2), n=2, dim=2)
g.save()
