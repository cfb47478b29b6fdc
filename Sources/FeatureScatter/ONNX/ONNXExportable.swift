// ONNXExportable.swift — each layer and built-in model describes itself as ONNX nodes.
//
// Layers write their own nodes (rather than a tracer recording a forward pass) because the
// layer knows its intent: a BatchNorm is one BatchNormalization node with its running
// statistics, not the arithmetic of whichever mode a traced pass happened to run in.

/// A module that can write itself into an ONNX graph.
public protocol ONNXExportable {
    /// Appends this module's nodes reading `input` (`[N, ...]`) and returns the output's name.
    func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String
}

func exportChild(_ module: any Module, into graph: inout ONNXGraphBuilder, input: String) throws -> String {
    guard let exportable = module as? any ONNXExportable else {
        throw FSCError.onnx("cannot export \(type(of: module)): it does not conform to ONNXExportable")
    }
    return try exportable.exportONNX(into: &graph, input: input)
}

private func ints(_ values: [Int]) -> ONNXAttribute { .ints(values.map { Int64($0) }) }

private func window(_ g: Conv2dGeometry) -> [String: ONNXAttribute] {
    ["kernel_shape": ints([g.kernel.height, g.kernel.width]), "strides": ints([g.stride.height, g.stride.width]),
     "pads": ints([g.padding.height, g.padding.width, g.padding.height, g.padding.width])]
}

extension Sequential: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        try layers.reduce(input) { try exportChild($1, into: &graph, input: $0) }
    }
}

extension Conv2d: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        var inputs = [input, graph.initializer("conv.weight", weight.value)]
        if let bias { inputs.append(graph.initializer("conv.bias", bias.value)) }
        var attributes = window(geometry)
        attributes["dilations"] = ints([geometry.dilation.height, geometry.dilation.width])
        attributes["group"] = .int(Int64(groups))
        return graph.node("Conv", inputs, attributes: attributes)
    }
}

extension Linear: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        var inputs = [input, graph.initializer("linear.weight", weight.value)]
        if let bias { inputs.append(graph.initializer("linear.bias", bias.value)) }
        return graph.node("Gemm", inputs, attributes: ["transB": .int(1)])
    }
}

extension BatchNorm: ONNXExportable {
    /// Inference form: BatchNormalization with the running statistics as initializers.
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        graph.node("BatchNormalization", [input, graph.initializer("bn.weight", weight.value),
                                          graph.initializer("bn.bias", bias.value),
                                          graph.initializer("bn.running_mean", runningMean.value),
                                          graph.initializer("bn.running_var", runningVariance.value)],
                   attributes: ["epsilon": .float(epsilon), "momentum": .float(1 - momentum)])
    }
}

extension ReLU: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String { graph.node("Relu", [input]) }
}

extension LeakyReLU: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        graph.node("LeakyRelu", [input], attributes: ["alpha": .float(negativeSlope)])
    }
}

extension Sigmoid: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String { graph.node("Sigmoid", [input]) }
}

extension Tanh: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String { graph.node("Tanh", [input]) }
}

extension Flatten: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        graph.node("Flatten", [input], attributes: ["axis": .int(1)])
    }
}

extension Dropout: ONNXExportable {
    /// Inference form: the identity, so no node at all.
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String { input }
}

extension MaxPool2d: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        var attributes = window(geometry)
        if geometry.dilation != (1, 1) { attributes["dilations"] = ints([geometry.dilation.height, geometry.dilation.width]) }
        return graph.node("MaxPool", [input], attributes: attributes)
    }
}

extension AvgPool2d: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        var attributes = window(geometry)
        attributes["count_include_pad"] = .int(countIncludePad ? 1 : 0)
        return graph.node("AveragePool", [input], attributes: attributes)
    }
}

extension GlobalAvgPool2d: ONNXExportable {
    /// GlobalAveragePool gives `[N, C, 1, 1]`; the layer gives `[N, C]`, hence the Flatten.
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        graph.node("Flatten", [graph.node("GlobalAveragePool", [input])], attributes: ["axis": .int(1)])
    }
}

extension InputNormalization: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        let centred = graph.node("Sub", [input, graph.initializer("normalization.mean", mean.value)])
        return graph.node("Div", [centred, graph.initializer("normalization.std", standardDeviation.value)])
    }
}

extension PreActivationBlock: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        let activated = graph.node("Relu", [try bn1.exportONNX(into: &graph, input: input)])
        let inner = graph.node("Relu", [try bn2.exportONNX(into: &graph, input: try conv1.exportONNX(into: &graph, input: activated))])
        let out = try conv2.exportONNX(into: &graph, input: inner)
        let skip = try shortcut.map { try $0.exportONNX(into: &graph, input: activated) } ?? input
        return graph.node("Add", [out, skip])
    }
}

extension SmallCNN: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        try body.exportONNX(into: &graph, input: input)
    }
}

extension MLP: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        try body.exportONNX(into: &graph, input: input)
    }
}

extension WideResNet: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        let features = try blocks.exportONNX(into: &graph, input: try stem.exportONNX(into: &graph, input: input))
        let activated = graph.node("Relu", [try bn.exportONNX(into: &graph, input: features)])
        let pooled = try GlobalAvgPool2d().exportONNX(into: &graph, input: activated)
        return try classifier.exportONNX(into: &graph, input: pooled)
    }
}

extension PreActResNet18: ONNXExportable {
    public func exportONNX(into graph: inout ONNXGraphBuilder, input: String) throws -> String {
        let features = try blocks.exportONNX(into: &graph, input: try stem.exportONNX(into: &graph, input: input))
        let pooled = try GlobalAvgPool2d().exportONNX(into: &graph, input: features)
        return try classifier.exportONNX(into: &graph, input: pooled)
    }
}
