// ONNXImporter.swift — ModelProto → GraphModule: parameters, buffers, constants, checked order.

import Foundation

/// Options for `importONNX`.
public struct ONNXImportOptions: Sendable {
    /// Memory bounds applied while reading tensors.
    public var limits = ONNXLimits()
    /// Run the graph once on zeros (symbolic dimensions = 1) to catch shape errors at import
    /// (skipped when the inputs hold more than ``maxProbeElements`` values together, or when the run
    /// needs more than ``maxImportWork``).
    public var validateByRunning = true
    /// The largest input the validation run allocates (2^24 floats, 64 MiB).
    public static let maxProbeElements = 1 << 24
    /// The most work (as `GraphModule.run(_:workLimit:)` counts it) the validation run and each folded
    /// constant node may take: a validation run that needs more is skipped, a node that needs more is
    /// left to run with the graph. 2^34 is a few seconds of this machine's arithmetic.
    public var maxImportWork = 1 << 34
    /// The most work `importONNXClassifier`'s one-image run may take; nil is no limit.
    public var maxClassifierCheckWork: Int?
    public init() {}
}

/// The ai.onnx opsets the importer accepts.
public let supportedImportOpsets = 1...18

/// Imports an ONNX file as a trainable, differentiable `GraphModule`.
///
/// - Throws: `FSCError.io` for a missing file, `FSCError.onnx` naming the operator, node and
///   opset for anything unsupported or malformed.
public func importONNX(contentsOf path: String, options: ONNXImportOptions = ONNXImportOptions()) throws -> GraphModule {
    let model = try ONNXModel.read(from: path, limits: options.limits)
    do {
        return try importONNX(model, options: options)
    } catch FSCError.onnx(let message) {
        throw FSCError.onnx("\(path): \(message)")
    }
}

/// Imports a parsed model.
public func importONNX(_ model: ONNXModel, options: ONNXImportOptions = ONNXImportOptions()) throws -> GraphModule {
    let opset = model.opset
    guard supportedImportOpsets.contains(opset) else {
        throw FSCError.onnx("opset \(opset) is not supported (\(supportedImportOpsets.lowerBound)–\(supportedImportOpsets.upperBound))")
    }
    // BatchNormalization statistics become buffers; other float initializers parameters.
    var statistics = Set<String>()
    for node in model.nodes where node.opType == "BatchNormalization" && node.inputs.count >= 5 {
        statistics.insert(node.inputs[3])
        statistics.insert(node.inputs[4])
    }
    var parameters: [(String, Parameter)] = [], buffers: [(String, Buffer)] = []
    var constants: [String: GraphModule.ConstantValue] = [:]
    var defined = Set<String>()
    for tensor in model.initializers {
        guard !tensor.name.isEmpty, defined.insert(tensor.name).inserted else {
            throw FSCError.onnx("initializer \"\(tensor.name)\" is unnamed or defined twice")
        }
        if tensor.isFloatingPoint {
            let value = Tensor(shape: tensor.shape, scalars: tensor.floats)
            if statistics.contains(tensor.name) { buffers.append((tensor.name, Buffer(value))) }
            else { parameters.append((tensor.name, Parameter(value))) }
        } else {
            constants[tensor.name] = .integer(IntegerTensor(shape: tensor.shape, values: tensor.integers))
        }
    }
    // Runtime inputs: graph inputs that no initializer provides (IR < 4 lists both).
    let inputs = model.inputs.filter { !defined.contains($0.name) }
    for input in inputs {
        guard [1, 6, 7, 11].contains(input.elementType) else {
            throw FSCError.onnx("graph input \(input.name) has element type \(input.elementType); only float, double, int32 and int64 inputs are supported")
        }
        guard defined.insert(input.name).inserted else { throw FSCError.onnx("graph input \(input.name) is defined twice") }
        if let shape = input.shape, shape.contains(where: { ($0 ?? 0) < 0 }) {
            throw FSCError.onnx("graph input \(input.name) has a negative dimension")
        }
    }
    guard !model.outputs.isEmpty else { throw FSCError.onnx("the graph has no output") }

    for node in model.nodes { try ONNXOperators.validate(node, opset: opset) }
    let ordered = try topologicalOrder(model.nodes, available: defined)

    // Fold Constant nodes, and nodes whose inputs are all constants, at import.
    let known = Set(parameters.map(\.0)).union(buffers.map(\.0))
    var nodes: [ONNXNode] = []
    let folder = GraphModule(inputs: [], outputs: [], opset: opset, nodes: [], metadata: [],
                             parameters: [], buffers: [], constants: [:])
    for node in ordered {
        let foldable = node.opType != "Dropout" && node.opType != "BatchNormalization"
            && node.inputs.allSatisfy { $0.isEmpty || constants[$0] != nil } && !node.inputs.contains(where: known.contains)
        guard foldable else { nodes.append(node); continue }
        var context = GraphContext(module: folder, tape: nil, workLimit: options.maxImportWork)
        let arguments: [GraphValue?] = node.inputs.map { name in
            switch constants[name] {
            case .float(let t)?: return .float(Variable(constant: t))
            case .integer(let t)?: return .integer(t)
            case nil: return nil
            }
        }
        let results: [GraphValue]
        do {
            results = try ONNXOperators.execute(node, arguments, &context)
        } catch is GraphWorkLimitExceeded {
            nodes.append(node)
            continue
        }
        for (name, value) in zip(node.outputs, results) where !name.isEmpty {
            switch value {
            case .float(let v): constants[name] = .float(v.value)
            case .integer(let t): constants[name] = .integer(t)
            }
        }
    }
    let module = GraphModule(inputs: inputs, outputs: model.outputs, opset: opset, nodes: nodes,
                             metadata: model.metadata, parameters: parameters, buffers: buffers, constants: constants)
    if options.validateByRunning, !inputs.isEmpty, inputs.allSatisfy({ $0.shape != nil && [1, 11].contains($0.elementType) }) {
        // A dimension declared 0 is taken as unknown, as some exporters mean it: no probe is empty.
        let probeShapes = inputs.map { info in info.shape!.map { Swift.max($0 ?? 1, 1) } }
        let sizes = probeShapes.map { shape in
            shape.reduce(1) { total, d in
                let (product, overflow) = total.multipliedReportingOverflow(by: d)
                return overflow ? Int.max : product
            }
        }
        if sizes.allSatisfy({ $0 <= ONNXImportOptions.maxProbeElements }),
           sizes.reduce(0, +) <= ONNXImportOptions.maxProbeElements {
            do {
                _ = try module.execute(probeShapes.map { .float(Variable(constant: Tensor.zeros($0))) },
                                       workLimit: options.maxImportWork)
            } catch is GraphWorkLimitExceeded {
                // Too costly to validate at import; the first real run checks the same things.
            }
        }
    }
    return module
}

/// Orders nodes so each runs after the producers of its inputs (Kahn's algorithm).
///
/// - Throws: `FSCError.onnx` naming a value no one defines, or the nodes on a cycle.
func topologicalOrder(_ nodes: [ONNXNode], available: Set<String>) throws -> [ONNXNode] {
    var producer: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
        for output in node.outputs where !output.isEmpty {
            guard producer[output] == nil, !available.contains(output) else {
                throw FSCError.onnx("value \"\(output)\" is produced twice (node \"\(node.name)\", \(node.opType))")
            }
            producer[output] = i
        }
    }
    var waiting = [Int](repeating: 0, count: nodes.count)
    var consumers = [[Int]](repeating: [], count: nodes.count)
    for (i, node) in nodes.enumerated() {
        for input in node.inputs where !input.isEmpty {
            if let p = producer[input] {
                waiting[i] += 1
                consumers[p].append(i)
            } else if !available.contains(input) {
                throw FSCError.onnx("node \"\(node.name)\" (\(node.opType)) uses \"\(input)\", which no input, " +
                                    "initializer or node defines (missing initializer?)")
            }
        }
    }
    var ready = (0..<nodes.count).filter { waiting[$0] == 0 }.reversed() as [Int]
    var order: [ONNXNode] = []
    while let i = ready.popLast() {
        order.append(nodes[i])
        for c in consumers[i] {
            waiting[c] -= 1
            if waiting[c] == 0 { ready.append(c) }
        }
    }
    guard order.count == nodes.count else {
        let stuck = (0..<nodes.count).filter { waiting[$0] > 0 }.prefix(5).map { "\"\(nodes[$0].name)\" (\(nodes[$0].opType))" }
        throw FSCError.onnx("the graph has a cycle through nodes \(stuck.joined(separator: ", "))")
    }
    return order
}
