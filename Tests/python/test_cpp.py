"""The C++ wrapper (bindings/cpp/featurescatter.hpp): every wrapper and error path (Tests/cpp/test_wrapper.cpp)
and the C++ example, built with -Wall -Wextra -Werror -pedantic and run under AddressSanitizer (leaks included)
and UndefinedBehaviorSanitizer with every report fatal, in a host without Swift."""

import os
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ (C++ suite skipped)")


@pytest.fixture(scope="module")
def library():
    path = pathlib.Path(os.environ.get("FEATURESCATTER_LIBRARY", REPO / ".build-lib" / "release" / "libfeaturescatter.so"))
    assert path.exists(), f"{path} is missing: run `make lib`"
    return path.resolve()


def build(tmp_path, source, library):
    binary = tmp_path / pathlib.Path(source).stem
    subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic", *SANITIZERS,
                    f"-I{REPO / 'include'}", f"-I{REPO / 'bindings' / 'cpp'}", str(source), str(library),
                    f"-Wl,-rpath,{library.parent}", "-o", str(binary)], check=True, capture_output=True, text=True)
    return binary


def run(binary, library, *args, cwd):
    env = {k: v for k, v in os.environ.items() if "swift" not in v.lower()}
    env.update(PATH="/usr/bin:/bin", LD_LIBRARY_PATH=str(library.parent), ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_every_wrapper_and_error_path_under_sanitizers(tmp_path, library):
    binary = build(tmp_path, REPO / "Tests" / "cpp" / "test_wrapper.cpp", library)
    result = run(binary, library, tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.M), result.stdout
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr


@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").exists(), reason="needs Fashion-MNIST")
def test_cpp_example_trains_attacks_evaluates_and_exports(tmp_path, library):
    binary = build(tmp_path, REPO / "examples" / "cpp" / "train_fashion.cpp", library)
    result = run(binary, library, 256, 1, tmp_path / "net", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sanitizer" not in result.stderr and "runtime error" not in result.stderr, result.stderr
    change = float(re.search(r"largest change ([0-9.]+)", result.stdout).group(1))
    assert 0 < change <= 0.1 + 1e-6
    assert re.search(r"clean [0-9.]+%, FGSM [0-9.]+%, PGD-20 [0-9.]+%", result.stdout), result.stdout
    onnx = pytest.importorskip("onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "net.onnx")), full_check=True)
    assert (tmp_path / "net.fsc").stat().st_size > 0
