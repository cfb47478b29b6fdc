// Linear.swift — the fully connected layer.

/// A fully connected layer `y = x·Wᵀ + b`.
///
/// Initialised like PyTorch: W ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5) and
/// b ~ U(−1/√in, 1/√in).
public final class Linear: Module {
    /// `[out, in]`.
    public let weight: Parameter
    /// `[out]`, or nil without bias.
    public let bias: Parameter?

    /// - Parameters:
    ///   - inFeatures: size of each input row.
    ///   - outFeatures: size of each output row.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, using generator: inout SeededGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(.uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(.uniform([outFeatures], low: -bound, high: bound, using: &generator)) : nil
    }

    /// - Parameter x: `[N, in]`. - Returns: `[N, out]`.
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count == 2 && x.shape[1] == weight.value.shape[1],
                     "Linear expects [N,\(weight.value.shape[1])], got \(x.shape)")
        let y = matmul(x, use(weight, with: x), transposeB: true)
        return bias.map { y + use($0, with: x) } ?? y
    }

    public var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
