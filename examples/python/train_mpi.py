"""Data-parallel feature-scattering training and distributed evaluation from Python with mpi4py.

Run: mpirun -np 2 python examples/python/train_mpi.py [train_images] [epochs] [checkpoint]
Every rank runs this script; rank 0 prints and writes the checkpoint.
"""

import sys

from mpi4py import MPI

import featurescatter as fs


def main(limit=2000, epochs=1, checkpoint="smallcnn-mpi.fsc"):
    comm = MPI.COMM_WORLD
    train = fs.Dataset.load("fashion-mnist", split="train", limit=limit)
    test = fs.Dataset.load("fashion-mnist", split="test", limit=500)
    with fs.Model.builtin("smallcnn", input_shape=(1, 28, 28), classes=10, seed=0) as model:
        accuracy = fs.train(model, train, method="feature-scattering", test=test, epochs=epochs, comm=comm,
                            progress=comm.rank == 0)
        report = fs.evaluate(model, test, attacks=["pgd10"], limit=200, comm=comm)
        if comm.rank == 0:
            print(f"{comm.size} ranks: test accuracy {accuracy:.2f}%; on 200 images clean "
                  f"{report['accuracy']['clean']:.2f}%, PGD-10 {report['accuracy']['pgd10']:.2f}%")
            model.save(checkpoint)
            print(f"checkpoint: {checkpoint}")
    return accuracy, report


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(*(int(a) for a in arguments[:2]), *arguments[2:3])
