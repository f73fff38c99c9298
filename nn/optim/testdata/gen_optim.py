"""Golden values for nn/optim: optimizer trajectories, LR schedules and
gradient clipping, from torch 1.13 (Debian's /usr/bin/python3).

Run from anywhere: /usr/bin/python3 nn/optim/testdata/gen_optim.py
"""
import math
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../internal/golden"))
from golden import Golden  # noqa: E402

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 10


def problem(seed, dtype):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(3, 4, generator=g, dtype=torch.float64).to(dtype)
    b = (0.5 * torch.randn(3, generator=g, dtype=torch.float64)).to(dtype)
    c = torch.randn(2, generator=g, dtype=torch.float64).to(dtype)  # never gets a gradient
    X = torch.randn(4, 5, generator=g, dtype=torch.float64).to(dtype)
    Y = torch.randn(3, 5, generator=g, dtype=torch.float64).to(dtype)
    return W, b, c, X, Y


def loss_fn(W, b, X, Y):
    return ((W @ X + b.unsqueeze(1) - Y) ** 2).mean() + 0.1 * (b ** 4).sum()


def jsonable(v):
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return str(v)
    return v


OPTIMIZERS = [
    # name, class, defaults, per-group overrides for the two-group layout (None: one group)
    ("sgd", torch.optim.SGD, dict(lr=0.1), None),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.05, momentum=0.9), None),
    ("sgd_damp_wd", torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01), None),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05), None),
    ("sgd_maximize", torch.optim.SGD, dict(lr=0.01, momentum=0.5, maximize=True, weight_decay=0.1), None),
    ("sgd_groups", torch.optim.SGD, dict(lr=0.05, momentum=0.5), [dict(lr=0.1, momentum=0.9), dict()]),
    ("adam", torch.optim.Adam, dict(lr=0.05), None),
    ("adam_defaults", torch.optim.Adam, dict(), None),
    ("adam_wd_amsgrad", torch.optim.Adam, dict(lr=0.05, weight_decay=0.1, amsgrad=True), None),
    ("adam_betas_eps_max", torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, maximize=True), None),
    ("adam_groups", torch.optim.Adam, dict(lr=0.01), [dict(lr=0.05, betas=(0.5, 0.9)), dict(weight_decay=0.2)]),
    ("adamw", torch.optim.AdamW, dict(lr=0.05), None),
    ("adamw_amsgrad", torch.optim.AdamW, dict(lr=0.05, weight_decay=0.3, amsgrad=True, maximize=True), None),
    ("rmsprop", torch.optim.RMSprop, dict(), None),
    ("rmsprop_momentum_centered", torch.optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01), None),
    ("rmsprop_alpha_eps", torch.optim.RMSprop, dict(lr=0.02, alpha=0.9, eps=1e-6, centered=True, maximize=True), None),
    ("rmsprop_momentum", torch.optim.RMSprop, dict(lr=0.01, momentum=0.5), None),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.1), None),
    ("adagrad_all", torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-8), None),
    ("adagrad_groups_max", torch.optim.Adagrad, dict(lr=0.1, maximize=True), [dict(lr=0.2), dict(lr_decay=0.1)]),
]


def optimizer_cases(gold, dtype):
    seed = 0 if dtype == torch.float32 else 1000
    for name, cls, defaults, groups in OPTIMIZERS:
        seed += 1
        W, b, c, X, Y = problem(seed, dtype)
        W.requires_grad_(True)
        b.requires_grad_(True)
        c.requires_grad_(True)
        tensors = {"W.init": W.detach().clone(), "b.init": b.detach().clone(), "c.init": c.detach().clone(), "X": X, "Y": Y}
        if groups is None:
            opt = cls([W, b, c], **defaults)
        else:
            opt = cls([dict(params=[W], **groups[0]), dict(params=[b, c], **groups[1])], **defaults)
        for k in range(STEPS):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(W, b, X, Y)
            loss.backward()
            tensors[f"gW.{k}"] = W.grad.clone()
            tensors[f"gb.{k}"] = b.grad.clone()
            opt.step()
            tensors[f"W.{k}"] = W.detach().clone()
            tensors[f"b.{k}"] = b.detach().clone()
        sd = opt.state_dict()
        for idx, st in sd["state"].items():
            for key, v in st.items():
                if v is None:
                    continue
                if not torch.is_tensor(v):
                    v = torch.tensor(v)
                tensors[f"state.{idx}.{key}"] = v
        sgroups = [{k: jsonable(v) for k, v in g.items()} for g in sd["param_groups"]]
        gold.add(f"optim/{name}/{str(dtype)[6:]}", tensors,
                 optimizer=cls.__name__, defaults={k: jsonable(v) for k, v in defaults.items()},
                 groups=None if groups is None else [{k: jsonable(v) for k, v in g.items()} for g in groups],
                 steps=STEPS, dtype=str(dtype)[6:], state_groups=sgroups,
                 state_types={str(i): {k: type(v).__name__ for k, v in st.items()} for i, st in sd["state"].items()})


def sched_opt(kind):
    p1 = torch.zeros(2, requires_grad=True)
    p2 = torch.zeros(3, requires_grad=True)
    groups = [dict(params=[p1], lr=0.1), dict(params=[p2], lr=0.05)]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=0.1)
    if kind == "adagrad":
        return torch.optim.Adagrad(groups, lr=0.1)
    raise ValueError(kind)


def momenta(opt):
    out = []
    for g in opt.param_groups:
        if "betas" in g:
            out.append(g["betas"][0])
        else:
            out.append(g.get("momentum", 0.0))
    return out


S = torch.optim.lr_scheduler

SCHEDULERS = [
    # name, optimizer kind, builder, steps
    ("step", "sgd", lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12),
    ("step_default_gamma", "sgd", lambda o: S.StepLR(o, step_size=2), 7),
    ("multistep", "sgd", lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 12),
    ("exponential", "sgd", lambda o: S.ExponentialLR(o, gamma=0.9), 10),
    ("cosine", "sgd", lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001), 25),
    ("cosine_default", "adam", lambda o: S.CosineAnnealingLR(o, T_max=7), 10),
    ("linear_warmup", "sgd", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4), 8),
    ("linear_decay", "sgd", lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=5), 8),
    ("constant", "sgd", lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), 6),
    ("sequential_warmup_cosine", "sgd",
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=6)], milestones=[3]), 12),
    ("sequential_three", "sgd",
     lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.9), S.StepLR(o, 2, 0.5)], milestones=[3, 6]), 10),
    ("chained", "sgd", lambda o: S.ChainedScheduler([S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=3, gamma=0.5)]), 8),
    ("onecycle", "sgd", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=20), 20),
    ("onecycle_linear_three_adam", "adam",
     lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=16, pct_start=0.25, anneal_strategy="linear", three_phase=True,
                            div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9), 16),
    ("onecycle_three_cos_rmsprop", "rmsprop", lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=13, three_phase=True), 13),
    ("onecycle_nomomentum_adagrad", "adagrad", lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=9, cycle_momentum=False), 9),
]

METRICS = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4999, 0.6, 0.7, 0.8, 0.9, 1.0, 0.3, 0.3]

PLATEAUS = [
    ("plateau_min_rel", dict(mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.01)),
    ("plateau_default", dict()),
    ("plateau_max_abs", dict(mode="max", factor=0.2, patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.001, 0.02])),
    ("plateau_patience0", dict(patience=0, threshold=0.0, eps=1e-3)),
]


def scheduler_cases(gold):
    for name, kind, build, steps in SCHEDULERS:
        opt = sched_opt(kind)
        s = build(opt)
        lrs = [[g["lr"] for g in opt.param_groups]]
        moms = [momenta(opt)]
        last = [list(s.get_last_lr())]
        for _ in range(steps):
            opt.step()
            s.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            moms.append(momenta(opt))
            last.append(list(s.get_last_lr()))
        keys = sorted(s.state_dict().keys())
        gold.add(f"sched/{name}", {}, optimizer=kind, steps=steps, lrs=lrs, momenta=moms, last_lr=last, state_keys=keys,
                 group_keys=[sorted(k for k in g.keys() if k != "params") for g in opt.param_groups])
    for name, kw in PLATEAUS:
        opt = sched_opt("sgd")
        s = S.ReduceLROnPlateau(opt, **kw)
        lrs = [[g["lr"] for g in opt.param_groups]]
        bad = []
        for m in METRICS:
            opt.step()
            s.step(m)
            lrs.append([g["lr"] for g in opt.param_groups])
            bad.append(s.num_bad_epochs)
        gold.add(f"plateau/{name}", {}, options={k: jsonable(v) for k, v in kw.items()}, metrics=METRICS, lrs=lrs,
                 num_bad_epochs=bad, best=s.best, state_keys=sorted(s.state_dict().keys()))


def clip_cases(gold):
    cases = [
        ("l2", 1.0, 2.0), ("l2_noclip", 100.0, 2.0), ("l1", 0.5, 1.0), ("inf", 0.3, math.inf),
        ("l3", 0.7, 3.0), ("l0.5", 2.0, 0.5), ("neginf", 0.01, -math.inf),
    ]
    seed = 100
    for dtype in (torch.float32, torch.float64):
        for name, max_norm, p in cases:
            seed += 1
            g = torch.Generator().manual_seed(seed)
            shapes = [(3, 4), (5,), (2, 2)]
            params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes] + [torch.zeros(2, dtype=dtype, requires_grad=True)]
            tensors = {}
            for i, q in enumerate(params[:3]):
                q.grad = torch.randn(q.shape, generator=g, dtype=torch.float64).to(dtype)
                tensors[f"grad.{i}"] = q.grad.clone()
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
            for i, q in enumerate(params[:3]):
                tensors[f"clipped.{i}"] = q.grad.clone()
            tensors["total"] = total
            gold.add(f"clip/{name}/{str(dtype)[6:]}", tensors, max_norm=max_norm, norm_type=p, dtype=str(dtype)[6:])
        # non-finite gradients: scaled by the non-finite norm anyway
        for name, bad in (("inf_grad", math.inf), ("nan_grad", math.nan)):
            params = [torch.zeros(3, dtype=dtype, requires_grad=True), torch.zeros(2, dtype=dtype, requires_grad=True)]
            params[0].grad = torch.tensor([1.0, bad, -2.0], dtype=dtype)
            params[1].grad = torch.tensor([0.5, -0.25], dtype=dtype)
            tensors = {"grad.0": params[0].grad.clone(), "grad.1": params[1].grad.clone()}
            total = torch.nn.utils.clip_grad_norm_(params, 1.0)
            tensors.update({"clipped.0": params[0].grad.clone(), "clipped.1": params[1].grad.clone(), "total": total})
            gold.add(f"clip/{name}/{str(dtype)[6:]}", tensors, max_norm=1.0, norm_type=2.0, dtype=str(dtype)[6:])
    g = torch.Generator().manual_seed(7)
    params = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
    tensors = {}
    for i, q in enumerate(params):
        q.grad = 2 * torch.randn(q.shape, generator=g)
        tensors[f"grad.{i}"] = q.grad.clone()
    torch.nn.utils.clip_grad_value_(params, 0.8)
    for i, q in enumerate(params):
        tensors[f"clipped.{i}"] = q.grad.clone()
    gold.add("clipvalue", tensors, clip=0.8)


def math_cases(gold):
    """C's cos and pow, which the Python formulas call, for optimCos and optimPow."""
    g = torch.Generator().manual_seed(11)
    xs = (20 * torch.rand(150, generator=g, dtype=torch.float64) - 10).tolist()
    xs += [math.pi * k / 37 for k in range(0, 80)]
    gold.add("math/cos", {}, x=xs, cos=[math.cos(x) for x in xs])
    bases, exps = [], []
    for b in (0.9, 0.999, 0.99, 0.5, 0.3, 0.95, 0.8, 1.1):
        for n in (1, 2, 3, 5, 7, 10, 17, 100, 1000, 4097, 100000, 1234567):
            if b > 1 and n > 1000:
                continue
            bases.append(b)
            exps.append(n)
    gold.add("math/pow", {}, base=bases, exp=exps, pow=[b ** float(n) for b, n in zip(bases, exps)])


def main():
    warnings.simplefilter("ignore")  # SequentialLR's step(0) warns about the epoch argument
    for dtype in (torch.float32, torch.float64):
        gold = Golden(os.path.join(HERE, f"optim_{str(dtype)[6:]}.json"))
        optimizer_cases(gold, dtype)
        gold.save()
    gold = Golden(os.path.join(HERE, "sched.json"))
    scheduler_cases(gold)
    clip_cases(gold)
    math_cases(gold)
    gold.save()


if __name__ == "__main__":
    main()
