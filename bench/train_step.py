#!/usr/bin/env python3
"""Standard-training step throughput: FeatureScatter vs PyTorch, same models, batches and threads.

Prints one table with images/s and the ratio ours/PyTorch. PyTorch is optional (a benchmark-only
dependency); without it the PyTorch columns say "n/a".

Usage: bench/train_step.py [--fscatter PATH] [--steps N] [--threads T]
"""

import argparse
import json
import os
import pathlib
import subprocess
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
CASES = [
    # name, fscatter model, input C,H,W, batch
    ("SmallCNN b128 1x28x28", "smallcnn", (1, 28, 28), 128),
    ("WRN-16-4 b64 3x32x32", "wrn-16-4", (3, 32, 32), 64),
]


def ours(binary, model, shape, batch, steps, threads):
    """images/s of our training step, from `fscatter bench`."""
    out = subprocess.run([binary, "bench", "--model", model, "--input", ",".join(map(str, shape)),
                          "--batch-size", str(batch), "--steps", str(steps), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["images_per_second"]


def torch_model(torch, name, channels):
    """The same architectures in PyTorch (default initialisation)."""
    nn = torch.nn
    if name == "smallcnn":
        return nn.Sequential(
            nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1024, 200), nn.ReLU(), nn.Dropout(0.5), nn.Linear(200, 200), nn.ReLU(),
            nn.Linear(200, 10))

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.bn1, self.bn2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cout)
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.shortcut = None if cin == cout and stride == 1 else nn.Conv2d(cin, cout, 1, stride, bias=False)

        def forward(self, x):
            a = torch.relu(self.bn1(x))
            skip = x if self.shortcut is None else self.shortcut(a)
            return self.conv2(torch.relu(self.bn2(self.conv1(a)))) + skip

    depth, width = (int(v) for v in name.split("-")[1:])
    n = (depth - 4) // 6
    widths = [16, 16 * width, 32 * width, 64 * width]
    layers, cin = [nn.Conv2d(channels, 16, 3, 1, 1, bias=False)], 16
    for group, stride in ((1, 1), (2, 2), (3, 2)):
        for i in range(n):
            layers.append(Block(cin, widths[group], stride if i == 0 else 1))
            cin = widths[group]
    layers += [nn.BatchNorm2d(cin), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10)]
    return nn.Sequential(*layers)


def theirs(model, shape, batch, steps, threads):
    """images/s of the same step in PyTorch, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = torch_model(torch, model, shape[0])
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    x = torch.rand(batch, *shape)
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fscatter", default=str(REPO / ".build" / "release" / "fscatter"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    rows = []
    print(f"{'case':<24} {'ours img/s':>11} {'torch img/s':>12} {'ratio':>7}")
    for name, model, shape, batch in CASES:
        mine = ours(args.fscatter, model, shape, batch, args.steps, args.threads)
        peer = theirs(model, shape, batch, args.steps, args.threads)
        ratio = f"{mine / peer:.2f}" if peer else "n/a"
        peer_text = f"{peer:.0f}" if peer else "n/a"
        print(f"{name:<24} {mine:>11.0f} {peer_text:>12} {ratio:>7}")
        rows.append({"case": name, "ours_images_per_second": mine, "torch_images_per_second": peer})
    return rows


if __name__ == "__main__":
    main()
