// Rules+Normalization.swift — batch normalisation as a differentiable primitive.

/// Batch normalisation of `[N, C, ...]` with a hand-written VJP, optionally fused with the ReLU
/// that follows it (`relu(batchNorm(x))` as one op: the normalised output is never kept, so a
/// BN–ReLU pair holds one activation fewer for the backward pass, and the ReLU's mask is
/// applied inside the backward pass's loops).
///
/// - Returns: the output and, with `batchStatistics`, the batch mean and unbiased variance
///   (for the caller's running statistics).
/// With batch statistics on a tape that synchronises them (`Tape.synchronizedStatistics`), the
/// moments are those of every rank's rows together (SyncBN).
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, runningMean: [Float],
                      runningVariance: [Float], epsilon: Float, batchStatistics: Bool, fusingReLU: Bool = false)
    -> (output: Variable, batchMean: [Float], batchVariance: [Float]) {
    let op: StaticString = fusingReLU ? "batchNorm+relu" : "batchNorm"
    let forward = Profiler.measure(op, .forward) {
        batchNorm(x.value, gamma: gamma.value, beta: beta.value, mean: runningMean, variance: runningVariance,
                  epsilon: epsilon, batchStatistics: batchStatistics, fusingReLU: fusingReLU,
                  synchronized: x.tape?.synchronizedStatistics)
    }
    let (saved, out) = (forward.saved, forward.output)
    let output = record(op, [x, gamma, beta], out) { g in
        let grads = batchNormBackward(g, gamma: gamma.value, saved: saved, reluOutput: fusingReLU ? out : nil,
                                      needInput: x.requiresGradient,
                                      needParameters: gamma.requiresGradient || beta.requiresGradient)
        return [grads.input, gamma.requiresGradient ? grads.gamma : nil, beta.requiresGradient ? grads.beta : nil]
    }
    return (output, forward.batchMean, forward.batchVariance)
}
