"""Golden values for the ops the perf work added: add_ with alpha
(AddScaled_), the in-place activations relu_, relu6_ and hardtanh_, and the
float32 fast paths they share with the out-of-place ops (sums over leading
and trailing dims, row softmax). Run: /usr/bin/python3 testdata/gen_perf.py"""
import torch
from golden import Golden, randn

g = Golden("perf.json")
special = torch.tensor([0.0, -0.0, 1.0, -1.0, 6.0, 7.5, -3.0, 0.5,
                        float("nan"), float("inf"), float("-inf"), 1e-30, 2.0, -6.0, 3.0, 5.9])
for dt in (torch.float32, torch.float64):
    n = str(dt).replace("torch.", "")
    x, y = randn(3, 17, dtype=dt), randn(3, 17, dtype=dt)
    g.add("add_scaled_" + n, "add_scaled_", [x, y], x.clone().add_(y, alpha=-0.01), alpha=-0.01)
    r = randn(17, dtype=dt)
    g.add("add_scaled_row_" + n, "add_scaled_", [x, r], x.clone().add_(r, alpha=2.5), alpha=2.5)
    s = special.to(dt)
    g.add("add_scaled_special_" + n, "add_scaled_", [s, s.flip(0)], s.clone().add_(s.flip(0), alpha=0.5), alpha=0.5)
    for name, f in [("relu_", lambda t: t.relu_()),
                    ("relu6_", lambda t: torch.nn.functional.relu6(t, inplace=True)),
                    ("hardtanh_", lambda t: torch.nn.functional.hardtanh(t, -1.5, 2.0, inplace=True))]:
        for label, v in [("special", s), ("rand", randn(4, 9, dtype=dt) * 4)]:
            g.add(f"{name}{label}_{n}", name, [v], f(v.clone()), lo=-1.5, hi=2.0)
xh, yh = (randn(2, 8) * 4).half(), randn(8).half()
g.add("add_scaled_float16", "add_scaled_", [xh, yh], xh.clone().add_(yh, alpha=3), alpha=3)
xi = torch.randint(-9, 9, (3, 5))
for name, f in [("relu_", lambda t: t.relu_()),
                ("relu6_", lambda t: torch.nn.functional.relu6(t, inplace=True)),
                ("hardtanh_", lambda t: torch.nn.functional.hardtanh(t, -1.5, 2.0, inplace=True))]:
    g.add(f"{name}int64", name, [xi], f(xi.clone()), lo=-1.5, hi=2.0)
# The float32 fast paths: a bias gradient's sum, a leading-dim sum, row
# softmax and log-softmax with a dominant element.
x = randn(4, 3, 5, 6)
g.add("sum_bias_grad", "sum", [x], x.sum((0, 2, 3)), dims=[0, 2, 3], keepdim=False)
g.add("sum_leading", "sum", [x], x.sum((0, 1), keepdim=True), dims=[0, 1], keepdim=True)
z = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                  [-30.0, -20.0, -10.0, 0.0, 80.0, 0.5, 3.0, 3.0, 3.0],
                  [float("-inf"), 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]])
g.add("softmax_rows", "softmax", [z], torch.softmax(z, 1))
g.add("log_softmax_rows", "log_softmax", [z], torch.log_softmax(z, 1))
g.save()
