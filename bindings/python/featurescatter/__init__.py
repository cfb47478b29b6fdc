"""FeatureScatter: feature-scattering adversarial training, over the C library via ctypes.

>>> import featurescatter as fs
>>> model = fs.Model.builtin("smallcnn", input_shape=(1, 28, 28), classes=10)
>>> fs.train(model, fs.Dataset.load(limit=2000), method="feature-scattering", epochs=1)  # doctest: +SKIP
>>> x, y = fs.Dataset.load(split="test", limit=100).arrays()
>>> x_adv = fs.attacks.PGD(eps=0.1, steps=20)(model, x, y)
>>> fs.evaluate(model, fs.Dataset.load(split="test"), attacks=["pgd20"])["accuracy"]  # doctest: +SKIP
"""

from . import attacks, ot
from ._errors import (Cancelled, FeatureScatterError, InternalError, InvalidArgumentError, IOFailure, NotFiniteError,
                      OnnxError, ShapeError)
from ._lib import lib as _library
from .data import Dataset
from .distributed import Communicator
from .evaluation import evaluate
from .model import Model
from .surface import LossSurface, loss_surface
from .training import Trainer, preset_data, train

__version__ = _library.fsc_version().decode()

__all__ = ["Cancelled", "Communicator", "Dataset", "FeatureScatterError", "IOFailure", "InternalError", "InvalidArgumentError",
           "LossSurface", "Model", "NotFiniteError", "OnnxError", "ShapeError", "Trainer", "attacks", "blas_core", "evaluate",
           "loss_surface", "ot", "preset_data", "train"]


def blas_core():
    """The OpenBLAS kernel set the library runs."""
    return _library.fsc_blas_core().decode()
