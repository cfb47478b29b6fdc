"""Data sets from files their own tools write: NumPy archives by numpy (.npz, stored and compressed),
SVHN's MATLAB files by scipy.io.savemat (format 5, plain and compressed)."""

import json
import struct
import zlib

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


SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat", "extra": "extra_32x32.mat"}


@pytest.fixture
def savemat():
    return pytest.importorskip("scipy.io").savemat


def make_svhn(savemat, folder, compressed, label_dtype=np.float64, counts=None):
    """Writes SVHN-style files (X uint8 32x32x3xN, y Nx1 in 1..10) and returns their arrays by split."""
    rng = np.random.default_rng(1)
    arrays = {}
    for split, n in (counts or {"train": 40, "test": 20}).items():
        labels = np.arange(n) % 2 + 9  # 9 and 10; 10 is the digit 0
        x = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
        x[..., labels == 10] //= 4  # dark images are the digit 0: learnable
        y = labels.reshape(n, 1).astype(label_dtype)
        savemat(folder / SVHN_FILES[split], {"X": x, "y": y}, format="5", do_compression=compressed)
        arrays[split] = (x, y)
    return arrays


def mat_elements(data):
    """(offset, type, payload) of each top-level data element after the 128-byte header."""
    offset, elements = 128, []
    while offset < len(data):
        kind, size = struct.unpack_from("<II", data, offset)
        elements.append((offset, kind, data[offset + 8:offset + 8 + size]))
        offset += 8 + size
    return elements


def fails_naming(fscatter, folder, tmp_path, *phrases):
    result = run(fscatter, "train", "--dataset", "svhn", "--data-dir", folder, "--model", "mlp", "--epochs", "1",
                 "--out", tmp_path / "r", check=False)
    assert result.returncode != 0
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


@pytest.mark.parametrize("compressed,label_dtype", [(False, np.float64), (True, np.float64), (True, np.uint8),
                                                    (False, np.int32)])
def test_train_reads_svhn_mat_files(fscatter, savemat, tmp_path, compressed, label_dtype):
    make_svhn(savemat, tmp_path, compressed, label_dtype)
    run(fscatter, "train", "--dataset", "svhn", "--data-dir", tmp_path, "--model", "mlp", "--epochs", "1",
        "--batch-size", "8", "--out", tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["train_images"] == 40 and summary["test_images"] == 20


@pytest.mark.parametrize("compressed", [False, True])
def test_binding_loads_svhn_pixels_and_labels_as_scipy_wrote_them(savemat, tmp_path, compressed):
    fs = pytest.importorskip("featurescatter")
    written = make_svhn(savemat, tmp_path, compressed, counts={"train": 7, "test": 5, "extra": 3})
    for name, split, parts in [("svhn", "train", ["train"]), ("svhn", "test", ["test"]),
                               ("svhn-extra", "train", ["train", "extra"]), ("svhn-extra", "test", ["test"])]:
        with fs.Dataset.load(name, path=str(tmp_path), split=split) as data:
            images, labels = data.arrays()
            assert data.info() == (len(labels), (3, 32, 32), 10)
        x = np.concatenate([written[p][0] for p in parts], axis=3)
        y = np.concatenate([written[p][1] for p in parts])
        np.testing.assert_allclose(images, x.transpose(3, 2, 0, 1).astype(np.float32) / 255, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(labels, y.ravel().astype(int) % 10)
    (tmp_path / "extra_32x32.mat").unlink()
    with pytest.raises(fs.IOFailure, match="extra_32x32.mat"):
        fs.Dataset.load("svhn-extra", path=str(tmp_path))


@pytest.mark.parametrize("compressed", [False, True])
def test_truncated_svhn_file_is_a_clear_error(fscatter, savemat, tmp_path, compressed):
    make_svhn(savemat, tmp_path, compressed)
    path = tmp_path / "train_32x32.mat"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    fails_naming(fscatter, tmp_path, tmp_path, "train_32x32.mat", "truncated")


def test_svhn_dimension_claiming_2_30_images_is_refused(fscatter, savemat, tmp_path):
    fs = pytest.importorskip("featurescatter")
    make_svhn(savemat, tmp_path, False)
    path = tmp_path / "train_32x32.mat"
    dims = struct.pack("<4i", 32, 32, 3, 40)
    data = path.read_bytes()
    assert data.count(dims) == 1
    path.write_bytes(data.replace(dims, struct.pack("<4i", 32, 32, 3, 1 << 30)))
    fails_naming(fscatter, tmp_path, tmp_path, "train_32x32.mat", "dimensions [32, 32, 3, 1073741824]")
    with pytest.raises(fs.IOFailure, match="train_32x32.mat"):
        fs.Dataset.load("svhn", path=str(tmp_path))


def rewrite_compressed(path, patch):
    """Re-deflates each compressed element of `path` after `patch(inflated bytes)`."""
    data = path.read_bytes()
    out = bytearray(data[:128])
    for _, kind, payload in mat_elements(data):
        assert kind == 15
        stream = zlib.compress(patch(zlib.decompress(payload)))
        out += struct.pack("<II", 15, len(stream)) + stream
    path.write_bytes(bytes(out))


def test_svhn_compressed_elements_that_lie_are_refused(fscatter, savemat, tmp_path):
    make_svhn(savemat, tmp_path, True)
    path = tmp_path / "train_32x32.mat"
    original = path.read_bytes()
    dims = struct.pack("<4i", 32, 32, 3, 40)
    rewrite_compressed(path, lambda inner: inner.replace(dims, struct.pack("<4i", 32, 32, 3, 1 << 30)))
    fails_naming(fscatter, tmp_path, tmp_path, "train_32x32.mat", "1073741824")
    path.write_bytes(original)
    rewrite_compressed(path, lambda inner: inner[:4] + struct.pack("<I", 1 << 31) + inner[8:])
    fails_naming(fscatter, tmp_path, tmp_path, "train_32x32.mat", "1032:1")


@pytest.mark.parametrize("arrays,phrase", [
    ({"X": np.zeros((32, 32, 3, 2), np.uint8)}, "no array y"),
    ({"y": np.ones((2, 1))}, "no array X"),
    ({"X": np.zeros((32, 32, 3, 2)), "y": np.ones((2, 1))}, "X must be a real uint8 array, found double"),
    ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1))}, "X must be 32×32×3×N, found 28×28×3×2"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1))}, "one label per image"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1.0], [12.0]])}, "label 1 is 12.0"),
])
def test_svhn_file_with_wrong_contents_is_a_clear_error(fscatter, savemat, tmp_path, arrays, phrase):
    make_svhn(savemat, tmp_path, False)
    savemat(tmp_path / "train_32x32.mat", arrays, format="5")
    fails_naming(fscatter, tmp_path, tmp_path, "train_32x32.mat", phrase)
