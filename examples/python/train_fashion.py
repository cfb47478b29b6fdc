"""Train SmallCNN on Fashion-MNIST with feature scattering from Python, then check it with numpy.

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
        model.save("smallcnn.fsc")
        return accuracy, mine


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
