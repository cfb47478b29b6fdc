"""Loading libfeaturescatter and declaring its functions (one place for every fsc_* signature)."""

import ctypes
import os
import pathlib

from ._errors import BY_STATUS, FeatureScatterError

c_float_p = ctypes.POINTER(ctypes.c_float)
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_double_p = ctypes.POINTER(ctypes.c_double)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
handle = ctypes.c_void_p
handle_p = ctypes.POINTER(ctypes.c_void_p)
status = ctypes.c_int


class OTConfig(ctypes.Structure):
    """fsc_ot_config."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("solver", ctypes.c_int), ("matching", ctypes.c_int),
                ("regularization", ctypes.c_double), ("max_iterations", ctypes.c_int32),
                ("tolerance", ctypes.c_double), ("ipot_beta", ctypes.c_double), ("ipot_inner", ctypes.c_int32),
                ("epsilon_scaling", ctypes.c_int32)]


class OTReport(ctypes.Structure):
    """fsc_ot_report."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("transport_cost", ctypes.c_double),
                ("entropic_objective", ctypes.c_double), ("marginal_error", ctypes.c_double),
                ("iterations", ctypes.c_int32), ("converged", ctypes.c_int32)]


class TrainerConfig(ctypes.Structure):
    """fsc_trainer_config."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("method", ctypes.c_int), ("epsilon", ctypes.c_float),
                ("attack_steps", ctypes.c_int32), ("attack_step_size", ctypes.c_float),
                ("label_smoothing", ctypes.c_float), ("ot", OTConfig), ("cost", ctypes.c_int),
                ("grad_mode", ctypes.c_int), ("trades_beta", ctypes.c_float), ("epochs", ctypes.c_int32),
                ("batch_size", ctypes.c_int32), ("learning_rate", ctypes.c_float), ("momentum", ctypes.c_float),
                ("weight_decay", ctypes.c_float), ("decay_epochs", ctypes.c_int32 * 4), ("seed", ctypes.c_uint64),
                ("nesterov", ctypes.c_int32), ("cosine_schedule", ctypes.c_int32), ("communicator", ctypes.c_void_p),
                ("ot_scope", ctypes.c_int), ("bucket_megabytes", ctypes.c_double), ("sync_batchnorm", ctypes.c_int32),
                ("crop_padding", ctypes.c_int32), ("horizontal_flip", ctypes.c_int32),
                ("bilateral_beta", ctypes.c_float)]


class Progress(ctypes.Structure):
    """fsc_progress."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("epoch", ctypes.c_int32), ("epochs", ctypes.c_int32),
                ("batch", ctypes.c_int64), ("batches", ctypes.c_int64), ("loss", ctypes.c_double),
                ("accuracy", ctypes.c_double), ("images_per_second", ctypes.c_double),
                ("seconds_remaining", ctypes.c_double)]


class AttackConfig(ctypes.Structure):
    """fsc_attack_config."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("kind", ctypes.c_int), ("norm", ctypes.c_int),
                ("epsilon", ctypes.c_float), ("steps", ctypes.c_int32), ("step_size", ctypes.c_float),
                ("random_start", ctypes.c_int32), ("restarts", ctypes.c_int32), ("queries", ctypes.c_int32),
                ("kappa", ctypes.c_float), ("target", ctypes.c_int), ("seed", ctypes.c_uint64)]


class EvalConfig(ctypes.Structure):
    """fsc_eval_config."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("norm", ctypes.c_int), ("epsilon", ctypes.c_float),
                ("attacks", ctypes.c_char_p), ("worst_case", ctypes.c_char_p), ("limit", ctypes.c_int64),
                ("batch_size", ctypes.c_int32), ("seed", ctypes.c_uint64), ("communicator", ctypes.c_void_p)]


class LossSurfaceConfig(ctypes.Structure):
    """fsc_loss_surface_config."""

    _fields_ = [("struct_size", ctypes.c_size_t), ("epsilon", ctypes.c_float), ("points", ctypes.c_int32),
                ("extent", ctypes.c_float), ("batch_size", ctypes.c_int32), ("seed", ctypes.c_uint64),
                ("clip", ctypes.c_int32)]


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Progress), ctypes.c_void_p)

SIGNATURES = {
    "fsc_version": (ctypes.c_char_p, []),
    "fsc_status_string": (ctypes.c_char_p, [ctypes.c_int]),
    "fsc_last_error": (ctypes.c_char_p, []),
    "fsc_blas_core": (ctypes.c_char_p, []),
    "fsc_get_threads": (status, [c_int32_p]),
    "fsc_set_threads": (status, [ctypes.c_int32]),
    "fsc_communicator_from_mpi": (status, [ctypes.c_int64, handle_p]),
    "fsc_communicator_info": (status, [handle, c_int32_p, c_int32_p]),
    "fsc_communicator_free": (None, [handle]),
    "fsc_dataset_load": (status, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64, handle_p]),
    "fsc_dataset_from_memory": (status, [c_float_p, c_int64_p, ctypes.c_size_t, c_int32_p, ctypes.c_size_t,
                                         ctypes.c_int32, handle_p]),
    "fsc_dataset_info": (status, [handle, c_int64_p, c_int64_p, c_int32_p]),
    "fsc_dataset_copy": (status, [handle, ctypes.c_int64, ctypes.c_int64, c_float_p, ctypes.c_size_t, c_int32_p,
                                  ctypes.c_size_t]),
    "fsc_dataset_free": (None, [handle]),
    "fsc_model_create": (status, [ctypes.c_char_p, c_int64_p, ctypes.c_int32, ctypes.c_uint64, handle_p]),
    "fsc_model_create_preset": (status, [ctypes.c_char_p, c_int64_p, ctypes.c_int32, ctypes.c_uint64, handle_p]),
    "fsc_model_load_checkpoint": (status, [ctypes.c_char_p, handle_p]),
    "fsc_model_save_checkpoint": (status, [handle, ctypes.c_char_p]),
    "fsc_model_parameter_count": (status, [handle, c_int64_p]),
    "fsc_model_info": (status, [handle, c_int64_p, c_int32_p]),
    "fsc_model_forward": (status, [handle, c_float_p, c_int64_p, ctypes.c_size_t, c_float_p, ctypes.c_size_t]),
    "fsc_model_predict": (status, [handle, c_float_p, c_int64_p, ctypes.c_size_t, c_int32_p, ctypes.c_size_t]),
    "fsc_model_accuracy": (status, [handle, handle, c_double_p]),
    "fsc_model_load_onnx": (status, [ctypes.c_char_p, c_int64_p, handle_p]),
    "fsc_model_from_onnx_bytes": (status, [c_uint8_p, ctypes.c_size_t, c_int64_p, handle_p]),
    "fsc_model_save_onnx": (status, [handle, ctypes.c_char_p, ctypes.c_int32]),
    "fsc_model_to_onnx_bytes": (status, [handle, ctypes.c_int32, c_uint8_p, ctypes.c_size_t, c_size_t_p]),
    "fsc_model_free": (None, [handle]),
    "fsc_attack_config_default": (status, [ctypes.POINTER(AttackConfig)]),
    "fsc_attack_run": (status, [handle, ctypes.POINTER(AttackConfig), c_float_p, c_int64_p, ctypes.c_size_t, c_int32_p,
                                ctypes.c_size_t, c_float_p, ctypes.c_size_t]),
    "fsc_eval_config_default": (status, [ctypes.POINTER(EvalConfig)]),
    "fsc_evaluate": (status, [handle, handle, ctypes.POINTER(EvalConfig), handle_p]),
    "fsc_report_accuracy": (status, [handle, ctypes.c_char_p, c_double_p]),
    "fsc_report_json": (status, [handle, ctypes.c_char_p, ctypes.c_size_t, c_size_t_p]),
    "fsc_report_free": (None, [handle]),
    "fsc_loss_surface_config_default": (status, [ctypes.POINTER(LossSurfaceConfig)]),
    "fsc_loss_surface": (status, [handle, ctypes.POINTER(LossSurfaceConfig), c_float_p, c_int64_p, ctypes.c_size_t,
                                  ctypes.c_int32, c_float_p, ctypes.c_size_t, c_float_p, ctypes.c_size_t, c_float_p,
                                  ctypes.c_size_t]),
    "fsc_ot_config_default": (status, [ctypes.POINTER(OTConfig)]),
    "fsc_ot_solve": (status, [c_float_p, ctypes.c_int64, ctypes.c_int64, c_float_p, c_float_p,
                              ctypes.POINTER(OTConfig), c_float_p, ctypes.POINTER(OTReport)]),
    "fsc_ot_distance": (status, [c_float_p, ctypes.c_int64, c_float_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                                 ctypes.POINTER(OTConfig), ctypes.c_int, c_double_p, c_float_p, c_float_p,
                                 ctypes.POINTER(OTReport)]),
    "fsc_trainer_config_default": (status, [ctypes.POINTER(TrainerConfig)]),
    "fsc_trainer_config_preset": (status, [ctypes.c_char_p, ctypes.POINTER(TrainerConfig),
                                           ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p)]),
    "fsc_trainer_create": (status, [handle, ctypes.POINTER(TrainerConfig), handle_p]),
    "fsc_trainer_step": (status, [handle, c_float_p, c_int64_p, ctypes.c_size_t, c_int32_p, ctypes.c_size_t,
                                  c_float_p]),
    "fsc_trainer_train": (status, [handle, handle, handle, ctypes.c_char_p, PROGRESS_FN, ctypes.c_void_p,
                                   c_double_p]),
    "fsc_trainer_free": (None, [handle]),
}


def _select_blas_core():
    """Chooses OPENBLAS_CORETYPE from the CPU flags before OpenBLAS loads, unless set (DESIGN §6)."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return
    try:
        flags_line = next(line for line in open("/proc/cpuinfo") if line.startswith("flags"))
    except (OSError, StopIteration):
        return
    flags = set(flags_line.split(":", 1)[1].split())
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    elif {"avx2", "fma"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"


def _candidates():
    """Where the library is looked for: $FEATURESCATTER_LIBRARY, next to the package, the build folders."""
    if os.environ.get("FEATURESCATTER_LIBRARY"):
        yield pathlib.Path(os.environ["FEATURESCATTER_LIBRARY"])
        return
    here = pathlib.Path(__file__).resolve().parent
    yield here / "libfeaturescatter.so"
    for parent in here.parents:
        for build in (".build-lib", ".build"):
            yield parent / build / "release" / "libfeaturescatter.so"


def _load():
    _select_blas_core()
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.exists():
            library = ctypes.CDLL(str(path))
            for name, (restype, argtypes) in SIGNATURES.items():
                function = getattr(library, name)
                function.restype = restype
                function.argtypes = argtypes
            return library
    raise OSError("libfeaturescatter.so not found; set FEATURESCATTER_LIBRARY or build it with `make lib` "
                  f"(looked in: {', '.join(tried)})")


lib = _load()


def check(code):
    """Raises the exception of a non-zero fsc_status, with the library's message."""
    if code != 0:
        message = lib.fsc_last_error().decode("utf-8", "replace")
        raise BY_STATUS.get(code, FeatureScatterError)(code, message)
