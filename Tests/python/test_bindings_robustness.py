"""Attacks, evaluation and ONNX through the Python package: invariants, reports, and onnxruntime
as the judge of import -> feature-scattering training -> export."""

import json

import numpy as np
import pytest

fs = pytest.importorskip("featurescatter")

EPS = 0.1


@pytest.fixture(scope="module")
def trained():
    """An MLP trained in-process on a separable 4-class problem, with a held-out batch."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    centres = rng.random((4, 1, 8, 8))
    images = np.clip(centres[labels] * 0.6 + rng.random((400, 1, 8, 8)) * 0.4, 0, 1).astype(np.float32)
    model = fs.Model.builtin("mlp", (1, 8, 8), 4, seed=0)
    fs.train(model, fs.Dataset.from_arrays(images[:300], labels[:300], 4), method="standard", epochs=15,
             batch_size=32, lr=0.05, progress=False)
    yield model, images[300:], labels[300:].astype(np.int32)
    model.close()


ATTACKS = [fs.attacks.FGSM(EPS), fs.attacks.FGSM(EPS, random_start=True, seed=3), fs.attacks.PGD(EPS, steps=10),
           fs.attacks.CW(EPS, steps=10), fs.attacks.APGD(EPS, steps=10), fs.attacks.APGD(EPS, steps=10, loss="dlr"),
           fs.attacks.APGD(EPS, steps=5, targeted=True), fs.attacks.Square(EPS, queries=100),
           fs.attacks.Noise(EPS), fs.attacks.PGD(EPS, steps=5, target="least-likely")]


@pytest.mark.parametrize("attack", ATTACKS, ids=repr)
def test_attack_invariants(trained, attack):
    model, x, y = trained
    before = model(x)
    adversarial = attack(model, x, y)
    assert adversarial.shape == x.shape and adversarial.dtype == np.float32
    assert np.abs(adversarial - x).max() <= EPS + 1e-6
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    np.testing.assert_array_equal(attack(model, x, y), adversarial)
    np.testing.assert_array_equal(model(x), before)


def test_l2_pgd_stays_in_its_ball(trained):
    model, x, y = trained
    adversarial = fs.attacks.PGD(eps=0.5, steps=10, norm="l2")(model, x, y)
    assert np.linalg.norm((adversarial - x).reshape(len(x), -1), axis=1).max() <= 0.5 + 1e-5


def test_attack_strength_order(trained):
    model, x, y = trained

    def accuracy(images):
        return float((model.predict(images) == y).mean())

    clean = accuracy(x)
    fgsm = accuracy(fs.attacks.FGSM(EPS)(model, x, y))
    pgd = accuracy(fs.attacks.PGD(EPS, steps=20)(model, x, y))
    apgd = accuracy(fs.attacks.APGD(EPS)(model, x, y))
    assert clean > 0.8
    assert pgd <= fgsm <= clean
    assert apgd <= pgd + 0.03
    assert accuracy(fs.attacks.PGD(0.5, steps=20)(model, x, y)) < 0.05


def test_attack_bad_input_raises(trained):
    model, x, y = trained
    with pytest.raises(fs.InvalidArgumentError, match="epsilon"):
        fs.attacks.PGD(eps=float("nan"))(model, x, y)
    with pytest.raises(fs.ShapeError, match="labels"):
        fs.attacks.PGD()(model, x, y[:-1])
    with pytest.raises(fs.InvalidArgumentError, match="labels"):
        fs.attacks.PGD()(model, x, np.full_like(y, 9))
    with pytest.raises(ValueError, match="norm"):
        fs.attacks.PGD(norm="l3")
    with pytest.raises(fs.NotFiniteError):
        fs.attacks.FGSM()(model, np.full_like(x, np.nan), y)
    with fs.Model.builtin("mlp", (1, 8, 8), 3) as small:
        with pytest.raises(fs.InvalidArgumentError, match="4 classes"):
            fs.attacks.APGD(targeted=True)(small, x, y % 3)


def test_evaluate_report(trained):
    model, x, y = trained
    data = fs.Dataset.from_arrays(x, y, 4)
    report = fs.evaluate(model, data, attacks=["fgsm", "pgd10"], worst_case=["apgd-ce"], eps=EPS, limit=0,
                         batch_size=32)
    accuracy = report["accuracy"]
    assert set(accuracy) == {"clean", "fgsm", "pgd10", "worst_case"}
    assert accuracy["clean"] == pytest.approx(model.accuracy(data))
    assert accuracy["worst_case"] <= min(accuracy["fgsm"], accuracy["pgd10"]) < accuracy["clean"]
    assert [a["mode"] for a in report["attacks"]] == ["independent", "independent", "worst-case"]
    assert report["images"] == len(x) and report["epsilon"] == pytest.approx(EPS)
    assert [a["name"] for a in report["attacks"]] == ["fgsm", "pgd10", "apgd-ce"]
    assert report["attacks"][1]["settings"]["steps"] == "10"
    assert {flag["check"] for flag in report["gradient_masking"]}
    json.dumps(report)
    with pytest.raises(fs.InvalidArgumentError, match="bogus"):
        fs.evaluate(model, data, attacks=["bogus"])


def test_onnx_bytes_and_checkpoint_round_trips(trained, tmp_path):
    model, x, _ = trained
    data = model.to_onnx()
    assert data[:2] != b"" and len(data) > 1000
    with fs.Model.from_onnx(data) as imported:
        np.testing.assert_array_equal(imported(x), model(x))
        assert imported.input_shape == (1, 8, 8) and imported.classes == 4
        imported.save(tmp_path / "imported.fsc")
    with fs.Model.load(tmp_path / "imported.fsc") as restored:
        np.testing.assert_array_equal(restored(x), model(x))
    with pytest.raises(fs.OnnxError):
        fs.Model.from_onnx(data[: len(data) // 2])
    with pytest.raises(fs.IOFailure):
        fs.Model.from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(fs.InvalidArgumentError, match="opset"):
        model.to_onnx(opset=11)


def test_imported_cnn_trained_with_feature_scattering_matches_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from test_onnx import residual_cnn

    residual_cnn(tmp_path / "cnn.onnx")
    rng = np.random.default_rng(5)
    x = rng.random((16, 1, 12, 12), dtype=np.float32)
    y = rng.integers(0, 10, 16).astype(np.int32)
    session = ort.InferenceSession(str(tmp_path / "cnn.onnx"), providers=["CPUExecutionProvider"])
    original = session.run(None, {"x": x})[0]
    with fs.Model.from_onnx(tmp_path / "cnn.onnx") as model:
        np.testing.assert_allclose(model(x), original, atol=1e-4)
        with fs.Trainer(model, "feature-scattering", eps=0.1, lr=0.05) as trainer:
            losses = [trainer.step(x, y) for _ in range(3)]
        assert all(np.isfinite(losses))
        trained_logits = model(x)
        assert np.abs(trained_logits - original).max() > 1e-3, "training changed nothing"
        model.to_onnx(tmp_path / "trained.onnx")
    exported = ort.InferenceSession(str(tmp_path / "trained.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(exported.run(None, {exported.get_inputs()[0].name: x})[0], trained_logits, atol=1e-4)


def _separable(seed=1, n=64):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = np.clip(rng.random((n, 1, 8, 8)) * 0.5 + labels[:, None, None, None] * 0.5, 0, 1).astype(np.float32)
    return fs.Dataset.from_arrays(images, labels, 2), images


def _trained_logits(progress):
    data, images = _separable()
    with fs.Model.builtin("mlp", (1, 8, 8), 2, seed=4) as model:
        fs.train(model, data, method="madry", epochs=2, batch_size=16, attack_steps=2, progress=progress)
        return model(images[:8])


def test_a_slow_progress_callback_changes_nothing():
    import time

    seen = []

    def slow(progress):
        seen.append(progress.contents.batch)
        time.sleep(0.02)
        return 0

    np.testing.assert_array_equal(_trained_logits(slow), _trained_logits(False))
    assert seen == [1, 2, 3, 4] * 2


def test_an_exception_in_the_progress_callback_cancels_and_is_raised():
    calls = []

    def failing(progress):
        calls.append(progress.contents.batch)
        if len(calls) == 3:
            raise KeyError("stop here")
        return 0

    with pytest.raises(KeyError, match="stop here"):
        _trained_logits(failing)
    assert calls == [1, 2, 3], "the run went on after the callback raised"
