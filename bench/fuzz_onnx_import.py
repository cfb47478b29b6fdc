#!/usr/bin/env python3
"""Seeded random-mutation fuzzing of the ONNX importer through `fscatter import`.

Usage: bench/fuzz_onnx_import.py SECONDS [SEED]
Mutates valid seed models (byte flips, truncation, splices, random runs) and imports each one.
A crash is a death by signal or a timeout; clean errors (exit code 1..) are expected.
Prints executions and crashes and keeps crashing inputs in runs/fuzz/.
"""
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BINARY = os.environ.get("FSCATTER", str(REPO / ".build" / "release" / "fscatter"))
SEEDS = sorted(pathlib.Path("/usr/share/libonnx-testdata/data/node").glob("test_*/model.onnx"))[:200]


def mutate(data: bytearray, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(4)
        if kind == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1 and data:
            del data[rng.randrange(len(data)):]
        elif kind == 2:
            at = rng.randrange(len(data) + 1)
            data[at:at] = os.urandom(rng.randint(1, 16))
        elif data:
            a, b = sorted(rng.randrange(len(data)) for _ in range(2))
            data[a:b] = data[a:b][::-1]
    return bytes(data)


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    crashes = executions = 0
    out = REPO / "runs" / "fuzz"
    deadline = time.time() + seconds
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "case.onnx"
        while time.time() < deadline:
            seed = bytearray(rng.choice(SEEDS).read_bytes())
            path.write_bytes(mutate(seed, rng))
            try:
                result = subprocess.run([BINARY, "import", "--onnx", str(path)], capture_output=True, timeout=20)
                crashed = result.returncode < 0 or result.returncode > 1 and b"Error" not in result.stderr
            except subprocess.TimeoutExpired:
                crashed = True
            executions += 1
            if crashed:
                crashes += 1
                out.mkdir(parents=True, exist_ok=True)
                (out / f"crash-{crashes}.onnx").write_bytes(path.read_bytes())
    print(f"{executions} executions, {crashes} crashes in {seconds:.0f} s")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
