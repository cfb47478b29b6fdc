"""The reference code's Sinkhorn (`--solver sinkhorn-reference`) against an independent NumPy oracle.

The oracle is written from the rule as stated (issue 15, DESIGN §OT): zero potentials, the row
potential updated first, ``log(sum(exp(M)) + 1e-6)`` without a max shift, a stop as soon as the
row potential moved less than 0.1 in L1, the plan ``exp((u + v - C) / eps)``. Its gradient is
central finite differences of the same computation with the iteration count held at the one
the run used, so the check covers "the unrolled gradient through exactly the iterations run".
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("FSCATTER", str(ROOT / ".build" / "release" / "fscatter"))

OFFSET = 1e-6
THRESHOLD = 0.1


def reference_sinkhorn(cost, eps, cap, a=None, b=None, fixed_iterations=None):
    """Returns (plan, iterations run, whether the rule stopped it) in float64."""
    n, m = cost.shape
    log_a = np.log(np.full(n, 1 / n) if a is None else a)
    log_b = np.log(np.full(m, 1 / m) if b is None else b)
    u, v = np.zeros(n), np.zeros(m)
    iterations, stopped = 0, False
    for _ in range(fixed_iterations or cap):
        iterations += 1
        previous = u
        u = u + eps * (log_a - np.log(np.exp((u[:, None] + v[None, :] - cost) / eps).sum(1) + OFFSET))
        v = v + eps * (log_b - np.log(np.exp((u[:, None] + v[None, :] - cost) / eps).sum(0) + OFFSET))
        if fixed_iterations is None and np.abs(u - previous).sum() < THRESHOLD:
            stopped = True
            break
    return np.exp((u[:, None] + v[None, :] - cost) / eps), iterations, stopped


def finite_difference_gradient(cost, eps, iterations, a=None, b=None, step=1e-6):
    """d<T_K(C), C>/dC by central differences with K held fixed."""
    def distance(c):
        plan, _, _ = reference_sinkhorn(c, eps, iterations, a, b, fixed_iterations=iterations)
        return (plan * c).sum()

    gradient = np.empty_like(cost)
    for index in np.ndindex(cost.shape):
        up, down = cost.copy(), cost.copy()
        up[index] += step
        down[index] -= step
        gradient[index] = (distance(up) - distance(down)) / (2 * step)
    return gradient


def cosine_cost(x, y):
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    return np.maximum(0.0, 1.0 - xn @ yn.T)


def solve(tmp_path, cost, *args):
    path = tmp_path / "c.npy"
    np.save(path, cost.astype(np.float32))
    process = subprocess.run(
        [BINARY, "ot", "--cost", path, "--solver", "sinkhorn-reference", "--grad", "unrolled",
         "--out-plan", tmp_path / "p.npy", "--out-grad", tmp_path / "g.npy", *map(str, args)],
        capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout), np.load(tmp_path / "p.npy"), np.load(tmp_path / "g.npy")


def batch_logit_costs(seed, n, spread):
    """The attack's problem: cosine cost between a batch's clean and perturbed logits."""
    rng = np.random.default_rng(seed)
    clean = (rng.standard_normal((n, 10)) * 3).astype(np.float32)
    perturbed = clean + spread * rng.standard_normal((n, 10)).astype(np.float32)
    return cosine_cost(clean.astype(np.float64), perturbed.astype(np.float64)).astype(np.float32).astype(np.float64)


@pytest.mark.parametrize("n,spread,eps", [(60, 0.5, 0.01), (60, 3.0, 0.01), (24, 1.0, 0.05), (128, 1.0, 0.01)])
def test_plan_and_iterations_match_the_numpy_oracle(tmp_path, n, spread, eps):
    cost = batch_logit_costs(n, n, spread)
    result, plan, _ = solve(tmp_path, cost, "--reg", eps, "--max-iter", 100)
    expected, iterations, stopped = reference_sinkhorn(cost, eps, 100)
    assert result["iterations"] == iterations
    assert result["converged"] is stopped
    assert np.abs(plan - expected).max() <= 1e-6 * max(1.0, np.abs(expected).max()) + 1e-9
    assert abs(result["transport_cost"] - (expected * cost).sum()) <= 1e-5 * (expected * cost).sum()


def test_rule_stops_early_with_far_from_met_marginals(tmp_path):
    cost = batch_logit_costs(3, 60, 1.0)
    result, plan, _ = solve(tmp_path, cost, "--reg", 0.01, "--max-iter", 100)
    assert result["converged"] is True and result["iterations"] < 100
    rows = plan.astype(np.float64).sum(1)
    assert np.abs(rows - 1 / 60).max() > 1e-3 / 60, "the rule stopped on a converged plan; the case tests nothing"


def test_cap_applies_when_the_rule_does_not_fire(tmp_path):
    cost = batch_logit_costs(4, 60, 1.0)
    _, needed, _ = reference_sinkhorn(cost, 0.01, 100)
    cap = max(1, needed // 2)
    result, plan, _ = solve(tmp_path, cost, "--reg", 0.01, "--max-iter", cap)
    expected, iterations, stopped = reference_sinkhorn(cost, 0.01, cap)
    assert (result["iterations"], result["converged"]) == (iterations, stopped) == (cap, False)
    assert np.abs(plan - expected).max() <= 1e-6


@pytest.mark.parametrize("n,spread,eps", [(12, 1.0, 0.01), (16, 0.3, 0.05), (10, 2.0, 0.1)])
def test_unrolled_gradient_matches_finite_differences_of_the_oracle(tmp_path, n, spread, eps):
    cost = batch_logit_costs(100 + n, n, spread)
    result, _, gradient = solve(tmp_path, cost, "--reg", eps, "--max-iter", 100)
    _, iterations, _ = reference_sinkhorn(cost, eps, 100)
    assert result["iterations"] == iterations
    expected = finite_difference_gradient(cost, eps, iterations)
    scale = np.abs(expected).max()
    assert np.abs(gradient - expected).max() <= 2e-4 * scale, (np.abs(gradient - expected).max(), scale)


@pytest.mark.parametrize("max_iter", [1, 100])
def test_unrolled_gradient_on_an_unstructured_cost(tmp_path, max_iter):
    rng = np.random.default_rng(2)
    cost = cosine_cost(rng.standard_normal((16, 10)), rng.standard_normal((16, 10))).astype(np.float32)
    cost = cost.astype(np.float64)
    result, _, gradient = solve(tmp_path, cost, "--reg", 0.05, "--max-iter", max_iter)
    _, iterations, _ = reference_sinkhorn(cost, 0.05, max_iter)
    assert result["iterations"] == iterations == min(max_iter, 6)
    expected = finite_difference_gradient(cost, 0.05, iterations)
    assert np.abs(gradient - expected).max() <= 2e-4 * np.abs(expected).max()


def test_general_marginals_follow_the_same_rule(tmp_path):
    rng = np.random.default_rng(9)
    cost = batch_logit_costs(9, 20, 1.0)
    a = rng.uniform(0.5, 1.5, 20)
    b = rng.uniform(0.5, 1.5, 20)
    a, b = (a / a.sum()).astype(np.float32), (b / b.sum()).astype(np.float32)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    result, plan, gradient = solve(tmp_path, cost, "--reg", 0.02, "--a", tmp_path / "a.npy",
                                   "--b", tmp_path / "b.npy")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    expected, iterations, _ = reference_sinkhorn(cost, 0.02, 100, a64 / a64.sum(), b64 / b64.sum())
    assert result["iterations"] == iterations
    assert np.abs(plan - expected).max() <= 1e-6
    finite = finite_difference_gradient(cost, 0.02, iterations, a64 / a64.sum(), b64 / b64.sum())
    assert np.abs(gradient - finite).max() <= 2e-4 * np.abs(finite).max()


def test_c_abi_and_python_binding_run_the_same_rule():
    fs = pytest.importorskip("featurescatter")
    cost = batch_logit_costs(5, 60, 3.0)
    plan, report = fs.ot.solve(cost, solver="sinkhorn-reference", reg=0.01, max_iter=100)
    expected, iterations, stopped = reference_sinkhorn(cost, 0.01, 100)
    assert (report.iterations, report.converged) == (iterations, stopped)
    assert np.abs(plan - expected).max() <= 1e-6
