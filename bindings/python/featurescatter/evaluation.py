"""Robustness evaluation: clean accuracy, each attack, the per-example worst case, as a report."""

import ctypes
import json

from . import _lib
from ._arrays import Handle, new_handle
from .distributed import as_communicator

_NORMS = {"linf": 0, "l2": 1}


class _Report(Handle):
    _free = _lib.lib.fsc_report_free

    def json(self):
        length = ctypes.c_size_t()
        _lib.check(_lib.lib.fsc_report_json(self.handle, None, 0, ctypes.byref(length)))
        buffer = ctypes.create_string_buffer(length.value + 1)
        _lib.check(_lib.lib.fsc_report_json(self.handle, buffer, len(buffer), ctypes.byref(length)))
        return buffer.value.decode()


def evaluate(model, dataset, attacks=None, eps=None, norm="linf", worst_case=(), limit=None, batch_size=None,
             seed=0, comm=None):
    """Evaluates ``model`` on the first ``limit`` examples of ``dataset`` (0 = all, default 1000).

    ``attacks`` are names as in ``fscatter eval --attacks`` (fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce,
    apgd-dlr, apgd-t, square[<queries>], noise, or the suites "paper" and "autoattack"), each run on
    every correctly classified image (default: fgsm, pgd20, cw20, apgd-ce); ``worst_case`` adds
    attacks run after them only on the images still robust (AutoAttack: ``("autoattack",)``).
    With ``comm`` (an mpi4py communicator) every rank calls ``evaluate`` alike, attacks its share
    of the batches and receives the one-process report.
    Arguments left as None take the library's defaults (``fsc_eval_config_default``). Returns the
    report as a dict, with ``report["accuracy"]`` in percent keyed by attack name, ``"clean"`` and
    ``"worst_case"``.
    """
    if norm not in _NORMS:
        raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}")
    config = _lib.EvalConfig()
    _lib.check(_lib.lib.fsc_eval_config_default(ctypes.byref(config)))
    attack_list = None if attacks is None else ",".join(attacks).encode()
    worst_list = ",".join(worst_case).encode()
    config.norm, config.seed = _NORMS[norm], int(seed)
    if attack_list is not None:
        config.attacks = attack_list
    config.worst_case = worst_list
    for field, value in {"epsilon": eps, "limit": limit, "batch_size": batch_size}.items():
        if value is not None:
            setattr(config, field, value)
    communicator = as_communicator(comm)
    if communicator is not None:
        config.communicator = communicator.handle
    with _Report(new_handle(_lib.lib.fsc_evaluate, model.handle, dataset.handle, ctypes.byref(config))) as report:
        return json.loads(report.json())
