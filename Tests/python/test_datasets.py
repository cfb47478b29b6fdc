"""Data sets from NumPy archives written by numpy itself (.npz, stored and compressed)."""

import json

import numpy as np
import pytest

from conftest import run


def make_npz(path, compressed, channels_last):
    rng = np.random.default_rng(0)
    shape = (40, 16, 16, 1) if channels_last else (40, 1, 16, 16)
    images = rng.integers(0, 256, size=shape, dtype=np.uint8)
    labels = np.arange(40) % 2
    images[labels == 1] //= 4  # dark images are class 1: learnable
    save = np.savez_compressed if compressed else np.savez
    save(path, x_train=images, y_train=labels, x_test=images[:20], y_test=labels[:20])


@pytest.mark.parametrize("compressed,channels_last", [(False, False), (True, True)])
def test_train_reads_npz_archives(fscatter, tmp_path, compressed, channels_last):
    archive = tmp_path / "set.npz"
    make_npz(archive, compressed, channels_last)
    run(fscatter, "train", "--dataset", "npz", "--data-dir", archive, "--model", "mlp", "--epochs", "1",
        "--batch-size", "8", "--out", tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["train_images"] == 40 and summary["test_images"] == 20


def test_npz_without_expected_arrays_names_what_it_found(fscatter, tmp_path):
    archive = tmp_path / "odd.npz"
    np.savez(archive, pixels=np.zeros((2, 4, 4), np.uint8))
    result = run(fscatter, "train", "--dataset", "npz", "--data-dir", archive, "--model", "mlp",
                 "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    assert "pixels" in result.stderr


def test_corrupt_npz_is_a_clear_error(fscatter, tmp_path):
    archive = tmp_path / "bad.npz"
    make_npz(archive, True, False)
    data = bytearray(archive.read_bytes())
    data[100:400] = b"\x00" * 300
    archive.write_bytes(bytes(data))
    result = run(fscatter, "train", "--dataset", "npz", "--data-dir", archive, "--model", "mlp",
                 "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    assert "bad.npz" in result.stderr
