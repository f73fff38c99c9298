"""Golden values for nn/init (torch 1.13, Debian's python3): fans, gains
and the standard deviations/bounds torch.nn.init derives from them for
linear and convolution weight shapes, plus the deterministic initialisers
(eye_, dirac_).

Run from this folder: /usr/bin/python3 gen_init.py
"""
import math
import os
import sys

import torch
import torch.nn.init as init

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../internal/golden"))
from golden import Golden  # noqa: E402

G = Golden(os.path.join(os.path.dirname(os.path.abspath(__file__)), "init.json"))

SHAPES = [
    [10, 20],           # Linear(20, 10)
    [1, 7],
    [16, 3, 3, 3],      # Conv2d(3, 16, 3)
    [64, 1, 5, 5],
    [8, 4, 3],          # Conv1d(4, 8, 3)
    [6, 2, 3, 4, 5],    # Conv3d
    [3, 8, 2, 2],       # ConvTranspose2d(3, 8, 2): weight [in, out/groups, k, k]
]
for shape in SHAPES:
    t = torch.empty(shape)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    attrs = {"shape": shape, "fan_in": fan_in, "fan_out": fan_out,
             "xavier_std": 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))}
    for mode in ("fan_in", "fan_out"):
        for nl, a in (("leaky_relu", 0.0), ("relu", 0.0), ("leaky_relu", math.sqrt(5)), ("tanh", 0.0), ("selu", 0.0)):
            fan = init._calculate_correct_fan(t, mode)
            std = init.calculate_gain(nl, a) / math.sqrt(fan)
            attrs[f"kaiming_std/{mode}/{nl}/{a:.4f}"] = std
    G.add("fans/" + "x".join(map(str, shape)), {}, **attrs)

gains = {}
for nl in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
    gains[nl] = init.calculate_gain(nl)
gains["leaky_relu/0.2"] = init.calculate_gain("leaky_relu", 0.2)
gains["leaky_relu/0"] = init.calculate_gain("leaky_relu", 0)
G.add("gains", {}, **gains)

for shape in ([3, 5], [5, 3], [4, 4]):
    t = torch.empty(shape)
    init.eye_(t)
    G.add("eye/" + "x".join(map(str, shape)), {"out": t}, shape=shape)
for shape, groups in (([4, 2, 3, 3], 1), ([6, 3, 3], 2), ([2, 4, 3, 2, 4], 1), ([4, 2, 2, 2], 2)):
    t = torch.empty(shape)
    init.dirac_(t, groups)
    G.add("dirac/" + "x".join(map(str, shape)) + f"/g{groups}", {"out": t}, shape=shape, groups=groups)
G.save()
