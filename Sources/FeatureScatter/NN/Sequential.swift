// Sequential.swift — modules applied one after another.

/// Applies its layers in order; children are named "0", "1", ….
///
/// A `Conv2d` or `BatchNorm` directly followed by a `ReLU` runs as one fused op (same values
/// and gradients, one pass and one kept activation fewer); the layers stay separate modules.
public final class Sequential: Module {
    public let layers: [any Module]
    public init(_ layers: [any Module]) { self.layers = layers }
    public func callAsFunction(_ x: Variable) -> Variable {
        var y = x
        var index = 0
        while index < layers.count {
            if let conv = layers[index] as? Conv2d, index + 1 < layers.count, layers[index + 1] is ReLU {
                y = conv(y, fusingReLU: true)
                index += 2
            } else if let norm = layers[index] as? BatchNorm, index + 1 < layers.count, layers[index + 1] is ReLU {
                y = norm(y, fusingReLU: true)
                index += 2
            } else {
                y = layers[index](y)
                index += 1
            }
        }
        return y
    }
    public var children: [(String, any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
}
