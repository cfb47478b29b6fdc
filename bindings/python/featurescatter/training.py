"""Training a model with feature scattering or a baseline."""

import ctypes
import math
import os

import numpy as np

from . import _lib
from ._arrays import Handle, float_buffer, int32_buffer, new_handle, shape_buffer
from .distributed import as_communicator
from .ot import COSTS, GRAD_MODES, MATCHINGS, SOLVERS

OT_SCOPES = {"global": 0, "local": 1}

METHODS = {"standard": 0, "madry": 1, "feature-scattering": 2, "random": 3, "supervised": 4, "trades": 5,
           "bilateral": 6}


def preset_data(name):
    """The data set and architecture a named recipe trains: ``(dataset, architecture)``.

    >>> preset_data("paper-cifar10-fs")
    ('cifar10', 'wrn-28-10')
    """
    dataset, architecture = ctypes.c_char_p(), ctypes.c_char_p()
    config = _lib.TrainerConfig()
    _lib.check(_lib.lib.fsc_trainer_config_preset(name.encode(), ctypes.byref(config), ctypes.byref(dataset),
                                                  ctypes.byref(architecture)))
    return dataset.value.decode(), architecture.value.decode()


def _config(method, epochs, batch_size, lr, eps, seed, preset=None, **options):
    """An ``fsc_trainer_config``: the library's defaults (or the preset's), then every argument that is not None."""
    config = _lib.TrainerConfig()
    if preset is None:
        _lib.check(_lib.lib.fsc_trainer_config_default(ctypes.byref(config)))
    else:
        _lib.check(_lib.lib.fsc_trainer_config_preset(preset.encode(), ctypes.byref(config), None, None))
    if method is not None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
        config.method = METHODS[method]
    named = {"epochs": epochs, "batch_size": batch_size, "learning_rate": lr, "epsilon": eps, "seed": seed}
    for field, value in named.items():
        if value is not None:
            setattr(config, field, value)
    enums = {"solver": (SOLVERS, "ot.solver"), "matching": (MATCHINGS, "ot.matching"), "cost": (COSTS, "cost"),
             "grad_mode": (GRAD_MODES, "grad_mode"), "ot_scope": (OT_SCOPES, "ot_scope")}
    for key, value in options.items():
        if key in enums:
            table, field = enums[key]
            if value not in table:
                raise ValueError(f"{key} must be one of {sorted(table)}, got {value!r}")
            value = table[value]
        else:
            field = {"ot_reg": "ot.regularization", "ot_iterations": "ot.max_iterations"}.get(key, key)
        target = config
        if field.startswith("ot."):
            target, field = config.ot, field[3:]
        if field == "decay_epochs":
            value = (ctypes.c_int32 * 4)(*(list(value)[:4] + [0] * 4)[:4])
        if not hasattr(target, field):
            raise TypeError(f"unknown training option {key!r}")
        setattr(target, field, value)
    return config


class Trainer(Handle):
    """A training run of ``model`` (trained in place) with one method; drive it with :meth:`step`.

    Arguments left as None take the library's defaults (``fsc_trainer_config_default``), or with
    ``preset`` (e.g. "paper-cifar10-fs") that recipe's (``fsc_trainer_config_preset``). With
    ``comm`` (an mpi4py communicator) every rank makes the trainer and it trains data-parallel.
    """

    _free = _lib.lib.fsc_trainer_free

    def __init__(self, model, method=None, epochs=None, batch_size=None, lr=None, eps=None, seed=None, comm=None,
                 preset=None, **options):
        config = _config(method, epochs, batch_size, lr, eps, seed, preset, **options)
        self.communicator = as_communicator(comm)
        if self.communicator is not None:
            config.communicator = self.communicator.handle
        super().__init__(new_handle(_lib.lib.fsc_trainer_create, model.handle, ctypes.byref(config)))
        self.model = model

    def step(self, images, labels):
        """One optimisation step on a batch; returns the loss."""
        images, images_p = float_buffer(images)
        labels, labels_p = int32_buffer(labels)
        shape, shape_p = shape_buffer(images.shape)
        loss = ctypes.c_float()
        _lib.check(_lib.lib.fsc_trainer_step(self.handle, images_p, shape_p, images.ndim, labels_p, labels.size,
                                             ctypes.byref(loss)))
        return loss.value


def _progress_printer():
    """A tqdm bar when tqdm is installed, else one line per epoch end."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    state = {}

    def show(progress):
        p = progress.contents
        if tqdm is not None:
            bar = state.get(p.epoch)
            if bar is None:
                bar = state[p.epoch] = tqdm(total=p.batches, desc=f"epoch {p.epoch}/{p.epochs}", leave=True)
            bar.update(p.batch - bar.n)
            bar.set_postfix(loss=f"{p.loss:.4f}", acc=f"{p.accuracy:.1f}%", ips=f"{p.images_per_second:.0f}")
            if p.batch == p.batches:
                bar.close()
        elif p.batch == p.batches:
            print(f"epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f}, accuracy {p.accuracy:.2f}%, "
                  f"{p.images_per_second:.0f} images/s")
        return 0

    return show


def train(model, data, method=None, test=None, epochs=None, batch_size=None, lr=None, eps=None, seed=None,
          out_dir=None, progress=True, comm=None, preset=None, **options):
    """Trains ``model`` in place on a :class:`Dataset` and returns the clean test accuracy (or NaN).

    Arguments left as None take the library's defaults (feature scattering, ε 0.1, 10 epochs of
    batch 128 at learning rate 0.05, seed 0), or with ``preset`` that named recipe's.

    Parameters
    ----------
    method : str
        "standard", "madry", "feature-scattering", "random", "supervised", "trades" or "bilateral".
    progress : bool or callable
        True shows tqdm (when installed) or epoch lines; a callable receives an ``fsc_progress``
        pointer and returns non-zero to cancel (:class:`featurescatter.Cancelled`). An exception it
        raises (Ctrl-C included) cancels the run and is raised from ``train``.
    comm : mpi4py communicator, optional
        Train data-parallel over its ranks (every rank calls ``train`` with the same data and
        arguments; ``batch_size`` is the global batch; rank 0 writes ``out_dir``).
    **options
        ``attack_steps``, ``attack_step_size``, ``label_smoothing``, ``solver``, ``matching``, ``ot_reg``,
        ``ot_iterations``, ``cost``, ``grad_mode``, ``trades_beta``, ``bilateral_beta`` (BAT's β, default 9),
        ``momentum``, ``weight_decay``, ``decay_epochs``, ``nesterov``, ``cosine_schedule``, ``ot_scope``
        ("global" or "local"), ``bucket_megabytes``, ``sync_batchnorm`` (1 for SyncBN), ``crop_padding``,
        ``horizontal_flip``.
    preset : str, optional
        A named recipe ("paper-cifar10-fs", "fmnist-smallcnn-madry", ...; docs/presets.md); make the
        model with :meth:`Model.from_preset` and the data with :func:`preset_data`.

    Examples
    --------
    >>> train(model, Dataset.load(limit=1000), method="feature-scattering", epochs=1)  # doctest: +SKIP
    """
    with Trainer(model, method, epochs, batch_size, lr, eps, seed, comm=comm, preset=preset, **options) as trainer:
        callback = _progress_printer() if progress is True else (progress or (lambda p: 0))
        raised = []

        def report(p, user):
            # An exception cannot cross the C frames: it cancels the run and is raised once train returns.
            try:
                return int(callback(p))
            except BaseException as error:  # noqa: B036 - KeyboardInterrupt too must stop the run
                raised.append(error)
                return 1

        c_callback = _lib.PROGRESS_FN(report)
        accuracy = ctypes.c_double()
        status = _lib.lib.fsc_trainer_train(trainer.handle, data.handle, test.handle if test else None,
                                            os.fsencode(out_dir) if out_dir else None, c_callback, None,
                                            ctypes.byref(accuracy))
        if raised:
            raise raised[0]
        _lib.check(status)
        return accuracy.value if not math.isnan(accuracy.value) else float("nan")
