"""Shared fixtures: the fscatter binary under test."""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fscatter():
    """Path of the release fscatter binary (env FSCATTER overrides)."""
    path = pathlib.Path(os.environ.get("FSCATTER", REPO / ".build" / "release" / "fscatter"))
    if not path.is_absolute():
        path = REPO / path
    assert path.exists(), f"{path} is missing: run `swift build -c release` first"
    return str(path)


def run(binary, *args, check=True):
    """Runs the CLI and returns the completed process (text mode)."""
    result = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stderr}")
    return result
