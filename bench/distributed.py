"""Distributed benchmark: 1 process x 2 threads vs 2 ranks x 1 thread in the same run, the all-reduce cost
on loopback, and a scaling model for WRN-28-10 / CIFAR-10 / feature scattering built from measured numbers.

Usage: python bench/distributed.py [--repeat R] [--out bench/distributed.json] [--fscatter PATH]
"""

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys

ENVIRONMENT = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
CASES = [("SmallCNN", "smallcnn", "1,28,28", 128), ("WRN-16-4", "wrn-16-4", "3,32,32", 64)]
METHODS = ["standard", "feature-scattering"]
GRADIENTS = {"SmallCNN": 312_202, "WRN-16-4": 2_748_890, "WRN-28-10": 36_479_194}
NETWORKS_GBIT = [10, 25, 100]
NETWORK_LATENCY = 20e-6  # seconds per message on an Ethernet hop (TCP), stated, not measured
RANKS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
CIFAR_TRAIN = 50_000
PAPER_BATCH = 60


def run_json(command):
    result = subprocess.run(command, capture_output=True, text=True, env=ENVIRONMENT, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench(fscatter, model, shape, batch, method, steps, ranks):
    command = [fscatter, "bench", "--model", model, "--input", shape, "--batch-size", str(batch), "--method", method,
               "--steps", str(steps), "--threads", "2" if ranks == 1 else "1"]
    if ranks > 1:
        command = [shutil.which("mpirun"), "-np", str(ranks), *command]
    return run_json(command)


def cpu_facts(fscatter):
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    simd = [flag for flag in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16") if flag in flags]
    info = run_json([fscatter, "info", "--json"])
    return {"cpu": model, "simd": simd, "blas_core": info["blas_core"], "cores": os.cpu_count(),
            "machine": platform.node()}


def same_run_table(fscatter, repeat):
    rows = []
    for name, model, shape, batch in CASES:
        for method in METHODS:
            steps = 10 if model == "smallcnn" else 3
            one, two = [], []
            for _ in range(repeat):
                one.append(bench(fscatter, model, shape, batch, method, steps, 1))
                two.append(bench(fscatter, model, shape, batch, method, steps, 2))
            median = lambda runs, key: statistics.median(r[key] for r in runs)
            total, exposed = median(two, "allreduce_seconds_per_step"), median(two, "allreduce_exposed_seconds_per_step")
            rows.append({"case": f"{name} {method} b{batch}", "one_process": median(one, "images_per_second"),
                         "two_ranks": median(two, "images_per_second"), "allreduce_ms": 1e3 * total,
                         "exposed_ms": 1e3 * exposed, "hidden": 1 - exposed / total if total > 0 else 0,
                         "samples": {"one": [r["images_per_second"] for r in one],
                                     "two": [r["images_per_second"] for r in two]}})
    return rows


def allreduce_curve(fscatter):
    counts = [1_000, 10_000, 100_000, 1_000_000, 4_000_000, 16_000_000, *GRADIENTS.values()]
    measured = run_json([shutil.which("mpirun"), "-np", "2", fscatter, "bench", "--allreduce",
                         ",".join(map(str, sorted(set(counts)))), "--steps", "7"])["allreduce"]
    # Two ranks: T = 2·alpha + M/B (ring: 2(N-1) messages, 2(N-1)/N·M bytes per rank). Least squares.
    xs, ys = [4 * m["floats"] for m in measured], [m["seconds"] for m in measured]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
    alpha = max((mean_y - slope * mean_x) / 2, 0)
    return measured, {"alpha_seconds": alpha, "bytes_per_second": 1 / slope}


def ring_allreduce_seconds(ranks, floats, bandwidth_bytes, latency):
    if ranks == 1:
        return 0.0
    return 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * 4 * floats / bandwidth_bytes


def linear_fit(points):
    """(c0, c1) of t = c0 + c1·b through the measured (b, t) points, least squares."""
    xs, ys = list(points), list(points.values())
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def scaling_model(fscatter):
    """WRN-28-10 / CIFAR-10 / feature scattering: measured per-rank step times, modelled communication.

    A rank is one node like this one (its cores run the rank's batch). Step time at b images per rank:
    t(b) = c0 + c1·b fitted to measured feature-scattering steps; the gradient all-reduce (ring, of
    2(N-1)/N of the gradient per rank, latency per message stated) overlaps the training backward pass
    (2/3 of a standard step at the same b), except for the last 25 MiB bucket, which starts when the
    backward pass ends: exposed = max(ring(last bucket), ring(gradient) - overlap).
    """
    fs_step = {b: bench(fscatter, "wrn-28-10", "3,32,32", b, "feature-scattering", 1, 1)["seconds_per_step"]
               for b in (1, 2, 4, 8)}
    standard_step = {b: bench(fscatter, "wrn-28-10", "3,32,32", b, "standard", 1, 1)["seconds_per_step"]
                     for b in (1, 8)}
    fs_fit, standard_fit = linear_fit(fs_step), linear_fit(standard_step)
    step_seconds = lambda b: fs_fit[0] + fs_fit[1] * b
    one_node_paper = PAPER_BATCH / step_seconds(PAPER_BATCH)
    gradient = GRADIENTS["WRN-28-10"]
    bucket = min(gradient, 25 * 2**20 // 4)
    rows = []
    for regime, per_rank, global_batch in (("paper: global batch 60", lambda n: math.ceil(PAPER_BATCH / n), lambda n: 60),
                                           ("8 per rank, linear lr scaling", lambda n: 8, lambda n: 8 * n)):
        for gbit in NETWORKS_GBIT:
            bandwidth = gbit * 1e9 / 8
            for n in RANKS:
                if regime.startswith("paper") and n > PAPER_BATCH:
                    continue
                b, batch = per_rank(n), global_batch(n)
                compute = step_seconds(b)
                overlap = 2 / 3 * (standard_fit[0] + standard_fit[1] * b)
                allreduce = ring_allreduce_seconds(n, gradient, bandwidth, NETWORK_LATENCY)
                exposed = max(ring_allreduce_seconds(n, bucket, bandwidth, NETWORK_LATENCY), allreduce - overlap)
                step = compute + exposed
                steps_per_epoch = math.ceil(CIFAR_TRAIN / batch)
                rows.append({"regime": regime, "gbit": gbit, "ranks": n, "per_rank_batch": b, "global_batch": batch,
                             "compute_s": compute, "allreduce_s": allreduce, "exposed_s": exposed, "step_s": step,
                             "efficiency": compute / step, "speedup": batch / step / one_node_paper,
                             "epoch_hours": steps_per_epoch * step / 3600,
                             "paper_run_days": 200 * steps_per_epoch * step / 86400})
    return {"fs_step_seconds": fs_step, "standard_step_seconds": standard_step, "fs_fit": fs_fit,
            "standard_fit": standard_fit, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="bench/distributed.json")
    parser.add_argument("--fscatter", default=".build/release/fscatter")
    args = parser.parse_args()
    if shutil.which("mpirun") is None:
        sys.exit("mpirun is not installed (apt-get install openmpi-bin)")
    facts = cpu_facts(args.fscatter)
    print(f"CPU: {facts['cpu']} ({facts['cores']} cores; {', '.join(facts['simd'])}); OpenBLAS core {facts['blas_core']}")
    rows = same_run_table(args.fscatter, args.repeat)
    print(f"\nSame run, medians of {args.repeat} alternations: 1 process x 2 threads vs 2 ranks x 1 thread")
    print("| case | 1 process img/s | 2 ranks img/s | ratio | all-reduce ms/step | exposed ms/step | hidden |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['one_process']:.1f} | {r['two_ranks']:.1f} | {r['two_ranks'] / r['one_process']:.2f} "
              f"| {r['allreduce_ms']:.1f} | {r['exposed_ms']:.1f} | {100 * r['hidden']:.0f}% |")
    measured, fit = allreduce_curve(args.fscatter)
    print("\nSum all-reduce of float32 buffers, 2 ranks on loopback (shared memory), median of 7")
    print("| floats | MiB | ms | GB/s |")
    print("|---|---|---|---|")
    for m in measured:
        print(f"| {m['floats']:,} | {4 * m['floats'] / 2**20:.2f} | {1e3 * m['seconds']:.3f} "
              f"| {4 * m['floats'] / m['seconds'] / 1e9:.2f} |")
    print(f"fit T = 2a + M/B: a = {1e6 * fit['alpha_seconds']:.1f} us, B = {fit['bytes_per_second'] / 1e9:.2f} GB/s")
    model = scaling_model(args.fscatter)
    print("\nWRN-28-10 feature-scattering step on one 2-core node (measured, s): "
          + ", ".join(f"b{b} {t:.2f}" for b, t in model["fs_step_seconds"].items())
          + f"; fit {model['fs_fit'][0]:.2f} + {model['fs_fit'][1]:.3f}·b; standard "
          + ", ".join(f"b{b} {t:.2f}" for b, t in model["standard_step_seconds"].items()))
    print(f"Model (latency {1e6 * NETWORK_LATENCY:.0f} us per message): step = t(b) + max(ring(25 MiB), "
          "ring(gradient) - 2/3 standard step); efficiency = t(b)/step (same batch per rank); "
          "speedup over one node training batch 60")
    print("| regime | Gb/s | ranks | batch/rank | global | step s | all-reduce s | exposed s | efficiency | speedup "
          "| epoch h | 200 epochs d |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in model["rows"]:
        print(f"| {r['regime']} | {r['gbit']} | {r['ranks']} | {r['per_rank_batch']} | {r['global_batch']} "
              f"| {r['step_s']:.2f} | {r['allreduce_s']:.3f} | {r['exposed_s']:.3f} | {100 * r['efficiency']:.1f}% "
              f"| {r['speedup']:.1f} | {r['epoch_hours']:.2f} | {r['paper_run_days']:.1f} |")
    with open(args.out, "w") as handle:
        json.dump({"machine": facts, "same_run": rows, "allreduce": measured, "allreduce_fit": fit,
                   "scaling_model": model}, handle, indent=2)
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
