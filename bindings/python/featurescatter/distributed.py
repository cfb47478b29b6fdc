"""The ranks of an MPI job, for data-parallel ``train`` and distributed ``evaluate`` (mpi4py)."""

import ctypes

from . import _lib
from ._arrays import Handle, new_handle


class Communicator(Handle):
    """FeatureScatter's view of an mpi4py communicator (a duplicate of it, so traffic never mixes).

    Collective: every rank creates it. MPI must be initialised (``from mpi4py import MPI`` does).

    Examples
    --------
    >>> from mpi4py import MPI  # doctest: +SKIP
    >>> fs.train(model, data, comm=MPI.COMM_WORLD)  # doctest: +SKIP
    """

    _free = _lib.lib.fsc_communicator_free

    def __init__(self, comm):
        super().__init__(new_handle(_lib.lib.fsc_communicator_from_mpi, ctypes.c_int64(comm.py2f())))

    def _info(self):
        rank, size = ctypes.c_int32(), ctypes.c_int32()
        _lib.check(_lib.lib.fsc_communicator_info(self.handle, ctypes.byref(rank), ctypes.byref(size)))
        return rank.value, size.value

    @property
    def rank(self):
        return self._info()[0]

    @property
    def size(self):
        return self._info()[1]


def as_communicator(comm):
    """A ``Communicator`` for ``comm`` (an mpi4py communicator or a ``Communicator``), or None."""
    if comm is None or isinstance(comm, Communicator):
        return comm
    return Communicator(comm)
