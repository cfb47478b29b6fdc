// Activations.swift — pointwise activation layers.

/// max(x, 0) as a layer.
public final class ReLU: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { relu(x) }
}

/// Leaky ReLU as a layer.
public final class LeakyReLU: Module {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ x: Variable) -> Variable { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// The logistic sigmoid as a layer.
public final class Sigmoid: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { sigmoid(x) }
}

/// tanh as a layer.
public final class Tanh: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { tanh(x) }
}

/// `[N, ...]` → `[N, rest]`.
public final class Flatten: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { flatten(x) }
}
