"""Golden values for the reductions: mean, prod, max/min (all, dim),
amax/amin, argmax/argmin, var/std, logsumexp, norms, softmax/log_softmax,
and the gradients of the differentiable ones (ties, zeros, NaN).
Run: /usr/bin/python3 testdata/gen_reduce.py"""
import torch
from golden import Golden, randn

g = Golden("reduce.json")
nan, inf = float("nan"), float("inf")
DIMS = [([], False), ([1], False), ([0, 2], True), ([-1], True), ([-3, -1], False), ([2, 0, 1], False)]


def dims_arg(d):
    return tuple(d) if d else None


def grad_case(name, of, x, f, **attrs):
    """Gradient of f at x for a random output gradient, from torch."""
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    if isinstance(y, tuple):
        y = y[0]
    gout = torch.randn(y.shape, dtype=y.dtype) if y.dim() > 0 else torch.tensor(1.5, dtype=y.dtype)
    y.backward(gout)
    gx = x.grad if x.grad is not None else torch.zeros_like(x)  # no gradient (norm p=0) reads as zeros
    g.add(name, "grad", [x, gout], gx, of=of, **attrs)


# ---- mean ----
x = randn(2, 3, 4)
for d, k in DIMS:
    g.add(f"mean_{d}_{k}", "mean", [x], x.mean(dim=dims_arg(d), keepdim=k) if d else x.mean(), dims=d, keepdim=k)
xd = randn(3, 4, dtype=torch.float64)
g.add("mean_f64", "mean", [xd], xd.mean(0), dims=[0], keepdim=False)
xh = randn(3, 4).half()
g.add("mean_f16", "mean", [xh], xh.mean(1), dims=[1], keepdim=False)
xe = torch.tensor([[1.0, nan, 2.0], [inf, 1.0, 2.0], [inf, -inf, 0.0]])
g.add("mean_nan_inf", "mean", [xe], xe.mean(1), dims=[1], keepdim=False)
g.add("mean_empty", "mean", [torch.zeros(0, 3)], torch.zeros(0, 3).mean(0), dims=[0], keepdim=False)
s = torch.tensor(2.5)
g.add("mean_0d", "mean", [s], s.mean(), dims=[], keepdim=False)

# ---- prod ----
x = torch.rand(2, 3, 4) + 0.5
for d, k in DIMS[:4]:
    g.add(f"prod_{d}_{k}", "prod", [x], torch.prod(x, d[0], keepdim=k) if len(d) == 1 else (x.prod() if not d else x.prod(2, keepdim=k).prod(0, keepdim=k)), dims=d, keepdim=k)
xi = torch.randint(-3, 4, (3, 4))
g.add("prod_int64", "prod", [xi], xi.prod(1), dims=[1], keepdim=False)
xi32 = torch.randint(-3, 4, (3, 4), dtype=torch.int32)
g.add("prod_int32", "prod", [xi32], xi32.prod(0, keepdim=True), dims=[0], keepdim=True)
xb = torch.tensor([[True, True], [True, False]])
g.add("prod_bool", "prod", [xb], xb.prod(1), dims=[1], keepdim=False)
xz = torch.tensor([[1.0, 0.0, 2.0], [3.0, nan, 1.0], [inf, 2.0, -1.0], [0.0, inf, 1.0]])
g.add("prod_edge", "prod", [xz], xz.prod(1), dims=[1], keepdim=False)
g.add("prod_empty", "prod", [torch.zeros(2, 0)], torch.zeros(2, 0).prod(1), dims=[1], keepdim=False)

# ---- max / min over everything ----
x = randn(3, 4)
for op, f in [("max_all", torch.max), ("min_all", torch.min)]:
    g.add(op, op, [x], f(x))
    g.add(op + "_int", op, [xi], f(xi))
    g.add(op + "_uint8", op, [xi.abs().to(torch.uint8)], f(xi.abs().to(torch.uint8)))
    g.add(op + "_bool", op, [xb], f(xb))
    g.add(op + "_nan", op, [xe], f(xe))
    g.add(op + "_inf", op, [xe[1:]], f(xe[1:]))
    g.add(op + "_f64", op, [xd], f(xd))
    g.add(op + "_f16", op, [xh], f(xh))
    g.add(op + "_0d", op, [s], f(s))

# ---- max / min / argmax / argmin along a dim ----
x = randn(2, 3, 4)
ties = torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 2.0], [-1.0, -1.0, -1.0, -1.0]])
xin = torch.tensor([[1.0, nan, 3.0, nan], [2.0, 5.0, 1.0, 2.0], [-inf, inf, 0.0, inf]])
for op, f, af in [("max_dim", torch.max, torch.argmax), ("min_dim", torch.min, torch.argmin)]:
    aop = "arg" + op
    for dim, k in [(0, False), (1, True), (-1, False), (2, True)]:
        v, i = f(x, dim, keepdim=k)
        g.add(f"{op}_{dim}_{k}", op, [x], [v, i], dim=dim, keepdim=k)
        g.add(f"{aop}_{dim}_{k}", aop, [x], af(x, dim, keepdim=k), dim=dim, keepdim=k)
    for nm, t in [("ties", ties), ("nan_inf", xin), ("int", xi), ("int32", xi32), ("f64", xd), ("f16", xh)]:
        v, i = f(t, 1)
        g.add(f"{op}_{nm}", op, [t], [v, i], dim=1, keepdim=False)
        g.add(f"{aop}_{nm}", aop, [t], af(t, 1), dim=1, keepdim=False)
    v, i = f(ties, 0)
    g.add(f"{op}_ties_dim0", op, [ties], [v, i], dim=0, keepdim=False)
    v, i = f(xb, 1)
    g.add(f"{op}_bool", op, [xb], [v, i], dim=1, keepdim=False)
    v, i = f(s, 0)
    g.add(f"{op}_0d", op, [s], [v, i], dim=0, keepdim=False)
    v, i = f(torch.zeros(0, 3), 1)
    g.add(f"{op}_empty_outer", op, [torch.zeros(0, 3)], [v, i], dim=1, keepdim=False)
    long = randn(3, 40)
    long[:, 7] = 9.0
    long[:, 30] = 9.0
    long[:, 12] = -9.0
    long[:, 33] = -9.0
    v, i = f(long, 1)
    g.add(f"{op}_long_ties", op, [long], [v, i], dim=1, keepdim=False)
for aop, af in [("argmax_all", torch.argmax), ("argmin_all", torch.argmin)]:
    for nm, t in [("rand", x), ("ties", ties), ("nan_inf", xin), ("int", xi), ("f16", xh), ("0d", s)]:
        g.add(f"{aop}_{nm}", aop, [t], af(t))
    g.add(f"{aop}_transposed", aop, [x.transpose(0, 2)], af(x.transpose(0, 2)))

# ---- amax / amin ----
for op, f in [("amax", torch.amax), ("amin", torch.amin)]:
    for d, k in DIMS:
        g.add(f"{op}_{d}_{k}", op, [x], f(x, dim=d, keepdim=k), dims=d, keepdim=k)
    g.add(f"{op}_ties", op, [ties], f(ties, 1), dims=[1], keepdim=False)
    g.add(f"{op}_nan_inf", op, [xin], f(xin, 1, keepdim=True), dims=[1], keepdim=True)
    g.add(f"{op}_int", op, [xi], f(xi, 0), dims=[0], keepdim=False)
    g.add(f"{op}_bool", op, [xb], f(xb, 1), dims=[1], keepdim=False)
    g.add(f"{op}_empty_outer", op, [torch.zeros(0, 3)], f(torch.zeros(0, 3), 1), dims=[1], keepdim=False)

# ---- var / std ----
x = randn(2, 3, 4)
for op, f in [("var", torch.var), ("std", torch.std)]:
    for d, k in DIMS:
        for c in [1, 0]:
            g.add(f"{op}_{d}_{k}_c{c}", op, [x], f(x, dim=dims_arg(d), correction=c, keepdim=k), dims=d, correction=c, keepdim=k)
    g.add(f"{op}_c2", op, [x], f(x, dim=(1,), correction=2), dims=[1], correction=2, keepdim=False)
    one = torch.tensor([[3.0], [1.0]])
    g.add(f"{op}_single", op, [one], f(one, dim=(1,), correction=1), dims=[1], correction=1, keepdim=False)
    two = torch.tensor([[1.0, 2.0], [5.0, 5.0]])
    g.add(f"{op}_dof0", op, [two], f(two, dim=(1,), correction=2), dims=[1], correction=2, keepdim=False)
    g.add(f"{op}_nan_inf", op, [xe], f(xe, dim=(1,)), dims=[1], correction=1, keepdim=False)
    g.add(f"{op}_f64", op, [xd], f(xd, dim=(0,)), dims=[0], correction=1, keepdim=False)
    g.add(f"{op}_f16", op, [xh], f(xh, dim=(1,)), dims=[1], correction=1, keepdim=False)
    big = torch.tensor([1e4 + 1.0, 1e4 + 2.0, 1e4 + 3.0], dtype=torch.float32)
    g.add(f"{op}_offset", op, [big], f(big))  # no attrs: the all-elements, correction-1 form

# ---- logsumexp ----
x = randn(2, 3, 4)
for d, k in DIMS:
    g.add(f"logsumexp_{d}_{k}", "logsumexp", [x], torch.logsumexp(x, dim=d or (0, 1, 2), keepdim=k), dims=d, keepdim=k)
lx = torch.tensor([[-inf, -inf, -inf], [inf, 1.0, 2.0], [1000.0, 1000.0, -1000.0], [-1000.0, -1001.0, -inf], [nan, 1.0, 2.0]])
g.add("logsumexp_edge", "logsumexp", [lx], torch.logsumexp(lx, 1), dims=[1], keepdim=False)
g.add("logsumexp_f64_large", "logsumexp", [lx[:4].double() * 1e3], torch.logsumexp(lx[:4].double() * 1e3, 1, keepdim=True), dims=[1], keepdim=True)
g.add("logsumexp_int", "logsumexp", [xi], torch.logsumexp(xi, 0), dims=[0], keepdim=False)
g.add("logsumexp_f16", "logsumexp", [xh], torch.logsumexp(xh.float(), 1).half(), dims=[1], keepdim=False)
g.add("logsumexp_empty", "logsumexp", [torch.zeros(2, 0)], torch.logsumexp(torch.zeros(2, 0), 1), dims=[1], keepdim=False)

# ---- norms ----
x = randn(2, 3, 4)
P = [2, 1, 3, 1.5, 0.5, inf, -inf, 0, -1]
for p in P:
    g.add(f"norm_p{p}_all", "norm", [x], torch.linalg.vector_norm(x, ord=p), p=float(p), dims=[], keepdim=False)
for p in [2, 1, inf, 3]:
    for d, k in DIMS[1:4]:
        g.add(f"norm_p{p}_{d}_{k}", "norm", [x], torch.linalg.vector_norm(x, ord=p, dim=d, keepdim=k), p=float(p), dims=d, keepdim=k)
nx = torch.tensor([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0], [nan, 1.0, 2.0], [inf, 1.0, -2.0]])
for p in P:
    g.add(f"norm_edge_p{p}", "norm", [nx], torch.linalg.vector_norm(nx, ord=p, dim=1), p=float(p), dims=[1], keepdim=False)
g.add("norm_f64", "norm", [xd], torch.linalg.vector_norm(xd, ord=2.5, dim=0), p=2.5, dims=[0], keepdim=False)
# float16 computes in float32 and rounds once (torch accumulates in half
# on CPU, which is less accurate), so the reference is the rounded float32 norm.
g.add("norm_f16", "norm", [xh], torch.linalg.vector_norm(xh.float(), dim=1).half(), p=2.0, dims=[1], keepdim=False)
g.add("norm_empty", "norm", [torch.zeros(0, 3)], torch.linalg.vector_norm(torch.zeros(0, 3), dim=0), p=2.0, dims=[0], keepdim=False)
g.add("fro_all", "fro", [x], torch.norm(x, p="fro"), dims=[], keepdim=False)
g.add("fro_dims", "fro", [x], torch.norm(x, p="fro", dim=(0, 2), keepdim=True), dims=[0, 2], keepdim=True)
g.add("fro_dim", "fro", [x], torch.norm(x, p="fro", dim=-1), dims=[-1], keepdim=False)

# ---- softmax / log_softmax ----
x = randn(2, 3, 4) * 3
sx = torch.tensor([[-inf, -inf, -inf], [inf, 1.0, 2.0], [1000.0, 1000.0, -1000.0], [-inf, 0.0, 1.0],
                   [nan, 1.0, 2.0], [-1e4, -1e4 - 1, -1e4 - 2], [88.0, 89.0, 90.0]])
for op, f in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    for dim in [0, 1, 2, -1, -2]:
        g.add(f"{op}_{dim}", op, [x], f(x, dim), dim=dim)
    g.add(f"{op}_edge", op, [sx], f(sx, 1), dim=1)
    g.add(f"{op}_edge_dim0", op, [sx.t().contiguous()], f(sx.t(), 0), dim=0)
    g.add(f"{op}_f64_large", op, [xd * 1e3], f(xd * 1e3, 1), dim=1)
    g.add(f"{op}_f16", op, [xh], f(xh.float(), 1).half(), dim=1)
    g.add(f"{op}_0d", op, [s], f(s, 0), dim=0)
    g.add(f"{op}_empty", op, [torch.zeros(0, 3)], f(torch.zeros(0, 3), 1), dim=1)

# ---- gradients, from torch's autograd ----
x = randn(2, 3, 4, dtype=torch.float64)
grad_case("grad_mean", "mean", x, lambda t: t.mean((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
grad_case("grad_mean_all", "mean", x, lambda t: t.mean(), dims=[], keepdim=False)
grad_case("grad_prod", "prod", x, lambda t: t.prod(1), dims=[1], keepdim=False)
pz = torch.tensor([[1.0, 0.0, 2.0, 3.0], [1.0, 0.0, 2.0, 0.0], [2.0, -1.0, 0.5, 4.0]], dtype=torch.float64)
grad_case("grad_prod_zeros", "prod", pz, lambda t: t.prod(1), dims=[1], keepdim=False)
grad_case("grad_prod_zeros_dim0", "prod", pz, lambda t: t.prod(0, keepdim=True), dims=[0], keepdim=True)
grad_case("grad_prod_one_zero_all", "prod", pz[0], lambda t: t.prod(), dims=[], keepdim=False)
grad_case("grad_prod_two_zeros_all", "prod", pz[1], lambda t: t.prod(), dims=[], keepdim=False)
tied = ties.double()
grad_case("grad_max_all_ties", "max_all", tied, lambda t: t.max())
grad_case("grad_min_all_ties", "min_all", tied, lambda t: t.min())
grad_case("grad_max_all_nan", "max_all", xin.double(), lambda t: t.max())
grad_case("grad_max_dim_ties", "max_dim", tied, lambda t: t.max(1), dim=1, keepdim=False)
grad_case("grad_min_dim_ties", "min_dim", tied, lambda t: t.min(0, keepdim=True), dim=0, keepdim=True)
grad_case("grad_max_dim_nan", "max_dim", xin.double(), lambda t: t.max(1), dim=1, keepdim=False)
grad_case("grad_amax_ties", "amax", tied, lambda t: t.amax(1), dims=[1], keepdim=False)
grad_case("grad_amin_ties_all", "amin", tied, lambda t: t.amin((0, 1)), dims=[0, 1], keepdim=False)
grad_case("grad_amax_nan", "amax", xin.double(), lambda t: t.amax(1, keepdim=True), dims=[1], keepdim=True)
grad_case("grad_var", "var", x, lambda t: t.var((0, 2), correction=1), dims=[0, 2], correction=1, keepdim=False)
grad_case("grad_var_c0", "var", x, lambda t: t.var(-1, correction=0, keepdim=True), dims=[-1], correction=0, keepdim=True)
grad_case("grad_std", "std", x, lambda t: t.std(1), dims=[1], correction=1, keepdim=False)
grad_case("grad_std_zero", "std", torch.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], dtype=torch.float64),
          lambda t: t.std(1), dims=[1], correction=1, keepdim=False)
grad_case("grad_logsumexp", "logsumexp", x, lambda t: t.logsumexp((1, 2)), dims=[1, 2], keepdim=False)
grad_case("grad_logsumexp_edge", "logsumexp", lx.double(), lambda t: t.logsumexp(1), dims=[1], keepdim=False)
for p in P:
    grad_case(f"grad_norm_p{p}", "norm", x, lambda t: torch.linalg.vector_norm(t, ord=p, dim=(0, 2)), p=float(p), dims=[0, 2], keepdim=False)
    zr = torch.tensor([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0], [1.0, -1.0, 0.5]], dtype=torch.float64)
    grad_case(f"grad_norm_zero_p{p}", "norm", zr, lambda t: torch.linalg.vector_norm(t, ord=p, dim=1), p=float(p), dims=[1], keepdim=False)
grad_case("grad_norm_inf_ties", "norm", torch.tensor([[3.0, -3.0, 1.0]], dtype=torch.float64),
          lambda t: torch.linalg.vector_norm(t, ord=inf, dim=1), p=inf, dims=[1], keepdim=False)
for op, f in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    grad_case(f"grad_{op}", op, x, lambda t: f(t, 1), dim=1)
    grad_case(f"grad_{op}_last", op, x, lambda t: f(t, -1), dim=-1)
    grad_case(f"grad_{op}_large", op, x * 1e3, lambda t: f(t, 2), dim=2)
g.save()
