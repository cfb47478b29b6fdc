// LossSurfaceRequest.swift — the settings of a loss surface, and the one call that computes it.

import Foundation

/// What `fscatter loss-surface`'s flags and a C `fsc_loss_surface_config` both describe: the
/// grid of a ``LossSurface`` and how it is evaluated. Defaults and checks live here.
public struct LossSurfaceRequest: Sendable, Equatable {
    /// Grid points per axis when none is given: 41, a step of extent·ε/20.
    public static let defaultPoints = 41
    /// The grid's half-width in units of ε when none is given: ±2ε, so the ball's edge ±ε lies halfway.
    public static let defaultExtent: Float = 2
    /// Grid points per forward pass when none is given.
    public static let defaultBatchSize = 256
    /// The largest grid accepted per axis (10⁶ points in all).
    public static let maximumPoints = 1001

    /// ε in [0, 1] pixel units, > 0: the unit of the grid.
    public var epsilon: Float
    /// Points per axis: odd (so the clean image is on the grid), 3…1001.
    public var points: Int
    /// Half-width of the grid in units of ε, finite and > 0.
    public var extent: Float
    /// Seeds the Rademacher direction.
    public var seed: UInt64
    /// Clamp every grid point to [0, 1] (the model's domain).
    public var clip: Bool
    /// Grid points per inference pass, ≥ 1 (memory against speed; the values do not depend on it
    /// beyond float rounding of the model's kernels).
    public var batchSize: Int

    public init(epsilon: Float = ThreatModel.defaultEpsilon, points: Int = defaultPoints, extent: Float = defaultExtent,
                seed: UInt64 = 0, clip: Bool = true, batchSize: Int = defaultBatchSize) {
        self.epsilon = epsilon
        self.points = points
        self.extent = extent
        self.seed = seed
        self.clip = clip
        self.batchSize = batchSize
    }

    /// - Throws: `FSCError.invalidArgument` naming the first setting out of its range.
    public func validate() throws {
        guard epsilon.isFinite, epsilon > 0, epsilon <= 1 else {
            throw FSCError.invalidArgument("loss surface epsilon must be in (0, 1], got \(epsilon)")
        }
        guard points >= 3, points <= LossSurfaceRequest.maximumPoints, points % 2 == 1 else {
            throw FSCError.invalidArgument("loss surface points per axis must be odd and in 3...\(LossSurfaceRequest.maximumPoints) (the clean image is the middle one), got \(points)")
        }
        guard extent.isFinite, extent > 0 else {
            throw FSCError.invalidArgument("loss surface extent must be finite and > 0 (in units of epsilon), got \(extent)")
        }
        guard batchSize >= 1 else { throw FSCError.invalidArgument("loss surface batch size must be ≥ 1, got \(batchSize)") }
    }

    /// The grid coordinates in pixel units: `extent·ε·(2k/(points−1) − 1)` for k in 0..<points,
    /// exactly 0 in the middle.
    public var axis: [Float] {
        let half = Double(extent) * Double(epsilon), last = Double(points - 1)
        return (0..<points).map { k in Float(half * (2 * Double(k) - last) / last) }
    }
}

/// The loss surface of `model` around one image (see ``LossSurface`` for the definition).
///
/// One inference pass with an input gradient gives d_adv; d_rad comes from
/// `Tensor.rademacher(_:using:)` with `SeededGenerator(seed: request.seed)`; then the
/// `points²` grid images are built and run through the model in inference mode (batch norm
/// on running statistics, nothing in the model changes), `request.batchSize` at a time.
///
/// - Parameters:
///   - image: `[1, C, H, W]` in [0, 1].
///   - label: the true class, in `0..<K`.
/// - Throws: `FSCError.invalidArgument` for a request out of range, pixels outside [0, 1], a
///   label outside the model's classes or a model that outputs probabilities;
///   `FSCError.shapeMismatch` unless `image` is one image; `FSCError.notFinite` for NaN pixels
///   or a loss that is not finite.
public func lossSurface(_ model: any Module, image: Tensor, label: Int, request: LossSurfaceRequest) throws -> LossSurface {
    try request.validate()
    guard image.rank == 4, image.shape[0] == 1 else {
        throw FSCError.shapeMismatch("a loss surface needs one image [1, C, H, W], got \(image.shape)")
    }
    _ = try validateAttack(model, images: image, labels: [label])
    let (gradient, clean, logits) = inputGradient(of: model, at: image) { crossEntropyPerExample($0, labels: [label]) }
    let adversarial = gradient.sign()
    var generator = SeededGenerator(seed: request.seed)
    let rademacher = Tensor.rademacher(image.shape, using: &generator)
    let axis = request.axis
    let grid = try gridLosses(model, image: image, label: label, adversarial: adversarial, rademacher: rademacher,
                              axis: axis, request: request)
    let p = request.points, centre = (p - 1) / 2
    let losses = (0..<p).map { i in Array(grid[(i * p)..<((i + 1) * p)]) }
    let dot = zip(adversarial.scalars, rademacher.scalars).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    let norms = rowNorm(adversarial.scalars, 0, adversarial.count) * rowNorm(rademacher.scalars, 0, rademacher.count)
    return LossSurface(imageShape: Array(image.shape.dropFirst()), label: label, prediction: logits.argMaxPerRow()[0],
                       epsilon: Double("\(request.epsilon)") ?? Double(request.epsilon),
                       extent: Double("\(request.extent)") ?? Double(request.extent), points: p, seed: request.seed,
                       clip: request.clip, cleanLoss: clean.scalars[0], axis: axis, losses: losses,
                       adversarialSlice: losses.map { $0[centre] }, rademacherSlice: losses[centre],
                       adversarialDirection: adversarial.scalars, rademacherDirection: rademacher.scalars,
                       directionCosine: norms > 0 ? dot / norms : 0)
}

/// CE at every grid point, row-major (`a = axis[i]` slow, `b = axis[j]` fast).
private func gridLosses(_ model: any Module, image: Tensor, label: Int, adversarial: Tensor, rademacher: Tensor,
                        axis: [Float], request: LossSurfaceRequest) throws -> [Float] {
    let p = axis.count, total = p * p, width = image.count
    var losses: [Float] = []
    losses.reserveCapacity(total)
    for start in stride(from: 0, to: total, by: request.batchSize) {
        let end = min(start + request.batchSize, total)
        let batch = Tensor(shape: [end - start] + image.shape.dropFirst()) { out in
            image.scalars.withUnsafeBufferPointer { x in
                adversarial.scalars.withUnsafeBufferPointer { da in
                    rademacher.scalars.withUnsafeBufferPointer { dr in
                        for (row, point) in (start..<end).enumerated() {
                            let a = axis[point / p], b = axis[point % p], base = row * width
                            for e in 0..<width {
                                let value = x[e] + a * da[e] + b * dr[e]
                                out[base + e] = request.clip ? min(max(value, 0), 1) : value
                            }
                        }
                    }
                }
            }
        }
        let logProbabilities = model.predict(batch).logSoftmaxRows()
        let k = logProbabilities.shape[1]
        for row in 0..<(end - start) {
            let loss = -logProbabilities.scalars[row * k + label]
            guard loss.isFinite else {
                let point = start + row
                throw FSCError.notFinite("the loss at grid point (a, b) = (\(axis[point / p]), \(axis[point % p])) is \(loss)")
            }
            losses.append(loss)
        }
    }
    return losses
}
