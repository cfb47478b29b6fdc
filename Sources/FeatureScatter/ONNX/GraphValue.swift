// GraphValue.swift — the values flowing through an imported ONNX graph.

/// An integer tensor (shapes, indices, axes): ONNX shape-computation chains run on these.
public struct IntegerTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Int64]

    public init(shape: [Int], values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count, "IntegerTensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// A rank-1 tensor.
    public init(_ values: [Int64]) { self.init(shape: [values.count], values: values) }

    public var ints: [Int] { values.map { Int(clamping: $0) } }
}

/// A value in an imported graph: a differentiable float tensor or an integer tensor.
public enum GraphValue {
    case float(Variable)
    case integer(IntegerTensor)

    public var shape: [Int] {
        switch self {
        case .float(let v): return v.shape
        case .integer(let t): return t.shape
        }
    }
}
