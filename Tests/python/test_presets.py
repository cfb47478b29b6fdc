"""`fscatter train --preset`: named recipes, explicit flags over them, and what the run records."""

import json

import numpy as np
import pytest

from conftest import run


def summary_of(folder):
    return json.loads((folder / "summary.json").read_text())


def test_explicit_flags_override_a_preset_and_the_rest_is_the_presets(fscatter, tmp_path):
    out = tmp_path / "r"
    run(fscatter, "train", "--preset", "fmnist-smallcnn-madry", "--epochs", "1", "--train-subset", "128",
        "--test-subset", "32", "--attack-steps", "2", "--lr", "0.02", "--out", out)
    summary = summary_of(out)
    assert summary["preset"] == "fmnist-smallcnn-madry"
    assert summary["method"] == "madry" and summary["model"] == "smallcnn" and summary["dataset"] == "fashion-mnist"
    assert summary["settings"]["attack_steps"] == "2"
    assert float(summary["settings"]["epsilon"]) == pytest.approx(0.1)
    assert float(summary["settings"]["attack_step_size"]) == pytest.approx(0.025)
    config = summary["configuration"]
    assert config["epochs"] == 1 and config["learning_rate"] == pytest.approx(0.02)
    assert config["batch_size"] == 128 and config["momentum"] == pytest.approx(0.9)


def synthetic_rgb(path, count=40):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 3, 32, 32), dtype=np.uint8)
    labels = np.arange(count) % 10
    np.savez(path, x_train=images, y_train=labels, x_test=images[:20], y_test=labels[:20])


def test_paper_preset_records_its_recipe_and_normalises_inside_the_model(fscatter, tmp_path):
    archive = tmp_path / "rgb.npz"
    synthetic_rgb(archive)
    out = tmp_path / "r"
    run(fscatter, "train", "--preset", "paper-svhn-fs", "--dataset", "npz", "--data-dir", archive,
        "--model", "mlp", "--epochs", "1", "--batch-size", "20", "--out", out)
    summary = summary_of(out)
    assert summary["preset"] == "paper-svhn-fs" and summary["model"] == "mlp"
    assert summary["input_normalization"] == {"mean": [0.5], "standard_deviation": [0.5]}
    settings, config = summary["settings"], summary["configuration"]
    assert float(settings["epsilon"]) == pytest.approx(8 / 255)
    assert float(settings["attack_step_size"]) == pytest.approx(8 / 255)
    assert settings["attack_steps"] == "1" and float(settings["label_smoothing"]) == 0.5
    assert settings["solver"] == "sinkhorn" and float(settings["ot_reg"]) == 0.01 and settings["ot_iterations"] == "100"
    assert config["learning_rate"] == pytest.approx(0.01) and config["decay_epochs"] == [60, 90]
    assert config["crop_padding"] == 0 and config["horizontal_flip"] is False
    assert config["weight_decay"] == pytest.approx(2e-4) and config["batch_size"] == 20

    onnx_path = tmp_path / "m.onnx"
    run(fscatter, "export", "--checkpoint", out / "checkpoint.fsc", "--onnx", onnx_path)
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(onnx_path)).graph
    assert [node.op_type for node in graph.node][:2] == ["Sub", "Div"]
    x = np.random.default_rng(1).random((4, 3, 32, 32), dtype=np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: x})[0]
    fs = pytest.importorskip("featurescatter")
    with fs.Model.load(out / "checkpoint.fsc") as model:
        np.testing.assert_allclose(logits, model(x), rtol=1e-4, atol=1e-4)
        unnormalised = fs.Model.builtin("mlp", (3, 32, 32), 10)
        assert unnormalised.parameter_count == model.parameter_count


def test_cifar_presets_flip_and_crop(fscatter, tmp_path):
    archive = tmp_path / "rgb.npz"
    synthetic_rgb(archive)
    out = tmp_path / "r"
    run(fscatter, "train", "--preset", "paper-cifar100-standard", "--dataset", "npz", "--data-dir", archive,
        "--model", "mlp", "--epochs", "1", "--out", out)
    config = summary_of(out)["configuration"]
    assert config["crop_padding"] == 4 and config["horizontal_flip"] is True
    assert config["learning_rate"] == pytest.approx(0.1) and config["batch_size"] == 60


def test_resume_refuses_another_preset(fscatter, tmp_path):
    out = tmp_path / "r"
    run(fscatter, "train", "--preset", "fmnist-smallcnn-standard", "--epochs", "1", "--train-subset", "64",
        "--test-subset", "16", "--out", out)
    result = run(fscatter, "train", "--resume", out, "--preset", "fmnist-smallcnn-fs", "--epochs", "2", check=False)
    assert result.returncode != 0 and "fmnist-smallcnn-standard" in result.stderr
    run(fscatter, "train", "--resume", out, "--epochs", "2")
    assert summary_of(out)["preset"] == "fmnist-smallcnn-standard" and summary_of(out)["epochs"] == 2


def test_unknown_preset_lists_the_known(fscatter, tmp_path):
    result = run(fscatter, "train", "--preset", "paper-imagenet-fs", "--out", tmp_path / "r", check=False)
    assert result.returncode != 0 and "paper-cifar10-fs" in result.stderr


def test_python_binding_trains_from_a_preset(tmp_path):
    fs = pytest.importorskip("featurescatter")
    assert fs.preset_data("paper-cifar100-fs") == ("cifar100", "wrn-28-10")
    assert fs.preset_data("fmnist-smallcnn-madry") == ("fashion-mnist", "smallcnn")
    with pytest.raises(fs.InvalidArgumentError, match="paper-cifar10-fs"):
        fs.preset_data("paper-imagenet-fs")
    rng = np.random.default_rng(2)
    images = rng.random((24, 3, 16, 16), dtype=np.float32)
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype(np.int32)
    data = fs.Dataset.from_arrays(images, labels, classes=2)
    with fs.Model.from_preset("paper-cifar10-standard", (3, 16, 16), classes=2, seed=3) as model:
        fs.train(model, data, preset="paper-cifar10-standard", epochs=1, batch_size=12, progress=False,
                 out_dir=tmp_path / "r")
        assert np.isfinite(model(images[:2])).all()
    summary = summary_of(tmp_path / "r")
    assert summary["configuration"]["crop_padding"] == 4 and summary["configuration"]["horizontal_flip"] is True
    assert summary["configuration"]["learning_rate"] == pytest.approx(0.1)
    assert summary["configuration"]["epochs"] == 1 and summary["configuration"]["batch_size"] == 12
    assert summary["input_normalization"] == {"mean": [0.5], "standard_deviation": [0.5]}
