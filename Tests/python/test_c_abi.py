"""The C ABI as a C or C++ host sees it: header hygiene, exported symbols, a static Swift runtime,
every status path (Tests/c/test_abi.c), the C example (under valgrind), and a host without Swift."""

import os
import pathlib
import re
import shutil
import sys
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HEADER = REPO / "include" / "featurescatter.h"


@pytest.fixture(scope="session")
def library():
    path = pathlib.Path(os.environ.get("FEATURESCATTER_LIBRARY", REPO / ".build-lib" / "release" / "libfeaturescatter.so"))
    assert path.exists(), f"{path} is missing: run `make lib`"
    return path


def compile_c(tmp_path, source, library, *, cxx=False, extra=()):
    binary = tmp_path / (pathlib.Path(source).stem + ("_cxx" if cxx else ""))
    compiler = ["g++", "-std=c++17", "-x", "c++"] if cxx else ["gcc", "-std=c99"]
    subprocess.run([*compiler, "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{REPO / 'include'}", str(source),
                    "-x", "none", str(library), f"-Wl,-rpath,{library.parent}", "-lm", *extra, "-o", str(binary)],
                   check=True, capture_output=True, text=True)
    return binary


def clean_environment(library):
    """No Swift toolchain on PATH or in LD_LIBRARY_PATH: only system folders and the library's."""
    env = {k: v for k, v in os.environ.items() if "swift" not in v.lower()}
    env["PATH"] = "/usr/bin:/bin"
    env["LD_LIBRARY_PATH"] = str(library.parent)
    return env


@pytest.mark.parametrize("language", ["c99", "c++17"])
def test_header_compiles_cleanly(tmp_path, language):
    source = tmp_path / "include_only.c"
    source.write_text('#include <featurescatter.h>\nint main(void) { return fsc_version() == 0; }\n')
    compiler = ["g++", "-std=c++17", "-x", "c++"] if language == "c++17" else ["gcc", "-std=c99"]
    subprocess.run([*compiler, "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{REPO / 'include'}", "-fsyntax-only",
                    str(source)], check=True)


def test_struct_layouts_are_pinned():
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{REPO / 'include'}",
                    "-fsyntax-only", str(REPO / "Tests" / "c" / "test_layout.c")], check=True)


def test_exported_symbols_are_exactly_the_declared_functions(library):
    declared = set(re.findall(r"FSC_API[^;]*?\b(fsc_[a-z0-9_]+)\s*\(", HEADER.read_text()))
    nm = subprocess.run(["nm", "-D", "--defined-only", str(library)], check=True, capture_output=True, text=True)
    exported = {line.split()[-1] for line in nm.stdout.splitlines() if line.split()[-2] in ("T", "W", "D", "B", "R")}
    assert exported == declared, f"missing: {declared - exported}, extra: {exported - declared}"


def test_library_needs_no_swift_runtime(library):
    ldd = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True).stdout
    assert "swift" not in ldd.lower(), ldd


def test_every_status_path_in_c(tmp_path, library):
    binary = compile_c(tmp_path, REPO / "Tests" / "c" / "test_abi.c", library)
    result = subprocess.run([str(binary)], capture_output=True, text=True, env=clean_environment(library), timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.M), result.stdout


@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").exists(), reason="needs Fashion-MNIST")
def test_c_example_runs_without_swift_and_leaks_nothing(tmp_path, library):
    binary = compile_c(tmp_path, REPO / "examples" / "c" / "train_fashion.c", library)
    env = clean_environment(library)
    result = subprocess.run([str(binary), "256", "1", str(tmp_path / "m")], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "clean test accuracy" in result.stdout and "PGD-20" in result.stdout
    assert (tmp_path / "m.fsc").exists() and (tmp_path / "m.onnx").exists()
    if shutil.which("valgrind"):
        leak = subprocess.run(["valgrind", "--leak-check=full", "--error-exitcode=0", str(binary), "32", "1",
                               str(tmp_path / "v"), "mlp"], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=1200)
        match = re.search(r"definitely lost: ([\d,]+) bytes", leak.stderr)
        assert match is None or match.group(1) == "0", leak.stderr[-2000:]


def test_threads_match_sequential_runs_and_share_handles_safely(tmp_path, library):
    binary = compile_c(tmp_path, REPO / "Tests" / "c" / "test_threads.c", library, extra=("-lpthread",))
    result = subprocess.run([str(binary)], capture_output=True, text=True, env=clean_environment(library), timeout=600)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^4 passed, 0 failed$", result.stdout, re.M), result.stdout


def test_python_package_runs_without_swift(library):
    script = ("import numpy as np, featurescatter as fs\n"
              "model = fs.Model.builtin('smallcnn', (1, 28, 28), 10)\n"
              "x = np.zeros((2, 1, 28, 28), np.float32)\n"
              "print(fs.attacks.PGD(eps=0.1, steps=2)(model, x, np.array([0, 1])).shape)\n"
              "print(sum('swift' in line.lower() for line in open('/proc/self/maps')))\n")
    env = clean_environment(library)
    env["PYTHONPATH"] = str(REPO / "bindings" / "python")
    env["FEATURESCATTER_LIBRARY"] = str(library)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(2,", "1,", "28,", "28)", "0"], result.stdout


def test_pip_installed_package_finds_the_library_next_to_it(tmp_path, library):
    source, target = tmp_path / "source", tmp_path / "site"
    shutil.copytree(REPO / "bindings" / "python", source, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
                   check=True, capture_output=True, text=True, timeout=600)
    shutil.copy(library, target / "featurescatter" / "libfeaturescatter.so")
    env = clean_environment(library)
    env["PYTHONPATH"] = str(target)
    env.pop("FEATURESCATTER_LIBRARY", None)
    script = "import featurescatter as fs; print(fs.__version__, fs._lib.lib._name)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    version, path = result.stdout.split()
    assert path == str(target / "featurescatter" / "libfeaturescatter.so")
    assert version == re.search(r'^version = "(.+)"', (REPO / "bindings/python/pyproject.toml").read_text(), re.M)[1]
