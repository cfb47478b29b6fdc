"""Exceptions raised for the C library's status codes."""


class FeatureScatterError(Exception):
    """A call into libfeaturescatter failed; ``status`` is the fsc_status code."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class InvalidArgumentError(FeatureScatterError, ValueError):
    """FSC_ERR_INVALID_ARGUMENT: a bad value, enum, NULL pointer or dead handle."""


class ShapeError(FeatureScatterError, ValueError):
    """FSC_ERR_SHAPE: a shape or element count does not fit."""


class NotFiniteError(FeatureScatterError, ValueError):
    """FSC_ERR_NOT_FINITE: NaN or infinity where finite values are required."""


class IOFailure(FeatureScatterError, OSError):
    """FSC_ERR_IO: a missing, unreadable or corrupt file."""


class OnnxError(FeatureScatterError):
    """FSC_ERR_ONNX: an ONNX model could not be parsed, checked or converted."""


class Cancelled(FeatureScatterError):
    """FSC_ERR_CANCELLED: a progress callback asked to stop."""


class InternalError(FeatureScatterError):
    """FSC_ERR_INTERNAL: a bug in FeatureScatter."""


BY_STATUS = {
    1: InvalidArgumentError,
    2: ShapeError,
    3: NotFiniteError,
    4: IOFailure,
    5: OnnxError,
    6: Cancelled,
    7: InternalError,
}
