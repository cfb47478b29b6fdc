"""The Swift example: FeatureScatter as a package dependency of another Swift package."""

import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "swift"


@pytest.mark.skipif(shutil.which("swift") is None, reason="needs the Swift toolchain")
@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").exists(), reason="needs Fashion-MNIST")
def test_swift_example_trains_attacks_and_exports(tmp_path):
    scratch = REPO / ".build-example"
    subprocess.run(["swift", "build", "-c", "release", "--package-path", str(EXAMPLE), "--scratch-path", str(scratch)],
                   check=True, capture_output=True, text=True, timeout=3600)
    onnx_path = tmp_path / "example.onnx"
    result = subprocess.run([str(scratch / "release" / "TrainFashion"), "256", "1", str(onnx_path)], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PGD-20" in result.stdout and "clean test accuracy" in result.stdout
    onnx = pytest.importorskip("onnx")
    onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)
