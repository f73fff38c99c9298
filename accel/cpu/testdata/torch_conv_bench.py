"""Single-thread (and two-thread) float32 forward convolution GFLOP/s of
PyTorch, for comparison with `go test -bench Conv2d ./accel/cpu/`.

Run with Debian's python3 (torch 1.13):

    /usr/bin/python3 accel/cpu/testdata/torch_conv_bench.py [threads...]

The shapes and the flop count (2 per multiply-add of the direct
definition, bias not counted) match convBenchShapes in conv_test.go. Each
shape reports the best of several timed repetitions, since the machine is
shared.
"""
import sys
import time

import torch
import torch.nn.functional as F

# name, N, C, OC, H=W, K, stride, pad, groups
SHAPES = [
    ("3x3_32to64_26x26_b16", 16, 32, 64, 26, 3, 1, 0, 1),
    ("3x3s2_3to32_224x224_b1", 1, 3, 32, 224, 3, 2, 1, 1),
    ("1x1_32to64_112x112_b1", 1, 32, 64, 112, 1, 1, 0, 1),
    ("3x3s2_3to32_224x224_b8", 8, 3, 32, 224, 3, 2, 1, 1),
]
# MobileNetV2's depthwise 3x3 layers: channels, input size, stride.
for c, hw, s in [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2),
                 (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1),
                 (576, 14, 2), (960, 7, 1)]:
    SHAPES.append((f"dw3x3s{s}_{c}_{hw}x{hw}_b1", 1, c, c, hw, 3, s, 1, c))


def out_size(hw, k, s, p):
    return (hw + 2 * p - k) // s + 1


def bench(shape, reps=7, min_time=0.05):
    name, n, c, oc, hw, k, s, p, g = shape
    x = torch.randn(n, c, hw, hw)
    w = torch.randn(oc, c // g, k, k)
    b = torch.randn(oc)
    oh = out_size(hw, k, s, p)
    flops = 2.0 * n * oc * oh * oh * (c // g) * k * k
    with torch.no_grad():
        for _ in range(3):
            F.conv2d(x, w, b, stride=s, padding=p, groups=g)
        iters = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(iters):
                F.conv2d(x, w, b, stride=s, padding=p, groups=g)
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
            iters *= 2
        best = dt / iters
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(iters):
                F.conv2d(x, w, b, stride=s, padding=p, groups=g)
            best = min(best, (time.perf_counter() - t0) / iters)
    return flops / best / 1e9


def main():
    threads = [int(a) for a in sys.argv[1:]] or [1]
    print(f"torch {torch.__version__}")
    for t in threads:
        torch.set_num_threads(t)
        for shape in SHAPES:
            print(f"threads={t} {shape[0]:28s} {bench(shape):7.1f} GFLOP/s", flush=True)


if __name__ == "__main__":
    main()
