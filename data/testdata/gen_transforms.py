"""Golden values for package data's transforms, from torchvision.

Run with Debian's PyTorch: /usr/bin/python3 data/testdata/gen_transforms.py
"""
import os
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../internal/golden"))
from golden import Golden  # noqa: E402

torch.manual_seed(0)
g = Golden(os.path.join(os.path.dirname(__file__), "transforms.json"))

# Normalize: per channel, one value for all channels, a batch, float64.
x = torch.rand(3, 5, 6)
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
g.add("normalize_rgb", {"x": x, "y": T.Normalize(mean, std)(x)}, mean=mean, std=std)
x = torch.rand(1, 6, 6)
g.add("normalize_mnist", {"x": x, "y": T.Normalize((0.1307,), (0.3081,))(x)}, mean=[0.1307], std=[0.3081])
x = torch.rand(2, 3, 4, 4)
g.add("normalize_batch", {"x": x, "y": T.Normalize(mean, std)(x)}, mean=mean, std=std)
x = torch.rand(2, 3, 3, dtype=torch.float64)
g.add("normalize_f64", {"x": x, "y": T.Normalize([0.5, -1.0], [2.0, 0.25])(x)}, mean=[0.5, -1.0], std=[2.0, 0.25])

# ToTensor on an HWC uint8 array equals ours on the CHW tensor.
a = np.random.RandomState(0).randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
g.add("to_tensor", {"x": torch.from_numpy(a).permute(2, 0, 1).contiguous(), "y": T.ToTensor()(a)})

# Padding modes (F.pad takes left, top, right, bottom).
x = torch.arange(2 * 4 * 5, dtype=torch.float32).reshape(2, 4, 5)
for mode in ["constant", "edge", "reflect", "symmetric"]:
    pad = [2, 1, 3, 2]
    g.add("pad_" + mode, {"x": x, "y": F.pad(x, pad, fill=-1.0, padding_mode=mode)}, pad=pad, mode=mode, fill=-1.0)

# Affine with fixed parameters, tensor path.
cases = [
    ("rot30_nearest", dict(angle=30.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0]), "nearest", [0.0], None),
    ("rot30_bilinear", dict(angle=30.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0]), "bilinear", [0.0], None),
    ("full_bilinear", dict(angle=-17.0, translate=[2, -1], scale=1.2, shear=[8.0, -5.0]), "bilinear", [0.25, 0.75], None),
    ("full_nearest", dict(angle=-17.0, translate=[2, -1], scale=0.8, shear=[8.0, -5.0]), "nearest", [0.5], None),
    ("center_bilinear", dict(angle=45.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0]), "bilinear", [0.0], [1.0, 2.0]),
]
img = torch.rand(2, 7, 9)
for name, p, interp, fill, center in cases:
    y = F.affine(img, interpolation=InterpolationMode(interp), fill=fill, center=center, **p)
    g.add("affine_" + name, {"x": img, "y": y}, angle=p["angle"], translate=[float(v) for v in p["translate"]],
          scale=p["scale"], shear=p["shear"], interpolation=interp, fill=fill, center=center or [])
# uint8 image, bilinear, rounded back.
img8 = torch.randint(0, 256, (1, 8, 8), dtype=torch.uint8)
y = F.affine(img8, angle=20.0, translate=[1, 0], scale=1.1, shear=[0.0, 0.0], interpolation=InterpolationMode.BILINEAR, fill=[0.0])
g.add("affine_uint8_bilinear", {"x": img8, "y": y}, angle=20.0, translate=[1.0, 0.0], scale=1.1, shear=[0.0, 0.0],
      interpolation="bilinear", fill=[0.0], center=[])
# A rotation by 90 degrees (F.affine turns clockwise) is torch.rot90 with k=-1.
sq = torch.rand(1, 6, 6)
for interp in ["nearest", "bilinear"]:
    y = F.affine(sq, angle=90.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0], interpolation=InterpolationMode(interp), fill=[0.0])
    assert torch.allclose(y, torch.rot90(sq, -1, [-2, -1]), atol=1e-5), interp  # clockwise
    g.add("affine_rot90_" + interp, {"x": sq, "y": y}, angle=90.0, translate=[0.0, 0.0], scale=1.0, shear=[0.0, 0.0],
          interpolation=interp, fill=[0.0], center=[])

g.save()
