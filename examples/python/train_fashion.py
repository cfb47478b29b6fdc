"""Train SmallCNN on Fashion-MNIST with feature scattering from Python, measure it under PGD-20,
export it as ONNX and check the export with onnxruntime (when installed).

Run: python examples/python/train_fashion.py [train_images] [epochs]
"""

import sys

import numpy as np

import featurescatter as fs


def main(limit=2000, epochs=1):
    print(f"FeatureScatter {fs.__version__}, OpenBLAS core {fs.blas_core()}")
    train = fs.Dataset.load("fashion-mnist", split="train", limit=limit)
    test = fs.Dataset.load("fashion-mnist", split="test", limit=1000)
    with fs.Model.builtin("smallcnn", input_shape=(1, 28, 28), classes=10, seed=0) as model:
        accuracy = fs.train(model, train, method="feature-scattering", test=test, epochs=epochs, eps=0.1)
        images, labels = test.arrays()
        mine = 100 * np.mean(model.predict(images) == labels)
        print(f"clean test accuracy (1000 images): {accuracy:.2f}% (numpy check: {mine:.2f}%)")

        adversarial = fs.attacks.PGD(eps=0.1, steps=20)(model, images[:200], labels[:200])
        robust = 100 * np.mean(model.predict(adversarial) == labels[:200])
        print(f"PGD-20 accuracy (eps 0.1, 200 images): {robust:.2f}%")

        model.save("smallcnn.fsc")
        model.to_onnx("smallcnn.onnx")
        difference = check_with_onnxruntime("smallcnn.onnx", images[:64], model(images[:64]))
        return accuracy, mine, robust, difference


def check_with_onnxruntime(path, images, expected):
    """The largest difference between onnxruntime's logits and ours, or None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        print("onnxruntime is not installed: skipping the check of the export")
        return None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: images})[0]
    difference = float(np.abs(logits - expected).max())
    print(f"{path}: onnxruntime agrees to {difference:.2e} (max abs logit difference)")
    return difference


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
