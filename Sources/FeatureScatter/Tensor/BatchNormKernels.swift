// BatchNormKernels.swift — batch normalisation over the channel axis, forward and adjoint.

/// What the batch-norm backward pass needs from the forward pass.
public struct BatchNormSaved {
    /// The normalised input x̂, same shape as the input.
    public var normalized: Tensor
    /// 1/√(σ² + ε) per channel.
    public var inverseStd: [Float]
    /// True when batch statistics were used (train mode), false for running statistics.
    public var usedBatchStatistics: Bool
    /// The ranks the statistics were taken over (nil: this batch alone).
    public var synchronized: SynchronizedStatistics?
}

/// Splits a shape `[N, C, ...]` into (N, C, spatial size).
@inline(__always)
func channelLayout(_ shape: [Int]) -> (batch: Int, channels: Int, spatial: Int) {
    precondition(shape.count >= 2, "batch norm needs [N,C,...], got \(shape)")
    return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
}

/// Σ f(a[j], b[j]) over `count` elements in double precision, in four independent lanes
/// (so the loop is not one serial chain of additions).
@inline(__always)
private func laneSum(_ count: Int, _ term: (Int) -> Double) -> Double {
    var lanes = SIMD4<Double>()
    var j = 0
    while j + 4 <= count {
        lanes += SIMD4(term(j), term(j + 1), term(j + 2), term(j + 3))
        j += 4
    }
    var total = lanes.sum()
    while j < count {
        total += term(j)
        j += 1
    }
    return total
}

/// The two sums of `laneSum` in one pass over the elements.
@inline(__always)
private func laneSums(_ count: Int, _ terms: (Int) -> (Double, Double)) -> (Double, Double) {
    var first = SIMD4<Double>(), second = SIMD4<Double>()
    var j = 0
    while j + 4 <= count {
        let (a0, b0) = terms(j), (a1, b1) = terms(j + 1), (a2, b2) = terms(j + 2), (a3, b3) = terms(j + 3)
        first += SIMD4(a0, a1, a2, a3)
        second += SIMD4(b0, b1, b2, b3)
        j += 4
    }
    var totals = (first.sum(), second.sum())
    while j < count {
        let (a, b) = terms(j)
        totals.0 += a
        totals.1 += b
        j += 1
    }
    return totals
}

/// Rows of `length` elements per worker below which a loop stays on one thread.
@inline(__always)
private func rowsPerWorker(_ length: Int) -> Int {
    max(1, elementwiseGrain / max(length, 1))
}

/// Batch normalisation `y = γ·(x − μ)/√(σ² + ε) + β` per channel of `[N, C, ...]` input.
///
/// With `batchStatistics` μ and σ² are the biased mean and variance of the batch (two passes,
/// accumulated in double precision), and the returned `(mean, unbiasedVariance)` let the caller
/// update its running statistics; otherwise `mean` and `variance` (the running statistics) are
/// used as given. With `fusingReLU` the output is `max(y, 0)`, in the same pass. Channels are
/// split across `Parallelism.workerCount` threads.
///
/// With `synchronized`, the moments are those of the rows of every rank together (SyncBN): the
/// per-channel sums of each pass are summed over the ranks.
public func batchNorm(_ input: Tensor, gamma: Tensor, beta: Tensor, mean runningMean: [Float],
                      variance runningVariance: [Float], epsilon: Float, batchStatistics: Bool,
                      fusingReLU: Bool = false, synchronized: SynchronizedStatistics? = nil)
    -> (output: Tensor, saved: BatchNormSaved, batchMean: [Float], batchVariance: [Float]) {
    let (n, c, s) = channelLayout(input.shape)
    var mean = runningMean, variance = runningVariance, unbiased = runningVariance
    if batchStatistics {
        (mean, variance, unbiased) = batchMoments(input, synchronized)
    }
    let inverseStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
    var output: [Float] = []
    let normalized = [Float](unsafeUninitializedCapacity: input.count) { xh, normalizedCount in
        output = [Float](unsafeUninitializedCapacity: input.count) { y, outputCount in
            input.scalars.withUnsafeBufferPointer { x in
                Parallelism.forEachRange(n * c, minimumPerWorker: rowsPerWorker(s)) { rows, _ in
                    for row in rows {
                        let ch = row % c, base = row * s
                        let mu = mean[ch], inv = inverseStd[ch]
                        let g = gamma.scalars[ch], b = beta.scalars[ch]
                        if fusingReLU {
                            for j in 0..<s {
                                let v = (x[base + j] - mu) * inv
                                xh[base + j] = v
                                y[base + j] = max(g * v + b, 0)
                            }
                        } else {
                            for j in 0..<s {
                                let v = (x[base + j] - mu) * inv
                                xh[base + j] = v
                                y[base + j] = g * v + b
                            }
                        }
                    }
                }
            }
            outputCount = input.count
        }
        normalizedCount = input.count
    }
    let saved = BatchNormSaved(normalized: Tensor(shape: input.shape, scalars: normalized), inverseStd: inverseStd,
                               usedBatchStatistics: batchStatistics, synchronized: batchStatistics ? synchronized : nil)
    return (Tensor(shape: input.shape, scalars: output), saved, mean, unbiased)
}

/// The per-channel mean and biased and unbiased variance (two passes in double precision), of
/// this batch or, `synchronized`, of the rows of every rank (each pass's sums all-reduced).
private func batchMoments(_ input: Tensor, _ synchronized: SynchronizedStatistics?)
    -> (mean: [Float], variance: [Float], unbiased: [Float]) {
    let (n, c, s) = channelLayout(input.shape)
    let sum = { (values: [Double]) in synchronized?.summed(values) ?? values }
    let totals = sum(channelSums(input, centres: nil) + [Double(n * s)])
    let count = max(totals[c], 1)
    let mu = totals.prefix(c).map { $0 / count }
    let squares = sum(channelSums(input, centres: mu))
    return (mu.map(Float.init), squares.map { Float($0 / count) }, squares.map { Float($0 / max(count - 1, 1)) })
}

/// Per channel of `[N, C, ...]`, the double-precision sum of its values, or with `centres` of their
/// squared distances to the channel's centre.
private func channelSums(_ input: Tensor, centres: [Double]?) -> [Double] {
    let (n, c, s) = channelLayout(input.shape)
    var sums = [Double](repeating: 0, count: c)
    input.scalars.withUnsafeBufferPointer { x in
        sums.withUnsafeMutableBufferPointer { out in
            Parallelism.forEachRange(c, minimumPerWorker: rowsPerWorker(n * s)) { channels, _ in
                for ch in channels {
                    var total = 0.0
                    for i in 0..<n {
                        let row = x.baseAddress! + (i * c + ch) * s
                        if let centres {
                            let mu = centres[ch]
                            total += laneSum(s) { (Double(row[$0]) - mu) * (Double(row[$0]) - mu) }
                        } else {
                            total += laneSum(s) { Double(row[$0]) }
                        }
                    }
                    out[ch] = total
                }
            }
        }
    }
    return sums
}

/// The adjoint of `batchNorm`: gradients of the input, γ and β. Channel sums are accumulated
/// in double precision; work is split across `Parallelism.workerCount` threads. After a
/// synchronised forward pass the input gradient uses the sums over every rank's rows, while γ
/// and β get this rank's share (the trainer sums parameter gradients over ranks itself).
public func batchNormBackward(_ outputGradient: Tensor, gamma: Tensor, saved: BatchNormSaved,
                              needInput: Bool) -> (input: Tensor?, gamma: Tensor, beta: Tensor) {
    let (n, c, s) = channelLayout(outputGradient.shape)
    var sumsDyXh = [Double](repeating: 0, count: c)
    var sumsDy = [Double](repeating: 0, count: c)
    outputGradient.scalars.withUnsafeBufferPointer { dy in
        saved.normalized.scalars.withUnsafeBufferPointer { xh in
            sumsDyXh.withUnsafeMutableBufferPointer { dGammaOut in
                sumsDy.withUnsafeMutableBufferPointer { dBetaOut in
                    Parallelism.forEachRange(c, minimumPerWorker: rowsPerWorker(n * s)) { channels, _ in
                        for ch in channels {
                            var sumDy = 0.0, sumDyXh = 0.0
                            for i in 0..<n {
                                let base = (i * c + ch) * s
                                let (g, v) = (dy.baseAddress! + base, xh.baseAddress! + base)
                                let (dyTotal, dyXhTotal) = laneSums(s) { (Double(g[$0]), Double(g[$0] * v[$0])) }
                                sumDy += dyTotal
                                sumDyXh += dyXhTotal
                            }
                            dBetaOut[ch] = sumDy
                            dGammaOut[ch] = sumDyXh
                        }
                    }
                }
            }
        }
    }
    let (dGamma, dBeta) = (sumsDyXh.map { Float($0) }, sumsDy.map { Float($0) })
    var (globalDGamma, globalDBeta) = (dGamma, dBeta)
    var count = Float(n * s)
    if let synchronized = saved.synchronized, needInput {
        let totals = synchronized.summed(sumsDyXh + sumsDy + [Double(n * s)])
        globalDGamma = totals[0..<c].map { Float($0) }
        globalDBeta = totals[c..<(2 * c)].map { Float($0) }
        count = Float(totals[2 * c])
    }
    var dx: Tensor?
    if needInput {
        dx = Tensor(shape: outputGradient.shape) { out in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                saved.normalized.scalars.withUnsafeBufferPointer { xh in
                    Parallelism.forEachRange(n * c, minimumPerWorker: rowsPerWorker(s)) { rows, _ in
                        for row in rows {
                            let ch = row % c, base = row * s
                            let scale = gamma.scalars[ch] * saved.inverseStd[ch]
                            if saved.usedBatchStatistics {
                                let meanDy = globalDBeta[ch] / count, meanDyXh = globalDGamma[ch] / count
                                for j in 0..<s { out[base + j] = scale * (dy[base + j] - meanDy - xh[base + j] * meanDyXh) }
                            } else {
                                for j in 0..<s { out[base + j] = scale * dy[base + j] }
                            }
                        }
                    }
                }
            }
        }
    }
    return (dx, Tensor(shape: [c], scalars: dGamma), Tensor(shape: [c], scalars: dBeta))
}
