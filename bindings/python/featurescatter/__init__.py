"""FeatureScatter: feature-scattering adversarial training, over the C library via ctypes.

>>> import featurescatter as fs
>>> model = fs.Model.builtin("smallcnn", input_shape=(1, 28, 28), classes=10)
>>> fs.train(model, fs.Dataset.load(limit=2000), method="feature-scattering", epochs=1)  # doctest: +SKIP
"""

from . import ot
from ._errors import (Cancelled, FeatureScatterError, InternalError, InvalidArgumentError, IOFailure, NotFiniteError,
                      OnnxError, ShapeError)
from ._lib import lib as _library
from .data import Dataset
from .model import Model
from .training import Trainer, train

__version__ = _library.fsc_version().decode()

__all__ = ["Cancelled", "Dataset", "FeatureScatterError", "IOFailure", "InternalError", "InvalidArgumentError",
           "Model", "NotFiniteError", "OnnxError", "ShapeError", "Trainer", "ot", "train", "blas_core"]


def blas_core():
    """The OpenBLAS kernel set the library runs."""
    return _library.fsc_blas_core().decode()
