// TrainCommand.swift — `fscatter train`: train a model and write metrics, checkpoints, summary.

import ArgumentParser
import FeatureScatter
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model on a data set.")

    @OptionGroup var method: MethodOptions

    @Option(help: "Model: smallcnn, mlp, preactresnet18 or wrn-D-W (e.g. wrn-16-4).")
    var model = "smallcnn"

    @Option(name: .customLong("init-onnx"),
            help: "Start from an ONNX classifier (its graph and weights) instead of a fresh --model.")
    var initONNX: String?

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("train-subset"), help: "Use only the first N training images.")
    var trainSubset: Int?

    @Option(help: "Number of epochs.")
    var epochs = 10

    @Option(name: .customLong("batch-size"), help: "Images per batch.")
    var batchSize = 128

    @Option(name: .customLong("lr"), help: "Base learning rate.")
    var learningRate: Float = 0.05

    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (PyTorch semantics).")
    var weightDecay: Float = 2e-4

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(help: "Learning-rate schedule: piecewise, cosine or constant.")
    var schedule = "piecewise"

    @Option(name: .customLong("decay-epochs"), help: "Comma-separated epochs where the piecewise schedule multiplies the rate by 0.1.")
    var decayEpochs = "60,90"

    @Option(name: .customLong("crop-padding"), help: "Random-crop padding in pixels (0 = off).")
    var cropPadding = 0

    @Flag(name: .customLong("flip"), help: "Random horizontal flips.")
    var horizontalFlip = false

    @Option(help: "Seed fixing initialisation, data order and all randomness.")
    var seed: UInt64 = 0

    @Option(name: .customLong("out"), help: "Output folder for metrics.jsonl, checkpoint.fsc and summary.json.")
    var outputDirectory = "runs/latest"

    @Option(help: "Continue the run in this folder from its checkpoint.")
    var resume: String?

    @Flag(help: "Print a per-op profile of the run (per training batch; forward, backward, SGEMM share) to stderr.")
    var profile = false

    func validate() throws {
        guard ["piecewise", "cosine", "constant"].contains(schedule) else {
            throw ValidationError("--schedule must be piecewise, cosine or constant, got \(schedule)")
        }
        if let trainSubset, trainSubset < 1 { throw ValidationError("--train-subset must be ≥ 1") }
        guard decayEpochs.split(separator: ",").allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)) != nil }) else {
            throw ValidationError("--decay-epochs must be comma-separated integers, got \(decayEpochs)")
        }
    }

    func run() throws {
        data.applyThreads()
        let train = try data.load(.train, subset: trainSubset)
        let test = try data.load(.test, subset: data.testSubset)
        var config = TrainingConfiguration()
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.momentum = momentum
        config.weightDecay = weightDecay
        config.nesterov = nesterov
        config.cosineSchedule = schedule == "cosine"
        config.decayEpochs = schedule == "constant" ? [] : decayEpochs.split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        config.cropPadding = cropPadding
        config.horizontalFlip = horizontalFlip
        config.seed = seed
        let directory = resume ?? outputDirectory
        let saved = try resume.map { try Checkpoint.read(from: $0 + "/checkpoint.fsc") }
        let trainer: Trainer
        if let saved, saved.header.onnxGraph != nil {
            trainer = try Trainer(model: saved.makeModel(), spec: saved.header.model, method: method.make(), configuration: config)
        } else if let initONNX {
            let (graph, spec) = try importONNXClassifier(contentsOf: initONNX, imageShape: train.imageShape)
            guard spec.classes == train.classes else {
                throw FSCError.shapeMismatch("\(initONNX) gives \(spec.classes) logits, \(data.dataset) has \(train.classes) classes")
            }
            trainer = try Trainer(model: graph, spec: spec, method: method.make(), configuration: config)
        } else {
            let spec = ModelSpec(architecture: model, inputShape: train.imageShape, classes: train.classes)
            trainer = try Trainer(spec: spec, method: method.make(), configuration: config)
        }
        if let saved { try trainer.resume(from: saved) }
        var metadata = method.metadata.merging(["seed": String(seed)]) { a, _ in a }
        if let initONNX { metadata["init_onnx"] = initONNX }
        var display = ProgressDisplay()
        let startEpoch = trainer.epoch
        if profile { Profiler.start() }
        let summary = try runTraining(trainer, train: train, test: test, datasetName: data.dataset,
                                      directory: directory, metadata: metadata,
                                      progress: { display.show($0); return true },
                                      epochEnded: { display.epochEnded($0) })
        if profile {
            let batches = (train.count + batchSize - 1) / batchSize * (trainer.epoch - startEpoch)
            printToStandardError(Profiler.stop().table(steps: batches))
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    }
}
