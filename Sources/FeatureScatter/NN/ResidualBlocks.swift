// ResidualBlocks.swift — the pre-activation residual block of WideResNet and PreActResNet.

/// The pre-activation residual block shared by WideResNet (Zagoruyko & Komodakis 2016)
/// and PreActResNet (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
/// BN–ReLU–conv3×3(stride)–BN–ReLU–conv3×3, plus the input, or a 1×1 projection of the
/// activated input when the width or stride changes.
public final class PreActivationBlock: Module {
    let bn1: BatchNorm, conv1: Conv2d, bn2: BatchNorm, conv2: Conv2d
    let shortcut: Conv2d?

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int, using generator: inout SeededGenerator) {
        bn1 = BatchNorm(inChannels)
        conv1 = Conv2d(inChannels, outChannels, kernel: 3, stride: stride, padding: 1, bias: false, using: &generator)
        bn2 = BatchNorm(outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernel: 3, padding: 1, bias: false, using: &generator)
        shortcut = inChannels == outChannels && stride == 1 ? nil
            : Conv2d(inChannels, outChannels, kernel: 1, stride: stride, bias: false, using: &generator)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let activated = bn1(x, fusingReLU: true)
        let out = conv2(bn2(conv1(activated), fusingReLU: true))
        return out + (shortcut.map { $0(activated) } ?? x)
    }

    public var children: [(String, any Module)] {
        [("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2)] + (shortcut.map { [("shortcut", $0)] } ?? [])
    }
}
