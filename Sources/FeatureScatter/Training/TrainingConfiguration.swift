// TrainingConfiguration.swift — the settings of a training run and their defaults.

/// The shape of the learning-rate schedule.
public enum ScheduleShape: String, CaseIterable, Codable, Sendable {
    /// ×`decayFactor` at each of `decayEpochs`.
    case piecewise
    /// Cosine annealing to 0 over the run.
    case cosine
    /// The base rate throughout.
    case constant
}

/// Settings of a training run. The defaults are the library's quick start (SmallCNN on
/// Fashion-MNIST: 10 epochs of batch 128 at learning rate 0.05); the optimiser's momentum,
/// weight decay and decay epochs are the feature-scattering paper's reference code's (SGD
/// momentum 0.9, weight decay 2e-4, ×0.1 at epochs 60 and 90).
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    public var weightDecay: Float = 2e-4
    public var nesterov: Bool = false
    public var scheduleShape: ScheduleShape = .piecewise
    /// Epochs at which the piecewise schedule multiplies the learning rate by `decayFactor`.
    public var decayEpochs: [Int] = [60, 90]
    public var decayFactor: Float = 0.1
    /// The linear scaling rule (Goyal et al., *Accurate, Large Minibatch SGD*, 2017): the learning
    /// rate is multiplied by `batchSize / learningRateReferenceBatch` (nil: no scaling).
    public var learningRateReferenceBatch: Int?
    /// Epochs over which the rate rises linearly from `learningRate` to its scaled value (Goyal's
    /// gradual warm-up, per epoch here).
    public var warmupEpochs: Int = 0
    /// Pixels of random-crop padding (0 = off).
    public var cropPadding: Int = 0
    public var horizontalFlip: Bool = false
    /// The one seed that fixes initialisation, data order, random starts and dropout.
    public var seed: UInt64 = 0
    /// Evaluate clean test accuracy after each epoch.
    public var evaluateEachEpoch: Bool = true
    /// Over several ranks: the size of the gradient buckets summed while the backward pass runs
    /// (PyTorch DDP's default, 25 MiB).
    public var bucketMegabytes: Double = 25
    /// Over several ranks: batch norm normalises with the moments of the global batch (SyncBN)
    /// instead of each rank's rows.
    public var synchronizeBatchNorm = false

    public init() {}

    /// The schedule these settings describe.
    public var schedule: LearningRateSchedule {
        switch scheduleShape {
        case .cosine: return .cosine(totalEpochs: epochs)
        case .constant: return .constant
        case .piecewise: return decayEpochs.isEmpty ? .constant : .piecewise(milestones: decayEpochs, factor: decayFactor)
        }
    }

    /// The learning rate of zero-based `epoch`: scaled, warmed up, then scheduled.
    public func learningRate(atEpoch epoch: Int) -> Float {
        let factor = Float(batchSize) / Float(learningRateReferenceBatch ?? batchSize)
        let scheduled = schedule.rate(base: learningRate * factor, epoch: epoch)
        guard epoch < warmupEpochs else { return scheduled }
        return schedule.rate(base: learningRate * (1 + (factor - 1) * Float(epoch) / Float(warmupEpochs)), epoch: epoch)
    }

    /// Checks ranges; throws `FSCError.invalidArgument` naming the field.
    public func validate() throws {
        guard (1...100_000).contains(epochs) else { throw FSCError.invalidArgument("epochs must be in 1...100000, got \(epochs)") }
        guard (1...(1 << 20)).contains(batchSize) else {
            throw FSCError.invalidArgument("batch size must be in 1...\(1 << 20), got \(batchSize)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw FSCError.invalidArgument("learning rate must be positive and finite, got \(learningRate)")
        }
        guard momentum >= 0 && momentum < 1 else { throw FSCError.invalidArgument("momentum must be in [0,1), got \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw FSCError.invalidArgument("weight decay must be ≥ 0, got \(weightDecay)")
        }
        guard decayFactor.isFinite, decayFactor > 0 else {
            throw FSCError.invalidArgument("decay factor must be positive and finite, got \(decayFactor)")
        }
        if let bad = decayEpochs.first(where: { $0 < 1 }) { throw FSCError.invalidArgument("decay epoch \(bad) is not ≥ 1") }
        if let reference = learningRateReferenceBatch, reference < 1 {
            throw FSCError.invalidArgument("the learning rate's reference batch must be ≥ 1, got \(reference)")
        }
        guard warmupEpochs >= 0 else { throw FSCError.invalidArgument("warm-up epochs must be ≥ 0, got \(warmupEpochs)") }
        guard bucketMegabytes.isFinite, bucketMegabytes > 0, bucketMegabytes <= 4096 else {
            throw FSCError.invalidArgument("bucket size must be in (0, 4096] MiB, got \(bucketMegabytes)")
        }
        guard cropPadding >= 0 else { throw FSCError.invalidArgument("crop padding must be ≥ 0, got \(cropPadding)") }
    }
}
