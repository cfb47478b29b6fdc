"""Hosts that bring their own MPI — a C program and a Python script with mpi4py — and hosts without it."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from mpi import ENVIRONMENT, MPIRUN, largest_relative_difference, mpirun

REPO = pathlib.Path(__file__).resolve().parents[2]
LIBRARY = pathlib.Path(os.environ.get("FEATURESCATTER_LIBRARY", REPO / ".build-lib" / "release" / "libfeaturescatter.so"))

pytestmark = pytest.mark.skipif(MPIRUN is None, reason="Open MPI's mpirun is not installed (apt-get install openmpi-bin)")


def host_environment(threads):
    """The test's environment with the package importable and `threads` workers per process."""
    return dict(ENVIRONMENT, FEATURESCATTER_LIBRARY=str(LIBRARY), PYTHONPATH=str(REPO / "bindings" / "python"),
                OPENBLAS_NUM_THREADS=str(threads))


def run_host(command, ranks, threads, timeout=600):
    parts = [MPIRUN, "--oversubscribe", "-np", str(ranks), *map(str, command)]
    result = subprocess.run(parts, capture_output=True, text=True, timeout=timeout, env=host_environment(threads))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def figures(result):
    """The accuracies an example prints on its "N ranks:" line."""
    return next(line for line in result.stdout.splitlines() if " ranks: " in line).split(":", 1)[1]


def test_mpi4py_host_trains_two_ranks_as_one_process(tmp_path):
    pytest.importorskip("mpi4py")
    script = REPO / "examples" / "python" / "train_mpi.py"
    one = run_host([sys.executable, script, 640, 1, tmp_path / "one.fsc"], ranks=1, threads=2)
    two = run_host([sys.executable, script, 640, 1, tmp_path / "two.fsc"], ranks=2, threads=1)
    assert largest_relative_difference(tmp_path / "one.fsc", tmp_path / "two.fsc") < 1e-5
    assert figures(one) == figures(two), (one.stdout, two.stdout)
    assert "2 ranks: " in two.stdout


def test_c_host_passes_its_communicator(tmp_path):
    mpicc = shutil.which("mpicc")
    if mpicc is None:
        pytest.skip("mpicc is not installed (apt-get install libopenmpi-dev)")
    binary = tmp_path / "train_mpi"
    subprocess.run([mpicc, "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{REPO / 'include'}",
                    str(REPO / "examples" / "c" / "train_mpi.c"), str(LIBRARY), f"-Wl,-rpath,{LIBRARY.parent}",
                    "-o", str(binary)], check=True, capture_output=True, text=True)
    one = run_host([binary, 640, 1, tmp_path / "one.fsc"], ranks=1, threads=2)
    two = run_host([binary, 640, 1, tmp_path / "two.fsc"], ranks=2, threads=1)
    assert largest_relative_difference(tmp_path / "one.fsc", tmp_path / "two.fsc") < 1e-5
    assert figures(one) == figures(two), (one.stdout, two.stdout)


def test_library_without_mpi_loads_trains_and_says_why_mpi_is_missing(tmp_path):
    alone = tmp_path / "libfeaturescatter.so"
    shutil.copy(LIBRARY, alone)
    needed = subprocess.run(["ldd", str(alone)], capture_output=True, text=True).stdout
    assert "libmpi" not in needed
    script = (
        "import numpy as np, featurescatter as fs\n"
        "model = fs.Model.builtin('mlp', input_shape=(1, 8, 8), classes=2)\n"
        "x = np.random.default_rng(0).random((32, 1, 8, 8), dtype=np.float32)\n"
        "data = fs.Dataset.from_arrays(x, np.arange(32) % 2)\n"
        "fs.train(model, data, method='standard', epochs=1, batch_size=16, progress=False)\n"
        "class Comm:\n"
        "    def py2f(self): return 0\n"
        "try:\n"
        "    fs.Communicator(Comm())\n"
        "except fs.IOFailure as error:\n"
        "    print('refused:', error)\n")
    environment = dict(os.environ, FEATURESCATTER_LIBRARY=str(alone), FEATURESCATTER_MPI_LIBRARY=str(tmp_path / "none.so"),
                       PYTHONPATH=str(REPO / "bindings" / "python"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout and "MPI is not available" in result.stdout, result.stdout
