# PyTorch CPU reference for BenchmarkForward: torchvision mobilenet_v2 and
# resnet18, eval mode, eager, no_grad, batch 1 at 224x224, median of 20 runs
# after 5 warm-up runs. Usage: /usr/bin/python3 torch_eager.py [threads]
import sys, time, torch, torchvision

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
x = torch.randn(1, 3, 224, 224)
for name, ctor in (("MobileNetV2", torchvision.models.mobilenet_v2), ("ResNet18", torchvision.models.resnet18)):
    m = ctor().eval()
    with torch.no_grad():
        for _ in range(5):
            m(x)
        ts = []
        for _ in range(20):
            t = time.perf_counter(); m(x); ts.append(time.perf_counter() - t)
    ts.sort()
    print(f"{name} threads={threads}: eager forward batch1 224x224 median {ts[len(ts)//2]*1e3:.2f} ms (min {ts[0]*1e3:.2f})")
