"""Evasion attacks run by the library on numpy batches: ``PGD(eps=0.1, steps=20)(model, x, y)``.

Every attack takes images ``(N, C, H, W)`` in [0, 1] and their labels and returns adversarial
images inside the threat model's ball and inside [0, 1]. The model runs in inference mode and
nothing in it changes; ``seed`` fixes every random choice.
"""

import ctypes

import numpy as np

from . import _lib
from ._arrays import float_buffer, int32_buffer, shape_buffer

_KINDS = {"fgsm": 0, "pgd": 1, "cw": 2, "apgd-ce": 3, "apgd-dlr": 4, "apgd-t": 5, "square": 6, "noise": 7}
_NORMS = {"linf": 0, "l2": 1}
_TARGETS = {None: 0, "least-likely": 1, "random": 2}


class Attack:
    """An attack of kind ``kind`` (see ``_KINDS``) with the fields of ``fsc_attack_config``.

    Settings left as None keep the library's defaults for the kind (``fsc_attack_config_default``).
    """

    kind = None

    def __init__(self, eps=None, norm="linf", seed=0, **settings):
        if norm not in _NORMS:
            raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}")
        self.config = _lib.AttackConfig()
        _lib.check(_lib.lib.fsc_attack_config_default(ctypes.byref(self.config)))
        self.config.kind = _KINDS[self.kind]
        self.config.norm = _NORMS[norm]
        self.config.seed = int(seed)
        if eps is not None:
            self.config.epsilon = float(eps)
        for name, value in settings.items():
            if value is not None:
                setattr(self.config, name, value)

    def __call__(self, model, images, labels):
        """Adversarial images for ``images`` (``(N, C, H, W)`` in [0, 1]) with true ``labels``."""
        images, images_p = float_buffer(images)
        labels, labels_p = int32_buffer(labels)
        shape, shape_p = shape_buffer(images.shape)
        adversarial = np.empty_like(images)
        _lib.check(_lib.lib.fsc_attack_run(model.handle, ctypes.byref(self.config), images_p, shape_p, images.ndim,
                                           labels_p, labels.size, adversarial.ctypes.data_as(_lib.c_float_p),
                                           adversarial.size))
        return adversarial

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self.config, name)!r}" for name, _ in self.config._fields_[2:])
        return f"{type(self).__name__}({fields})"


def _optional(kind, value):
    return None if value is None else kind(value)


class FGSM(Attack):
    """One signed-gradient step of size ``step_size`` (default ε), optionally from a random start."""

    kind = "fgsm"

    def __init__(self, eps=None, norm="linf", step_size=None, random_start=False, seed=0):
        super().__init__(eps, norm, seed, step_size=_optional(float, step_size), random_start=int(bool(random_start)))


class PGD(Attack):
    """PGD-``steps`` (default 20) on cross-entropy from a random start, step ε/4 by default."""

    kind = "pgd"

    def __init__(self, eps=None, steps=None, step_size=None, norm="linf", restarts=1, random_start=True, target=None,
                 seed=0):
        if target not in _TARGETS:
            raise ValueError(f"target must be None, 'least-likely' or 'random', got {target!r}")
        super().__init__(eps, norm, seed, steps=_optional(int, steps), step_size=_optional(float, step_size),
                         restarts=int(restarts), random_start=int(bool(random_start)), target=_TARGETS[target])


class CW(PGD):
    """PGD on the Carlini-Wagner margin ``max(z_y - max_{j != y} z_j + kappa, 0)`` (default κ = 50)."""

    kind = "cw"

    def __init__(self, eps=None, steps=None, step_size=None, kappa=None, norm="linf", restarts=1, seed=0):
        super().__init__(eps, steps, step_size, norm, restarts, seed=seed)
        if kappa is not None:
            self.config.kappa = float(kappa)


class APGD(Attack):
    """APGD (Croce & Hein 2020, default 100 steps) on ``loss`` "ce" or "dlr"; ``targeted`` uses the targeted DLR loss."""

    def __init__(self, eps=None, steps=None, loss="ce", targeted=False, norm="linf", restarts=1, seed=0):
        if loss not in ("ce", "dlr"):
            raise ValueError(f"loss must be 'ce' or 'dlr', got {loss!r}")
        self.kind = "apgd-t" if targeted else f"apgd-{loss}"
        super().__init__(eps, norm, seed, steps=_optional(int, steps), restarts=int(restarts))


class Square(Attack):
    """Square (Andriushchenko et al. 2020): score-based, L∞, ``queries`` model evaluations per image (default 5000)."""

    kind = "square"

    def __init__(self, eps=None, queries=None, restarts=1, seed=0):
        super().__init__(eps, "linf", seed, queries=_optional(int, queries), restarts=int(restarts))


class Noise(Attack):
    """Uniform noise in the ball: the baseline every attack must beat."""

    kind = "noise"

    def __init__(self, eps=None, norm="linf", restarts=1, seed=0):
        super().__init__(eps, norm, seed, restarts=int(restarts))
