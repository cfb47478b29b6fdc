"""Loss surfaces around one image, as in the paper's Figure 4: ``loss_surface(model, x, y, eps=0.1)``."""

import ctypes
import dataclasses

import numpy as np

from . import _lib
from ._arrays import float_buffer, shape_buffer

_ALLOCATION_LIMIT = 1 << 12


@dataclasses.dataclass(frozen=True)
class LossSurface:
    """The cross-entropy loss on a grid of the plane through an image spanned by ``d_adv`` and ``d_rad``.

    ``losses[i, j]`` is ``L(axis[i], axis[j])`` with ``L(a, b) = CE(f(clip(x + a d_adv + b d_rad)), y)``:
    rows move along the adversarial direction, columns along the Rademacher one. ``axis`` is in pixel
    units and 0 in the middle (the clean image).
    """

    axis: np.ndarray
    losses: np.ndarray
    adversarial_direction: np.ndarray
    rademacher_direction: np.ndarray
    label: int
    epsilon: float
    extent: float
    seed: int
    clip: bool

    @property
    def centre(self):
        """The index of the clean image on ``axis``."""
        return (len(self.axis) - 1) // 2

    @property
    def clean_loss(self):
        """The loss at the clean image, ``losses[centre, centre]``."""
        return float(self.losses[self.centre, self.centre])

    @property
    def adversarial_slice(self):
        """``L(a, 0)`` for each ``a`` of ``axis`` (the middle column)."""
        return self.losses[:, self.centre]

    @property
    def rademacher_slice(self):
        """``L(0, b)`` for each ``b`` of ``axis`` (the middle row)."""
        return self.losses[self.centre, :]


def loss_surface(model, x, y, eps=None, grid=None, extent=None, seed=0, clip=True, batch_size=None):
    """The loss surface of ``model`` around one image (Zhang & Wang 2019, Figure 4).

    .. math:: L(a, b) = \\mathrm{CE}(f(\\mathrm{clip}_{[0,1]}(x + a\\,d_{adv} + b\\,d_{rad})), y)

    where:

    - :math:`d_{adv} = \\mathrm{sign}(\\nabla_x \\mathrm{CE}(f(x), y))`, the adversarial direction;
    - :math:`d_{rad} \\in \\{-1, +1\\}^D`, a Rademacher vector drawn from ``seed``;
    - ``a`` and ``b`` run over ``grid`` values from ``-extent * eps`` to ``extent * eps`` (pixel units).

    The model runs in inference mode and does not change.

    Parameters
    ----------
    model : Model
    x : array_like, shape (C, H, W) or (1, C, H, W)
        The image, in [0, 1].
    y : int
        Its true class.
    eps : float, optional
        The grid's unit in pixel units, in (0, 1]; default 0.1.
    grid : int, optional
        Points per axis, odd, 3..1001; default 41.
    extent : float, optional
        The grid's half-width in units of ``eps``; default 2.
    seed : int
        Fixes the Rademacher direction.
    clip : bool
        Clamp every grid point to [0, 1].
    batch_size : int, optional
        Grid points per forward pass; default 256.

    Returns
    -------
    LossSurface
        ``axis`` (grid,), ``losses`` (grid, grid), both directions shaped like ``x`` without its batch axis.

    Examples
    --------
    >>> s = loss_surface(model, x_test[0], y_test[0], eps=0.1, grid=21)  # doctest: +SKIP
    >>> s.losses.shape, s.clean_loss  # doctest: +SKIP
    ((21, 21), 0.31)

    References
    ----------
    .. [1] H. Zhang and J. Wang, Defense Against Adversarial Attacks Using Feature Scattering-based
       Adversarial Training, NeurIPS 2019, Figure 4.
    """
    image = np.asarray(x, dtype=np.float32)
    if image.ndim == 3:
        image = image[np.newaxis]
    image, image_p = float_buffer(image)
    shape, shape_p = shape_buffer(image.shape)
    config = _lib.LossSurfaceConfig()
    _lib.check(_lib.lib.fsc_loss_surface_config_default(ctypes.byref(config)))
    config.seed, config.clip = int(seed), int(bool(clip))
    for field, value in {"epsilon": eps, "points": grid, "extent": extent, "batch_size": batch_size}.items():
        if value is not None:
            setattr(config, field, value)
    # Buffers only for a grid that can be allocated; the library checks the value and names the rule.
    points = int(config.points) if 0 < config.points <= _ALLOCATION_LIMIT else 0
    losses = np.empty((points, points), np.float32)
    axis = np.empty(points, np.float32)
    directions = np.empty((2,) + image.shape[1:], np.float32)
    _lib.check(_lib.lib.fsc_loss_surface(model.handle, ctypes.byref(config), image_p, shape_p, image.ndim, int(y),
                                         losses.ctypes.data_as(_lib.c_float_p), losses.size,
                                         axis.ctypes.data_as(_lib.c_float_p), axis.size,
                                         directions.ctypes.data_as(_lib.c_float_p), directions.size))
    return LossSurface(axis=axis, losses=losses, adversarial_direction=directions[0], rademacher_direction=directions[1],
                       label=int(y), epsilon=float(config.epsilon), extent=float(config.extent), seed=int(config.seed),
                       clip=bool(config.clip))
