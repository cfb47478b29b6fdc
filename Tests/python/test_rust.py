"""The Rust crate (bindings/rust): `cargo test --offline` (the safe layer against the library, and every header
function declared in src/sys.rs with its parameter count) and the Rust example, built against the library of
this tree through FEATURESCATTER_LIB_DIR."""

import os
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CRATE = REPO / "bindings" / "rust"

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo (Rust suite skipped)")


@pytest.fixture(scope="module")
def environment():
    library = pathlib.Path(os.environ.get("FEATURESCATTER_LIBRARY", REPO / ".build-lib" / "release" / "libfeaturescatter.so"))
    assert library.exists(), f"{library} is missing: run `make lib`"
    env = dict(os.environ, FEATURESCATTER_LIB_DIR=str(library.resolve().parent), CARGO_TARGET_DIR=str(REPO / ".build-rust"),
               RUST_TEST_THREADS="1", CARGO_TERM_COLOR="never")
    env.pop("FEATURESCATTER_LIBRARY", None)
    return env


def test_cargo_test_passes_offline(environment):
    result = subprocess.run(["cargo", "test", "--offline", "--manifest-path", str(CRATE / "Cargo.toml")],
                            capture_output=True, text=True, env=environment, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = sum(int(n) for n in re.findall(r"test result: ok\. (\d+) passed", result.stdout))
    assert passed >= 9 and "FAILED" not in result.stdout, result.stdout
    assert "every_header_function_is_declared_with_its_parameter_count ... ok" in result.stdout


@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").exists(), reason="needs Fashion-MNIST")
def test_rust_example_trains_attacks_evaluates_and_exports(tmp_path, environment):
    result = subprocess.run(["cargo", "run", "--offline", "--release", "--manifest-path", str(CRATE / "Cargo.toml"),
                             "--example", "train_fashion", "--", "256", "1", str(tmp_path / "net")],
                            capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    change = float(re.search(r"largest change ([0-9.]+)", result.stdout).group(1))
    assert 0 < change <= 0.1 + 1e-6
    assert re.search(r"clean [0-9.]+%, FGSM [0-9.]+%, PGD-20 [0-9.]+%", result.stdout), result.stdout
    onnx = pytest.importorskip("onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "net.onnx")), full_check=True)
