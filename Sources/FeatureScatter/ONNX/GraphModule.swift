// GraphModule.swift — an imported ONNX graph as an engine Module: trainable, differentiable.

/// A computation graph imported from ONNX (see `importONNX`).
///
/// It is a normal `Module`: float initializers are `Parameter`s (trained by any optimiser,
/// saved in checkpoints), BatchNormalization's running statistics are `Buffer`s, updated in
/// training passes. Running it records every operation on the input's tape, so gradients
/// reach the inputs and every attack works on it. `callAsFunction` takes the first graph
/// input and returns the first graph output; `run(_:)` takes and returns all of them.
public final class GraphModule: Module {
    /// The graph's runtime inputs (initializers excluded) and outputs.
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    /// The ai.onnx opset the graph was written for.
    public let opset: Int
    /// The nodes left after constant folding, in execution (topological) order.
    public let nodes: [ONNXNode]
    /// Metadata of the source model.
    public let metadata: [(key: String, value: String)]
    /// Trainable float initializers, by initializer name.
    let parameterList: [(String, Parameter)]
    /// BatchNormalization running statistics, by initializer name.
    let bufferList: [(String, Buffer)]
    /// Constant values (integer initializers, Constant nodes, folded results), by name.
    let constants: [String: ConstantValue]
    let parameterByName: [String: Parameter]
    let bufferByName: [String: Buffer]

    enum ConstantValue {
        case float(Tensor)
        case integer(IntegerTensor)
    }

    init(inputs: [ONNXValueInfo], outputs: [ONNXValueInfo], opset: Int, nodes: [ONNXNode],
         metadata: [(key: String, value: String)], parameters: [(String, Parameter)], buffers: [(String, Buffer)],
         constants: [String: ConstantValue]) {
        self.inputs = inputs
        self.outputs = outputs
        self.opset = opset
        self.nodes = nodes
        self.metadata = metadata
        parameterList = parameters
        bufferList = buffers
        self.constants = constants
        parameterByName = Dictionary(parameters, uniquingKeysWith: { a, _ in a })
        bufferByName = Dictionary(buffers, uniquingKeysWith: { a, _ in a })
    }

    public var localParameters: [(String, Parameter)] { parameterList }
    public var localBuffers: [(String, Buffer)] { bufferList }

    /// The distinct operator types of the graph, sorted.
    public var operatorTypes: [String] { Array(Set(nodes.map(\.opType))).sorted() }

    /// Runs the graph on its first input and returns its first output.
    ///
    /// Traps with the importer's message if the input does not fit the graph (wrong rank or
    /// size); use `run(_:)` to get a thrown error instead.
    public func callAsFunction(_ x: Variable) -> Variable {
        do {
            return try run([x])[0]
        } catch {
            preconditionFailure("GraphModule: \(error)")
        }
    }

    /// Runs the graph on all its inputs (in `inputs` order) and returns all its float outputs.
    ///
    /// - Parameter workLimit: the most multiply-adds and comparisons (Conv, pooling, Gemm, MatMul,
    ///   and one per element of every broadcast, padded, gathered or concatenated output) the run may
    ///   do; nil is no limit. A node that would go beyond it throws before it allocates.
    public func run(_ values: [Variable], workLimit: Int? = nil) throws -> [Variable] {
        try run(values: values.map { GraphValue.float($0) }, workLimit: workLimit)
    }

    /// Runs the graph on float or integer inputs (in `inputs` order); `workLimit` as in `run(_:workLimit:)`.
    public func run(values: [GraphValue], workLimit: Int? = nil) throws -> [Variable] {
        do {
            return try execute(values, workLimit: workLimit)
        } catch let exceeded as GraphWorkLimitExceeded {
            throw FSCError.invalidArgument(exceeded.description)
        }
    }

    /// `run(values:workLimit:)`, with a limit hit thrown as `GraphWorkLimitExceeded`.
    func execute(_ values: [GraphValue], workLimit: Int?) throws -> [Variable] {
        guard values.count == inputs.count else {
            throw FSCError.invalidArgument("the graph takes \(inputs.count) inputs, got \(values.count)")
        }
        let tape = values.lazy.compactMap { value -> Tape? in if case .float(let v) = value { return v.tape }; return nil }.first
        var environment: [String: GraphValue] = [:]
        for (info, value) in zip(inputs, values) {
            if let shape = info.shape {
                guard shape.count == value.shape.count,
                      zip(shape, value.shape).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) else {
                    throw FSCError.shapeMismatch("graph input \(info.name) expects \(shape.map { $0.map(String.init) ?? "?" }), got \(value.shape)")
                }
            }
            environment[info.name] = value
        }
        var context = GraphContext(module: self, tape: tape, workLimit: workLimit)
        for node in nodes {
            let arguments = try node.inputs.map { name -> GraphValue? in
                guard !name.isEmpty else { return nil }
                if let value = environment[name] { return value }
                return try context.lookup(name, node: node)
            }
            let results = try ONNXOperators.execute(node, arguments, &context)
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { environment[name] = value }
        }
        return try outputs.map { info in
            let value: GraphValue?
            if let v = environment[info.name] { value = v } else { value = try? context.lookup(info.name, node: nil) }
            switch value {
            case .float(let v): return v
            case .integer(let t): return Variable(constant: Tensor(shape: t.shape, scalars: t.values.map { Float($0) }))
            case nil: throw FSCError.onnx("graph output \(info.name) is never produced")
            }
        }
    }
}

/// What operators see while a graph runs: the module's parameters and constants, and the tape.
struct GraphContext {
    let module: GraphModule
    let tape: Tape?
    var parameterVariables: [ObjectIdentifier: Variable] = [:]
    /// The most work the run may do (see `charge`); nil is no limit.
    let workLimit: Int?
    var workSpent = 0

    init(module: GraphModule, tape: Tape?, workLimit: Int? = nil) {
        self.module = module
        self.tape = tape
        self.workLimit = workLimit
    }

    var mode: ForwardMode { tape?.mode ?? .inference }

    mutating func lookup(_ name: String, node: ONNXNode?) throws -> GraphValue {
        if let parameter = module.parameterByName[name] {
            let key = ObjectIdentifier(parameter)
            if let v = parameterVariables[key] { return .float(v) }
            let v = tape?.variable(for: parameter) ?? Variable(constant: parameter.value)
            parameterVariables[key] = v
            return .float(v)
        }
        if let buffer = module.bufferByName[name] { return .float(Variable(constant: buffer.value)) }
        switch module.constants[name] {
        case .float(let t): return .float(Variable(constant: t))
        case .integer(let t): return .integer(t)
        case nil:
            throw FSCError.onnx("value \"\(name)\" used by \(node.map { "node \($0.name) (\($0.opType))" } ?? "the graph output") is never defined")
        }
    }
}
