// TrainerAPI.swift — fsc_trainer_*: training runs driven whole or step by step from C.

import CFeatureScatterABI
import FeatureScatter
import Foundation

@_cdecl("fsc_trainer_config_default")
public func fsc_trainer_config_default(_ config: UnsafeMutablePointer<fsc_trainer_config>?) -> fsc_status {
    guarded("fsc_trainer_config_default") {
        try required(config, "config").pointee = defaultTrainerConfig()
    }
}

/// The documented defaults.
func defaultTrainerConfig() -> fsc_trainer_config {
    var c = fsc_trainer_config()
    c.struct_size = MemoryLayout<fsc_trainer_config>.size
    c.method = FSC_METHOD_FEATURE_SCATTERING
    c.epsilon = 0.1
    c.attack_steps = 0
    c.attack_step_size = 0
    c.label_smoothing = -1
    c.ot = defaultOTConfig()
    c.cost = FSC_COST_COSINE
    c.grad_mode = FSC_GRAD_UNROLLED
    c.trades_beta = 6
    c.epochs = 10
    c.batch_size = 128
    c.learning_rate = 0.05
    c.momentum = 0.9
    c.weight_decay = 2e-4
    c.seed = 0
    return c
}

/// The engine's method and configuration from a caller's config, checked.
func trainingSetup(_ config: UnsafePointer<fsc_trainer_config>?) throws -> (any TrainingMethod, TrainingConfiguration) {
    let c = try required(config, "config").pointee
    guard c.struct_size >= MemoryLayout<fsc_trainer_config>.size else {
        throw BoundaryError.invalid("fsc_trainer_config.struct_size = \(c.struct_size) is smaller than \(MemoryLayout<fsc_trainer_config>.size); fill it with fsc_trainer_config_default")
    }
    var ot = c.ot
    let (transport, matching) = try withUnsafePointer(to: &ot) { try otOptions($0) }
    let costs: [CostFunction] = [.cosine, .squaredEuclidean, .euclidean]
    let modes: [OTGradientMode] = [.unrolled, .envelope]
    guard costs.indices.contains(Int(c.cost.rawValue)) else { throw BoundaryError.invalid("cost = \(c.cost.rawValue) is not an fsc_cost") }
    guard modes.indices.contains(Int(c.grad_mode.rawValue)) else { throw BoundaryError.invalid("grad_mode = \(c.grad_mode.rawValue) is not an fsc_grad_mode") }
    guard c.attack_steps >= 0 && c.attack_steps <= 10_000 else { throw BoundaryError.invalid("attack_steps = \(c.attack_steps) is not in 0...10000") }
    guard c.attack_step_size.isFinite, c.attack_step_size >= 0 else { throw BoundaryError.invalid("attack_step_size = \(c.attack_step_size) must be ≥ 0") }
    guard c.label_smoothing.isFinite, c.label_smoothing < 1 else { throw BoundaryError.invalid("label_smoothing = \(c.label_smoothing) must be < 1") }
    let steps = c.attack_steps == 0 ? nil : Int(c.attack_steps)
    let stepSize = c.attack_step_size == 0 ? nil : c.attack_step_size
    let smoothing = c.label_smoothing < 0 ? nil : c.label_smoothing
    let method: any TrainingMethod
    switch c.method {
    case FSC_METHOD_STANDARD:
        method = try PerturbationTraining.standard(labelSmoothing: smoothing ?? 0)
    case FSC_METHOD_MADRY:
        method = try PerturbationTraining.madry(epsilon: c.epsilon, stepSize: stepSize, steps: steps ?? 7,
                                                labelSmoothing: smoothing ?? 0)
    case FSC_METHOD_FEATURE_SCATTERING:
        let attack = try FeatureScatteringAttack(epsilon: c.epsilon, stepSize: stepSize, steps: steps ?? 1,
                                                 cost: costs[Int(c.cost.rawValue)], matching: matching,
                                                 transport: transport, gradientMode: modes[Int(c.grad_mode.rawValue)])
        method = try PerturbationTraining.featureScattering(attack, labelSmoothing: smoothing ?? 0.5)
    case FSC_METHOD_RANDOM:
        method = try PerturbationTraining.random(epsilon: c.epsilon, labelSmoothing: smoothing ?? 0.5)
    case FSC_METHOD_SUPERVISED:
        method = try PerturbationTraining.supervised(epsilon: c.epsilon, stepSize: stepSize, steps: steps ?? 1,
                                                     labelSmoothing: smoothing ?? 0.5)
    case FSC_METHOD_TRADES:
        method = try TRADESTraining(epsilon: c.epsilon, stepSize: stepSize, steps: steps ?? 10, beta: c.trades_beta)
    default:
        throw BoundaryError.invalid("method = \(c.method.rawValue) is not an fsc_method")
    }
    var configuration = TrainingConfiguration()
    configuration.epochs = Int(c.epochs)
    configuration.batchSize = Int(c.batch_size)
    configuration.learningRate = c.learning_rate
    configuration.momentum = c.momentum
    configuration.weightDecay = c.weight_decay
    configuration.decayEpochs = [c.decay_epochs.0, c.decay_epochs.1, c.decay_epochs.2, c.decay_epochs.3]
        .filter { $0 > 0 }.map(Int.init)
    configuration.seed = c.seed
    configuration.nesterov = c.nesterov != 0
    configuration.cosineSchedule = c.cosine_schedule != 0
    guard configuration.epochs <= 100_000, configuration.batchSize <= 1 << 20 else {
        throw BoundaryError.invalid("epochs (\(c.epochs)) or batch_size (\(c.batch_size)) is absurdly large")
    }
    try configuration.validate()
    return (method, configuration)
}

@_cdecl("fsc_trainer_create")
public func fsc_trainer_create(_ model: OpaquePointer?, _ config: UnsafePointer<fsc_trainer_config>?,
                               _ trainer: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_trainer_create") {
        let out = try required(trainer, "trainer")
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let (method, configuration) = try trainingSetup(config)
        let engine = try Trainer(model: box.model, spec: box.spec, method: method, configuration: configuration)
        store(TrainerBox(trainer: engine, model: box), into: out)
    }
}

@_cdecl("fsc_trainer_step")
public func fsc_trainer_step(_ trainer: OpaquePointer?, _ images: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?,
                             _ rank: Int, _ labels: UnsafePointer<Int32>?, _ labelCount: Int,
                             _ loss: UnsafeMutablePointer<Float>?) -> fsc_status {
    guarded("fsc_trainer_step") {
        let box = try HandleRegistry.lookup(trainer, as: TrainerBox.self, "trainer")
        let batch = try readImages(images, shape: shape, rank: rank, imageShape: box.model.spec.inputShape)
        try checkCount(labelCount, expected: batch.shape[0], name: "labels")
        let values = try readLabels(labels, count: labelCount, classes: box.model.spec.classes)
        let outcome = try box.trainer.trainStep(images: batch, labels: values)
        loss?.pointee = outcome.loss
    }
}

@_cdecl("fsc_trainer_train")
public func fsc_trainer_train(_ trainer: OpaquePointer?, _ train: OpaquePointer?, _ test: OpaquePointer?,
                              _ outDirectory: UnsafePointer<CChar>?, _ progress: fsc_progress_fn?,
                              _ user: UnsafeMutableRawPointer?, _ testAccuracy: UnsafeMutablePointer<Double>?) -> fsc_status {
    guarded("fsc_trainer_train") {
        let box = try HandleRegistry.lookup(trainer, as: TrainerBox.self, "trainer")
        let trainData = try HandleRegistry.lookup(train, as: DatasetBox.self, "train").dataset
        let testData = try test.map { try HandleRegistry.lookup($0, as: DatasetBox.self, "test").dataset }
        let report: (TrainingProgress) -> Bool = { p in
            guard let progress else { return true }
            var c = fsc_progress(struct_size: MemoryLayout<fsc_progress>.size, epoch: Int32(p.epoch), epochs: Int32(p.epochs),
                                 batch: Int64(p.batch), batches: Int64(p.batches), loss: p.loss, accuracy: p.accuracy,
                                 images_per_second: p.imagesPerSecond, seconds_remaining: p.secondsRemaining)
            return progress(&c, user) == 0
        }
        var last: Double?
        if let outDirectory {
            let summary = try runTraining(box.trainer, train: trainData, test: testData ?? trainData.prefix(0),
                                          datasetName: "caller", directory: String(cString: outDirectory),
                                          progress: report)
            last = testData == nil ? nil : summary.testAccuracy
        } else {
            while box.trainer.epoch < box.trainer.configuration.epochs {
                last = try box.trainer.trainEpoch(on: trainData, test: testData, progress: report).testAccuracy ?? last
            }
        }
        testAccuracy?.pointee = last ?? .nan
    }
}

@_cdecl("fsc_trainer_free")
public func fsc_trainer_free(_ trainer: OpaquePointer?) {
    HandleRegistry.release(trainer, as: TrainerBox.self)
}
