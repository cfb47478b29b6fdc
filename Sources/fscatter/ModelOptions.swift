// ModelOptions.swift — the model a command works on: a checkpoint or an ONNX classifier.

import ArgumentParser
import FeatureScatter

struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint file written by `fscatter train`.")
    var checkpoint: String?

    @Option(help: "An ONNX classifier instead of a checkpoint ([0,1] images in, logits out).")
    var onnx: String?

    @Option(name: .customLong("input-normalization"), help: inputNormalizationHelp)
    var inputNormalization: InputNormalizationSpec?

    func validate() throws {
        if (checkpoint == nil) == (onnx == nil) { throw ValidationError("give exactly one of --checkpoint and --onnx") }
        if inputNormalization != nil, onnx == nil {
            throw ValidationError("--input-normalization applies to --onnx models; a checkpoint records its own")
        }
    }

    /// The path given, for reports.
    var path: String { checkpoint ?? onnx ?? "" }

    /// The model and its spec, checked against the data's image shape.
    func load(imageShape: [Int]) throws -> (any Module, ModelSpec) {
        try loadModel(path, imageShape: imageShape, inputNormalization: inputNormalization)
    }
}

/// The model in a checkpoint, or in an ONNX file when `path` ends in `.onnx` (behind
/// `inputNormalization` when given), checked against the data's image shape.
func loadModel(_ path: String, imageShape: [Int],
               inputNormalization: InputNormalizationSpec? = nil) throws -> (any Module, ModelSpec) {
    if path.lowercased().hasSuffix(".onnx") {
        let (graph, spec) = try importONNXClassifier(contentsOf: path, imageShape: imageShape)
        return try inputNormalization.map { try normalizingInput(of: graph, spec: spec, with: $0) } ?? (graph, spec)
    }
    let saved = try Checkpoint.read(from: path)
    let spec = saved.header.model
    guard imageShape == spec.inputShape else {
        throw FSCError.shapeMismatch("\(path) expects images \(spec.inputShape), the data has \(imageShape)")
    }
    return (try saved.makeModel(), spec)
}
