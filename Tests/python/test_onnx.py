"""ONNX export and import checked against onnxruntime (PyPI onnx + onnxruntime)."""

import json
import os
import pathlib

import numpy as np
import pytest

from conftest import run

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def ort_run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: x})[0]


def train_checkpoint(fscatter, tmp_path, model):
    out = tmp_path / model
    run(fscatter, "train", "--method", "standard", "--model", model, "--epochs", "1", "--batch-size", "32",
        "--train-subset", "64", "--test-subset", "32", "--seed", "1", "--out", out)
    return out / "checkpoint.fsc"


@pytest.mark.parametrize("model", ["smallcnn", "mlp", "wrn-10-1", "preactresnet18"])
def test_exported_builtin_model_matches_onnxruntime(fscatter, tmp_path, model):
    checkpoint = train_checkpoint(fscatter, tmp_path, model)
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    path = tmp_path / "model.onnx"
    run(fscatter, "export", "--checkpoint", checkpoint, "--onnx", path,
        "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.producer_name == "FeatureScatter"
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    assert {p.key for p in proto.metadata_props} >= {"method", "architecture"}
    engine = np.load(tmp_path / "y.npy")
    assert np.abs(ort_run(path, x) - engine).max() <= 1e-4


def test_export_opset_13_is_accepted_and_18_refused_without_writing(fscatter, tmp_path):
    checkpoint = train_checkpoint(fscatter, tmp_path, "mlp")
    run(fscatter, "export", "--checkpoint", checkpoint, "--onnx", tmp_path / "a.onnx", "--opset", "13")
    assert onnx.load(str(tmp_path / "a.onnx")).opset_import[0].version == 13
    result = run(fscatter, "export", "--checkpoint", checkpoint, "--onnx", tmp_path / "b.onnx", "--opset", "18",
                 check=False)
    assert result.returncode != 0 and not (tmp_path / "b.onnx").exists()


def residual_cnn(path):
    """conv–BN–relu–maxpool, a residual conv add, global pool, gemm; opset 13."""
    rng = np.random.default_rng(1)

    def init(name, *shape, low=-0.5, high=0.5):
        return numpy_helper.from_array(rng.uniform(low, high, shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["n1"], epsilon=1e-5),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "p1"], ["res"]),
        helper.make_node("Relu", ["res"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["gp"]),
        helper.make_node("Flatten", ["gp"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1),
    ]
    inits = [init("w1", 8, 1, 3, 3), init("b1", 8), init("g", 8, low=0.5, high=1.5), init("beta", 8),
             init("mean", 8), init("var", 8, low=0.5, high=2.0), init("w2", 8, 8, 3, 3), init("wf", 10, 8),
             init("bf", 10)]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 12, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def test_imported_cnn_matches_onnxruntime_and_reexport_is_exact(fscatter, tmp_path):
    residual_cnn(tmp_path / "cnn.onnx")
    x = np.random.default_rng(2).random((4, 1, 12, 12), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run(fscatter, "import", "--onnx", tmp_path / "cnn.onnx", "--input", tmp_path / "x.npy",
                 "--output", tmp_path / "y.npy", "--export", tmp_path / "again.onnx")
    assert "Conv" in result.stdout and "parameters:" in result.stdout
    engine = np.load(tmp_path / "y.npy")
    assert np.abs(engine - ort_run(tmp_path / "cnn.onnx", x)).max() <= 1e-4
    run(fscatter, "import", "--onnx", tmp_path / "again.onnx", "--input", tmp_path / "x.npy",
        "--output", tmp_path / "y2.npy")
    assert np.array_equal(np.load(tmp_path / "y2.npy"), engine)
    assert np.abs(ort_run(tmp_path / "again.onnx", x) - engine).max() <= 1e-4


@pytest.mark.parametrize("content", [b"", b"\x08\x07\x12\x03abc\xff\xff", os.urandom(4096)])
def test_import_of_garbage_fails_cleanly(fscatter, tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    result = run(fscatter, "import", "--onnx", path, check=False)
    assert result.returncode not in (0, -4, -6, -11) and "ONNX error" in result.stderr


def test_import_refuses_external_data_outside_the_folder(fscatter, tmp_path):
    residual_cnn(tmp_path / "cnn.onnx")
    model = onnx.load(str(tmp_path / "cnn.onnx"))
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.ClearField("float_data")
    weight.data_location = TensorProto.EXTERNAL
    for location in ["../secret.bin", "/etc/passwd", "missing.bin"]:
        del weight.external_data[:]
        weight.external_data.add(key="location", value=location)
        onnx.save(model, str(tmp_path / "ext.onnx"))
        result = run(fscatter, "import", "--onnx", tmp_path / "ext.onnx", check=False)
        assert result.returncode != 0 and "external data" in result.stderr, result.stderr


def test_import_reports_unsupported_operator_with_node_and_opset(fscatter, tmp_path):
    node = helper.make_node("Einsum", ["x", "x"], ["y"], name="mystery", equation="ij,ij->ij")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "e.onnx"))
    result = run(fscatter, "import", "--onnx", tmp_path / "e.onnx", check=False)
    assert result.returncode != 0
    assert "Einsum" in result.stderr and "mystery" in result.stderr and "opset 13" in result.stderr


def test_eval_on_an_exported_model_matches_its_checkpoint(fscatter, tmp_path):
    checkpoint = train_checkpoint(fscatter, tmp_path, "smallcnn")
    path = tmp_path / "model.onnx"
    run(fscatter, "export", "--checkpoint", checkpoint, "--onnx", path)
    common = ["--dataset", "fashion-mnist", "--eps", "0.1", "--n", "40", "--attacks", "fgsm,pgd10", "--worst-case", "none"]
    run(fscatter, "eval", "--checkpoint", checkpoint, *common, "--out", tmp_path / "c.json")
    run(fscatter, "eval", "--onnx", path, *common, "--out", tmp_path / "o.json")
    import json
    from_checkpoint = json.loads((tmp_path / "c.json").read_text())["accuracy"]
    from_onnx = json.loads((tmp_path / "o.json").read_text())["accuracy"]
    assert from_onnx["clean"] == from_checkpoint["clean"]
    assert abs(from_onnx["pgd10"] - from_checkpoint["pgd10"]) <= 5


def test_eval_needs_exactly_one_model_source(fscatter, tmp_path):
    result = run(fscatter, "eval", "--n", "4", check=False)
    assert result.returncode != 0 and "--onnx" in result.stderr


def test_train_init_onnx_then_export_matches_onnxruntime(fscatter, tmp_path):
    checkpoint = train_checkpoint(fscatter, tmp_path, "smallcnn")
    run(fscatter, "export", "--checkpoint", checkpoint, "--onnx", tmp_path / "start.onnx")
    result = run(fscatter, "train", "--init-onnx", tmp_path / "start.onnx", "--method", "feature-scattering",
                 "--epochs", "1", "--batch-size", "32", "--train-subset", "64", "--test-subset", "32",
                 "--out", tmp_path / "robust")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["model"] == "onnx" and summary["method"] == "feature-scattering"
    x = np.random.default_rng(2).random((4, 1, 28, 28), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    run(fscatter, "export", "--checkpoint", tmp_path / "robust" / "checkpoint.fsc", "--onnx", tmp_path / "robust.onnx",
        "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    engine = np.load(tmp_path / "y.npy")
    assert np.abs(ort_run(tmp_path / "robust.onnx", x) - engine).max() <= 1e-4
    assert np.abs(ort_run(tmp_path / "start.onnx", x) - engine).max() > 1e-3, "training changed nothing"
    residual_cnn(tmp_path / "cnn12.onnx")
    wrong = run(fscatter, "train", "--init-onnx", tmp_path / "cnn12.onnx", "--epochs", "1", "--train-subset", "64",
                "--out", tmp_path / "never", check=False)
    assert wrong.returncode != 0 and "12" in wrong.stderr and "28" in wrong.stderr, wrong.stderr
    assert not (tmp_path / "never" / "checkpoint.fsc").exists()


def test_import_accepts_a_tensor_as_large_as_vgg11s_classifier_weight(fscatter, tmp_path):
    # torchvision's VGG-11 classifier: a 4096x25088 Gemm weight, 102.8 M elements (above the old 2^26 cap).
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((4096, 25088), dtype=np.float32) * np.float32(0.01)
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)], "vgg11_classifier",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 25088])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4096])],
                              [numpy_helper.from_array(weight, "w")])
    path = tmp_path / "vgg_classifier.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    del weight
    x = rng.random((1, 25088), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    run(fscatter, "import", "--onnx", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), ort_run(path, x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dims, message", [([1 << 20, 1 << 20], "bytes of data"),
                                           ([1 << 31, 1 << 31, 1 << 31], "overflows")])
def test_import_refuses_a_tensor_that_claims_more_than_it_holds(fscatter, tmp_path, dims, message):
    lying = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=dims, raw_data=b"\0\0\0\0")
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])], [lying])
    path = tmp_path / "lying.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    result = run(fscatter, "import", "--onnx", path, check=False)
    assert result.returncode not in (0, -4, -6, -9, -11) and "ONNX error" in result.stderr, result.stderr
    assert message in result.stderr and '"w"' in result.stderr, result.stderr


def test_import_refuses_initializers_beyond_the_memory_limit(fscatter, tmp_path):
    residual_cnn(tmp_path / "cnn.onnx")
    result = run(fscatter, "import", "--onnx", tmp_path / "cnn.onnx", "--max-elements", "100", check=False)
    assert result.returncode != 0 and "more than the 100" in result.stderr, result.stderr
