"""test_ot_pot.py — checks `fscatter ot` against POT (PyPI) and a NumPy IPOT.

Run from anywhere: ``pytest Tests/python/test_ot_pot.py``. The binary is ``$FSCATTER`` or
``.build/release/fscatter`` under the repository root (two folders up from this file).
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import ot
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:Sinkhorn did not converge")

BINARY = os.environ.get("FSCATTER", str(ROOT / ".build" / "release" / "fscatter"))


def run_ot(tmp_path, *args, expect_failure=False):
    """Runs `fscatter ot ARGS`; returns the parsed JSON (or the CompletedProcess on failure)."""
    process = subprocess.run([BINARY, "ot", *map(str, args)], capture_output=True, text=True, timeout=120)
    if expect_failure:
        return process
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def save(tmp_path, name, array, dtype=np.float32):
    path = tmp_path / name
    np.save(path, np.ascontiguousarray(array, dtype=dtype))
    return path


def cosine_cost(x, y):
    """The paper's clamped cosine distance, computed in float64 from float32 features."""
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    return np.maximum(0.0, 1.0 - xn @ yn.T)


def logits(rng, n, d=10):
    return (rng.standard_normal((n, d)) * 3).astype(np.float32)


def weights(rng, n):
    w = rng.uniform(0.2, 1.0, n)
    return w / w.sum()


def numpy_ipot(a, b, cost, beta, outer, inner):
    """IPOT (Xie et al. 2018) as in the paper's reference code, in float64."""
    n, m = cost.shape
    kernel = np.exp(-cost / beta)
    plan = np.ones((n, m))
    sigma = np.ones(m) / m
    for _ in range(outer):
        q = kernel * plan
        for _ in range(inner):
            delta = a / (q @ sigma)
            sigma = b / (q.T @ delta)
        plan = delta[:, None] * q * sigma[None, :]
    return plan


@pytest.mark.parametrize("n,m,reg", [(20, 30, 0.05), (64, 64, 0.1), (100, 80, 1.0), (50, 50, 0.05)])
@pytest.mark.parametrize("solver", ["sinkhorn-log", "sinkhorn-scaling", "sinkhorn"])
def test_sinkhorn_plan_matches_pot(tmp_path, n, m, reg, solver):
    rng = np.random.default_rng(n * 1000 + m)
    x, y = logits(rng, n), logits(rng, m)
    cost = cosine_cost(x, y).astype(np.float32)
    a, b = weights(rng, n), weights(rng, m)
    save(tmp_path, "c.npy", cost)
    save(tmp_path, "a.npy", a)
    save(tmp_path, "b.npy", b)
    iterations = 200
    result = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--a", tmp_path / "a.npy", "--b", tmp_path / "b.npy",
                    "--solver", solver, "--reg", reg, "--max-iter", iterations, "--tol", 0,
                    "--out-plan", tmp_path / "p.npy")
    a32, b32 = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    a32, b32 = a32 / a32.sum(), b32 / b32.sum()
    c64 = cost.astype(np.float64)
    reference = ot.bregman.sinkhorn_log(a32, b32, c64, reg, numItermax=iterations, stopThr=0)
    scaling = ot.sinkhorn(a32, b32, c64, reg, numItermax=iterations, stopThr=0)
    plan = np.load(tmp_path / "p.npy").astype(np.float64)
    assert result["iterations"] == iterations
    assert np.abs(plan - reference).max() <= 1e-6
    assert np.abs(plan - scaling).max() <= 1e-6
    assert abs(result["transport_cost"] - (reference * c64).sum()) <= 1e-5 * (reference * c64).sum()


@pytest.mark.parametrize("n", [64, 256])
@pytest.mark.parametrize("solver", ["sinkhorn-log", "sinkhorn"])
def test_transport_cost_matches_pot_at_paper_regularisation(tmp_path, n, solver):
    rng = np.random.default_rng(n)
    x, y = logits(rng, n), logits(rng, n)
    save(tmp_path, "x.npy", x)
    save(tmp_path, "y.npy", y)
    result = run_ot(tmp_path, "--x", tmp_path / "x.npy", "--y", tmp_path / "y.npy", "--cost-function", "cosine",
                    "--solver", solver, "--reg", 0.01, "--max-iter", 100, "--tol", 0)
    cost = cosine_cost(x.astype(np.float64), y.astype(np.float64))
    uniform = np.ones(n) / n
    reference = ot.bregman.sinkhorn_log(uniform, uniform, cost, 0.01, numItermax=100, stopThr=0)
    expected = (reference * cost).sum()
    assert abs(result["transport_cost"] - expected) <= 1e-4 * expected
    assert np.isfinite(result["entropic_objective"])


@pytest.mark.parametrize("n", [1, 7, 60, 300])
def test_exact_cost_equals_emd2(tmp_path, n):
    rng = np.random.default_rng(7 + n)
    cost = cosine_cost(logits(rng, n), logits(rng, n)).astype(np.float32)
    save(tmp_path, "c.npy", cost)
    result = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--solver", "exact", "--out-plan", tmp_path / "p.npy")
    uniform = np.ones(n) / n
    expected = ot.emd2(uniform, uniform, cost.astype(np.float64))
    assert abs(result["transport_cost"] - expected) <= 1e-6 * max(expected, 1e-12)
    plan = np.load(tmp_path / "p.npy")
    assert np.count_nonzero(plan) == n
    assert result["converged"] is True


@pytest.mark.parametrize("n,m", [(12, 12), (40, 25), (150, 90)])
def test_exact_cost_with_general_marginals_equals_emd2(tmp_path, n, m):
    rng = np.random.default_rng(n + 31 * m)
    cost = cosine_cost(logits(rng, n), logits(rng, m)).astype(np.float32)
    a, b = weights(rng, n), weights(rng, m)
    save(tmp_path, "c.npy", cost)
    save(tmp_path, "a.npy", a)
    save(tmp_path, "b.npy", b)
    result = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--a", tmp_path / "a.npy", "--b", tmp_path / "b.npy",
                    "--solver", "exact")
    a32, b32 = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    expected = ot.emd2(a32 / a32.sum(), b32 / b32.sum(), cost.astype(np.float64))
    assert abs(result["transport_cost"] - expected) <= 1e-6 * expected
    assert result["marginal_error"] <= 1e-6


@pytest.mark.parametrize("beta,outer,inner", [(1.0, 50, 1), (0.5, 10, 3)])
def test_ipot_matches_numpy_ipot(tmp_path, beta, outer, inner):
    rng = np.random.default_rng(11)
    n, m = 40, 30
    cost = cosine_cost(logits(rng, n), logits(rng, m)).astype(np.float32)
    a, b = weights(rng, n), weights(rng, m)
    save(tmp_path, "c.npy", cost)
    save(tmp_path, "a.npy", a)
    save(tmp_path, "b.npy", b)
    run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--a", tmp_path / "a.npy", "--b", tmp_path / "b.npy",
           "--solver", "ipot", "--ipot-beta", beta, "--max-iter", outer, "--ipot-inner", inner,
           "--out-plan", tmp_path / "p.npy")
    a32, b32 = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    expected = numpy_ipot(a32 / a32.sum(), b32 / b32.sum(), cost.astype(np.float64), beta, outer, inner)
    assert np.abs(np.load(tmp_path / "p.npy") - expected).max() <= 1e-6


def test_ipot_cost_approaches_emd_as_iterations_grow(tmp_path):
    rng = np.random.default_rng(12)
    n = 50
    cost = cosine_cost(logits(rng, n), logits(rng, n)).astype(np.float32)
    save(tmp_path, "c.npy", cost)
    uniform = np.ones(n) / n
    exact = ot.emd2(uniform, uniform, cost.astype(np.float64))
    gaps = []
    for outer in [10, 100, 1000]:
        result = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--solver", "ipot", "--ipot-beta", 0.1,
                        "--max-iter", outer)
        gaps.append(abs(result["transport_cost"] - exact))
    assert gaps[2] < gaps[1] < gaps[0]
    assert gaps[2] <= 1e-3 * exact


def test_matching_schemes_give_fixed_plans(tmp_path):
    rng = np.random.default_rng(13)
    cost = rng.uniform(0, 2, (6, 6)).astype(np.float32)
    save(tmp_path, "c.npy", cost)
    uniform = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--matching", "uniform", "--out-plan", tmp_path / "u.npy")
    assert np.allclose(np.load(tmp_path / "u.npy"), 1 / 36)
    assert abs(uniform["transport_cost"] - cost.astype(np.float64).mean()) <= 1e-6
    identity = run_ot(tmp_path, "--cost", tmp_path / "c.npy", "--matching", "identity", "--grad", "envelope",
                      "--out-grad", tmp_path / "g.npy")
    assert np.allclose(np.load(tmp_path / "g.npy"), np.eye(6) / 6)
    assert abs(identity["transport_cost"] - np.trace(cost.astype(np.float64)) / 6) <= 1e-6


def test_feature_gradients_are_written_with_their_shapes(tmp_path):
    rng = np.random.default_rng(14)
    x, y = logits(rng, 8, 5), logits(rng, 6, 5)
    save(tmp_path, "x.npy", x)
    save(tmp_path, "y.npy", y)
    run_ot(tmp_path, "--x", tmp_path / "x.npy", "--y", tmp_path / "y.npy", "--reg", 0.1, "--grad", "unrolled",
           "--max-iter", 20, "--tol", 0, "--out-plan", tmp_path / "p.npy", "--out-grad", tmp_path / "g.npy",
           "--out-grad-x", tmp_path / "gx.npy", "--out-grad-y", tmp_path / "gy.npy")
    assert np.load(tmp_path / "g.npy").shape == (8, 6)
    assert np.load(tmp_path / "gx.npy").shape == (8, 5)
    assert np.load(tmp_path / "gy.npy").shape == (6, 5)
    assert np.isfinite(np.load(tmp_path / "gx.npy")).all()


@pytest.mark.parametrize("case", ["nan-cost", "identity-mismatch", "negative-marginal", "fortran-order", "empty-cost"])
def test_bad_input_exits_with_status_2_and_a_message(tmp_path, case):
    cost = np.full((3, 4), 0.5, dtype=np.float32)
    args = ["--cost", tmp_path / "c.npy"]
    if case == "nan-cost":
        cost[1, 2] = np.nan
    elif case == "identity-mismatch":
        args += ["--matching", "identity"]
    elif case == "negative-marginal":
        save(tmp_path, "a.npy", [1.2, -0.1, -0.1])
        args += ["--a", tmp_path / "a.npy"]
    elif case == "empty-cost":
        cost = np.zeros((0, 4), dtype=np.float32)
    save(tmp_path, "c.npy", cost)
    if case == "fortran-order":
        np.save(tmp_path / "c.npy", np.asfortranarray(np.ones((3, 4), dtype=np.float32)))
    process = run_ot(tmp_path, *args, expect_failure=True)
    assert process.returncode == 2
    assert process.stderr.strip() != ""
    assert process.stdout.strip() == ""
