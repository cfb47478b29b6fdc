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
///
/// Over several ranks (a `communicator` of size N > 1) it trains data-parallel: every rank
/// starts from rank 0's parameters, takes its slice of every global batch of the epoch's order,
/// weights its mean loss by its share of the batch, and the gradients are summed over ranks in
/// buckets during the backward pass, so every rank takes the same SGD step. Every random draw
/// of a step (augmentation, perturbation start, dropout) is keyed by (seed, epoch, example), so
/// N ranks compute what one process computes on the same global batch (batch-norm statistics
/// aside: each rank normalises with its own rows unless `synchronizeBatchNorm`; running
/// statistics are averaged over ranks before every evaluation and checkpoint).
public final class Trainer {
    public let model: any Module
    public let spec: ModelSpec
    public let method: any TrainingMethod
    public let configuration: TrainingConfiguration
    public let optimizer: SGD
    public let communicator: any Communicator
    /// Epochs completed so far.
    public private(set) var epoch = 0
    /// What checkpoints record about the method (a recipe's settings, or the method's name).
    public let settings: [String: String]
    /// The recipe the method came from (nil for a method given directly); checkpoints record it.
    public private(set) var recipe: TrainingRecipe?
    /// The metrics of every epoch of the run, in order; checkpoints record them, so a resumed run
    /// has its whole history (empty after a checkpoint written before 0.4).
    public private(set) var history: [EpochMetrics] = []
    private let reducer: GradientReducer?
    /// Steps taken through `trainStep(images:labels:)`, which key their draws.
    private var hostSteps = 0

    /// Builds the model from `spec` with weights fixed by `configuration.seed`.
    public convenience init(spec: ModelSpec, recipe: TrainingRecipe, configuration: TrainingConfiguration,
                            communicator: any Communicator = SingleProcess()) throws {
        try configuration.validate()
        var initGenerator = SeededGenerator(seed: configuration.seed)
        try self.init(model: spec.build(using: &initGenerator), spec: spec, recipe: recipe, configuration: configuration,
                      communicator: communicator)
    }

    /// Trains an existing `model` (built for `spec`) in place with the recipe's method.
    public convenience init(model: any Module, spec: ModelSpec, recipe: TrainingRecipe,
                            configuration: TrainingConfiguration, communicator: any Communicator = SingleProcess()) throws {
        try self.init(model: model, spec: spec, method: recipe.makeMethod(), configuration: configuration,
                      settings: recipe.settings, communicator: communicator)
        self.recipe = recipe
    }

    /// Continues the run saved in `checkpoint`: its model (built, or imported from the embedded
    /// ONNX graph), weights, momentum and epoch count. The data order and every random draw
    /// depend only on the seed, the epoch and the examples, so any world size may resume it.
    public convenience init(resuming checkpoint: Checkpoint, recipe: TrainingRecipe,
                            configuration: TrainingConfiguration, communicator: any Communicator = SingleProcess()) throws {
        try self.init(model: checkpoint.makeModel(), spec: checkpoint.header.model, recipe: recipe,
                      configuration: configuration, communicator: communicator)
        try resume(from: checkpoint)
    }

    /// Trains an existing `model` (built for `spec`) in place with any method; `settings`
    /// (default: the method's name) are recorded in checkpoints. Over several ranks, the ranks
    /// must agree on the run (see `fingerprint`), and rank 0's parameters are broadcast.
    public init(model: any Module, spec: ModelSpec, method: any TrainingMethod,
                configuration: TrainingConfiguration, settings: [String: String]? = nil,
                communicator: any Communicator = SingleProcess()) throws {
        try configuration.validate()
        AllocatorTuning.apply()
        self.model = model
        self.spec = spec
        self.method = method
        self.configuration = configuration
        self.settings = settings ?? ["method": method.name]
        self.communicator = communicator
        optimizer = SGD(parameters: model.parameters, learningRate: configuration.learningRate,
                        momentum: configuration.momentum, weightDecay: configuration.weightDecay,
                        nesterov: configuration.nesterov)
        reducer = communicator.size > 1
            ? GradientReducer(parameters: model.parameters, communicator: communicator,
                              bucketBytes: Int(configuration.bucketMegabytes * 1_048_576))
            : nil
        if communicator.size > 1 {
            try checkRanksAgree(on: fingerprint)
            try broadcastState()
        }
    }

    /// What every rank must agree on, field by field: library version, model, method settings
    /// and training configuration.
    public var fingerprint: [(String, String)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configurationText = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return [("library version", FeatureScatterVersion.string), ("model", "\(spec)"),
                ("parameters", "\(model.parameterCount)"),
                ("method", settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
                ("seed", "\(configuration.seed)"), ("batch size", "\(configuration.batchSize)"),
                ("configuration", configurationText)]
    }

    /// Throws on every rank the same message naming the first field where a rank differs from rank 0.
    public func checkRanksAgree(on fields: [(String, String)]) throws {
        let texts = try communicator.allGather(text: fields.map { "\($0.0)\u{1}\($0.1)" }.joined(separator: "\u{2}"))
        let table = texts.map { $0.split(separator: "\u{2}").map { $0.split(separator: "\u{1}", omittingEmptySubsequences: false) } }
        for (r, rankFields) in table.enumerated().dropFirst() {
            for (mine, root) in zip(rankFields, table[0]) where mine != root {
                throw FSCError.invalidArgument("the ranks disagree on the run's \(root.first ?? ""): rank 0 has \(root.last ?? ""), rank \(r) has \(mine.last ?? "")")
            }
        }
    }

    /// Copies rank 0's parameters, buffers and momentum to every rank.
    private func broadcastState() throws {
        for parameter in model.parameters { try communicator.broadcast(&parameter.value) }
        for (_, buffer) in model.namedBuffers() { try communicator.broadcast(&buffer.value) }
    }

    /// Averages the buffers (batch-norm running statistics) over ranks, so that every rank holds
    /// one model before an evaluation or a checkpoint.
    public func synchronizeBuffers() throws {
        guard communicator.size > 1 else { return }
        let scale = 1 / Float(communicator.size)
        for (_, buffer) in model.namedBuffers() {
            let summed = try communicator.allReduceSum(buffer.value.scalars)
            buffer.value = Tensor(shape: buffer.value.shape, scalars: summed.map { $0 * scale })
        }
    }

    /// A 64-bit FNV-1a hash of every parameter and buffer, bit for bit.
    public var stateHash: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let tensors = model.parameters.map(\.value) + model.namedBuffers().map(\.1.value)
        for tensor in tensors {
            tensor.scalars.withUnsafeBytes { bytes in
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            }
        }
        return hash
    }

    /// Checks that every rank holds bit-identical parameters and buffers (after averaging the
    /// buffers) and returns their hash; throws on every rank, naming the first rank that differs.
    @discardableResult
    public func checkReplicasAgree() throws -> UInt64 {
        try synchronizeBuffers()
        let hash = stateHash
        let hashes = try communicator.allGather(text: String(hash, radix: 16)).map { UInt64($0, radix: 16) ?? 0 }
        if let other = hashes.firstIndex(where: { $0 != hashes[0] }) {
            throw FSCError.internalError("rank \(other) holds other parameters than rank 0 after epoch \(epoch) (hash \(String(hashes[other], radix: 16)) vs \(String(hashes[0], radix: 16))); please report this")
        }
        return hash
    }

    /// Continues from a checkpoint written by `checkpoint(metadata:)`.
    public func resume(from checkpoint: Checkpoint) throws {
        guard checkpoint.header.model == spec else {
            throw FSCError.invalidArgument("checkpoint is for \(checkpoint.header.model), this run is \(spec)")
        }
        try checkpoint.restore(into: model, optimizer: optimizer)
        epoch = checkpoint.header.epoch
        history = try checkpoint.metricsHistory()
    }

    /// A checkpoint of the run as it stands, recording the method's settings, the seed, the run
    /// (``RunRecord``: recipe, configuration and `data`) and `metadata` (its buffers averaged over
    /// ranks first).
    public func checkpoint(metadata: [String: String] = [:], data: RunRecord.Data? = nil) throws -> Checkpoint {
        try synchronizeBuffers()
        let run = RunRecord(recipe: recipe, configuration: configuration, data: data)
        let facts = settings.merging(["seed": "\(configuration.seed)", RunRecord.metadataKey: run.json,
                                      Checkpoint.historyKey: try Checkpoint.encodedHistory(history)]) { a, _ in a }
        return try Checkpoint(model: model, spec: spec, optimizer: optimizer, epoch: epoch,
                              metadata: metadata.merging(facts) { a, _ in a })
    }

    /// What one optimisation step did, over the global batch.
    public struct StepOutcome {
        public var loss: Float
        /// Training examples the model classified correctly in this step's forward pass.
        public var correct: Int
        public var statistics: [String: Double]
    }

    /// One SGD step of the method on a caller's batch (for hosts that own their loop). Over
    /// several ranks each passes its own rows of the step's global batch, in rank order.
    ///
    /// - Throws: `FSCError.shapeMismatch` for a batch that does not fit the model,
    ///   `.invalidArgument` for labels outside the classes, `.notFinite` for a NaN loss (no
    ///   update is applied then); on every rank when any rank's batch is bad.
    public func trainStep(images: Tensor, labels: [Int]) throws -> StepOutcome {
        let counts = try communicator.agree("checking the batch") { () -> Int in
            guard images.rank == 4, Array(images.shape.dropFirst()) == spec.inputShape, images.shape[0] == labels.count,
                  !labels.isEmpty else {
                throw FSCError.shapeMismatch("a batch for \(spec.architecture) is [N,\(spec.inputShape.map(String.init).joined(separator: ","))] with N labels, got \(images.shape) and \(labels.count) labels")
            }
            if let bad = labels.first(where: { $0 < 0 || $0 >= spec.classes }) {
                throw FSCError.invalidArgument("label \(bad) outside 0..<\(spec.classes)")
            }
            return labels.count
        }
        let shard = communicator.size > 1
            ? BatchShard(communicator: communicator, counts: try communicator.allGather(floats: [Float(counts)]).map { Int($0[0]) })
            : .whole(labels.count)
        hostSteps += 1
        let keys = shard.localRows.map { ExampleRandomness.key(seed: configuration.seed ^ 0x057E_9, epoch: hostSteps, example: $0) }
        return try trainStep(images: images, labels: labels, keys: keys, shard: shard, where: "step \(hostSteps)")
    }

    /// The purposes of a step's keyed draws.
    private enum Draw: UInt64 {
        case augmentation = 1, perturbation, dropout
    }

    private func trainStep(images: Tensor, labels: [Int], keys: [UInt64], shard: BatchShard,
                           where place: String) throws -> StepOutcome {
        let tape = Tape(mode: .training, randomness: ExampleRandomness(keys: keys, purpose: Draw.dropout.rawValue))
        if configuration.synchronizeBatchNorm && communicator.size > 1 {
            tape.synchronizedStatistics = SynchronizedStatistics(communicator: communicator)
        }
        var context = StepContext(randomness: ExampleRandomness(keys: keys, purpose: Draw.perturbation.rawValue), shard: shard)
        let step: TrainingStep
        do {
            step = try method.step(model: model, images: images, labels: labels, classes: spec.classes,
                                   tape: tape, context: &context)
        } catch FSCError.notFinite(let detail) {
            // NaN or ∞ in the perturbation or its OT solve, before any loss: the model has diverged.
            model.zeroGradients()
            throw FSCError.notFinite("the \(method.name) step at \(place) met a value that is not finite (\(detail)); "
                + "the model has diverged: try a lower learning rate (now \(optimizer.learningRate))")
        }
        let correct = zip(step.logits.value.argMaxPerRow(), labels).filter { $0 == $1 }.count
        guard let reducer else {
            let loss = step.loss.value.scalar
            try checkFinite(loss, at: place)
            tape.backward(step.loss)
            Profiler.measure("sgd", .update) { optimizer.step() }
            return StepOutcome(loss: loss, correct: correct, statistics: step.statistics)
        }
        let weighted = step.loss * shard.weight
        var failure: Error?
        tape.backward(weighted) { parameter in
            do { try reducer.parameterReady(parameter) } catch { failure = failure ?? error }
        }
        if let failure = failure ?? tape.synchronizedStatistics?.failure { throw failure }
        try reducer.finish()
        let names = step.statistics.keys.sorted()
        let local = [weighted.value.scalar, Float(correct)] + names.map { Float(step.statistics[$0]!) * shard.weight }
        let global = try communicator.allReduceSum(local)
        try checkFinite(global[0], at: place)
        Profiler.measure("sgd", .update) { optimizer.step() }
        return StepOutcome(loss: global[0], correct: Int(global[1].rounded()),
                           statistics: Dictionary(uniqueKeysWithValues: zip(names, global.dropFirst(2).map(Double.init))))
    }

    /// Throws when a parameter or buffer holds NaN or ±∞ (checked before a checkpoint is written,
    /// so a diverged model never replaces the last finite one).
    /// `examples`: the epoch's training examples, to name its last batch.
    public func checkStateFinite(examples: Int) throws {
        let named = model.namedParameters().map { ($0.0, $0.1.value) } + model.namedBuffers().map { ($0.0, $0.1.value) }
        let batches = (examples + configuration.batchSize - 1) / configuration.batchSize
        for (name, value) in named where !value.scalars.allSatisfy(\.isFinite) {
            throw FSCError.notFinite("\(name) is not finite after epoch \(epoch), batch \(batches); the model has "
                + "diverged (the last finite checkpoint is kept): try a lower learning rate (now \(optimizer.learningRate))")
        }
    }

    /// Throws (and drops the step's gradients) when the loss is NaN or infinite.
    private func checkFinite(_ loss: Float, at place: String) throws {
        guard !loss.isFinite else { return }
        model.zeroGradients()
        throw FSCError.notFinite("training loss is \(loss) at \(place); "
            + "try a lower learning rate (now \(optimizer.learningRate))")
    }

    /// Seconds the gradient all-reduce took and the part of them the backward pass did not
    /// hide, summed since the trainer was made (zeros in one process).
    public var communicationSeconds: (total: Double, exposed: Double) {
        (reducer?.reduceSeconds ?? 0, reducer?.exposedSeconds ?? 0)
    }

    /// Trains one epoch on `train` and, if configured, measures clean accuracy on `test`.
    ///
    /// - Parameter progress: called after every batch; return false to cancel.
    /// - Throws: `FSCError.notFinite` if a loss becomes NaN or infinite (saying where),
    ///   `FSCError.cancelled` when `progress` returns false, `FSCError.invalidArgument` when a
    ///   global batch has fewer rows than there are ranks.
    public func trainEpoch(on train: Dataset, test: Dataset?,
                           progress: (TrainingProgress) -> Bool = { _ in true }) throws -> EpochMetrics {
        guard train.imageShape == spec.inputShape, train.classes == spec.classes else {
            throw FSCError.shapeMismatch("data \(train.imageShape) with \(train.classes) classes does not fit model \(spec.architecture) \(spec.inputShape) with \(spec.classes) classes")
        }
        let config = configuration
        let ranks = communicator.size
        let last = train.count % config.batchSize
        guard train.count >= ranks, config.batchSize >= ranks, last == 0 || last >= ranks else {
            throw FSCError.invalidArgument("every global batch needs a row per rank: \(train.count) examples in batches of \(config.batchSize) leave \(last == 0 ? config.batchSize : last) rows for \(ranks) ranks; change the batch size or the train subset")
        }
        optimizer.learningRate = config.learningRate(atEpoch: epoch)
        let augmentation = Augmentation(cropPadding: config.cropPadding, horizontalFlip: config.horizontalFlip)
        var loader = BatchLoader(train, batchSize: config.batchSize,
                                 order: BatchLoader.shuffledOrder(count: train.count, seed: config.seed, epoch: epoch),
                                 communicator: communicator)
        let batches = loader.batchCount
        let start = Date()
        var (lossSum, correct, seen, batch) = (0.0, 0, 0, 0)
        var statisticSums: [String: Double] = [:]
        while var next = loader.next() {
            let keys = next.indices.map { ExampleRandomness.key(seed: config.seed, epoch: epoch, example: $0) }
            var augmentationDraws = ExampleRandomness(keys: keys, purpose: Draw.augmentation.rawValue)
            augmentation.apply(to: &next.images, using: &augmentationDraws)
            let step = try trainStep(images: next.images, labels: next.labels, keys: keys, shard: next.shard,
                                     where: "epoch \(epoch + 1), batch \(batch + 1)")
            let rows = next.shard.globalCount
            batch += 1
            seen += rows
            lossSum += Double(step.loss) * Double(rows)
            for (key, value) in step.statistics { statisticSums[key, default: 0] += value * Double(rows) }
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
        var testAccuracy: Double?
        if config.evaluateEachEpoch, let test {
            try synchronizeBuffers()
            testAccuracy = try accuracy(of: model, on: test, communicator: communicator)
        }
        let metrics = EpochMetrics(epoch: epoch, learningRate: optimizer.learningRate,
                                   trainLoss: lossSum / Double(max(seen, 1)),
                                   trainAccuracy: 100 * Double(correct) / Double(max(seen, 1)), testAccuracy: testAccuracy,
                                   seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9),
                                   statistics: statisticSums.mapValues { $0 / Double(max(seen, 1)) })
        history.append(metrics)
        return metrics
    }
}
