// PoolingLayers.swift — pooling layers.

/// Max pooling with a square window.
public final class MaxPool2d: Module {
    public let geometry: Conv2dGeometry
    /// `stride` defaults to the kernel size, as in PyTorch.
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        geometry = Conv2dGeometry(kernel: (kernel, kernel), stride: (stride ?? kernel, stride ?? kernel),
                                  padding: (padding, padding))
    }
    public func callAsFunction(_ x: Variable) -> Variable { maxPool2d(x, geometry: geometry) }
}

/// Average pooling with a square window.
public final class AvgPool2d: Module {
    public let geometry: Conv2dGeometry
    public let countIncludePad: Bool
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        geometry = Conv2dGeometry(kernel: (kernel, kernel), stride: (stride ?? kernel, stride ?? kernel),
                                  padding: (padding, padding))
        self.countIncludePad = countIncludePad
    }
    public func callAsFunction(_ x: Variable) -> Variable {
        avgPool2d(x, geometry: geometry, countIncludePad: countIncludePad)
    }
}

/// The mean over each channel's spatial positions: `[N, C, H, W]` → `[N, C]`.
public final class GlobalAvgPool2d: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count == 4, "GlobalAvgPool2d expects [N,C,H,W], got \(x.shape)")
        let (n, c, s) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        return sum(x.reshaped([n, c, s]), axis: 2) * (1 / Float(s))
    }
}
