"""ot.py — times `fscatter ot` against POT on the same instances and prints a table with ratios.

Usage: ``python bench/ot.py [--sizes 64 128 256 512 1024] [--iterations 100] [--repeat 3]``.
Not a test: numbers depend on the machine and its load. The binary is ``$FSCATTER`` or
``.build/release/fscatter`` under the repository root.

Each instance: cosine costs between random "logits" (n×d, N(0, 9)), uniform marginals, a fixed
iteration count (tolerance 0). Times are medians over ``--repeat`` runs of the whole solve
(setup included) divided by the iterations run, with NumPy's BLAS on one thread; ``fscatter`` times itself (``--repeat``), so
process start and file reading are excluded on both sides.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

# Single-threaded BLAS for NumPy/POT, like fscatter's solvers (set before NumPy loads).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

# This file is named ot.py: drop its own folder from the path so `import ot` finds POT.
sys.path = [entry for entry in sys.path if pathlib.Path(entry or ".").resolve() != pathlib.Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import ot  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINARY = os.environ.get("FSCATTER", str(ROOT / ".build" / "release" / "fscatter"))


def ours(cost_path, solver, reg, iterations, repeat):
    args = [BINARY, "ot", "--cost", cost_path, "--solver", solver, "--reg", str(reg), "--max-iter", str(iterations),
            "--tol", "0", "--repeat", str(repeat)]
    result = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    return result["seconds_per_iteration"], result["seconds"], result["solver"]


def timed(function, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 640])
    parser.add_argument("--regs", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--log-iterations-large", type=int, default=10,
                        help="iterations for POT's sinkhorn_log when n >= 512 (it is slow)")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    header = ("n", "d", "reg", "log ms/it", "auto ms/it", "auto=", "ipot ms/it", "exact ms",
              "POT sk ms/it", "POT log ms/it", "POT emd ms", "POT log/log", "POT sk/auto", "emd/exact")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for n in options.sizes:
            for d in options.dims:
                x = (rng.standard_normal((n, d)) * 3).astype(np.float32)
                y = (rng.standard_normal((n, d)) * 3).astype(np.float32)
                xn = x / np.linalg.norm(x, axis=1, keepdims=True)
                yn = y / np.linalg.norm(y, axis=1, keepdims=True)
                cost = np.maximum(0, 1 - xn @ yn.T).astype(np.float32)
                cost_path = os.path.join(folder, "c.npy")
                np.save(cost_path, cost)
                c64 = cost.astype(np.float64)
                uniform = np.ones(n) / n
                _, exact, _ = ours(cost_path, "exact", 0.01, 1, options.repeat)
                emd = timed(lambda: ot.emd(uniform, uniform, c64), options.repeat)
                ipot, _, _ = ours(cost_path, "ipot", 0.01, options.iterations, options.repeat)
                for reg in options.regs:
                    k = options.iterations
                    k_log = options.log_iterations_large if n >= 512 else k
                    log, _, _ = ours(cost_path, "sinkhorn-log", reg, k, options.repeat)
                    auto, _, chosen = ours(cost_path, "sinkhorn", reg, k, options.repeat)
                    pot_sk = timed(lambda: ot.sinkhorn(uniform, uniform, c64, reg, numItermax=k, stopThr=0),
                                   options.repeat) / k
                    pot_log = timed(lambda: ot.bregman.sinkhorn_log(uniform, uniform, c64, reg, numItermax=k_log,
                                                                    stopThr=0), options.repeat) / k_log
                    row = (n, d, reg, f"{log * 1e3:.3f}", f"{auto * 1e3:.3f}", chosen.replace("sinkhorn-", ""),
                           f"{ipot * 1e3:.3f}", f"{exact * 1e3:.2f}", f"{pot_sk * 1e3:.3f}", f"{pot_log * 1e3:.3f}",
                           f"{emd * 1e3:.2f}", f"{pot_log / log:.1f}x", f"{pot_sk / auto:.2f}x", f"{emd / exact:.1f}x")
                    print("| " + " | ".join(map(str, row)) + " |", flush=True)


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore", message="Sinkhorn did not converge")
    main()
