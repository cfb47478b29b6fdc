"""Labelled image sets held by the library."""

import ctypes

import numpy as np

from . import _lib
from ._arrays import Handle, float_buffer, int32_buffer, new_handle, shape_buffer

_SPLITS = {"train": 0, "test": 1}


class Dataset(Handle):
    """A labelled image set: images ``(N, C, H, W)`` in [0, 1] and integer labels.

    Examples
    --------
    >>> test = Dataset.load("fashion-mnist", split="test", limit=100)
    >>> len(test)
    100
    """

    _free = _lib.lib.fsc_dataset_free

    @classmethod
    def load(cls, name="fashion-mnist", path=None, split="train", limit=0):
        """Loads "fashion-mnist", "mnist", "cifar10", "cifar100", "svhn", "svhn-extra" or "npz".

        ``path`` is the data set's folder, or the file for "npz". "svhn" reads the official
        ``train_32x32.mat`` and ``test_32x32.mat``; "svhn-extra" adds ``extra_32x32.mat`` to the
        train split. ``limit`` keeps the first N examples (0 = all).
        """
        if split not in _SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return cls(new_handle(_lib.lib.fsc_dataset_load, name.encode(), path.encode() if path else None,
                              _SPLITS[split], int(limit)))

    @classmethod
    def from_arrays(cls, images, labels, classes=None):
        """Copies numpy arrays in: images ``(N, C, H, W)`` floats in [0, 1], labels ``(N,)``."""
        images, images_p = float_buffer(images)
        labels, labels_p = int32_buffer(labels)
        shape, shape_p = shape_buffer(images.shape)
        classes = int(classes if classes is not None else max(2, int(labels.max(initial=0)) + 1))
        return cls(new_handle(_lib.lib.fsc_dataset_from_memory, images_p, shape_p, images.ndim, labels_p,
                              labels.size, classes))

    def info(self):
        """``(count, (C, H, W), classes)``."""
        count, shape, classes = ctypes.c_int64(), (ctypes.c_int64 * 3)(), ctypes.c_int32()
        _lib.check(_lib.lib.fsc_dataset_info(self.handle, ctypes.byref(count), shape, ctypes.byref(classes)))
        return count.value, tuple(shape), classes.value

    def __len__(self):
        return self.info()[0]

    def arrays(self, first=0, n=None):
        """Copies examples out as ``(images, labels)`` numpy arrays."""
        count, shape, _ = self.info()
        n = count - first if n is None else n
        images = np.empty((n, *shape), dtype=np.float32)
        labels = np.empty(n, dtype=np.int32)
        _lib.check(_lib.lib.fsc_dataset_copy(self.handle, first, n, images.ctypes.data_as(_lib.c_float_p), images.size,
                                             labels.ctypes.data_as(_lib.c_int32_p), labels.size))
        return images, labels
