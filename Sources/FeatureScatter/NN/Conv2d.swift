// Conv2d.swift — the 2-D convolution layer.

/// A 2-D convolution over NCHW input (PyTorch's `Conv2d`).
///
/// Initialised like PyTorch: weights and bias ~ U(−1/√fan_in, 1/√fan_in) with
/// fan_in = C_in/groups · kh · kw; models may re-initialise (e.g. He fan-out for WRN).
public final class Conv2d: Module {
    /// `[C_out, C_in/groups, kh, kw]`.
    public let weight: Parameter
    /// `[C_out]`, or nil.
    public let bias: Parameter?
    public let geometry: Conv2dGeometry
    public let groups: Int
    /// The Winograd transforms of `weight`, kept between the passes that use the same weights.
    private let filterCache = WinogradFilterCache()

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout SeededGenerator) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        let fanIn = inChannels / groups * kernel * kernel
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(.uniform([outChannels, inChannels / groups, kernel, kernel],
                                    low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(.uniform([outChannels], low: -bound, high: bound, using: &generator)) : nil
        geometry = Conv2dGeometry(kernel: (kernel, kernel), stride: (stride, stride),
                                  padding: (padding, padding), dilation: (dilation, dilation))
        self.groups = groups
    }

    /// - Parameter x: `[N, C_in, H, W]`. - Returns: `[N, C_out, H_out, W_out]`.
    public func callAsFunction(_ x: Variable) -> Variable {
        callAsFunction(x, fusingReLU: false)
    }

    /// The convolution, followed by ReLU in the same pass when `fusingReLU` (what `Sequential`
    /// does for a `Conv2d` directly followed by a `ReLU`).
    public func callAsFunction(_ x: Variable, fusingReLU: Bool) -> Variable {
        precondition(x.shape.count == 4 && x.shape[1] == weight.value.shape[1] * groups,
                     "Conv2d expects [N,\(weight.value.shape[1] * groups),H,W], got \(x.shape)")
        return conv2d(x, weight: use(weight, with: x), bias: bias.map { use($0, with: x) },
                      groups: groups, geometry: geometry, fusingReLU: fusingReLU, filterCache: filterCache)
    }

    public var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
