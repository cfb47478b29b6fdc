// StandardDatasets.swift — MNIST-style IDX sets and CIFAR binary batches from disk; data sets by name.

import Foundation

/// The train or test part of a data set.
public enum DatasetSplit: String, Sendable {
    case train
    case test
}

extension Dataset {
    /// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// MNIST or Fashion-MNIST from the four standard IDX files in `directory`
    /// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…`).
    ///
    /// - Throws: `FSCError.io` naming the missing or corrupt file; `.shapeMismatch` when the
    ///   image and label counts differ.
    public static func mnistStyle(directory: String, split: DatasetSplit) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imagesFile = try locate(directory, "\(prefix)-images-idx3-ubyte")
        let labelsFile = try locate(directory, "\(prefix)-labels-idx1-ubyte")
        let images = try readIDX(imagesFile)
        let labels = try readIDX(labelsFile)
        guard images.shape.count == 3 else {
            throw FSCError.io("\(imagesFile): expected images [N,H,W], got \(images.shape)")
        }
        guard labels.shape.count == 1, labels.shape[0] == images.shape[0] else {
            throw FSCError.shapeMismatch("\(imagesFile) has \(images.shape[0]) images but \(labelsFile) has labels \(labels.shape)")
        }
        let tensor = imagesFromBytes(images.bytes, shape: [images.shape[0], 1, images.shape[1], images.shape[2]])
        return try Dataset(images: tensor, labels: labels.bytes.map(Int.init), classes: 10)
    }

    /// CIFAR-10 (`data_batch_1…5.bin`, `test_batch.bin`) or CIFAR-100 (`train.bin`,
    /// `test.bin`, fine labels) in the binary format: per record 1 label byte (CIFAR-100:
    /// coarse then fine) and 3072 bytes of 32×32 RGB planes.
    public static func cifar(directory: String, split: DatasetSplit, classes: Int = 10) throws -> Dataset {
        guard classes == 10 || classes == 100 else {
            throw FSCError.invalidArgument("CIFAR has 10 or 100 classes, not \(classes)")
        }
        let files: [String]
        if classes == 10 {
            files = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        } else {
            files = [split == .train ? "train.bin" : "test.bin"]
        }
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for name in files {
            let path = try locate(directory, name)
            let records = try cifarRecords(try readFileBytes(path), name: path, classes: classes)
            pixels += records.pixels
            labels += records.labels
        }
        let tensor = imagesFromBytes(pixels, shape: [labels.count, 3, 32, 32])
        return try Dataset(images: tensor, labels: labels, classes: classes)
    }

    /// The records of one CIFAR binary batch: pixels (3072 bytes per record) and labels (CIFAR-100:
    /// the fine label, after the coarse one); `name` appears in error messages.
    public static func cifarRecords(_ bytes: [UInt8], name: String, classes: Int) throws -> (pixels: [UInt8], labels: [Int]) {
        let labelBytes = classes == 10 ? 1 : 2
        let recordSize = labelBytes + 3072
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw FSCError.io("\(name): size \(bytes.count) is not a multiple of the \(recordSize)-byte CIFAR record")
        }
        var pixels: [UInt8] = []
        var labels: [Int] = []
        pixels.reserveCapacity(bytes.count)
        for r in 0..<(bytes.count / recordSize) {
            let start = r * recordSize
            let label = Int(bytes[start + labelBytes - 1])
            guard label < classes else { throw FSCError.io("\(name): record \(r) has label \(label) ≥ \(classes)") }
            labels.append(label)
            pixels.append(contentsOf: bytes[(start + labelBytes)..<(start + recordSize)])
        }
        return (pixels, labels)
    }

    /// A data set by name: "fashion-mnist" or "mnist" (IDX), "cifar10" or "cifar100"
    /// (binary batches), "svhn" (the official `train_32x32.mat`/`test_32x32.mat`), "svhn-extra"
    /// (the same with `extra_32x32.mat` added to the train split), or "npz" (an archive, with
    /// `directory` the file's path). `directory` defaults to Debian's Fashion-MNIST.
    public static func named(_ name: String, directory: String?, split: DatasetSplit) throws -> Dataset {
        switch name {
        case "fashion-mnist":
            return try mnistStyle(directory: directory ?? fashionMNISTDirectory, split: split)
        case "mnist":
            guard let directory else { throw FSCError.invalidArgument("mnist needs a data directory") }
            return try mnistStyle(directory: directory, split: split)
        case "npz":
            guard let directory else { throw FSCError.invalidArgument("npz needs --data-dir pointing at the .npz file") }
            return try npz(path: directory, split: split)
        case "cifar10", "cifar100":
            guard let directory else { throw FSCError.invalidArgument("\(name) needs a data directory") }
            return try cifar(directory: directory, split: split, classes: name == "cifar10" ? 10 : 100)
        case "svhn", "svhn-extra":
            guard let directory else {
                throw FSCError.invalidArgument("\(name) needs a data directory (the folder of train_32x32.mat and test_32x32.mat)")
            }
            return try svhn(directory: directory, split: split, includeExtra: name == "svhn-extra")
        default:
            throw FSCError.invalidArgument("unknown dataset \"\(name)\" (known: fashion-mnist, mnist, cifar10, cifar100, svhn, svhn-extra, npz)")
        }
    }

    /// `directory/name`, or `directory/name.gz` if only that exists.
    private static func locate(_ directory: String, _ name: String) throws -> String {
        let plain = directory + "/" + name
        if FileManager.default.fileExists(atPath: plain) { return plain }
        if FileManager.default.fileExists(atPath: plain + ".gz") { return plain + ".gz" }
        throw FSCError.io("\(plain)[.gz]: no such file (is the data set installed? Fashion-MNIST: apt-get install dataset-fashion-mnist)")
    }
}
