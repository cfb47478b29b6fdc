"""The wheel (`make wheel`): installed into a fresh virtualenv, with no Swift on PATH or LD_LIBRARY_PATH and
no FEATURESCATTER_LIBRARY, it imports the library it carries and trains; `pip install ./bindings/python`
leaves the source tree clean."""

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
WHEELS = sorted((REPO / "dist").glob("featurescatter-*.whl"))

SCRIPT = """
import pathlib, sys
import numpy as np
import featurescatter as fs
from featurescatter import _lib
library = pathlib.Path(_lib.lib._name).resolve()
assert library.parent == pathlib.Path(fs.__file__).resolve().parent, library
model = fs.Model.builtin("mlp", input_shape=(1, 28, 28), classes=10)
rng = np.random.default_rng(0)
x = rng.random((16, 1, 28, 28), dtype=np.float32)
y = (np.arange(16) % 10).astype(np.int32)
trainer = fs.Trainer(model, method="standard", batch_size=16, lr=0.1)
losses = [trainer.step(x, y) for _ in range(5)]
assert all(np.isfinite(losses)) and losses[-1] < losses[0], losses
print(fs.__version__, library.name, losses[0], losses[-1])
"""


def clean_environment():
    env = {k: v for k, v in os.environ.items() if "swift" not in v.lower() and k not in ("FEATURESCATTER_LIBRARY",
                                                                                           "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"
    env.pop("LD_LIBRARY_PATH", None)
    return env


@pytest.mark.skipif(not WHEELS, reason="no wheel in dist/: run `make wheel` (make test does)")
def test_wheel_installs_and_trains_in_a_fresh_venv_without_swift(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(WHEELS[-1])], check=True,
                   capture_output=True, text=True, timeout=600)
    result = subprocess.run([str(venv / "bin" / "python"), "-c", SCRIPT], capture_output=True, text=True,
                            env=clean_environment(), cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "libfeaturescatter.so" in result.stdout


def test_pip_install_of_the_source_folder_leaves_nothing_untracked(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    before = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "bindings"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(REPO / "bindings" / "python")],
                   check=True, capture_output=True, text=True, timeout=600)
    after = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "bindings"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout
    assert after == before, f"pip install left: {after}"
