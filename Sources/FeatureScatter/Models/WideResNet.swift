// WideResNet.swift — Wide Residual Networks, as used by the feature-scattering paper.

import Foundation

/// WRN-depth-width (Zagoruyko & Komodakis, *Wide Residual Networks*, BMVC 2016) with
/// pre-activation basic blocks and no dropout: conv3×3(16), three groups of
/// (depth − 4)/6 blocks of widths 16k, 32k, 64k (strides 1, 2, 2), BN–ReLU, global average
/// pooling and a linear classifier. WRN-28-10 for 10 classes has 36,479,194 parameters.
///
/// Initialisation follows the reference code: convolutions ~ N(0, 2/(kh·kw·C_out)) (He,
/// fan-out), BN γ = 1 and β = 0, classifier bias 0.
public final class WideResNet: Module {
    let stem: Conv2d
    let blocks: Sequential
    let bn: BatchNorm
    let classifier: Linear

    public init(depth: Int, width: Int, inputChannels: Int = 3, classes: Int = 10,
                using generator: inout SeededGenerator) {
        precondition((depth - 4) % 6 == 0 && depth >= 10, "WideResNet depth must be 6n + 4, got \(depth)")
        let perGroup = (depth - 4) / 6
        let widths = [16, 16 * width, 32 * width, 64 * width]
        stem = Conv2d(inputChannels, widths[0], kernel: 3, padding: 1, bias: false, using: &generator)
        var layers: [any Module] = []
        var channels = widths[0]
        for (group, stride) in [(1, 1), (2, 2), (3, 2)] {
            for i in 0..<perGroup {
                layers.append(PreActivationBlock(channels, widths[group], stride: i == 0 ? stride : 1,
                                                 using: &generator))
                channels = widths[group]
            }
        }
        blocks = Sequential(layers)
        bn = BatchNorm(channels)
        classifier = Linear(channels, classes, using: &generator)
        for (_, parameter) in namedParameters() where parameter.value.rank == 4 {
            let shape = parameter.value.shape
            let std = (2 / Float(shape[0] * shape[2] * shape[3])).squareRoot()
            parameter.value = .normal(shape, standardDeviation: std, using: &generator)
        }
        classifier.bias?.value = .zeros([classes])
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let features = bn(blocks(stem(x)), fusingReLU: true)
        return classifier(GlobalAvgPool2d()(features))
    }

    public var children: [(String, any Module)] {
        [("conv1", stem), ("blocks", blocks), ("bn", bn), ("fc", classifier)]
    }
}
