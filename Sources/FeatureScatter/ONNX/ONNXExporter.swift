// ONNXExporter.swift — any exportable Module → a checked ONNX file.

import Foundation

/// Options for `exportONNX`.
public struct ONNXExportOptions: Sendable {
    /// The ai.onnx opset written (13–17; the system's libonnx 1.12 checker knows no later one).
    public var opset = 17
    /// Extra `metadata_props` (training method, ε, data set…).
    public var metadata: [String: String] = [:]
    public init() {}
}

/// The ai.onnx opsets the exporter writes.
public let supportedExportOpsets = 13...17

/// The ONNX bytes of `model` for inputs `[N] + inputShape` (N symbolic), after the full
/// checker and strict shape inference have passed.
public func exportONNX(_ model: any Module, inputShape: [Int], options: ONNXExportOptions = ONNXExportOptions()) throws -> [UInt8] {
    var graph: ONNXGraphBuilder
    if let imported = model as? GraphModule {
        graph = try imported.builder()
    } else if let sequential = model as? Sequential, sequential.layers.count == 2,
              let normalization = sequential.layers[0] as? InputNormalization,
              let imported = sequential.layers[1] as? GraphModule {
        graph = try imported.builder(normalizingInputWith: normalization)
    } else {
        guard supportedExportOpsets.contains(options.opset) else {
            throw FSCError.invalidArgument("export opset \(options.opset) is outside \(supportedExportOpsets)")
        }
        guard inputShape.allSatisfy({ $0 > 0 }) else { throw FSCError.invalidArgument("input shape \(inputShape) must be positive") }
        graph = ONNXGraphBuilder(opset: options.opset)
        graph.reserve(["input", "logits"])
        let output = try exportChild(model, into: &graph, input: "input")
        graph.nodes.append(ONNXNode(opType: "Identity", name: graph.name("output_node"), domain: "",
                                    inputs: [output], outputs: ["logits"], attributes: [:]))
        graph.inputs = [ONNXValueInfo(name: "input", elementType: 1, shape: [nil] + inputShape.map { $0 },
                                      dimensionNames: ["N"] + inputShape.map { _ in "" })]
        let probe = model.predict(Tensor.zeros([1] + inputShape))
        graph.outputs = [ONNXValueInfo(name: "logits", elementType: 1, shape: [nil] + probe.shape.dropFirst().map { $0 },
                                       dimensionNames: ["N"] + probe.shape.dropFirst().map { _ in "" })]
    }
    graph.metadata = options.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    return try graph.serialized()
}

/// Writes `model` as ONNX to `path` atomically; nothing is written if any check fails.
public func exportONNX(_ model: any Module, inputShape: [Int], to path: String,
                       options: ONNXExportOptions = ONNXExportOptions()) throws {
    let bytes = try exportONNX(model, inputShape: inputShape, options: options)
    try writeFileAtomically(Data(bytes), to: path)
}

extension GraphModule {
    /// The graph as it is now (trained parameters, current running statistics), at its own opset.
    func builder() throws -> ONNXGraphBuilder {
        var graph = ONNXGraphBuilder(opset: opset)
        var names = Set(inputs.map(\.name))
        for node in nodes { names.formUnion(node.inputs); names.formUnion(node.outputs) }
        names.formUnion(parameterList.map(\.0))
        graph.reserve(Array(names))
        graph.inputs = inputs
        graph.outputs = outputs.map { ONNXValueInfo(name: $0.name, elementType: $0.elementType, shape: $0.shape,
                                                    dimensionNames: $0.dimensionNames) }
        for (name, parameter) in parameterList { graph.floatInitializers.append((name, parameter.value.shape, parameter.value.scalars)) }
        for (name, buffer) in bufferList { graph.floatInitializers.append((name, buffer.value.shape, buffer.value.scalars)) }
        // Only constants some node (or output) still reads.
        var read = Set(nodes.flatMap(\.inputs))
        read.formUnion(outputs.map(\.name))
        for (name, constant) in constants.sorted(by: { $0.key < $1.key }) where read.contains(name) {
            switch constant {
            case .float(let t): graph.floatInitializers.append((name, t.shape, t.scalars))
            case .integer(let t): graph.integerInitializers.append((name, t.shape, t.values))
            }
        }
        graph.nodes = nodes
        return graph
    }

    /// The graph behind `normalization`: its input now takes [0, 1] images, and `Sub`, `Div` nodes
    /// in front feed what the graph's input used to be.
    func builder(normalizingInputWith normalization: InputNormalization) throws -> ONNXGraphBuilder {
        var graph = try builder()
        guard let original = graph.inputs.first else { return graph }
        let images = graph.name("images")
        graph.inputs[0] = ONNXValueInfo(name: images, elementType: original.elementType, shape: original.shape,
                                        dimensionNames: original.dimensionNames)
        let graphNodes = graph.nodes
        graph.nodes = []
        let mean = graph.initializer("normalization.mean", normalization.mean.value)
        let std = graph.initializer("normalization.std", normalization.standardDeviation.value)
        let centred = graph.node("Sub", [images, mean])
        graph.nodes.append(ONNXNode(opType: "Div", name: graph.name("Div_node"), domain: "", inputs: [centred, std],
                                    outputs: [original.name], attributes: [:]))
        graph.nodes += graphNodes
        return graph
    }
}
