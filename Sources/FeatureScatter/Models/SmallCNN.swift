// SmallCNN.swift — the four-convolution network of the MNIST robustness literature.

/// SmallCNN: Conv(C→32,3)–ReLU–Conv(32→32,3)–ReLU–MaxPool2–Conv(32→64,3)–ReLU–
/// Conv(64→64,3)–ReLU–MaxPool2–Flatten–FC 200–ReLU–Dropout 0.5–FC 200–ReLU–FC K,
/// without padding. For 1×28×28 input and 10 classes it has 312,202 parameters.
/// Initialised with PyTorch's defaults, so runs compare with PyTorch implementations.
public final class SmallCNN: Module {
    let body: Sequential

    public init(inputShape: [Int] = [1, 28, 28], classes: Int = 10, using generator: inout SeededGenerator) {
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let flat = 64 * ((h - 4) / 2 - 4) / 2 * (((w - 4) / 2 - 4) / 2)
        body = Sequential([
            Conv2d(c, 32, kernel: 3, using: &generator), ReLU(),
            Conv2d(32, 32, kernel: 3, using: &generator), ReLU(),
            MaxPool2d(kernel: 2),
            Conv2d(32, 64, kernel: 3, using: &generator), ReLU(),
            Conv2d(64, 64, kernel: 3, using: &generator), ReLU(),
            MaxPool2d(kernel: 2),
            Flatten(),
            Linear(flat, 200, using: &generator), ReLU(),
            Dropout(0.5),
            Linear(200, 200, using: &generator), ReLU(),
            Linear(200, classes, using: &generator),
        ])
    }

    public func callAsFunction(_ x: Variable) -> Variable { body(x) }
    public var children: [(String, any Module)] { [("body", body)] }
}
