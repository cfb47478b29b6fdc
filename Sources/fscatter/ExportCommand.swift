// ExportCommand.swift — `fscatter export`: a checkpoint's model as a checked ONNX file.

import ArgumentParser
import FeatureScatter
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a checkpoint's model to ONNX (checked before it is written).")

    @Option(help: "Checkpoint file (checkpoint.fsc) to export.")
    var checkpoint: String

    @Option(help: "Output ONNX file; written atomically, only when the ONNX checker passes.")
    var onnx: String

    @Option(help: "ai.onnx opset to write (13–17).")
    var opset = ONNXExportOptions().opset

    @Option(help: "Optional .npy batch to run through the model in inference mode (with --output).")
    var input: String?

    @Option(help: "Where to write the model's inference-mode output for --input, as .npy.")
    var output: String?

    func run() throws {
        let saved = try Checkpoint.read(from: checkpoint)
        let model = try saved.makeModel()
        var options = ONNXExportOptions()
        options.opset = opset
        options.metadata = saved.header.metadata.merging(
            ["architecture": saved.header.model.architecture, "epochs": String(saved.header.epoch)]) { a, _ in a }
        try exportONNX(model, inputShape: saved.header.model.inputShape, to: onnx, options: options)
        if let input, let output {
            let x = try readNPY(path: input)
            let y = model.predict(Tensor(shape: x.shape, scalars: x.floats()))
            try writeNPY(y.scalars, shape: y.shape, to: output)
        }
        print("wrote \(onnx): \(saved.header.model.architecture), opset \(opset), \(model.parameterCount) parameters")
    }
}
