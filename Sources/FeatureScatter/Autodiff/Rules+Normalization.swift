// Rules+Normalization.swift — batch normalisation as a differentiable primitive.

/// Batch normalisation of `[N, C, ...]` with a hand-written VJP.
///
/// - Returns: the output and, with `batchStatistics`, the batch mean and unbiased variance
///   (for the caller's running statistics).
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, runningMean: [Float],
                      runningVariance: [Float], epsilon: Float, batchStatistics: Bool)
    -> (output: Variable, batchMean: [Float], batchVariance: [Float]) {
    let forward = Profiler.measure("batchNorm", .forward) {
        batchNorm(x.value, gamma: gamma.value, beta: beta.value, mean: runningMean,
                  variance: runningVariance, epsilon: epsilon, batchStatistics: batchStatistics)
    }
    let saved = forward.saved
    let output = record("batchNorm", [x, gamma, beta], forward.output) { g in
        let grads = batchNormBackward(g, gamma: gamma.value, saved: saved, needInput: x.requiresGradient)
        return [grads.input, gamma.requiresGradient ? grads.gamma : nil, beta.requiresGradient ? grads.beta : nil]
    }
    return (output, forward.batchMean, forward.batchVariance)
}
