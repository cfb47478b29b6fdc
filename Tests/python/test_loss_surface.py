"""fscatter loss-surface, fs.loss_surface and plot_surface.py: one definition, the same numbers, a figure."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run

fs = pytest.importorskip("featurescatter")

pytestmark = pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").exists(),
                                reason="needs Fashion-MNIST")

IMAGE, GRID, EPS, EXTENT, SEED = 3, 9, 0.1, 2.0, 5


@pytest.fixture(scope="module")
def checkpoint(fscatter, tmp_path_factory):
    out = tmp_path_factory.mktemp("surfacerun") / "run"
    run(fscatter, "train", "--method", "standard", "--model", "mlp", "--epochs", "1", "--train-subset", "256",
        "--test-subset", "32", "--seed", "1", "--out", out)
    return out / "checkpoint.fsc"


@pytest.fixture(scope="module")
def surface_file(fscatter, checkpoint, tmp_path_factory):
    path = tmp_path_factory.mktemp("surface") / "surface.json"
    summary = run(fscatter, "loss-surface", "--checkpoint", checkpoint, "--image", IMAGE, "--eps", EPS, "--grid", GRID,
                  "--extent", EXTENT, "--seed", SEED, "--batch-size", 16, "--out", path).stdout
    assert json.loads(summary)["out"] == str(path)
    return path


def test_cli_writes_the_grid_its_slices_and_directions(surface_file, checkpoint):
    surface = json.loads(surface_file.read_text())
    losses = np.array(surface["losses"])
    assert losses.shape == (GRID, GRID) and np.isfinite(losses).all() and (losses >= 0).all()
    axis = np.array(surface["axis"])
    np.testing.assert_allclose(axis, np.linspace(-EXTENT * EPS, EXTENT * EPS, GRID), atol=1e-6)
    centre = GRID // 2
    assert axis[centre] == 0
    np.testing.assert_allclose(losses[centre, centre], surface["clean_loss"], rtol=1e-5)
    np.testing.assert_array_equal(surface["adversarial_slice"], losses[:, centre])
    np.testing.assert_array_equal(surface["rademacher_slice"], losses[centre, :])
    assert set(surface["rademacher_direction"]) == {-1.0, 1.0}
    assert set(surface["adversarial_direction"]) <= {-1.0, 0.0, 1.0}
    assert len(surface["adversarial_direction"]) == 784 and surface["image_shape"] == [1, 28, 28]
    assert abs(surface["direction_cosine"]) < 0.2
    assert surface["image_index"] == IMAGE and surface["checkpoint"] == str(checkpoint)
    assert surface["clip"] is True and surface["seed"] == SEED and surface["points"] == GRID
    assert surface["epsilon"] == EPS and surface["extent"] == EXTENT
    # Ascending the loss along d_adv raises it: a step of 2ε beats the clean image.
    assert losses[-1, centre] > losses[centre, centre]


def test_python_binding_gives_the_cli_numbers(surface_file, checkpoint):
    surface = json.loads(surface_file.read_text())
    x, y = fs.Dataset.load(split="test", limit=IMAGE + 1).arrays()
    assert int(y[IMAGE]) == surface["label"]
    with fs.Model.load(checkpoint) as model:
        result = fs.loss_surface(model, x[IMAGE], y[IMAGE], eps=EPS, grid=GRID, extent=EXTENT, seed=SEED)
    assert isinstance(result, fs.LossSurface) and result.losses.shape == (GRID, GRID)
    np.testing.assert_allclose(result.losses, surface["losses"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result.axis, surface["axis"], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(result.rademacher_direction.ravel(), surface["rademacher_direction"])
    np.testing.assert_array_equal(result.adversarial_direction.ravel(), surface["adversarial_direction"])
    np.testing.assert_allclose(result.clean_loss, surface["clean_loss"], rtol=1e-4)
    np.testing.assert_array_equal(result.adversarial_slice, result.losses[:, GRID // 2])
    assert result.adversarial_direction.shape == (1, 28, 28)


def test_python_binding_raises_on_bad_settings(checkpoint):
    x = np.full((1, 28, 28), 0.5, np.float32)
    with fs.Model.load(checkpoint) as model:
        with pytest.raises(fs.InvalidArgumentError, match="odd"):
            fs.loss_surface(model, x, 0, grid=4)
        with pytest.raises(fs.InvalidArgumentError, match="odd"):
            fs.loss_surface(model, x, 0, grid=10 ** 6)
        with pytest.raises(fs.InvalidArgumentError, match="label"):
            fs.loss_surface(model, x, 10, grid=3)
        with pytest.raises(fs.ShapeError, match="one image"):
            fs.loss_surface(model, np.stack([x, x]), 0, grid=3)
        with pytest.raises(fs.NotFiniteError):
            fs.loss_surface(model, np.full((1, 28, 28), np.nan, np.float32), 0, grid=3)


def test_cli_refuses_an_image_past_the_test_set(fscatter, checkpoint, tmp_path):
    result = run(fscatter, "loss-surface", "--checkpoint", checkpoint, "--image", 10_000, "--out",
                 tmp_path / "s.json", check=False)
    assert result.returncode != 0 and "past the 10000 test images" in result.stderr
    result = run(fscatter, "loss-surface", "--checkpoint", checkpoint, "--image", 0, "--grid", 4, "--out",
                 tmp_path / "s.json", check=False)
    assert result.returncode != 0 and "odd" in result.stderr


def test_plot_script_draws_surfaces_and_slices(surface_file, tmp_path):
    script = REPO / "bindings" / "python" / "featurescatter" / "plot_surface.py"
    result = subprocess.run([sys.executable, str(script), str(surface_file), str(surface_file), "--labels", "a,b",
                             "--out-dir", str(tmp_path / "figures")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    png = tmp_path / "figures" / "loss_surface.png"
    assert result.stdout.strip() == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = subprocess.run([sys.executable, str(script), str(surface_file), "--labels", "a,b"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode != 0 and "2 labels for 1 surfaces" in bad.stderr
