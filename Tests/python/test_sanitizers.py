"""The C suites under sanitizers (`make sanitizer-libs`): the status-path test and the C example against
libfeaturescatter.so built with AddressSanitizer (Swift) and AddressSanitizer + UndefinedBehaviorSanitizer
(the C++ ONNX shim and the host), and the two-thread test under ThreadSanitizer. Any report fails."""

import os
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")
REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: \w+Sanitizer")


def sanitized_library(kind):
    path = REPO / f".build-{kind}" / "release" / "libfeaturescatter.so"
    assert path.exists(), f"{path} is missing: run `make sanitizer-libs`"
    return path


def toolchain_clang():
    """The Swift toolchain's clang: its sanitizer runtimes are the ones the library was built against."""
    clang = shutil.which("clang", path=str(pathlib.Path(shutil.which("swift")).resolve().parent))
    assert clang, "the Swift toolchain's clang is missing"
    return clang


def compile_host(tmp_path, source, library, sanitizers, extra=()):
    binary = tmp_path / pathlib.Path(source).stem
    subprocess.run([toolchain_clang(), "-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", f"-fsanitize={sanitizers}",
                    "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", f"-I{REPO / 'include'}", str(source),
                    str(library), f"-Wl,-rpath,{library.parent}", "-lm", *extra, "-o", str(binary)],
                   check=True, capture_output=True, text=True)
    return binary


def run_clean(command, cwd, timeout, **environment):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1", TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1",
               **environment)
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    report = REPORT.search(result.stderr)
    assert report is None, result.stderr[max(0, report.start() - 200):report.start() + 4000]
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_every_status_path_under_address_and_undefined_behaviour_sanitizers(tmp_path):
    library = sanitized_library("asan")
    binary = compile_host(tmp_path, REPO / "Tests" / "c" / "test_abi.c", library, "address,undefined")
    result = run_clean([str(binary)], tmp_path, 1200)
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.M), result.stdout


@pytest.mark.skipif(not FASHION.exists(), reason="needs Fashion-MNIST")
def test_c_example_under_address_and_undefined_behaviour_sanitizers(tmp_path):
    library = sanitized_library("asan")
    binary = compile_host(tmp_path, REPO / "examples" / "c" / "train_fashion.c", library, "address,undefined")
    result = run_clean([str(binary), "128", "1", str(tmp_path / "m")], tmp_path, 1200)
    assert "clean test accuracy" in result.stdout and "PGD-20" in result.stdout
    assert (tmp_path / "m.fsc").exists() and (tmp_path / "m.onnx").exists()


def thread_sanitizer_host_flags():
    """TSan's libdispatch interceptors link against the toolchain's libdispatch, which the TSan library uses."""
    runtime = pathlib.Path(shutil.which("swift")).resolve().parents[1] / "lib" / "swift" / "linux"
    return ("-lpthread", f"-L{runtime}", "-ldispatch", "-lBlocksRuntime", f"-Wl,-rpath,{runtime}")


def test_two_threads_under_thread_sanitizer(tmp_path):
    library = sanitized_library("tsan")
    binary = compile_host(tmp_path, REPO / "Tests" / "c" / "test_threads.c", library, "thread",
                          extra=thread_sanitizer_host_flags())
    result = run_clean([str(binary)], tmp_path, 1800)
    assert re.search(r"^4 passed, 0 failed$", result.stdout, re.M), result.stdout


BROKEN_HOSTS = {
    "address,undefined": ("#include <stdlib.h>\nvoid *volatile kept;\n"
                          "int main(void) { kept = malloc(8); kept = 0; return 0; }\n"),
    # Two threads that both write for a long time: the race is there on every schedule, where a single
    # write each after pthread_create went unreported once on a CI machine.
    "thread": ("#include <pthread.h>\nstatic volatile int shared;\n"
               "static void *bump(void *unused) { (void)unused; for (int i = 0; i < 1000000; i++) shared++; return 0; }\n"
               "int main(void) { pthread_t t[2]; for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, bump, 0);\n"
               "  for (int i = 0; i < 2; i++) pthread_join(t[i], 0); return shared == 0; }\n"),
}


@pytest.mark.parametrize("sanitizers", sorted(BROKEN_HOSTS))
def test_a_sanitizer_report_fails_the_run(tmp_path, sanitizers):
    """The suites above would see a report: a leak and a data race in a host are caught."""
    source = tmp_path / "broken.c"
    source.write_text(BROKEN_HOSTS[sanitizers])
    thread = sanitizers == "thread"
    library = sanitized_library("tsan" if thread else "asan")
    binary = compile_host(tmp_path, source, library, sanitizers,
                          extra=thread_sanitizer_host_flags() if thread else ("-lpthread",))
    with pytest.raises(AssertionError, match="Sanitizer"):
        run_clean([str(binary)], tmp_path, 60)
