"""Runs every fuzz target of `fscatter-fuzz` (a libFuzzer build: `make fuzz`) for a while and prints a table.

Usage: python Tests/fuzz/run.py --binary .build-fuzz/release/fscatter-fuzz --seconds 60 [--targets onnx,npy]
       python Tests/fuzz/run.py --runs 20000      # the reproducible smoke pass CI runs
       python Tests/fuzz/run.py --executions 1000000   # a campaign: 10^6 inputs per target, kept corpus

Seeds each target's corpus (kept in .build-fuzz/corpus/TARGET between runs) from real files: the ONNX
backend test models (libonnx-testdata), NumPy and SciPy writers, CIFAR and IDX records, our own
checkpoints and ONNX exports (made with the release fscatter when present), and every input in
Tests/fuzz/regressions/TARGET. Findings go to runs/fuzz/TARGET/; any finding fails the run.
"""

import argparse
import io
import json
import os
import pathlib
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGETS = ["onnx", "onnx-forward", "checkpoint", "npy", "npz", "idx", "cifar", "mat"]
ONNX_TESTS = pathlib.Path("/usr/share/libonnx-testdata/data")


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def seed_arrays():
    rng = np.random.default_rng(0)
    return [rng.random((3, 4), dtype=np.float32), np.arange(10, dtype=np.int64), rng.random(5),
            rng.integers(0, 255, (2, 1, 4, 4), dtype=np.uint8), np.zeros((0, 3), np.float32), np.int32(7)]


def npz_bytes(compressed):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, x_train=seed_arrays()[3], y_train=np.arange(2))
    return buffer.getvalue()


def idx_bytes(shape):
    data = bytes(np.random.default_rng(1).integers(0, 256, int(np.prod(shape)), dtype=np.uint8))
    return bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + data


def cifar_bytes(records, label_bytes):
    rng = np.random.default_rng(2)
    return b"".join(bytes(rng.integers(0, 10, label_bytes, dtype=np.uint8)) + bytes(rng.integers(0, 256, 3072, dtype=np.uint8))
                    for _ in range(records))


def mat_bytes(compressed):
    from scipy.io import savemat
    buffer = io.BytesIO()
    x = np.random.default_rng(3).integers(0, 256, (32, 32, 3, 2), dtype=np.uint8)
    savemat(buffer, {"X": x, "y": np.array([[10.0], [3.0]])}, format="5", do_compression=compressed)
    return buffer.getvalue()


def own_files(workdir):
    """A checkpoint and an ONNX export written by this library (needs the release fscatter)."""
    fscatter = ROOT / ".build" / "release" / "fscatter"
    if not fscatter.exists():
        return {}
    archive = workdir / "tiny.npz"
    images = np.random.default_rng(4).integers(0, 256, (16, 1, 16, 16), dtype=np.uint8)
    np.savez(archive, x_train=images, y_train=np.arange(16) % 2, x_test=images[:4], y_test=np.arange(4) % 2)
    files = {}
    for model in ["mlp", "smallcnn"]:
        out = workdir / model
        subprocess.run([fscatter, "train", "--model", model, "--dataset", "npz", "--data-dir", archive, "--epochs", "1",
                        "--batch-size", "8", "--out", out], check=True, capture_output=True)
        subprocess.run([fscatter, "export", "--checkpoint", out / "checkpoint.fsc", "--onnx", out / "model.onnx"],
                       check=True, capture_output=True)
        files[f"{model}.fsc"] = (out / "checkpoint.fsc").read_bytes()
        files[f"{model}.onnx"] = (out / "model.onnx").read_bytes()
    return files


def seeds(target, own):
    if target in ("onnx", "onnx-forward"):
        models = sorted(ONNX_TESTS.glob("node/test_*/model.onnx"))[::4] + sorted(ONNX_TESTS.glob("simple/*/model.onnx"))
        found = {f"{m.parent.name}.onnx": m.read_bytes() for m in models}
        found.update({k: v for k, v in own.items() if k.endswith(".onnx")})
        return found
    if target == "checkpoint":
        return {k: v for k, v in own.items() if k.endswith(".fsc")}
    if target == "npy":
        return {f"a{i}.npy": npy_bytes(a) for i, a in enumerate(seed_arrays())}
    if target == "npz":
        return {"stored.npz": npz_bytes(False), "deflated.npz": npz_bytes(True)}
    if target == "idx":
        return {"images.idx": idx_bytes((3, 5, 5)), "labels.idx": idx_bytes((7,))}
    if target == "cifar":
        return {"cifar10.bin": b"\x00" + cifar_bytes(2, 1)[1:], "cifar100.bin": b"\x01" + cifar_bytes(2, 2)[1:]}
    if target == "mat":
        return {"plain.mat": mat_bytes(False), "compressed.mat": mat_bytes(True)}
    raise ValueError(target)


def fuzz(binary, target, budget, corpus, findings):
    """Runs one target for `budget` (["-max_total_time=S"] or, reproducibly, ["-seed=1", "-runs=N"]);
    returns its figures from libFuzzer's final statistics."""
    command = [binary, target, *budget, "-rss_limit_mb=2048", "-timeout=10", "-max_len=65536",
               "-print_final_stats=1", f"-artifact_prefix={findings}/", str(corpus)]
    # Swift's own crash backtracer would take the signal first (and can hang on a sanitized binary).
    environment = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    log = result.stderr
    (findings / "last.log").write_text(log)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", log)
    artifacts = [p.name for p in findings.iterdir() if p.name != "last.log"]
    return {"target": target, "executions": int(stats.get("number_of_executed_units", 0)),
            "per_second": int(stats.get("average_exec_per_sec", 0)), "edges": int(coverage[-1][0]) if coverage else 0,
            "features": int(coverage[-1][1]) if coverage else 0, "corpus": len(list(corpus.iterdir())),
            "peak_rss_mb": int(stats.get("peak_rss_mb", 0)), "findings": artifacts, "exit": result.returncode}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build-fuzz" / "release" / "fscatter-fuzz"))
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, help="a reproducible smoke pass instead: this many inputs per target, "
                                                  "seed 1, from a fresh corpus (what CI runs)")
    parser.add_argument("--executions", type=int, help="a campaign instead: this many inputs per target, "
                                                        "from the kept corpus")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--json", help="also write the table as JSON here")
    args = parser.parse_args()
    if args.runs:
        budget = ["-seed=1", f"-runs={args.runs}"]
    elif args.executions:
        budget = [f"-runs={args.executions}"]
    else:
        budget = [f"-max_total_time={args.seconds}"]
    with tempfile.TemporaryDirectory() as work:
        own = own_files(pathlib.Path(work))
        corpora = pathlib.Path(work) / "corpus" if args.runs else ROOT / ".build-fuzz" / "corpus"
        rows = []
        for target in args.targets.split(","):
            corpus = corpora / target
            corpus.mkdir(parents=True, exist_ok=True)
            for name, data in seeds(target, own).items():
                (corpus / name).write_bytes(data)
            for kept in sorted((ROOT / "Tests" / "fuzz" / "regressions" / target).glob("*")):
                (corpus / kept.name).write_bytes(kept.read_bytes())
            findings = ROOT / "runs" / "fuzz" / target
            findings.mkdir(parents=True, exist_ok=True)
            row = fuzz(args.binary, target, budget, corpus, findings)
            rows.append(row)
            print(f"{target:13} {row['executions']:>10} execs {row['per_second']:>7}/s  edges {row['edges']:>6}  "
                  f"corpus {row['corpus']:>5}  rss {row['peak_rss_mb']:>5} MB  findings {len(row['findings'])}",
                  flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2))
    bad = [r for r in rows if r["findings"] or r["exit"] != 0]
    for row in bad:
        print(f"FINDING in {row['target']}: {row['findings']} (exit {row['exit']}); see runs/fuzz/{row['target']}/last.log")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
