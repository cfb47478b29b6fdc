"""The bad-input matrix of docs/reliability.md: hostile or broken inputs through the Python binding (so
through the C ABI), each with the error it must give. `test_bad_inputs.py` asserts every row;
`python Tests/python/bad_inputs.py` prints the table with the messages the library gives today."""

import math
import pathlib
import re
import struct
import sys
import tempfile

import numpy as np
from onnx import TensorProto, helper

import featurescatter as fs


def onnx_bytes(nodes, initializers, inputs=(("x", [1, 1, 4, 4]),), outputs=("y",)):
    graph = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def lying_initializer():
    """An initializer claiming 2^40 elements with 4 bytes of data."""
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2 ** 40], raw_data=b"\0\0\0\0")
    return onnx_bytes([helper.make_node("Add", ["x", "w"], ["y"])], [weight])


def huge_conv():
    """A Conv claiming 2^31 output channels, its weight without the data for them."""
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2 ** 31, 1, 3, 3], raw_data=b"\0" * 36)
    return onnx_bytes([helper.make_node("Conv", ["x", "w"], ["y"])], [weight])


def cyclic_graph():
    """Two nodes, each consuming the other's output."""
    return onnx_bytes([helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                       helper.make_node("Identity", ["a"], ["y"])], [])


def idx_header(count, *sizes):
    return struct.pack(">HBB", 0, 0x08, 1 + len(sizes)) + struct.pack(f">{1 + len(sizes)}I", count, *sizes)


def lying_idx(folder):
    """An IDX header claiming 60,000 images in a 1 kB file (and labels to match)."""
    (folder / "train-images-idx3-ubyte").write_bytes(idx_header(60000, 28, 28) + b"\0" * 1000)
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_header(60000) + b"\0" * 60000)
    return folder


def short_cifar(folder):
    """A CIFAR-10 test batch cut inside its second record."""
    (folder / "test_batch.bin").write_bytes(b"\x03" + b"\x80" * 3072 + b"\x01" + b"\x80" * 100)
    return folder


def lying_npz(folder):
    """A .npz whose images member declares 10^9 images over 784 bytes of data."""
    import io
    import zipfile
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1, 28, 28), }"
    header += " " * (118 - len(header)) + "\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 784
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("images.npy", member)
        labels = io.BytesIO()
        np.save(labels, np.zeros(1, np.int64))
        archive.writestr("labels.npy", labels.getvalue())
    path = folder / "lying.npz"
    path.write_bytes(buffer.getvalue())
    return path


def truncated_mat(folder):
    """SVHN's test_32x32.mat cut in the middle of its X array."""
    import scipy.io
    path = folder / "test_32x32.mat"
    scipy.io.savemat(path, {"X": np.zeros((32, 32, 3, 4), np.uint8), "y": np.ones((4, 1), np.uint8)})
    path.write_bytes(path.read_bytes()[:2000])
    return folder


def truncated_checkpoint(folder):
    path = folder / "model.fsc"
    fs.Model.builtin("mlp", (1, 28, 28), 10).save(str(path))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def model():
    return fs.Model.builtin("mlp", (1, 28, 28), 10)


# (input, call, the error class it must raise, a fragment its message must contain)
CASES = [
    ("checkpoint file missing", lambda d: fs.Model.load(str(d / "missing.fsc")), fs.IOFailure, "missing.fsc"),
    ("checkpoint cut in half", lambda d: fs.Model.load(str(truncated_checkpoint(d))), fs.IOFailure, "model.fsc"),
    ("ONNX: not a protobuf", lambda d: fs.Model.from_onnx(b"\x08\xff\xff\xff\xff\xff garbage"), fs.OnnxError, ""),
    ("ONNX: initializer of 2^40 elements, 4 bytes of data", lambda d: fs.Model.from_onnx(lying_initializer()),
     fs.OnnxError, "w"),
    ("ONNX: Conv with 2^31 output channels", lambda d: fs.Model.from_onnx(huge_conv()), fs.OnnxError, "w"),
    ("ONNX: a cycle between two nodes", lambda d: fs.Model.from_onnx(cyclic_graph()), fs.OnnxError, ""),
    ("IDX: 60,000 images declared in 1 kB", lambda d: fs.Dataset.load("fashion-mnist", str(lying_idx(d))),
     fs.IOFailure, "train-images-idx3-ubyte"),
    ("CIFAR-10 batch cut inside a record", lambda d: fs.Dataset.load("cifar10", str(short_cifar(d)), "test"),
     fs.IOFailure, "test_batch.bin"),
    (".npz member declaring 10^9 images over 784 bytes", lambda d: fs.Dataset.load("npz", str(lying_npz(d))),
     fs.IOFailure, "images"),
    ("SVHN .mat cut inside X", lambda d: fs.Dataset.load("svhn", str(truncated_mat(d)), "test"),
     fs.IOFailure, "test_32x32.mat"),
    ("forward: images of the wrong shape", lambda d: model()(np.zeros((2, 3, 28, 28), np.float32)),
     fs.ShapeError, "28"),
    ("forward: a NaN pixel", lambda d: model()(np.full((1, 1, 28, 28), math.nan, np.float32)),
     fs.NotFiniteError, ""),
    ("data: a label outside the classes", lambda d: fs.Dataset.from_arrays(np.zeros((2, 1, 28, 28), np.float32),
                                                                          np.array([0, 10]), classes=10),
     fs.InvalidArgumentError, "10"),
    ("trainer: ε = NaN", lambda d: fs.Trainer(model(), eps=math.nan), fs.InvalidArgumentError, "eps"),
]


def outcome(call):
    """The error `call` raises in a fresh folder, or None when it returns."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            call(pathlib.Path(folder))
        except fs.FeatureScatterError as error:
            return error
    return None


def main():
    print("| input | error | message |")
    print("|---|---|---|")
    for name, call, _, _ in CASES:
        error = outcome(call)
        message = re.sub(re.escape(tempfile.gettempdir()) + r"/\w+", "DIR", str(error)) if error else "accepted"
        print(f"| {name} | `{type(error).__name__}` | {message} |")


if __name__ == "__main__":
    sys.exit(main())
