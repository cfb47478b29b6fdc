"""ONNX classifiers that normalise outside the graph (`--input-normalization`), checked with onnxruntime."""

import json

import numpy as np
import pytest

from conftest import run

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], np.float32)
FLAG = ",".join(f"{v:.4f}" for v in [*MEAN, *STD])


def normalised_input_cnn(path):
    """A small CNN trained (here: drawn) for (x - MEAN) / STD inputs, with no normalisation inside."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((6, 3, 3, 3)).astype(np.float32) * 0.4, "w"),
             numpy_helper.from_array(rng.standard_normal(6).astype(np.float32) * 0.1, "b"),
             numpy_helper.from_array(rng.standard_normal((10, 6)).astype(np.float32), "fc"),
             numpy_helper.from_array(np.zeros(10, np.float32), "fcb")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "normalised", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def ort_run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def normalised(x):
    return (x - MEAN[None, :, None, None]) / STD[None, :, None, None]


def images(seed, n=6):
    return np.random.default_rng(seed).random((n, 3, 8, 8), dtype=np.float32)


def test_import_runs_and_exports_the_graph_behind_the_normalisation(fscatter, tmp_path):
    normalised_input_cnn(tmp_path / "raw.onnx")
    x = images(1)
    np.save(tmp_path / "x.npy", x)
    run(fscatter, "import", "--onnx", tmp_path / "raw.onnx", "--input-normalization", FLAG,
        "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", "--export", tmp_path / "wrapped.onnx")
    expected = ort_run(tmp_path / "raw.onnx", normalised(x))
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-4, atol=1e-5)
    wrapped = onnx.load(str(tmp_path / "wrapped.onnx"))
    onnx.checker.check_model(wrapped, full_check=True)
    assert [node.op_type for node in wrapped.graph.node][:2] == ["Sub", "Div"]
    np.testing.assert_allclose(ort_run(tmp_path / "wrapped.onnx", x), expected, rtol=1e-4, atol=1e-5)


def test_one_pair_normalises_every_channel(fscatter, tmp_path):
    normalised_input_cnn(tmp_path / "raw.onnx")
    x = images(2)
    np.save(tmp_path / "x.npy", x)
    run(fscatter, "import", "--onnx", tmp_path / "raw.onnx", "--input-normalization", "0.5,0.5",
        "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), ort_run(tmp_path / "raw.onnx", (x - 0.5) / 0.5),
                               rtol=1e-4, atol=1e-5)


def synthetic_set(path):
    x = (images(3, 40) * 255).astype(np.uint8)
    labels = np.arange(40) % 10
    np.savez(path, x_train=x, y_train=labels, x_test=x[:20], y_test=labels[:20])


def test_fine_tuned_checkpoint_keeps_the_normalisation_through_export(fscatter, tmp_path):
    normalised_input_cnn(tmp_path / "raw.onnx")
    synthetic_set(tmp_path / "set.npz")
    out = tmp_path / "r"
    run(fscatter, "train", "--init-onnx", tmp_path / "raw.onnx", "--input-normalization", FLAG,
        "--method", "madry", "--attack-steps", "2", "--dataset", "npz", "--data-dir", tmp_path / "set.npz",
        "--epochs", "1", "--batch-size", "10", "--out", out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input_normalization"]["standard_deviation"] == pytest.approx(STD.tolist(), abs=1e-4)
    run(fscatter, "export", "--checkpoint", out / "checkpoint.fsc", "--onnx", tmp_path / "tuned.onnx")
    tuned = onnx.load(str(tmp_path / "tuned.onnx"))
    assert [node.op_type for node in tuned.graph.node][:2] == ["Sub", "Div"]
    x = images(4)
    fs = pytest.importorskip("featurescatter")
    with fs.Model.load(out / "checkpoint.fsc") as model:
        np.testing.assert_allclose(ort_run(tmp_path / "tuned.onnx", x), model(x), rtol=1e-4, atol=1e-5)


def test_eval_of_the_raw_graph_with_the_flag_equals_eval_of_the_wrapped_graph(fscatter, tmp_path):
    normalised_input_cnn(tmp_path / "raw.onnx")
    x = (images(5, 40) * 255).astype(np.uint8)
    predicted = ort_run(tmp_path / "raw.onnx", normalised(x.astype(np.float32) / 255)).argmax(1)
    labels = predicted.copy()
    labels[-1] = 9  # every class index present, so the set has the model's 10 classes
    np.savez(tmp_path / "set.npz", x_train=x, y_train=labels, x_test=x, y_test=labels)
    run(fscatter, "import", "--onnx", tmp_path / "raw.onnx", "--input-normalization", FLAG,
        "--export", tmp_path / "wrapped.onnx")
    common = ["--dataset", "npz", "--data-dir", tmp_path / "set.npz", "--eps", "0.03", "--attacks", "fgsm,pgd10"]
    run(fscatter, "eval", "--onnx", tmp_path / "raw.onnx", "--input-normalization", FLAG, *common,
        "--out", tmp_path / "a.json")
    run(fscatter, "eval", "--onnx", tmp_path / "wrapped.onnx", *common, "--out", tmp_path / "b.json")
    run(fscatter, "eval", "--onnx", tmp_path / "raw.onnx", *common, "--out", tmp_path / "c.json")
    a, b, c = (json.loads((tmp_path / name).read_text())["accuracy"] for name in ["a.json", "b.json", "c.json"])
    assert a == b
    agreeing = 100 * np.mean(labels == predicted)
    assert a["clean"] == pytest.approx(agreeing) and c["clean"] < agreeing, "without the flag the graph sees other numbers"


def test_the_flag_is_refused_where_it_has_no_meaning(fscatter, tmp_path):
    synthetic_set(tmp_path / "set.npz")
    run(fscatter, "train", "--model", "mlp", "--dataset", "npz", "--data-dir", tmp_path / "set.npz", "--epochs", "1",
        "--out", tmp_path / "r")
    refused = run(fscatter, "eval", "--checkpoint", tmp_path / "r" / "checkpoint.fsc", "--input-normalization", FLAG,
                  "--dataset", "npz", "--data-dir", tmp_path / "set.npz", check=False)
    assert refused.returncode != 0 and "--onnx" in refused.stderr
    normalised_input_cnn(tmp_path / "raw.onnx")
    bad = run(fscatter, "import", "--onnx", tmp_path / "raw.onnx", "--input-normalization", "0.5,0.5,0.5,0.5",
              "--export", tmp_path / "x.onnx", check=False)
    assert bad.returncode != 0 and "3 means" in bad.stderr
    malformed = run(fscatter, "import", "--onnx", tmp_path / "raw.onnx", "--input-normalization", "0.5", check=False)
    assert malformed.returncode != 0 and "input-normalization" in malformed.stderr
