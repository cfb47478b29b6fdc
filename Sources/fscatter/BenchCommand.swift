// BenchCommand.swift — `fscatter bench`: timings of training steps on synthetic batches.

import ArgumentParser
import FeatureScatter
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full training steps (forward, backward, SGD) of a model on random batches.")

    @Option(help: "Model: smallcnn, mlp, preactresnet18 or wrn-D-W.")
    var model = "smallcnn"

    @Option(help: "Input shape C,H,W.")
    var input = "1,28,28"

    @Option(help: "Number of classes.")
    var classes = 10

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize = 128

    @Option(help: "Timed steps (after one untimed warm-up step).")
    var steps = 10

    @OptionGroup var method: MethodOptions

    @Option(help: "Worker threads.")
    var threads: Int?

    @Flag(help: "Print a per-op profile of the timed steps (forward, backward, SGEMM share) to stderr.")
    var profile = false

    func run() throws {
        if let threads { Parallelism.setWorkerCount(threads) }
        let shape = input.split(separator: ",").compactMap { Int($0) }
        guard shape.count == 3 else { throw ValidationError("--input must be C,H,W, got \(input)") }
        var config = TrainingConfiguration()
        config.batchSize = batchSize
        config.epochs = 1
        config.learningRate = 0.01
        config.evaluateEachEpoch = false
        let spec = ModelSpec(architecture: model, inputShape: shape, classes: classes)
        let trainer = try Trainer(spec: spec, method: try method.make(), configuration: config)
        var generator = SeededGenerator(seed: 1)
        let count = batchSize * (steps + 1)
        let images = Tensor.uniform([count] + shape, low: 0, high: 1, using: &generator)
        let labels = (0..<count).map { $0 % classes }
        let warmUp = try Dataset(images: images.slice(0..<batchSize), labels: Array(labels[0..<batchSize]), classes: classes)
        let timed = try Dataset(images: images.slice(batchSize..<count), labels: Array(labels[batchSize...]), classes: classes)
        _ = try trainer.trainEpoch(on: warmUp, test: nil)
        if profile { Profiler.start() }
        let metrics = try trainer.trainEpoch(on: timed, test: nil)
        if profile { printToStandardError(Profiler.stop().table(steps: steps)) }
        let result: [String: Any] = [
            "model": model, "method": method.method, "batch_size": batchSize, "steps": steps,
            "seconds_per_step": metrics.seconds / Double(steps), "images_per_second": metrics.imagesPerSecond,
            "threads": Parallelism.workerCount, "blas_core": BLASRuntime.coreName,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
