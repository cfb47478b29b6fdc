"""numpy <-> C buffer helpers."""

import ctypes

import numpy as np

from . import _lib


def float_buffer(array):
    """A C-contiguous float32 copy-free view where possible, and its ctypes pointer."""
    array = np.ascontiguousarray(array, dtype=np.float32)
    return array, array.ctypes.data_as(_lib.c_float_p)


def int32_buffer(array):
    array = np.ascontiguousarray(array, dtype=np.int32)
    return array, array.ctypes.data_as(_lib.c_int32_p)


def shape_buffer(shape):
    array = np.asarray(shape, dtype=np.int64)
    return array, array.ctypes.data_as(_lib.c_int64_p)


class Handle:
    """Owns one opaque handle; freed by ``close()``, ``with``, or garbage collection."""

    _free = None

    def __init__(self, pointer):
        self._handle = ctypes.c_void_p(pointer)

    @property
    def handle(self):
        if not self._handle:
            raise ValueError(f"this {type(self).__name__} is closed")
        return self._handle

    def close(self):
        """Releases the library object (idempotent)."""
        if self._handle:
            type(self)._free(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have torn down the library
            pass


def new_handle(create, *args):
    """Calls ``create(*args, &out)`` and returns the handle value."""
    out = ctypes.c_void_p()
    _lib.check(create(*args, ctypes.byref(out)))
    return out.value
