// TrainCommand.swift — `fscatter train`: train a model and write metrics, checkpoints, summary.

import ArgumentParser
import FeatureScatter
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model on a data set.")

    @Option(help: ArgumentHelp("A named recipe that sets the data set, model and every training setting; a flag given explicitly overrides its value.",
                               discussion: "Known: \(TrainingPreset.all.map(\.name).joined(separator: ", ")). See docs/presets.md."))
    var preset: String?

    @OptionGroup var recipe: RecipeOptions

    @Option(help: "Model: smallcnn, mlp, preactresnet18 or wrn-D-W (e.g. wrn-16-4).")
    var model = "smallcnn"

    @Option(name: .customLong("init-onnx"),
            help: "Start from an ONNX classifier (its graph and weights) instead of a fresh --model.")
    var initONNX: String?

    @Option(name: .customLong("input-normalization"), help: inputNormalizationHelp)
    var inputNormalization: InputNormalizationSpec?

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("train-subset"), help: "Use only the first N training images.")
    var trainSubset: Int?

    @Option(help: "Number of epochs.")
    var epochs = defaults.epochs

    @Option(name: .customLong("batch-size"), help: "Images per batch.")
    var batchSize = defaults.batchSize

    @Option(name: .customLong("lr"), help: "Base learning rate.")
    var learningRate = defaults.learningRate

    @Option(help: "SGD momentum.")
    var momentum = defaults.momentum

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (PyTorch semantics).")
    var weightDecay = defaults.weightDecay

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(help: "Learning-rate schedule.")
    var schedule = defaults.scheduleShape

    @Option(name: .customLong("decay-epochs"), help: "Comma-separated epochs where the piecewise schedule multiplies the rate by 0.1.")
    var decayEpochs = defaults.decayEpochs.map(String.init).joined(separator: ",")

    @Option(name: .customLong("lr-reference-batch"), help: "Linear scaling rule: multiply --lr by batch size / this (for global batches larger than the recipe's; its effect on feature-scattering robustness is unmeasured).")
    var learningRateReferenceBatch: Int?

    @Option(name: .customLong("warmup-epochs"), help: "Epochs over which the scaled learning rate is reached linearly from --lr.")
    var warmupEpochs = defaults.warmupEpochs

    @Flag(name: .customLong("sync-batchnorm"), help: "Under mpirun: batch norm uses the moments of the global batch (SyncBN), not each rank's.")
    var synchronizeBatchNorm = false

    @Option(name: .customLong("bucket-mb"), help: "Under mpirun: MiB of gradients per all-reduce bucket, started during the backward pass.")
    var bucketMegabytes = defaults.bucketMegabytes

    @Option(name: .customLong("crop-padding"), help: "Random-crop padding in pixels (0 = off).")
    var cropPadding = defaults.cropPadding

    @Flag(name: .customLong("flip"), help: "Random horizontal flips.")
    var horizontalFlip = false

    @Option(help: "Seed fixing initialisation, data order and all randomness.")
    var seed = defaults.seed

    @Option(name: .customLong("out"), help: "Output folder for metrics.jsonl, checkpoint.fsc and summary.json.")
    var outputDirectory = "runs/latest"

    @Option(help: "Continue the run in this folder from its checkpoint.")
    var resume: String?

    @Flag(help: "Print a per-op profile of the run (per training batch; forward, backward, SGEMM share) to stderr.")
    var profile = false

    private static let defaults = TrainingConfiguration()

    func validate() throws {
        if let preset { _ = try TrainingPreset.named(preset) }
        if inputNormalization != nil, initONNX == nil {
            throw ValidationError("--input-normalization applies to --init-onnx models (a --model takes its preset's)")
        }
        if let trainSubset, trainSubset < 1 { throw ValidationError("--train-subset must be ≥ 1") }
        _ = try ints(decayEpochs)
    }

    /// The configuration these flags describe.
    func configuration() throws -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.momentum = momentum
        config.weightDecay = weightDecay
        config.nesterov = nesterov
        config.scheduleShape = schedule
        config.decayEpochs = try ints(decayEpochs)
        config.bucketMegabytes = bucketMegabytes
        config.synchronizeBatchNorm = synchronizeBatchNorm
        config.learningRateReferenceBatch = learningRateReferenceBatch
        config.warmupEpochs = warmupEpochs
        config.cropPadding = cropPadding
        config.horizontalFlip = horizontalFlip
        config.seed = seed
        return try namedPreset.map { try ExplicitFlags.overlay(config, on: $0.configuration) } ?? config
    }

    /// The method and its settings: the flags, over the preset's when one is named.
    func resolvedRecipe() throws -> TrainingRecipe {
        try namedPreset.map { try ExplicitFlags.overlay(recipe.recipe, on: $0.recipe) } ?? recipe.recipe
    }

    /// The data set: `--dataset` when given, else the preset's.
    var datasetName: String {
        guard let namedPreset, !ExplicitFlags.isGiven("--dataset") else { return data.dataset }
        return namedPreset.dataset
    }

    /// The model spec for `train`: `--model` when given, else the preset's, behind the preset's input normalisation.
    func modelSpec(for train: Dataset) -> ModelSpec {
        let architecture = namedPreset.flatMap { ExplicitFlags.isGiven("--model") ? nil : $0.architecture } ?? model
        return ModelSpec(architecture: architecture, inputShape: train.imageShape, classes: train.classes,
                         inputNormalization: namedPreset?.inputNormalization)
    }

    private var namedPreset: TrainingPreset? { preset.flatMap { try? TrainingPreset.named($0) } }

    /// The trainer: resumed from `--resume`, started from `--init-onnx`, or a fresh `--model`.
    private func trainer(for train: Dataset, resumed: ResumedRun?) throws -> Trainer {
        let config = try configuration()
        if let resumed {
            return try Trainer(resuming: resumed.checkpoint, recipe: resumed.recipe, configuration: resumed.configuration,
                               communicator: Ranks.communicator)
        }
        if let initONNX {
            let (graph, spec) = try Ranks.communicator.agree("importing \(initONNX)") {
                try loadModel(initONNX, imageShape: train.imageShape, inputNormalization: inputNormalization)
            }
            return try Trainer(model: graph, spec: spec, recipe: try resolvedRecipe(), configuration: config,
                               communicator: Ranks.communicator)
        }
        return try Trainer(spec: modelSpec(for: train), recipe: try resolvedRecipe(), configuration: config,
                           communicator: Ranks.communicator)
    }

    /// What the checkpoint records beside the run: the ONNX start and the preset.
    private func runMetadata(resumed: ResumedRun?) -> [String: String] {
        if let resumed { return resumed.checkpoint.header.metadata.filter { ["init_onnx", "preset"].contains($0.key) } }
        var metadata: [String: String] = [:]
        metadata["init_onnx"] = initONNX
        metadata["preset"] = preset
        return metadata
    }

    func run() throws {
        data.applyThreads()
        let resumed = try resume.map { folder in
            try Ranks.communicator.agree("reading the checkpoint") {
                try ResumedRun(folder: folder, given: self, defaults: try TrainCommand.parse([]))
            }
        }
        if let resumed, let preset, resumed.checkpoint.header.metadata["preset"] != preset {
            throw ValidationError("the run in \(resume ?? "") was started \(resumed.checkpoint.header.metadata["preset"].map { "from preset \($0)" } ?? "without a preset"); leave --preset out when resuming")
        }
        let (dataset, directory) = resumed.map { ($0.dataset, $0.dataDirectory) } ?? (datasetName, data.dataDirectory)
        let (trainCount, testCount) = resumed.map { ($0.trainSubset, $0.testSubset) } ?? (trainSubset, data.testSubset)
        let (train, test) = try Ranks.communicator.agree("loading the data") { () -> (Dataset, Dataset) in
            let train = try Dataset.named(dataset, directory: directory, split: .train).prefix(trainCount)
            let test = try Dataset.named(dataset, directory: directory, split: .test).prefix(testCount)
            try resumed?.data?.check(train: train, test: test)
            return (train, test)
        }
        let trainer = try trainer(for: train, resumed: resumed)
        var display = ProgressDisplay()
        let startEpoch = trainer.epoch
        if profile { Profiler.start() }
        let summary = try runTraining(trainer, train: train, test: test, datasetName: dataset,
                                      directory: resume ?? outputDirectory,
                                      metadata: runMetadata(resumed: resumed),
                                      dataSelection: ResumedRun.selection(dataDirectory: directory, trainSubset: trainCount,
                                                                          testSubset: testCount),
                                      progress: { display.show($0); return true },
                                      epochEnded: { display.epochEnded($0) })
        if profile {
            let size = trainer.configuration.batchSize
            let batches = (train.count + size - 1) / size * (trainer.epoch - startEpoch)
            printToStandardError(Profiler.stop().table(steps: batches))
            if Ranks.communicator.size > 1, Ranks.communicator.isRoot {
                let (total, exposed) = trainer.communicationSeconds
                printToStandardError(String(format: "gradient all-reduce: %.3f s per step, %.3f s exposed (%.0f%% hidden behind the backward pass)",
                                            total / Double(max(batches, 1)), exposed / Double(max(batches, 1)),
                                            total > 0 ? 100 * max(0, total - exposed) / total : 0))
            }
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    }
}
