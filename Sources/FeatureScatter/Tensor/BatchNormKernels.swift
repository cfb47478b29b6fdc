// BatchNormKernels.swift — batch normalisation over the channel axis, forward and adjoint.

/// What the batch-norm backward pass needs from the forward pass.
public struct BatchNormSaved {
    /// The input x: the backward pass recomputes x̂ = (x − μ)·inverseStd from it, so the forward
    /// pass writes only its output (and keeps the input it was given, not a copy).
    public var input: Tensor
    /// μ per channel: of the batch, or the running mean.
    public var mean: [Float]
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

/// Σ x over one row of `count` elements, or with `centre` Σ (x − centre)², in double precision,
/// eight independent lanes at a time.
@inline(__always)
private func rowSum(_ row: UnsafePointer<Float>, count: Int, centre: Double?) -> Double {
    var lanes = SIMD8<Double>()
    var j = 0
    if let centre {
        let shift = SIMD8<Double>(repeating: centre)
        while j + 8 <= count {
            let distance = SIMD8<Double>(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)) - shift
            lanes += distance * distance
            j += 8
        }
    } else {
        while j + 8 <= count {
            lanes += SIMD8<Double>(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self))
            j += 8
        }
    }
    var total = lanes.sum()
    while j < count {
        if let centre {
            let distance = Double(row[j]) - centre
            total += distance * distance
        } else {
            total += Double(row[j])
        }
        j += 1
    }
    return total
}

/// `(Σ d, Σ d·x̂)` over one row of `count` elements, `d` the output gradient `g` (zero where a
/// ReLU `mask` is not positive) and `x̂ = (x − μ)·inverseStd` recomputed from the input `x`: each
/// term is formed in float32 and summed in double-precision lanes, eight elements at a time.
@inline(__always)
private func gradientSums(_ g: UnsafePointer<Float>, mask: UnsafePointer<Float>?, _ x: UnsafePointer<Float>,
                          mean: Float, inverseStd: Float, count: Int) -> (Double, Double) {
    let load = { (p: UnsafePointer<Float>) in UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    let (centre, scale, zero) = (SIMD8<Float>(repeating: mean), SIMD8<Float>(repeating: inverseStd), SIMD8<Float>())
    var (sumD, sumDXh) = (SIMD8<Double>(), SIMD8<Double>())
    var j = 0
    while j + 8 <= count {
        var d = load(g + j)
        if let mask { d.replace(with: zero, where: .!(load(mask + j) .> zero)) }
        sumD += SIMD8<Double>(d)
        sumDXh += SIMD8<Double>(d * ((load(x + j) - centre) * scale))
        j += 8
    }
    var totals = (sumD.sum(), sumDXh.sum())
    while j < count {
        let d = mask.map { $0[j] > 0 ? g[j] : 0 } ?? g[j]
        totals.0 += Double(d)
        totals.1 += Double(d * ((x[j] - mean) * inverseStd))
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
    let output = Tensor(shape: input.shape) { y in
        input.scalars.withUnsafeBufferPointer { x in
            Parallelism.forEachRange(n * c, minimumPerWorker: rowsPerWorker(s)) { rows, _ in
                for row in rows {
                    let ch = row % c, base = row * s
                    let mu = mean[ch], inv = inverseStd[ch]
                    let g = gamma.scalars[ch], b = beta.scalars[ch]
                    if fusingReLU {
                        for j in 0..<s { y[base + j] = max(g * ((x[base + j] - mu) * inv) + b, 0) }
                    } else {
                        for j in 0..<s { y[base + j] = g * ((x[base + j] - mu) * inv) + b }
                    }
                }
            }
        }
    }
    let saved = BatchNormSaved(input: input, mean: mean, inverseStd: inverseStd, usedBatchStatistics: batchStatistics,
                               synchronized: batchStatistics ? synchronized : nil)
    return (output, saved, mean, unbiased)
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
                        total += rowSum(x.baseAddress! + (i * c + ch) * s, count: s, centre: centres?[ch])
                    }
                    out[ch] = total
                }
            }
        }
    }
    return sums
}

/// The adjoint of `batchNorm`: gradients of the input and, with `needParameters`, of γ and β.
/// With `reluOutput` (the output of `batchNorm(…, fusingReLU: true)`), `outputGradient` is that of
/// the ReLU's output and is masked by `reluOutput > 0` as it is read. Channel sums are
/// accumulated in double precision, and taken only when something needs them (the input
/// gradient under batch statistics, or γ and β): an attack's input-only backward through a model
/// in inference mode is one pass, `γ·inverseStd·dy`. Work is split across
/// `Parallelism.workerCount` threads. After a synchronised forward pass the input gradient uses
/// the sums over every rank's rows, while γ and β get this rank's share (the trainer sums
/// parameter gradients over ranks itself).
public func batchNormBackward(_ outputGradient: Tensor, gamma: Tensor, saved: BatchNormSaved,
                              reluOutput: Tensor? = nil, needInput: Bool, needParameters: Bool = true)
    -> (input: Tensor?, gamma: Tensor?, beta: Tensor?) {
    let (n, c, s) = channelLayout(outputGradient.shape)
    if let reluOutput {
        precondition(reluOutput.shape == outputGradient.shape,
                     "batchNormBackward: ReLU output \(reluOutput.shape) for gradient \(outputGradient.shape)")
    }
    let mask = reluOutput?.scalars ?? []
    let needSums = needParameters || (needInput && saved.usedBatchStatistics)
    var sumsDyXh = [Double](repeating: 0, count: needSums ? c : 0)
    var sumsDy = [Double](repeating: 0, count: needSums ? c : 0)
    if needSums {
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            saved.input.scalars.withUnsafeBufferPointer { x in
                mask.withUnsafeBufferPointer { maskBuffer in
                    // An empty array's buffer may still have an address: only a ReLU output is a mask.
                    let mask = reluOutput != nil ? maskBuffer.baseAddress : nil
                    sumsDyXh.withUnsafeMutableBufferPointer { dGammaOut in
                        sumsDy.withUnsafeMutableBufferPointer { dBetaOut in
                            Parallelism.forEachRange(c, minimumPerWorker: rowsPerWorker(n * s)) { channels, _ in
                                for ch in channels {
                                    let (mu, inv) = (saved.mean[ch], saved.inverseStd[ch])
                                    var sumDy = 0.0, sumDyXh = 0.0
                                    for i in 0..<n {
                                        let base = (i * c + ch) * s
                                        let (g, v) = (dy.baseAddress! + base, x.baseAddress! + base)
                                        let (dyTotal, dyXhTotal) = gradientSums(g, mask: mask.map { $0 + base }, v,
                                                                                mean: mu, inverseStd: inv, count: s)
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
                saved.input.scalars.withUnsafeBufferPointer { x in
                    mask.withUnsafeBufferPointer { maskBuffer in
                        let mask = reluOutput != nil ? maskBuffer.baseAddress : nil
                        Parallelism.forEachRange(n * c, minimumPerWorker: rowsPerWorker(s)) { rows, _ in
                            for row in rows {
                                let ch = row % c, base = row * s
                                let scale = gamma.scalars[ch] * saved.inverseStd[ch]
                                let (mu, inv) = (saved.mean[ch], saved.inverseStd[ch])
                                let (g, v, y) = (dy.baseAddress! + base, x.baseAddress! + base, out.baseAddress! + base)
                                if saved.usedBatchStatistics {
                                    let meanDy = globalDBeta[ch] / count, meanDyXh = globalDGamma[ch] / count
                                    if let m = mask.map({ $0 + base }) {
                                        for j in 0..<s {
                                            let d = m[j] > 0 ? g[j] : 0
                                            y[j] = scale * (d - meanDy - (v[j] - mu) * inv * meanDyXh)
                                        }
                                    } else {
                                        for j in 0..<s { y[j] = scale * (g[j] - meanDy - (v[j] - mu) * inv * meanDyXh) }
                                    }
                                } else if let m = mask.map({ $0 + base }) {
                                    for j in 0..<s { y[j] = m[j] > 0 ? scale * g[j] : 0 }
                                } else {
                                    for j in 0..<s { y[j] = scale * g[j] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    guard needParameters else { return (dx, nil, nil) }
    return (dx, Tensor(shape: [c], scalars: dGamma), Tensor(shape: [c], scalars: dBeta))
}
