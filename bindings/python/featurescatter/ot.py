"""Optimal transport: Sinkhorn (log domain and fast path), IPOT and exact OT, with gradients.

References
----------
Cuturi, *Sinkhorn Distances: Lightspeed Computation of Optimal Transport*, NeurIPS 2013.
Xie et al., *A Fast Proximal Point Method for Computing Exact Wasserstein Distance*, UAI 2019.
"""

import ctypes
from dataclasses import dataclass

import numpy as np

from . import _lib
from ._arrays import float_buffer

SOLVERS = {"sinkhorn": 0, "sinkhorn-log": 1, "sinkhorn-scaling": 2, "ipot": 3, "exact": 4,
           "sinkhorn-reference": 5}
MATCHINGS = {"ot": 0, "uniform": 1, "identity": 2}
COSTS = {"cosine": 0, "sqeuclidean": 1, "euclidean": 2}
GRAD_MODES = {"unrolled": 0, "envelope": 1}


@dataclass
class Report:
    """What a solve reports: ``<T, C>``, the entropic objective, iterations, marginal error, convergence."""

    transport_cost: float
    entropic_objective: float
    marginal_error: float
    iterations: int
    converged: bool


def _config(solver, matching, reg, max_iter, tol, ipot_beta, ipot_inner):
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {solver!r}")
    if matching not in MATCHINGS:
        raise ValueError(f"matching must be one of {sorted(MATCHINGS)}, got {matching!r}")
    config = _lib.OTConfig()
    _lib.check(_lib.lib.fsc_ot_config_default(ctypes.byref(config)))
    config.solver, config.matching = SOLVERS[solver], MATCHINGS[matching]
    config.regularization, config.max_iterations, config.tolerance = reg, max_iter, tol
    config.ipot_beta, config.ipot_inner = ipot_beta, ipot_inner
    return config


def _report(raw):
    return Report(raw.transport_cost, raw.entropic_objective, raw.marginal_error, raw.iterations, bool(raw.converged))


def solve(cost, a=None, b=None, solver="sinkhorn", reg=0.01, max_iter=100, tol=1e-9, ipot_beta=1.0, ipot_inner=1):
    """Solves ``min_T <T, C> - reg H(T)`` s.t. ``T 1 = a``, ``T^T 1 = b`` (exact OT for ``solver="exact"``).

    Parameters
    ----------
    cost : array_like, shape (n, m)
        Finite costs.
    a, b : array_like, shape (n,) and (m,), optional
        Non-negative marginals summing to 1 (uniform when omitted).

    Returns
    -------
    plan : ndarray, shape (n, m)
    report : Report

    Examples
    --------
    >>> plan, report = solve(np.array([[0., 1.], [1., 0.]]), solver="exact")
    >>> plan
    array([[0.5, 0. ],
           [0. , 0.5]], dtype=float32)
    """
    cost, cost_p = float_buffer(cost)
    if cost.ndim != 2:
        raise ValueError(f"cost must be a matrix, got shape {cost.shape}")
    n, m = cost.shape
    keep = (float_buffer(a)[0] if a is not None else None, float_buffer(b)[0] if b is not None else None)
    a_p = keep[0].ctypes.data_as(_lib.c_float_p) if keep[0] is not None else None
    b_p = keep[1].ctypes.data_as(_lib.c_float_p) if keep[1] is not None else None
    if keep[0] is not None and keep[0].size != n or keep[1] is not None and keep[1].size != m:
        raise ValueError(f"marginals must have {n} and {m} entries")
    plan = np.empty((n, m), dtype=np.float32)
    report = _lib.OTReport(struct_size=ctypes.sizeof(_lib.OTReport))
    config = _config(solver, "ot", reg, max_iter, tol, ipot_beta, ipot_inner)
    _lib.check(_lib.lib.fsc_ot_solve(cost_p, n, m, a_p, b_p, ctypes.byref(config),
                                     plan.ctypes.data_as(_lib.c_float_p), ctypes.byref(report)))
    return plan, _report(report)


def sinkhorn(cost, reg=0.01, max_iter=100, a=None, b=None, tol=1e-9):
    """Entropic OT by Sinkhorn (log domain or the stabilised fast path, chosen automatically)."""
    return solve(cost, a, b, solver="sinkhorn", reg=reg, max_iter=max_iter, tol=tol)


def distance(x, y, cost="cosine", matching="ot", solver="sinkhorn", reg=0.01, max_iter=100, grad="unrolled",
             tol=1e-9):
    """The OT distance ``D = <T, C(X, Y)>`` between feature sets and its gradients.

    Returns
    -------
    d : float
    grad_x : ndarray, shape (n, d)
    grad_y : ndarray, shape (m, d)
    report : Report
    """
    x, x_p = float_buffer(x)
    y, y_p = float_buffer(y)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be (n, d) and (m, d), got {x.shape} and {y.shape}")
    if cost not in COSTS or grad not in GRAD_MODES:
        raise ValueError(f"cost in {sorted(COSTS)} and grad in {sorted(GRAD_MODES)}, got {cost!r}, {grad!r}")
    config = _config(solver, matching, reg, max_iter, tol, 1.0, 1)
    grad_x, grad_y = np.empty_like(x), np.empty_like(y)
    value = ctypes.c_double()
    report = _lib.OTReport(struct_size=ctypes.sizeof(_lib.OTReport))
    _lib.check(_lib.lib.fsc_ot_distance(x_p, x.shape[0], y_p, y.shape[0], x.shape[1], COSTS[cost],
                                        ctypes.byref(config), GRAD_MODES[grad], ctypes.byref(value),
                                        grad_x.ctypes.data_as(_lib.c_float_p), grad_y.ctypes.data_as(_lib.c_float_p),
                                        ctypes.byref(report)))
    return value.value, grad_x, grad_y, _report(report)
