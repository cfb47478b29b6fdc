// TrainingConfiguration.swift — the settings of a training run, with the paper's defaults.

/// Settings of a training run. Defaults follow the feature-scattering paper's reference
/// code (SGD, learning rate 0.1, momentum 0.9, weight decay 2e-4, ×0.1 at epochs 60 and 90,
/// batch 60) except where a field says otherwise.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var epochs: Int = 200
    public var batchSize: Int = 60
    public var learningRate: Float = 0.1
    public var momentum: Float = 0.9
    public var weightDecay: Float = 2e-4
    public var nesterov: Bool = false
    /// Epochs at which the learning rate is multiplied by `decayFactor` (empty = constant);
    /// ignored when `cosineSchedule` is set.
    public var decayEpochs: [Int] = [60, 90]
    public var decayFactor: Float = 0.1
    /// Cosine annealing to 0 over `epochs` instead of the piecewise schedule.
    public var cosineSchedule: Bool = false
    /// Pixels of random-crop padding (0 = off).
    public var cropPadding: Int = 0
    public var horizontalFlip: Bool = false
    /// The one seed that fixes initialisation, data order, random starts and dropout.
    public var seed: UInt64 = 0
    /// Evaluate clean test accuracy after each epoch.
    public var evaluateEachEpoch: Bool = true

    public init() {}

    /// The schedule these settings describe.
    public var schedule: LearningRateSchedule {
        if cosineSchedule { return .cosine(totalEpochs: epochs) }
        return decayEpochs.isEmpty ? .constant : .piecewise(milestones: decayEpochs, factor: decayFactor)
    }

    /// Checks ranges; throws `FSCError.invalidArgument` naming the field.
    public func validate() throws {
        guard epochs >= 1 else { throw FSCError.invalidArgument("epochs must be ≥ 1, got \(epochs)") }
        guard batchSize >= 1 else { throw FSCError.invalidArgument("batch size must be ≥ 1, got \(batchSize)") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw FSCError.invalidArgument("learning rate must be positive and finite, got \(learningRate)")
        }
        guard momentum >= 0 && momentum < 1 else { throw FSCError.invalidArgument("momentum must be in [0,1), got \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw FSCError.invalidArgument("weight decay must be ≥ 0, got \(weightDecay)")
        }
        guard cropPadding >= 0 else { throw FSCError.invalidArgument("crop padding must be ≥ 0, got \(cropPadding)") }
    }
}
