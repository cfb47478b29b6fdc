"""SIGKILL at random moments of a training run, and during its checkpoint writes: the checkpoint left
behind always loads, and `--resume` finishes the run with exactly the metrics and the parameters of
an uninterrupted run."""

import json
import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import run

TRIALS = 16
WRITE_TRIALS = 8
EPOCHS = 4
TIMING = {"seconds", "images_per_second"}


def training(fscatter, data, out):
    """The run every trial repeats: an MLP big enough (3,072 → 256 → 256 → 10, 6 MB of checkpoint with
    its momentum) that a checkpoint write takes milliseconds, Madry steps so an epoch takes longer."""
    return [fscatter, "train", "--model", "mlp", "--method", "madry", "--attack-steps", "2", "--dataset", "npz",
            "--data-dir", data, "--epochs", str(EPOCHS), "--batch-size", "32", "--seed", "3", "--threads", "1",
            "--out", out]


def metrics(folder):
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in lines]


def summary(folder):
    return json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def reference(fscatter, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(600, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=600)
    data = folder / "set.npz"
    np.savez(data, x_train=images, y_train=labels, x_test=images[:100], y_test=labels[:100])
    start = time.monotonic()
    run(*training(fscatter, data, folder / "straight"))
    return data, folder, time.monotonic() - start


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait()


def finish(fscatter, folder, data):
    """Checks what a killed run left, then completes it (resumed, or started again without a checkpoint)."""
    checkpoint = folder / "checkpoint.fsc"
    if checkpoint.exists():
        run(fscatter, "eval", "--checkpoint", checkpoint, "--dataset", "npz", "--data-dir", data, "--n", "4",
            "--attacks", "fgsm", "--worst-case", "none")
        run(fscatter, "train", "--resume", folder, "--epochs", str(EPOCHS), "--threads", "1")
    else:
        run(*training(fscatter, data, folder))


def assert_same_run(folder, straight):
    assert metrics(folder) == metrics(straight)
    assert summary(folder)["state_hash"] == summary(straight)["state_hash"]
    assert not [name for name in os.listdir(folder) if ".tmp-" in name], "a killed write's temporary file stayed"


def test_sigkill_at_random_moments_loses_nothing(fscatter, reference):
    data, folder, duration = reference
    chooser = random.Random(int(os.environ.get("FSC_KILL_SEED", time.time())))
    for trial in range(TRIALS):
        out = folder / f"random-{trial}"
        process = subprocess.Popen(training(fscatter, data, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chooser.uniform(0.05, duration))
        kill(process)
        finish(fscatter, out, data)
        assert_same_run(out, folder / "straight")


def test_sigkill_during_checkpoint_writes_loses_nothing(fscatter, reference):
    data, folder, _ = reference
    caught = 0
    for trial in range(WRITE_TRIALS):
        out = folder / f"write-{trial}"
        process = subprocess.Popen(training(fscatter, data, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target = 1 + trial % (EPOCHS - 1)
        while process.poll() is None:
            names = os.listdir(out) if out.exists() else []
            if any(name.startswith(".checkpoint.fsc.tmp-") for name in names):
                written = len((out / "metrics.jsonl").read_text().splitlines()) if (out / "metrics.jsonl").exists() else 0
                if written + 1 >= target:
                    kill(process)
                    caught += 1
                    break
            time.sleep(0.0005)
        process.wait()
        finish(fscatter, out, data)
        assert_same_run(out, folder / "straight")
    assert caught >= 1, "no kill landed while a checkpoint was being written"
