// PreActResNet18.swift — the 18-layer pre-activation ResNet common in robustness work.

/// PreActResNet-18 (He et al., *Identity Mappings in Deep Residual Networks*, ECCV 2016):
/// conv3×3(64), four stages of two pre-activation blocks (64, 128, 256, 512 channels;
/// strides 1, 2, 2, 2), global average pooling and a linear classifier. For 10 classes it
/// has 11,171,146 parameters. PyTorch default initialisation.
public final class PreActResNet18: Module {
    let stem: Conv2d
    let blocks: Sequential
    let classifier: Linear

    public init(inputChannels: Int = 3, classes: Int = 10, using generator: inout SeededGenerator) {
        stem = Conv2d(inputChannels, 64, kernel: 3, padding: 1, bias: false, using: &generator)
        var layers: [any Module] = []
        var channels = 64
        for (width, stride) in [(64, 1), (128, 2), (256, 2), (512, 2)] {
            layers.append(PreActivationBlock(channels, width, stride: stride, using: &generator))
            layers.append(PreActivationBlock(width, width, stride: 1, using: &generator))
            channels = width
        }
        blocks = Sequential(layers)
        classifier = Linear(512, classes, using: &generator)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        classifier(GlobalAvgPool2d()(blocks(stem(x))))
    }

    public var children: [(String, any Module)] {
        [("conv1", stem), ("blocks", blocks), ("linear", classifier)]
    }
}
