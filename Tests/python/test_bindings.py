"""The Python package over ctypes: numpy in and out, exceptions for every status, training, OT vs POT."""

import math
import pathlib

import numpy as np
import pytest

fs = pytest.importorskip("featurescatter")

FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")


def test_version_and_core_are_reported():
    assert fs.__version__.count(".") == 2
    assert fs.blas_core()


def test_model_forward_matches_predict_and_checkpoint(tmp_path):
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    with fs.Model.builtin("smallcnn", (1, 28, 28), 10, seed=1) as model:
        assert model.parameter_count == 312202
        logits = model(x)
        assert logits.shape == (3, 10) and np.isfinite(logits).all()
        assert (model.predict(x) == logits.argmax(1)).all()
        model.save(tmp_path / "m.fsc")
        with fs.Model.load(tmp_path / "m.fsc") as loaded:
            np.testing.assert_array_equal(loaded(x), logits)


def test_errors_map_to_exception_classes():
    with fs.Model.builtin("mlp", (1, 8, 8), 3) as model:
        with pytest.raises(fs.ShapeError, match="fsc_model_forward"):
            model(np.zeros((2, 1, 9, 9), np.float32))
        with pytest.raises(fs.NotFiniteError):
            model(np.full((1, 1, 8, 8), np.nan, np.float32))
        with pytest.raises(fs.InvalidArgumentError):
            model(np.full((1, 1, 8, 8), 2.0, np.float32))
    with pytest.raises(fs.InvalidArgumentError, match="nonsense"):
        fs.Model.builtin("nonsense", (1, 8, 8), 3)
    with pytest.raises(fs.IOFailure):
        fs.Model.load("/nonexistent.fsc")
    with pytest.raises(ValueError, match="closed"):
        model(np.zeros((1, 1, 8, 8), np.float32))


def test_training_steps_lower_the_loss_and_cancel_works():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 64)
    images = (rng.random((64, 1, 8, 8)) * 0.3 + labels[:, None, None, None] * 0.6).astype(np.float32)
    with fs.Model.builtin("mlp", (1, 8, 8), 2, seed=0) as model:
        with fs.Trainer(model, "standard", lr=0.1) as trainer:
            losses = [trainer.step(images, labels) for _ in range(20)]
        assert losses[-1] < losses[0] * 0.5
        data = fs.Dataset.from_arrays(images, labels)
        with pytest.raises(fs.Cancelled):
            fs.train(model, data, method="feature-scattering", epochs=1, batch_size=8, progress=lambda p: 1)
        accuracy = fs.train(model, data, method="feature-scattering", test=data, epochs=2, batch_size=8,
                            progress=False, solver="sinkhorn", ot_reg=0.01, grad_mode="envelope")
        assert 0 <= accuracy <= 100


def test_bilateral_training_takes_its_beta_through_the_config():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 32)
    images = (rng.random((32, 1, 8, 8)) * 0.3 + labels[:, None, None, None] * 0.3).astype(np.float32)
    with fs.Model.builtin("mlp", (1, 8, 8), 3, seed=0) as model:
        with fs.Trainer(model, "bilateral", eps=0.1, lr=0.1, bilateral_beta=4.0) as trainer:
            losses = [trainer.step(images, labels) for _ in range(5)]
        assert all(np.isfinite(losses)), losses
        with pytest.raises(fs.InvalidArgumentError, match="bilateral"):
            fs.Trainer(model, "bilateral", bilateral_beta=-1.0)
        with pytest.raises(fs.InvalidArgumentError, match="label smoothing"):
            fs.Trainer(model, "bilateral", label_smoothing=0.5)


def test_bad_training_options_raise():
    with fs.Model.builtin("mlp", (1, 8, 8), 2) as model:
        with pytest.raises(ValueError, match="method"):
            fs.Trainer(model, "sgd")
        with pytest.raises(ValueError, match="matching"):
            fs.Trainer(model, matching="greedy")
        with pytest.raises(TypeError, match="colour"):
            fs.Trainer(model, colour="red")
        with pytest.raises(fs.InvalidArgumentError, match="epsilon"):
            fs.Trainer(model, eps=2.0)


def test_ot_matches_pot():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(3)
    cost = rng.random((40, 30)).astype(np.float64)
    plan, report = fs.ot.sinkhorn(cost, reg=0.1, max_iter=1000, tol=1e-9)
    reference = ot.sinkhorn(np.full(40, 1 / 40), np.full(30, 1 / 30), cost, 0.1, numItermax=1000, stopThr=1e-9)
    assert np.abs(plan - reference).max() < 1e-6
    exact, exact_report = fs.ot.solve(cost, solver="exact")
    assert math.isclose(exact_report.transport_cost, ot.emd2(np.full(40, 1 / 40), np.full(30, 1 / 30), cost),
                        rel_tol=1e-6)


def test_ot_distance_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    d, gx, _, _ = fs.ot.distance(x, y, reg=0.1, max_iter=30, tol=0)
    direction = rng.standard_normal(x.shape)
    h = 1e-3
    numeric = (fs.ot.distance(x + h * direction, y, reg=0.1, max_iter=30, tol=0)[0]
               - fs.ot.distance(x - h * direction, y, reg=0.1, max_iter=30, tol=0)[0]) / (2 * h)
    assert math.isclose(float((gx * direction).sum()), numeric, rel_tol=2e-2, abs_tol=1e-4)


@pytest.mark.skipif(not FASHION.exists(), reason="needs Fashion-MNIST")
def test_dataset_round_trip_and_python_example(tmp_path, monkeypatch):
    test = fs.Dataset.load("fashion-mnist", split="test", limit=50)
    images, labels = test.arrays()
    assert images.shape == (50, 1, 28, 28) and labels.shape == (50,)
    assert 0 <= images.min() and images.max() <= 1
    monkeypatch.chdir(tmp_path)
    import importlib.util
    spec = importlib.util.spec_from_file_location("example", pathlib.Path(__file__).parents[2] / "examples" / "python"
                                                  / "train_fashion.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy, checked, robust, difference = example.main(256, 1)
    assert math.isclose(accuracy, checked, abs_tol=1e-6)
    assert 0 <= robust <= 100
    assert difference is not None and difference < 1e-4
    assert (tmp_path / "smallcnn.onnx").exists() and (tmp_path / "smallcnn.fsc").exists()
