// ModelOptions.swift — the model a command works on: a checkpoint or an ONNX classifier.

import ArgumentParser
import FeatureScatter

struct ModelOptions: ParsableArguments {
    @Option(help: "Checkpoint file written by `fscatter train`.")
    var checkpoint: String?

    @Option(help: "An ONNX classifier instead of a checkpoint ([0,1] images in, logits out).")
    var onnx: String?

    func validate() throws {
        if (checkpoint == nil) == (onnx == nil) { throw ValidationError("give exactly one of --checkpoint and --onnx") }
    }

    /// The path given, for reports.
    var path: String { checkpoint ?? onnx ?? "" }

    /// The model and its spec, checked against the data's image shape.
    func load(imageShape: [Int]) throws -> (any Module, ModelSpec) {
        try loadModel(path, imageShape: imageShape)
    }
}

/// The model in a checkpoint, or in an ONNX file when `path` ends in `.onnx`, checked against
/// the data's image shape.
func loadModel(_ path: String, imageShape: [Int]) throws -> (any Module, ModelSpec) {
    if path.lowercased().hasSuffix(".onnx") {
        let (graph, spec) = try importONNXClassifier(contentsOf: path, imageShape: imageShape)
        return (graph, spec)
    }
    let saved = try Checkpoint.read(from: path)
    let spec = saved.header.model
    guard imageShape == spec.inputShape else {
        throw FSCError.shapeMismatch("\(path) expects images \(spec.inputShape), the data has \(imageShape)")
    }
    return (try saved.makeModel(), spec)
}
