// FuzzTarget.swift — every reader of untrusted bytes, as a target that must refuse bad input cleanly.

import FeatureScatter

/// A reader run on arbitrary bytes. A thrown `FSCError` is the expected answer to bad input; a trap,
/// a sanitizer report, a leak, a hang or an allocation beyond the fuzzer's limit is a finding.
enum FuzzTarget: String, CaseIterable {
    /// ONNX parsing and the whole importer (graph building, shape checks, initializer decoding).
    case onnx
    /// ONNX import with the validation run on zeros, then a forward pass of a small batch.
    case onnxForward = "onnx-forward"
    /// Checkpoint parsing, and rebuilding the model it describes when that model is small.
    case checkpoint
    case npy
    /// `.npz` archives: zip members, stored or deflated.
    case npz
    case idx
    /// CIFAR-10 and CIFAR-100 binary batches.
    case cifar
    /// MATLAB level-5 files (SVHN), compressed elements included.
    case mat

    /// Imports stay far below the machine's memory, so a fuzzer's RSS limit flags only real leaks, and
    /// every graph run (validation, classifier check, forward pass) far below libFuzzer's timeout.
    private static var importOptions: ONNXImportOptions {
        var options = ONNXImportOptions()
        options.limits.maxTotalElements = 1 << 22
        options.maxImportWork = runWork
        options.maxClassifierCheckWork = runWork
        return options
    }

    /// 2^22 operations: well under a second under AddressSanitizer.
    private static let runWork = 1 << 22

    func run(_ bytes: [UInt8]) throws {
        switch self {
        case .onnx:
            var options = Self.importOptions
            options.validateByRunning = false
            _ = try importONNX(ONNXModel.parse(bytes, limits: options.limits), options: options)
        case .onnxForward:
            let (graph, spec) = try importONNXClassifier(bytes: bytes, options: Self.importOptions)
            guard let pixels = elementCount(spec.inputShape), pixels <= 1 << 14 else { return }
            _ = try graph.run([Variable(constant: Tensor.zeros([2] + spec.inputShape))], workLimit: Self.runWork)
        case .checkpoint:
            let checkpoint = try Checkpoint.parse(bytes, name: "input")
            let spec = checkpoint.header.model
            guard ["mlp", "smallcnn"].contains(spec.architecture), checkpoint.header.onnxGraph == nil,
                  let pixels = elementCount(spec.inputShape), pixels <= 3 * 32 * 32, spec.classes <= 100 else { return }
            _ = try checkpoint.makeModel()
        case .npy:
            _ = try readNPY(bytes: bytes, name: "input").floats()
        case .npz:
            _ = try readNPZ(bytes: bytes, name: "input").mapValues { $0.floats() }
        case .idx:
            _ = try parseIDX(bytes, name: "input")
        case .cifar:
            _ = try Dataset.cifarRecords(bytes, name: "input", classes: bytes.first.map { $0 % 2 == 0 ? 10 : 100 } ?? 10)
        case .mat:
            _ = try readMAT(bytes: bytes, name: "input").map { $0.doubles() }
        }
    }
}
