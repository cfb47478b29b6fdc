// BatchNorm.swift — batch normalisation over channels, with running statistics.

/// Batch normalisation over the channel axis of `[N, C]` or `[N, C, H, W]` (PyTorch's
/// `BatchNorm1d`/`BatchNorm2d`).
///
/// In a training pass it normalises with the batch's statistics and updates the running
/// statistics: `running = (1 − momentum)·running + momentum·batch` (unbiased variance);
/// in an inference pass it uses the running statistics and changes nothing.
public final class BatchNorm: Module {
    /// Scale γ, `[C]`, initialised to 1.
    public let weight: Parameter
    /// Shift β, `[C]`, initialised to 0.
    public let bias: Parameter
    /// Running mean, `[C]`.
    public let runningMean: Buffer
    /// Running variance, `[C]`.
    public let runningVariance: Buffer
    public var momentum: Float
    public var epsilon: Float

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Parameter(.ones([channels]))
        bias = Parameter(.zeros([channels]))
        runningMean = Buffer(.zeros([channels]))
        runningVariance = Buffer(.ones([channels]))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        callAsFunction(x, fusingReLU: false)
    }

    /// Batch normalisation, followed by ReLU in the same pass when `fusingReLU`.
    public func callAsFunction(_ x: Variable, fusingReLU: Bool) -> Variable {
        let channels = weight.value.count
        precondition(x.shape.count >= 2 && x.shape[1] == channels,
                     "BatchNorm expects [N,\(channels),...], got \(x.shape)")
        let training = x.mode == .training
        let result = batchNorm(x, gamma: use(weight, with: x), beta: use(bias, with: x),
                               runningMean: runningMean.value.scalars,
                               runningVariance: runningVariance.value.scalars,
                               epsilon: epsilon, batchStatistics: training, fusingReLU: fusingReLU)
        if training {
            let keep = 1 - momentum
            for c in 0..<channels {
                runningMean.value.scalars[c] = keep * runningMean.value.scalars[c] + momentum * result.batchMean[c]
                runningVariance.value.scalars[c] = keep * runningVariance.value.scalars[c]
                    + momentum * result.batchVariance[c]
            }
        }
        return result.output
    }

    public var localParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var localBuffers: [(String, Buffer)] { [("running_mean", runningMean), ("running_var", runningVariance)] }
}
