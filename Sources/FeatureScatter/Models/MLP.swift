// MLP.swift — a multilayer perceptron over flattened images.

/// Flatten, then Linear–ReLU for each hidden width, then a linear classifier.
public final class MLP: Module {
    let body: Sequential

    public init(inputFeatures: Int, hidden: [Int] = [256, 256], classes: Int = 10,
                using generator: inout SeededGenerator) {
        var layers: [any Module] = [Flatten()]
        var width = inputFeatures
        for next in hidden {
            layers.append(Linear(width, next, using: &generator))
            layers.append(ReLU())
            width = next
        }
        layers.append(Linear(width, classes, using: &generator))
        body = Sequential(layers)
    }

    public func callAsFunction(_ x: Variable) -> Variable { body(x) }
    public var children: [(String, any Module)] { [("body", body)] }
}
