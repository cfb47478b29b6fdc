// Trainer.swift — the epoch loop shared by every training method.

import Foundation

/// Where a run is, reported after every batch.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Mean training loss so far in this epoch.
    public var loss: Double
    /// Training accuracy so far in this epoch, percent.
    public var accuracy: Double
    public var imagesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var secondsRemaining: Double
}

/// What one epoch achieved.
public struct EpochMetrics: Codable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// Clean test accuracy in percent (nil when not evaluated).
    public var testAccuracy: Double?
    public var seconds: Double
    public var imagesPerSecond: Double
    /// The method's own figures averaged over the epoch's images (e.g. `ot_distance`).
    public var statistics: [String: Double]
}

/// Runs a training method over epochs: seeded data order, learning-rate schedule, SGD,
/// a NaN check on every loss, and checkpoints after every epoch.
public final class Trainer {
    public let model: any Module
    public let spec: ModelSpec
    public let method: any TrainingMethod
    public let configuration: TrainingConfiguration
    public let optimizer: SGD
    /// Epochs completed so far.
    public private(set) var epoch = 0
    /// The run's generator: each epoch draws its own stream from it.
    public private(set) var generator: SeededGenerator

    /// What checkpoints record about the method (a recipe's settings, or the method's name).
    public let settings: [String: String]

    /// Builds the model from `spec` with weights fixed by `configuration.seed`.
    public convenience init(spec: ModelSpec, recipe: TrainingRecipe, configuration: TrainingConfiguration) throws {
        try configuration.validate()
        var initGenerator = SeededGenerator(seed: configuration.seed)
        try self.init(model: spec.build(using: &initGenerator), spec: spec, recipe: recipe, configuration: configuration)
    }

    /// Trains an existing `model` (built for `spec`) in place with the recipe's method.
    public convenience init(model: any Module, spec: ModelSpec, recipe: TrainingRecipe,
                            configuration: TrainingConfiguration) throws {
        try self.init(model: model, spec: spec, method: recipe.makeMethod(), configuration: configuration,
                      settings: recipe.settings)
    }

    /// Continues the run saved in `checkpoint`: its model (built, or imported from the embedded
    /// ONNX graph), weights, momentum, epoch count and generator.
    public convenience init(resuming checkpoint: Checkpoint, recipe: TrainingRecipe,
                            configuration: TrainingConfiguration) throws {
        try self.init(model: checkpoint.makeModel(), spec: checkpoint.header.model, recipe: recipe,
                      configuration: configuration)
        try resume(from: checkpoint)
    }

    /// Trains an existing `model` (built for `spec`) in place with any method; `settings`
    /// (default: the method's name) are recorded in checkpoints.
    public init(model: any Module, spec: ModelSpec, method: any TrainingMethod,
                configuration: TrainingConfiguration, settings: [String: String]? = nil) throws {
        try configuration.validate()
        AllocatorTuning.apply()
        self.model = model
        self.spec = spec
        self.method = method
        self.configuration = configuration
        self.settings = settings ?? ["method": method.name]
        optimizer = SGD(parameters: model.parameters, learningRate: configuration.learningRate,
                        momentum: configuration.momentum, weightDecay: configuration.weightDecay,
                        nesterov: configuration.nesterov)
        generator = SeededGenerator(seed: configuration.seed ^ 0x5EED_0F_DA7A)
    }

    /// Continues from a checkpoint written by `checkpoint(metadata:)`.
    public func resume(from checkpoint: Checkpoint) throws {
        guard checkpoint.header.model == spec else {
            throw FSCError.invalidArgument("checkpoint is for \(checkpoint.header.model), this run is \(spec)")
        }
        try checkpoint.restore(into: model, optimizer: optimizer)
        epoch = checkpoint.header.epoch
        generator = checkpoint.generator
    }

    /// A checkpoint of the run as it stands, recording the method's settings, the seed and `metadata`.
    public func checkpoint(metadata: [String: String] = [:]) throws -> Checkpoint {
        let facts = settings.merging(["seed": "\(configuration.seed)"]) { a, _ in a }
        return try Checkpoint(model: model, spec: spec, optimizer: optimizer, epoch: epoch, generator: generator,
                              metadata: metadata.merging(facts) { a, _ in a })
    }

    /// What one optimisation step did.
    public struct StepOutcome {
        public var loss: Float
        /// Training examples the model classified correctly in this step's forward pass.
        public var correct: Int
        public var statistics: [String: Double]
    }

    /// One SGD step of the method on a caller's batch (for hosts that own their loop).
    ///
    /// - Throws: `FSCError.shapeMismatch` for a batch that does not fit the model,
    ///   `.invalidArgument` for labels outside the classes, `.notFinite` for a NaN loss (no
    ///   update is applied then).
    public func trainStep(images: Tensor, labels: [Int]) throws -> StepOutcome {
        guard images.rank == 4, Array(images.shape.dropFirst()) == spec.inputShape, images.shape[0] == labels.count,
              !labels.isEmpty else {
            throw FSCError.shapeMismatch("a batch for \(spec.architecture) is [N,\(spec.inputShape.map(String.init).joined(separator: ","))] with N labels, got \(images.shape) and \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= spec.classes }) {
            throw FSCError.invalidArgument("label \(bad) outside 0..<\(spec.classes)")
        }
        return try trainStep(images: images, labels: labels, generator: &generator, where: "step")
    }

    private func trainStep(images: Tensor, labels: [Int], generator: inout SeededGenerator,
                           where place: String) throws -> StepOutcome {
        let tape = Tape(mode: .training, generator: generator.split())
        let step = try method.step(model: model, images: images, labels: labels, classes: spec.classes,
                                   tape: tape, generator: &generator)
        let loss = step.loss.value.scalar
        guard loss.isFinite else {
            model.zeroGradients()
            throw FSCError.notFinite("training loss is \(loss) at \(place); "
                + "try a lower learning rate (now \(optimizer.learningRate))")
        }
        tape.backward(step.loss)
        Profiler.measure("sgd", .update) { optimizer.step() }
        let correct = zip(step.logits.value.argMaxPerRow(), labels).filter { $0 == $1 }.count
        return StepOutcome(loss: loss, correct: correct, statistics: step.statistics)
    }

    /// Trains one epoch on `train` and, if configured, measures clean accuracy on `test`.
    ///
    /// - Parameter progress: called after every batch; return false to cancel.
    /// - Throws: `FSCError.notFinite` if a loss becomes NaN or infinite (saying where),
    ///   `FSCError.cancelled` when `progress` returns false.
    public func trainEpoch(on train: Dataset, test: Dataset?,
                           progress: (TrainingProgress) -> Bool = { _ in true }) throws -> EpochMetrics {
        guard train.imageShape == spec.inputShape, train.classes == spec.classes else {
            throw FSCError.shapeMismatch("data \(train.imageShape) with \(train.classes) classes does not fit model \(spec.architecture) \(spec.inputShape) with \(spec.classes) classes")
        }
        let config = configuration
        optimizer.learningRate = config.schedule.rate(base: config.learningRate, epoch: epoch)
        var epochGenerator = generator.split()
        let augmentation = Augmentation(cropPadding: config.cropPadding, horizontalFlip: config.horizontalFlip)
        var loader = BatchLoader(train, batchSize: config.batchSize, shuffle: true, augmentation: augmentation,
                                 generator: epochGenerator.split())
        let batches = loader.batchCount
        let start = Date()
        var (lossSum, correct, seen, batch) = (0.0, 0, 0, 0)
        var statisticSums: [String: Double] = [:]
        while let (images, labels) = loader.next() {
            let step = try trainStep(images: images, labels: labels, generator: &epochGenerator,
                                     where: "epoch \(epoch + 1), batch \(batch + 1)")
            batch += 1
            seen += labels.count
            lossSum += Double(step.loss) * Double(labels.count)
            for (key, value) in step.statistics { statisticSums[key, default: 0] += value * Double(labels.count) }
            correct += step.correct
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(seen) / max(elapsed, 1e-9)
            let remainingImages = Double(train.count - seen + (config.epochs - epoch - 1) * train.count)
            let report = TrainingProgress(epoch: epoch + 1, epochs: config.epochs, batch: batch, batches: batches,
                                          loss: lossSum / Double(seen), accuracy: 100 * Double(correct) / Double(seen),
                                          imagesPerSecond: rate, secondsRemaining: remainingImages / rate)
            guard progress(report) else { throw FSCError.cancelled }
        }
        let seconds = Date().timeIntervalSince(start)
        epoch += 1
        let testAccuracy = config.evaluateEachEpoch ? test.map { accuracy(of: model, on: $0) } : nil
        return EpochMetrics(epoch: epoch, learningRate: optimizer.learningRate, trainLoss: lossSum / Double(max(seen, 1)),
                            trainAccuracy: 100 * Double(correct) / Double(max(seen, 1)), testAccuracy: testAccuracy,
                            seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9),
                            statistics: statisticSums.mapValues { $0 / Double(max(seen, 1)) })
    }
}
