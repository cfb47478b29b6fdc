// ImportCommand.swift — `fscatter import`: load an ONNX model and summarise it.

import ArgumentParser
import FeatureScatter
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import an ONNX model and print its inputs, outputs, operators and size.")

    @Option(help: "ONNX model to import.")
    var onnx: String

    @Option(name: .customLong("max-elements"), help: "Refuse models whose initializers hold more elements in total (default: half the machine's memory as float32).")
    var maxElements = ONNXLimits.machineElements

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: "Optional .npy batch to run through the imported graph in inference mode (with --output).")
    var input: String?

    @Option(help: "Where to write the graph's first output for --input, as .npy.")
    var output: String?

    @Option(name: .customLong("export"), help: "Export the imported graph again to this ONNX file.")
    var exportPath: String?

    @Option(name: .customLong("input-normalization"), help: inputNormalizationHelp)
    var inputNormalization: InputNormalizationSpec?

    func run() throws {
        var options = ONNXImportOptions()
        options.limits.maxTotalElements = maxElements
        let graph = try importONNX(contentsOf: onnx, options: options)
        let model: any Module = try inputNormalization.map { normalization in
            let spec = try importONNXClassifier(contentsOf: onnx, options: options).1
            return try normalizingInput(of: graph, spec: spec, with: normalization).0
        } ?? graph
        if let input, let output {
            let x = try readNPY(path: input)
            let y = model.predict(Tensor(shape: x.shape, scalars: x.floats()))
            try writeNPY(y.scalars, shape: y.shape, to: output)
        }
        if let exportPath {
            try exportONNX(model, inputShape: [], to: exportPath)
        }
        func describe(_ info: ONNXValueInfo) -> String {
            let dims = info.shape.map { shape in
                zip(shape, info.dimensionNames + Array(repeating: "", count: shape.count)).map { d, n in
                    d.map(String.init) ?? (n.isEmpty ? "?" : n)
                }.joined(separator: ",")
            } ?? "?"
            return "\(info.name)[\(dims)]"
        }
        if json {
            let summary: [String: Any] = [
                "inputs": graph.inputs.map(\.name), "outputs": graph.outputs.map(\.name), "opset": graph.opset,
                "operators": graph.operatorTypes, "nodes": graph.nodes.count, "parameters": graph.parameterCount,
            ]
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("inputs:     \(graph.inputs.map(describe).joined(separator: " "))")
        print("outputs:    \(graph.outputs.map(describe).joined(separator: " "))")
        print("opset:      \(graph.opset)")
        print("operators:  \(graph.operatorTypes.joined(separator: ", ")) (\(graph.nodes.count) nodes)")
        print("parameters: \(graph.parameterCount)")
    }
}
