// Sequential.swift — modules applied one after another.

/// Applies its layers in order; children are named "0", "1", ….
public final class Sequential: Module {
    public let layers: [any Module]
    public init(_ layers: [any Module]) { self.layers = layers }
    public func callAsFunction(_ x: Variable) -> Variable {
        layers.reduce(x) { $1($0) }
    }
    public var children: [(String, any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
}
