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

@_cdecl("fsc_trainer_config_preset")
public func fsc_trainer_config_preset(_ name: UnsafePointer<CChar>?, _ config: UnsafeMutablePointer<fsc_trainer_config>?,
                                      _ dataset: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                      _ architecture: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> fsc_status {
    guarded("fsc_trainer_config_preset") {
        let target = try required(config, "config")
        let preset = try TrainingPreset.named(try requiredString(name, "name"))
        target.pointee = trainerConfig(recipe: preset.recipe, configuration: preset.configuration)
        dataset?.pointee = UnsafePointer(PresetStrings.value[preset.dataset])
        architecture?.pointee = UnsafePointer(PresetStrings.value[preset.architecture])
    }
}

/// The presets' data set and architecture names as C strings that live as long as the library.
private enum PresetStrings {
    static let value: [String: UnsafeMutablePointer<CChar>] = Dictionary(uniqueKeysWithValues:
        Set(TrainingPreset.all.flatMap { [$0.dataset, $0.architecture] }).map { ($0, strdup($0)!) })
}

/// The documented defaults: the engine's recipe and configuration.
func defaultTrainerConfig() -> fsc_trainer_config {
    trainerConfig(recipe: TrainingRecipe(), configuration: TrainingConfiguration())
}

/// `recipe` and `configuration` as the C struct, unset recipe values as the struct's "method default".
/// The struct holds four decay epochs of a piecewise or cosine schedule: the defaults and every
/// preset fit (a test reads each back through `trainingSetup`).
func trainerConfig(recipe: TrainingRecipe, configuration: TrainingConfiguration) -> fsc_trainer_config {
    var c = fsc_trainer_config()
    c.struct_size = MemoryLayout<fsc_trainer_config>.size
    c.method = methodTable.c(recipe.method)
    c.epsilon = recipe.epsilon
    c.attack_steps = Int32(recipe.attackSteps ?? 0)
    c.attack_step_size = recipe.attackStepSize ?? 0
    c.label_smoothing = recipe.labelSmoothing ?? -1
    c.ot = otConfig(recipe.scattering.transport, matching: recipe.scattering.matching)
    c.cost = costTable.c(recipe.scattering.cost)
    c.grad_mode = gradientModeTable.c(recipe.scattering.gradientMode)
    c.trades_beta = recipe.tradesBeta
    c.epochs = Int32(configuration.epochs)
    c.batch_size = Int32(configuration.batchSize)
    c.learning_rate = configuration.learningRate
    c.momentum = configuration.momentum
    c.weight_decay = configuration.weightDecay
    let decay = configuration.decayEpochs.map(Int32.init) + [0, 0, 0, 0]
    c.decay_epochs = (decay[0], decay[1], decay[2], decay[3])
    c.seed = configuration.seed
    c.communicator = nil
    c.ot_scope = otScopeTable.c(recipe.scattering.scope)
    c.bucket_megabytes = configuration.bucketMegabytes
    c.sync_batchnorm = configuration.synchronizeBatchNorm ? 1 : 0
    c.nesterov = configuration.nesterov ? 1 : 0
    c.cosine_schedule = configuration.scheduleShape == .cosine ? 1 : 0
    c.crop_padding = Int32(configuration.cropPadding)
    c.horizontal_flip = configuration.horizontalFlip ? 1 : 0
    c.bilateral_beta = recipe.bilateralBeta ?? 0
    return c
}

/// The engine's recipe, configuration and communicator from a caller's config (0 or a negative
/// smoothing = the method's default; a 0.2 or 0.3 struct without the later fields is accepted).
func trainingSetup(_ config: UnsafePointer<fsc_trainer_config>?) throws
    -> (TrainingRecipe, TrainingConfiguration, any Communicator) {
    var c = try versionedConfig(config, "fsc_trainer_config", defaults: defaultTrainerConfig(),
                                minimumSize: MemoryLayout<fsc_trainer_config>.offset(of: \.communicator) ?? 0)
    if let size = config?.pointee.struct_size, size < MemoryLayout<fsc_trainer_config>.size {
        // A 0.3 struct's tail padding is where crop_padding now lives: its bytes are not the caller's.
        (c.crop_padding, c.horizontal_flip) = (0, 0)
    }
    var ot = c.ot
    let (transport, matching) = try withUnsafePointer(to: &ot) { try otOptions($0) }
    var recipe = TrainingRecipe(method: try methodTable.engine(c.method, "method"), epsilon: c.epsilon,
                                attackSteps: c.attack_steps == 0 ? nil : Int(c.attack_steps),
                                attackStepSize: c.attack_step_size == 0 ? nil : c.attack_step_size,
                                labelSmoothing: c.label_smoothing < 0 ? nil : c.label_smoothing)
    recipe.scattering = ScatteringObjective(cost: try costTable.engine(c.cost, "cost"), matching: matching,
                                            transport: transport,
                                            gradientMode: try gradientModeTable.engine(c.grad_mode, "grad_mode"),
                                            scope: try otScopeTable.engine(c.ot_scope, "ot_scope"))
    recipe.tradesBeta = c.trades_beta
    // 0 = BAT's default; a 0.3 struct ends before this field, which then keeps the default.
    recipe.bilateralBeta = c.bilateral_beta == 0 ? nil : c.bilateral_beta
    var configuration = TrainingConfiguration()
    configuration.epochs = Int(c.epochs)
    configuration.batchSize = Int(c.batch_size)
    configuration.learningRate = c.learning_rate
    configuration.momentum = c.momentum
    configuration.weightDecay = c.weight_decay
    configuration.decayEpochs = [c.decay_epochs.0, c.decay_epochs.1, c.decay_epochs.2, c.decay_epochs.3]
        .filter { $0 != 0 }.map(Int.init)
    configuration.seed = c.seed
    configuration.nesterov = c.nesterov != 0
    configuration.scheduleShape = c.cosine_schedule != 0 ? .cosine : .piecewise
    configuration.bucketMegabytes = c.bucket_megabytes
    configuration.synchronizeBatchNorm = c.sync_batchnorm != 0
    guard (0...1024).contains(c.crop_padding) else {
        throw BoundaryError.invalid("crop_padding = \(c.crop_padding) is not in 0...1024")
    }
    configuration.cropPadding = Int(c.crop_padding)
    configuration.horizontalFlip = c.horizontal_flip != 0
    return (recipe, configuration, try communicator(c.communicator))
}

@_cdecl("fsc_trainer_create")
public func fsc_trainer_create(_ model: OpaquePointer?, _ config: UnsafePointer<fsc_trainer_config>?,
                               _ trainer: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_trainer_create") {
        let out = try required(trainer, "trainer")
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let (recipe, configuration, ranks) = try trainingSetup(config)
        let engine = try box.exclusive {
            try Trainer(model: box.model, spec: box.spec, recipe: recipe, configuration: configuration, communicator: ranks)
        }
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
        let outcome = try box.model.exclusive { try box.trainer.trainStep(images: batch, labels: values) }
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
        let folder = outDirectory.map { String(cString: $0) }
        let summary = try box.model.exclusive {
            try runTraining(box.trainer, train: trainData, test: testData, datasetName: "caller", directory: folder,
                            progress: report)
        }
        testAccuracy?.pointee = summary.testAccuracy ?? .nan
    }
}

@_cdecl("fsc_trainer_free")
public func fsc_trainer_free(_ trainer: OpaquePointer?) {
    HandleRegistry.release(trainer, as: TrainerBox.self)
}
