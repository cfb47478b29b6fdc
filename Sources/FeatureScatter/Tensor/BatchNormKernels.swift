// BatchNormKernels.swift — batch normalisation over the channel axis, forward and adjoint.

/// What the batch-norm backward pass needs from the forward pass.
public struct BatchNormSaved {
    /// The normalised input x̂, same shape as the input.
    public var normalized: Tensor
    /// 1/√(σ² + ε) per channel.
    public var inverseStd: [Float]
    /// True when batch statistics were used (train mode), false for running statistics.
    public var usedBatchStatistics: Bool
}

/// Splits a shape `[N, C, ...]` into (N, C, spatial size).
@inline(__always)
func channelLayout(_ shape: [Int]) -> (batch: Int, channels: Int, spatial: Int) {
    precondition(shape.count >= 2, "batch norm needs [N,C,...], got \(shape)")
    return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
}

/// Batch normalisation `y = γ·(x − μ)/√(σ² + ε) + β` per channel of `[N, C, ...]` input.
///
/// With `batchStatistics` μ and σ² are the biased mean and variance of the batch, and the
/// returned `(mean, unbiasedVariance)` let the caller update its running statistics;
/// otherwise `mean` and `variance` (the running statistics) are used as given.
public func batchNorm(_ input: Tensor, gamma: Tensor, beta: Tensor, mean runningMean: [Float],
                      variance runningVariance: [Float], epsilon: Float, batchStatistics: Bool)
    -> (output: Tensor, saved: BatchNormSaved, batchMean: [Float], batchVariance: [Float]) {
    let (n, c, s) = channelLayout(input.shape)
    let count = n * s
    var mean = runningMean, variance = runningVariance, unbiased = runningVariance
    input.scalars.withUnsafeBufferPointer { x in
        if batchStatistics {
            for ch in 0..<c {
                var total: Double = 0
                for i in 0..<n {
                    let base = (i * c + ch) * s
                    for j in 0..<s { total += Double(x[base + j]) }
                }
                let mu = total / Double(count)
                var squares: Double = 0
                for i in 0..<n {
                    let base = (i * c + ch) * s
                    for j in 0..<s {
                        let d = Double(x[base + j]) - mu
                        squares += d * d
                    }
                }
                mean[ch] = Float(mu)
                variance[ch] = Float(squares / Double(count))
                unbiased[ch] = Float(squares / Double(max(count - 1, 1)))
            }
        }
    }
    var inverseStd = [Float](repeating: 0, count: c)
    for ch in 0..<c { inverseStd[ch] = 1 / (variance[ch] + epsilon).squareRoot() }
    var normalized = [Float](repeating: 0, count: input.count)
    var out = [Float](repeating: 0, count: input.count)
    input.scalars.withUnsafeBufferPointer { x in
        normalized.withUnsafeMutableBufferPointer { xh in
            out.withUnsafeMutableBufferPointer { y in
                for i in 0..<n {
                    for ch in 0..<c {
                        let base = (i * c + ch) * s
                        let mu = mean[ch], inv = inverseStd[ch]
                        let g = gamma.scalars[ch], b = beta.scalars[ch]
                        for j in 0..<s {
                            let v = (x[base + j] - mu) * inv
                            xh[base + j] = v
                            y[base + j] = g * v + b
                        }
                    }
                }
            }
        }
    }
    let saved = BatchNormSaved(normalized: Tensor(shape: input.shape, scalars: normalized),
                               inverseStd: inverseStd, usedBatchStatistics: batchStatistics)
    return (Tensor(shape: input.shape, scalars: out), saved, mean, unbiased)
}

/// The adjoint of `batchNorm`: gradients of the input, γ and β.
public func batchNormBackward(_ outputGradient: Tensor, gamma: Tensor, saved: BatchNormSaved,
                              needInput: Bool) -> (input: Tensor?, gamma: Tensor, beta: Tensor) {
    let (n, c, s) = channelLayout(outputGradient.shape)
    let count = Float(n * s)
    var dGamma = [Float](repeating: 0, count: c)
    var dBeta = [Float](repeating: 0, count: c)
    outputGradient.scalars.withUnsafeBufferPointer { dy in
        saved.normalized.scalars.withUnsafeBufferPointer { xh in
            for ch in 0..<c {
                var sumDy: Double = 0, sumDyXh: Double = 0
                for i in 0..<n {
                    let base = (i * c + ch) * s
                    for j in 0..<s {
                        sumDy += Double(dy[base + j])
                        sumDyXh += Double(dy[base + j] * xh[base + j])
                    }
                }
                dBeta[ch] = Float(sumDy)
                dGamma[ch] = Float(sumDyXh)
            }
        }
    }
    var dx: Tensor?
    if needInput {
        var d = [Float](repeating: 0, count: outputGradient.count)
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            saved.normalized.scalars.withUnsafeBufferPointer { xh in
                d.withUnsafeMutableBufferPointer { out in
                    for i in 0..<n {
                        for ch in 0..<c {
                            let base = (i * c + ch) * s
                            let scale = gamma.scalars[ch] * saved.inverseStd[ch]
                            if saved.usedBatchStatistics {
                                let meanDy = dBeta[ch] / count, meanDyXh = dGamma[ch] / count
                                for j in 0..<s { out[base + j] = scale * (dy[base + j] - meanDy - xh[base + j] * meanDyXh) }
                            } else {
                                for j in 0..<s { out[base + j] = scale * dy[base + j] }
                            }
                        }
                    }
                }
            }
        }
        dx = Tensor(shape: outputGradient.shape, scalars: d)
    }
    return (dx, Tensor(shape: [c], scalars: dGamma), Tensor(shape: [c], scalars: dBeta))
}
