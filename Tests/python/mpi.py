"""Running fscatter under Open MPI's mpirun, and reading checkpoints, for the distributed tests."""

import json
import os
import shutil
import struct
import subprocess

import numpy as np

MPIRUN = shutil.which("mpirun")
ENVIRONMENT = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")


def mpirun(*commands, ranks=2, timeout=600, check=True, extra=()):
    """Runs `mpirun -np ranks command` (or an MPMD job when given several argument lists)."""
    parts = [MPIRUN, "--oversubscribe", *extra]
    lists = commands if isinstance(commands[0], (list, tuple)) else [commands]
    for i, command in enumerate(lists):
        if i:
            parts.append(":")
        parts += ["-np", str(ranks if len(lists) == 1 else 1), *map(str, command)]
    result = subprocess.run(parts, capture_output=True, text=True, timeout=timeout, env=ENVIRONMENT)
    if check and result.returncode != 0:
        raise AssertionError(f"{parts} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def read_checkpoint(path):
    """The header and the named float32 entries of a .fsc checkpoint (docs/checkpoint.md)."""
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[8:16])[0]
    header = json.loads(data[16:16 + length])
    offset, entries = 16 + length, {}
    for entry in header["entries"]:
        count = int(np.prod(entry["shape"])) if entry["shape"] else 1
        entries[f"{entry['kind']}:{entry['name']}"] = np.frombuffer(data, np.float32, count, offset).reshape(entry["shape"])
        offset += 4 * count
    return header, entries


def largest_relative_difference(first, second, kind="parameter"):
    """max over tensors of ‖a − b‖ / ‖a‖ between two checkpoints' entries of `kind`."""
    a, b = read_checkpoint(first)[1], read_checkpoint(second)[1]
    assert a.keys() == b.keys()
    return max(float(np.linalg.norm(a[k] - b[k]) / (np.linalg.norm(a[k]) + 1e-30))
               for k in a if k.startswith(kind + ":"))
