// DataOptions.swift — the options every command that reads a data set shares.

import ArgumentParser
import FeatureScatter

struct DataOptions: ParsableArguments {
    @Option(help: "Data set: fashion-mnist, mnist, cifar10, cifar100, svhn (train_32x32.mat, test_32x32.mat), svhn-extra (train + extra_32x32.mat) or npz (with --data-dir FILE.npz).")
    var dataset = "fashion-mnist"

    @Option(name: .customLong("data-dir"), help: "Folder of the data set's files (default for fashion-mnist: \(Dataset.fashionMNISTDirectory)).")
    var dataDirectory: String?

    @Option(name: .customLong("test-subset"), help: "Use only the first N test images.")
    var testSubset: Int?

    @Option(help: "Worker threads (default: OPENBLAS_NUM_THREADS if set, else the cores; under mpirun, the node's cores divided by its ranks).")
    var threads: Int?

    func validate() throws {
        if let testSubset, testSubset < 1 { throw ValidationError("--test-subset must be ≥ 1, got \(testSubset)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
    }

    /// Applies `--threads` (under mpirun, by default the node's cores shared by its ranks).
    func applyThreads() {
        if let threads { Parallelism.setWorkerCount(threads) }
    }

    func load(_ split: DatasetSplit, subset: Int? = nil) throws -> Dataset {
        try Dataset.named(dataset, directory: dataDirectory, split: split).prefix(subset)
    }
}
