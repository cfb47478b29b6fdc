"""The fuzz targets' replay mode (`fscatter-fuzz TARGET FILE…`, built by every `swift build`): the seeds
`make fuzz` starts from are read, mutilated seeds are refused with an FSCError (never a trap), and every
input a fuzzing run ever found (Tests/fuzz/regressions/TARGET) stays handled."""

import importlib.util
import pathlib
import random
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = REPO / ".build" / "release" / "fscatter-fuzz"
spec = importlib.util.spec_from_file_location("fuzz_run", REPO / "Tests" / "fuzz" / "run.py")
fuzz_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fuzz_run)


def replay(target, paths):
    result = subprocess.run([BINARY, target, *map(str, paths)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    return fuzz_run.own_files(tmp_path_factory.mktemp("own"))


@pytest.mark.parametrize("target", fuzz_run.TARGETS)
def test_seeds_are_read_and_mutilated_seeds_refused(target, own, tmp_path):
    assert BINARY.exists(), f"{BINARY} is missing: swift build -c release"
    seeds = fuzz_run.seeds(target, own)
    assert seeds, f"no seeds for {target}"
    for name, data in seeds.items():
        (tmp_path / name).write_bytes(data)
    outcome = replay(target, [tmp_path])
    read = [name for name, verdict in outcome.items() if verdict == "read"]
    assert len(read) >= min(2, len(seeds)), outcome
    rng = random.Random(target)
    mutants = tmp_path / "mutants"
    mutants.mkdir()
    for i, (name, data) in enumerate(sorted(seeds.items())[:40]):
        cut = data[: rng.randrange(len(data))]
        flipped = bytearray(data)
        for _ in range(8):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        (mutants / f"{i}-cut").write_bytes(cut)
        (mutants / f"{i}-flip").write_bytes(bytes(flipped))
    outcome = replay(target, [mutants])
    assert all(verdict == "read" or verdict.startswith("refused") for verdict in outcome.values()), outcome


@pytest.mark.parametrize("target", sorted(p.name for p in (REPO / "Tests" / "fuzz" / "regressions").glob("*")))
def test_every_input_fuzzing_found_stays_handled(target):
    outcome = replay(target, [REPO / "Tests" / "fuzz" / "regressions" / target])
    assert outcome and all(v == "read" or v.startswith("refused") for v in outcome.values()), outcome
