#!/usr/bin/env python3
"""Training-step and evaluation throughput: FeatureScatter vs PyTorch, same models, steps, batches and threads.

Prints one table and writes bench/results.json:
- images/s of a full training step (perturbation, forward, backward, SGD) for standard, madry (PGD-7)
  and feature-scattering training on SmallCNN (b128, 1x28x28) and WRN-16-4 (b64, 3x32x32), and feature
  scattering on SmallCNN at b512 (one 512x512 OT problem, the global-OT case of a multi-rank run);
- PGD-20 and APGD-CE (100 iterations) evaluation images/s (attack + prediction) on SmallCNN;
- our achieved GFLOP/s (the step's nominal flops over its time) and its share of a large SGEMM on the same
  workers: how close the step runs to its FLOP floor;
- the CPU model and vector features, the OpenBLAS core and the target our loops were compiled for;
- peak resident memory of each run (each case runs in its own process);
- the 3x3 convolutions of SmallCNN at b128 and WRN-16-4 at b64 against plain SGEMMs of the same shapes, and
  their input-only backward (single thread; a layer computed by Winograd does fewer flops than it is credited
  with, so it can exceed 1.0);
- PyTorch's figures and the ratios ours/PyTorch when `torch` is importable by the PyTorch interpreter
  (`--torch-python`, default this one), else "n/a".
PyTorch is a benchmark-only dependency; this script never installs it.

Shared or virtual machines vary by 20-40% between runs of the same binary, so each case runs `--repeat`
times, alternating ours and PyTorch, and the table gives medians (the JSON keeps every sample). The
interpreter never imports torch itself: a forked child's peak RSS includes its parent's, so an imported
torch would inflate every figure measured below it.

The PyTorch side implements the same steps as `fscatter bench`: attacks run in eval mode from a uniform
random start in the L-inf ball (eps 0.1); madry is PGD-7 with step eps/4 on the cross-entropy; feature
scattering is one step of size eps on the OT distance between clean and perturbed logits (cosine cost
clamped at 0, uniform marginals, log-domain Sinkhorn with reg 0.01 and 100 iterations, gradient unrolled
through the iterations; the objective's value is the distance reported), and the training loss is cross-entropy with
label smoothing 0.5 (true class 1 - d, others d/(K-1)); SGD lr 0.01, momentum 0.9, weight decay 2e-4.

Usage: bench/train_step.py [--fscatter PATH] [--steps N] [--threads T] [--repeat R] [--torch-python PATH]
                           [--out bench/results.json]
"""

import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
EPSILON = 0.1
MODELS = {
    # key: (label, fscatter model, input C,H,W, batch)
    "smallcnn": ("SmallCNN b128 1x28x28", "smallcnn", (1, 28, 28), 128),
    "wrn": ("WRN-16-4 b64 3x32x32", "wrn-16-4", (3, 32, 32), 64),
}
CASES = [
    # model key, method (training) or attack (evaluation), label, batch (None: the model's)
    ("smallcnn", "standard", "standard", None),
    ("smallcnn", "madry", "madry PGD-7", None),
    ("smallcnn", "feature-scattering", "feature scattering", None),
    # One OT problem over 512 rows: the global-OT case of a 4-rank run with 128 rows per rank.
    ("smallcnn", "feature-scattering", "feature scattering", 512),
    ("smallcnn", "pgd20", "PGD-20 evaluation", None),
    ("smallcnn", "apgd-ce", "APGD-CE evaluation", None),
    ("wrn", "standard", "standard", None),
    ("wrn", "madry", "madry PGD-7", None),
    ("wrn", "feature-scattering", "feature scattering", None),
]
# The CPU features that decide which kernels run (ours, OpenBLAS's and PyTorch's).
CPU_FEATURES = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_description():
    """The CPU model and the vector features of /proc/cpuinfo that matter here."""
    model, flags = "unknown", set()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return model, [flag for flag in CPU_FEATURES if flag in flags]


def is_attack(case):
    """Whether `case` names an evaluation attack (else a training method)."""
    return case.startswith("pgd") or case.startswith("apgd")


def measured(args):
    """Runs `args` with stdout captured; returns (stdout text, peak RSS of that process in MiB)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(write, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(read)
        try:
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed with status {status}")
    return out, usage.ru_maxrss / 1024


def ours(binary, model_key, case, batch, steps, threads):
    """The JSON of `fscatter bench` for one case, and its peak MiB."""
    _, model, shape, _ = MODELS[model_key]
    args = [binary, "bench", "--model", model, "--input", ",".join(map(str, shape)), "--batch-size", str(batch),
            "--steps", str(steps), "--threads", str(threads), "--eps", str(EPSILON)]
    args += ["--attack", case] if is_attack(case) else ["--method", case]
    out, peak = measured(args)
    return json.loads(out), peak


def kernels(binary, model_key, steps):
    """A model's 3x3 convolutions vs SGEMM of the same shapes, from `fscatter bench --kernels`."""
    _, model, shape, batch = MODELS[model_key]
    out, _ = measured([binary, "bench", "--model", model, "--input", ",".join(map(str, shape)),
                       "--batch-size", str(batch), "--steps", str(steps), "--kernels"])
    return json.loads(out)


def print_kernels(title, conv):
    """One table of `fscatter bench --kernels` output: per layer and weighted by use."""
    print(f"{title:<46} {'conv fwd':>9} {'SGEMM fwd':>10} {'ratio':>6} "
          f"{'conv bwd':>9} {'SGEMM bwd':>10} {'ratio':>6} {'conv in-bwd':>11}")
    lines = [("all 3x3 layers (weighted by use)", conv)] + [
        (f"  {row['shape']} (x{row['uses']}) {row.get('algorithm', '')}", row) for row in conv["kernels"]]
    for name, row in lines:
        cells = []
        for phase in ("forward", "backward"):
            mine, blas = row[f"conv_{phase}_gflops"], row[f"sgemm_{phase}_gflops"]
            cells.append(f"{mine:>9.1f} {blas:>10.1f} {mine / blas:>6.2f}")
        print(f"{name:<46} {' '.join(cells)} {row['conv_input_backward_gflops']:>11.1f}")


def torch_version(python):
    """The torch version `python` imports, or None; asked in a child so this process stays small."""
    probe = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def theirs(python, model_key, case, batch, steps, threads):
    """images/s and peak MiB of the same case in PyTorch, in its own process."""
    out, peak = measured([python, __file__, "--torch-worker", model_key, case, "--steps", str(steps),
                          "--threads", str(threads), "--batch", str(batch)])
    return json.loads(out)["images_per_second"], peak


# ---- PyTorch worker (runs in a child process) ----

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


def torch_worker(model_key, case, batch, steps, threads):
    """Times `steps` batches of one case after one warm-up batch; prints JSON."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    _, model_name, shape, _ = MODELS[model_key]
    net = torch_model(torch, model_name, shape[0])
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    images = torch.rand(steps + 1, batch, *shape)
    labels = torch.arange(batch) % 10

    def random_start(x):
        return (x + torch.empty_like(x).uniform_(-EPSILON, EPSILON)).clamp(0, 1)

    def ascend(x_adv, grad, x, step):
        x_adv = torch.min(torch.max(x_adv + step * grad.sign(), x - EPSILON), x + EPSILON)
        return x_adv.clamp(0, 1).detach()

    def pgd(x, y, steps_, step):
        net.eval()
        x_adv = random_start(x)
        for _ in range(steps_):
            x_adv.requires_grad_(True)
            grad, = torch.autograd.grad(F.cross_entropy(net(x_adv), y), x_adv)
            x_adv = ascend(x_adv, grad, x, step)
        return x_adv

    def ot_distance(clean, perturbed, reg=0.01, iterations=100, tolerance=1e-9):
        cos = F.normalize(clean, dim=1) @ F.normalize(perturbed, dim=1).t()
        cost = (1 - cos).clamp(min=0)
        n, m = cost.shape
        log_a, log_b = torch.full((n,), -math.log(n)), torch.full((m,), -math.log(m))
        f = torch.zeros(n)
        for k in range(1, iterations + 1):
            g = reg * (log_b - torch.logsumexp((f[:, None] - cost) / reg, dim=0))
            f = reg * (log_a - torch.logsumexp((g[None, :] - cost) / reg, dim=1))
            if k % 10 == 0:
                with torch.no_grad():
                    columns = torch.exp((f[:, None] + g[None, :] - cost) / reg).sum(0)
                    if torch.linalg.norm(columns - log_b.exp()) < tolerance:
                        break
        plan = torch.exp((f[:, None] + g[None, :] - cost) / reg)
        return (plan * cost).sum()

    def feature_scattering(x):
        net.eval()
        with torch.no_grad():
            clean = net(x)
        x_adv = random_start(x).requires_grad_(True)
        grad, = torch.autograd.grad(ot_distance(clean, net(x_adv)), x_adv)
        return ascend(x_adv, grad, x, EPSILON)

    def smoothed_cross_entropy(logits, y, smoothing):
        k = logits.shape[1]
        off = smoothing / (k - 1)
        targets = F.one_hot(y, k).float() * (1 - smoothing - off) + off
        return -(targets * F.log_softmax(logits, dim=1)).sum(1).mean()

    def train_step(x):
        smoothing = 0.0
        if case == "madry":
            x = pgd(x, labels, 7, EPSILON / 4)
        elif case == "feature-scattering":
            x, smoothing = feature_scattering(x), 0.5
        net.train()
        opt.zero_grad()
        smoothed_cross_entropy(net(x), labels, smoothing).backward()
        opt.step()

    def apgd_checkpoints(n):
        p = [0, 0.22]
        while p[-1] < 1:
            p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
        marks = []
        for value in p[1:]:
            w = math.ceil(value * n - 1e-9)
            if (not marks or w > marks[-1]) and w < n:
                marks.append(w)
        return set(marks)

    def apgd_ce(x, y, steps=100, rho=0.75, momentum=0.75):
        """APGD-CE (Croce & Hein 2020, Alg. 1) as fscatter runs it: step 2 eps halved at the checkpoints,
        restarts from the best point, per-image state."""
        net.eval()
        low, high = (x - EPSILON).clamp(min=0), (x + EPSILON).clamp(max=1)

        def project(z):
            return torch.max(torch.min(z, high), low)

        def loss_and_gradient(z):
            z = z.detach().requires_grad_(True)
            losses = F.cross_entropy(net(z), y, reduction="none")
            gradient, = torch.autograd.grad(losses.sum(), z)
            return losses.detach(), gradient

        with torch.no_grad():
            net(x)
        marks = apgd_checkpoints(steps)
        eta = torch.full((x.shape[0], 1, 1, 1), 2 * EPSILON)
        current = project(x + torch.empty_like(x).uniform_(-EPSILON, EPSILON))
        previous = current
        loss, gradient = loss_and_gradient(current)
        best_loss, best = loss.clone(), current.clone()
        increases, reduced, best_at_mark, last_mark = torch.zeros_like(loss), torch.ones_like(loss).bool(), loss, 0
        for k in range(steps):
            z = project(current + eta * gradient.sign())
            weight = momentum if k > 0 else 1.0
            previous, current = current, project(current + weight * (z - current) + (1 - weight) * (current - previous))
            new_loss, gradient = loss_and_gradient(current)
            increases += (new_loss > loss).float()
            loss = new_loss
            better = loss > best_loss
            best[better], best_loss = current[better], torch.where(better, loss, best_loss)
            if k + 1 in marks:
                halve = (increases < rho * (k + 1 - last_mark)) | (~reduced & (best_loss <= best_at_mark))
                eta[halve] /= 2
                current[halve] = best[halve]
                reduced, best_at_mark, last_mark = halve, best_loss.clone(), k + 1
                increases.zero_()
        return best

    def evaluate(x):
        x_adv = apgd_ce(x, labels) if case == "apgd-ce" else pgd(x, labels, int(case[3:]), EPSILON / 4)
        with torch.no_grad():
            net(x_adv)

    work = evaluate if is_attack(case) else train_step
    work(images[0])
    start = time.perf_counter()
    for i in range(1, steps + 1):
        work(images[i])
    print(json.dumps({"images_per_second": batch * steps / (time.perf_counter() - start)}))


# ---- driver ----

def spread(samples):
    """`min-max` of the samples, or empty when there are none."""
    return f"{min(samples):.0f}-{max(samples):.0f}" if samples else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fscatter", default=str(REPO / ".build" / "release" / "fscatter"))
    parser.add_argument("--steps", type=int, default=10, help="timed SmallCNN steps (WRN: steps/5, at least 2)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs per case; the table shows medians")
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON", sys.executable),
                        help="the interpreter that runs the PyTorch side (default: $TORCH_PYTHON, else this one)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results.json"))
    parser.add_argument("--torch-worker", nargs=2, metavar=("MODEL", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        torch_worker(*args.torch_worker, args.batch or MODELS[args.torch_worker[0]][3], args.steps, args.threads)
        return
    version = torch_version(args.torch_python)
    model, features = cpu_description()
    print(f"FeatureScatter vs PyTorch: {args.threads} thread(s), median of {args.repeat} alternating runs, "
          f"PyTorch {version or 'not installed (n/a)'}")
    print(f"CPU {model} ({os.cpu_count()} logical), features: {' '.join(features) or 'none of ' + ' '.join(CPU_FEATURES)}")
    header = (f"{'case':<36} {'ours img/s':>11} {'(min-max)':>13} {'torch img/s':>12} {'(min-max)':>13} "
              f"{'ratio':>6} {'GFLOP/s':>8} {'of SGEMM':>9} {'ours MiB':>9} {'torch MiB':>10}")
    print(header)
    print("-" * len(header))
    rows = []
    for model_key, case, label, batch in CASES:
        batch = batch or MODELS[model_key][3]
        steps = args.steps if model_key == "smallcnn" and case != "apgd-ce" else max(2, args.steps // 5)
        if batch > MODELS[model_key][3]:
            steps = max(2, steps * MODELS[model_key][3] // batch)
        mine, peers, mine_peaks, peer_peaks, achieved, sgemm = [], [], [], [], [], []
        for _ in range(args.repeat):
            report, peak = ours(args.fscatter, model_key, case, batch, steps, args.threads)
            mine.append(report["images_per_second"])
            mine_peaks.append(peak)
            sgemm.append(report["sgemm_gflops"])
            if "achieved_gflops" in report:
                achieved.append(report["achieved_gflops"])
            core, build = report["blas_core"], report["build_target"]
            if version:
                rate, peak = theirs(args.torch_python, model_key, case, batch, steps, args.threads)
                peers.append(rate)
                peer_peaks.append(peak)
        name = f"{MODELS[model_key][0].split()[0]} {label} b{batch}"
        ours_median = statistics.median(mine)
        peer_median = statistics.median(peers) if peers else None
        ratio = ours_median / peer_median if peer_median else None
        flops = statistics.median(achieved) if achieved else None
        floor_share = flops / statistics.median(sgemm) if flops else None
        print(f"{name:<36} {ours_median:>11.1f} {spread(mine):>13} "
              f"{f'{peer_median:.1f}' if peer_median else 'n/a':>12} {spread(peers):>13} "
              f"{f'{ratio:.2f}' if ratio else 'n/a':>6} {f'{flops:.1f}' if flops else 'n/a':>8} "
              f"{f'{floor_share:.2f}' if floor_share else 'n/a':>9} {max(mine_peaks):>9.0f} "
              f"{f'{max(peer_peaks):.0f}' if peer_peaks else 'n/a':>10}")
        rows.append({"case": name, "model": MODELS[model_key][1], "method": case, "batch": batch,
                     "steps": steps, "ours_images_per_second": ours_median, "torch_images_per_second": peer_median,
                     "ratio": ratio, "ours_samples": mine, "torch_samples": peers,
                     "achieved_gflops": flops, "sgemm_gflops": statistics.median(sgemm), "share_of_sgemm": floor_share,
                     "ours_peak_mib": max(mine_peaks), "torch_peak_mib": max(peer_peaks) if peer_peaks else None})
    convolutions = {key: kernels(args.fscatter, key, 2) for key in ("smallcnn", "wrn")}
    print(f"OpenBLAS core {core}, our loops built for {build}; GFLOP/s: the step's nominal flops (forward = 1, "
          f"input-only backward = 1, full backward = 2 passes) per second; of SGEMM: that over a 1024^3 SGEMM on "
          f"the same {args.threads} worker(s) (the FLOP floor's share)")
    for key, title in (("smallcnn", "SmallCNN b128"), ("wrn", "WRN-16-4 b64")):
        print()
        print_kernels(f"{title} 3x3 conv, 1 thread, GFLOP/s", convolutions[key])
    results = {"threads": args.threads, "repeat": args.repeat, "cpu": model, "cpu_features": features,
               "blas_core": core, "build_target": build, "torch": version, "cases": rows,
               "smallcnn_3x3_kernels": convolutions["smallcnn"], "wrn_3x3_kernels": convolutions["wrn"]}
    pathlib.Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {os.path.relpath(args.out)}")
    return results


if __name__ == "__main__":
    main()
