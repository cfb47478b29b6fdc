"""Classifiers held by the library: built-in architectures, checkpoints and ONNX models."""

import ctypes

import numpy as np

from . import _lib
from ._arrays import Handle, float_buffer, new_handle, shape_buffer

_SHAPE_ERROR = 2  # FSC_ERR_SHAPE: the buffer was too small; the size needed is reported


class Model(Handle):
    """A classifier mapping images ``(N, C, H, W)`` in [0, 1] to logits ``(N, classes)``.

    Examples
    --------
    >>> model = Model.builtin("smallcnn", input_shape=(1, 28, 28), classes=10, seed=0)
    >>> model.parameter_count
    312202
    >>> model(np.zeros((2, 1, 28, 28), np.float32)).shape
    (2, 10)
    """

    _free = _lib.lib.fsc_model_free

    @classmethod
    def builtin(cls, architecture, input_shape=(1, 28, 28), classes=10, seed=0):
        """A new model: "smallcnn", "mlp", "preactresnet18" or "wrn-D-W", weights fixed by ``seed``."""
        shape, shape_p = shape_buffer(input_shape)
        return cls(new_handle(_lib.lib.fsc_model_create, architecture.encode(), shape_p, int(classes), int(seed)))

    @classmethod
    def from_preset(cls, preset, input_shape, classes=10, seed=0):
        """A new model for a named recipe (e.g. "paper-cifar10-fs"): its architecture behind its
        input normalisation, so images stay in [0, 1]. See :func:`featurescatter.preset_data`."""
        shape, shape_p = shape_buffer(input_shape)
        return cls(new_handle(_lib.lib.fsc_model_create_preset, preset.encode(), shape_p, int(classes), int(seed)))

    @classmethod
    def load(cls, path):
        """A model from a checkpoint written by ``fscatter train`` or :meth:`save`."""
        return cls(new_handle(_lib.lib.fsc_model_load_checkpoint, str(path).encode()))

    @classmethod
    def from_onnx(cls, source, input_shape=None):
        """Imports an ONNX classifier from a file path or from ``bytes``: images ``(N, C, H, W)`` in
        [0, 1] in, logits out. Its float initializers become trainable parameters.

        ``input_shape`` is ``(C, H, W)``; by default it is read from the graph's input.
        """
        shape_p = shape_buffer(input_shape)[1] if input_shape is not None else None
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = (ctypes.c_uint8 * len(source)).from_buffer_copy(source)
            return cls(new_handle(_lib.lib.fsc_model_from_onnx_bytes, data, len(source), shape_p))
        return cls(new_handle(_lib.lib.fsc_model_load_onnx, str(source).encode(), shape_p))

    def to_onnx(self, path=None, opset=17):
        """Exports the model as checked ONNX: written atomically to ``path``, or returned as bytes."""
        if path is not None:
            _lib.check(_lib.lib.fsc_model_save_onnx(self.handle, str(path).encode(), int(opset)))
            return None
        # One export when the guess holds (weights plus room for the graph); else a second with the size asked for.
        size = ctypes.c_size_t(4 * self.parameter_count + (1 << 20))
        buffer = (ctypes.c_uint8 * size.value)()
        code = _lib.lib.fsc_model_to_onnx_bytes(self.handle, int(opset), buffer, size.value, ctypes.byref(size))
        if code == _SHAPE_ERROR and size.value > len(buffer):
            buffer = (ctypes.c_uint8 * size.value)()
            code = _lib.lib.fsc_model_to_onnx_bytes(self.handle, int(opset), buffer, size.value, ctypes.byref(size))
        _lib.check(code)
        return ctypes.string_at(buffer, size.value)

    def save(self, path):
        """Writes the weights to a checkpoint, atomically."""
        _lib.check(_lib.lib.fsc_model_save_checkpoint(self.handle, str(path).encode()))

    @property
    def parameter_count(self):
        count = ctypes.c_int64()
        _lib.check(_lib.lib.fsc_model_parameter_count(self.handle, ctypes.byref(count)))
        return count.value

    @property
    def input_shape(self):
        shape, classes = (ctypes.c_int64 * 3)(), ctypes.c_int32()
        _lib.check(_lib.lib.fsc_model_info(self.handle, shape, ctypes.byref(classes)))
        return tuple(shape)

    @property
    def classes(self):
        shape, classes = (ctypes.c_int64 * 3)(), ctypes.c_int32()
        _lib.check(_lib.lib.fsc_model_info(self.handle, shape, ctypes.byref(classes)))
        return classes.value

    def __call__(self, images):
        """Logits ``(N, classes)`` in inference mode (no dropout, batch-norm running statistics)."""
        images, images_p = float_buffer(images)
        shape, shape_p = shape_buffer(images.shape)
        logits = np.empty((images.shape[0] if images.ndim else 0, self.classes), dtype=np.float32)
        _lib.check(_lib.lib.fsc_model_forward(self.handle, images_p, shape_p, images.ndim,
                                              logits.ctypes.data_as(_lib.c_float_p), logits.size))
        return logits

    def predict(self, images):
        """The arg-max class of each image."""
        images, images_p = float_buffer(images)
        shape, shape_p = shape_buffer(images.shape)
        labels = np.empty(images.shape[0] if images.ndim else 0, dtype=np.int32)
        _lib.check(_lib.lib.fsc_model_predict(self.handle, images_p, shape_p, images.ndim,
                                              labels.ctypes.data_as(_lib.c_int32_p), labels.size))
        return labels

    def accuracy(self, dataset):
        """Clean accuracy on a :class:`Dataset`, in percent."""
        percent = ctypes.c_double()
        _lib.check(_lib.lib.fsc_model_accuracy(self.handle, dataset.handle, ctypes.byref(percent)))
        return percent.value
