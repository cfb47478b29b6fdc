// BenchCommand.swift — `fscatter bench`: timings of training steps, attacks and kernels on synthetic batches.

import ArgumentParser
import FeatureScatter
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full training steps (forward, backward, SGD), an evaluation attack, or the 3×3 convolutions of a model, on random batches.",
        discussion: "Prints one JSON object on stdout; --profile adds a per-op table on stderr.")

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

    @OptionGroup var recipe: RecipeOptions

    @Option(help: "Time this evaluation attack (e.g. pgd20: attack and prediction per batch) instead of training steps.")
    var attack: String?

    @Flag(help: "Time each 3×3 convolution of a wrn-D-W model, forward and backward, against a plain SGEMM of the same shape (single-threaded).")
    var kernels = false

    @Option(help: "Worker threads.")
    var threads: Int?

    @Flag(help: "Print a per-op profile of the timed steps (forward, backward, SGEMM share) to stderr.")
    var profile = false

    @Flag(name: .customLong("sync-batchnorm"), help: "Under mpirun: synchronised batch norm (SyncBN).")
    var synchronizeBatchNorm = false

    @Option(name: .customLong("allreduce"), help: "Under mpirun: time the sum all-reduce of these comma-separated float counts (--steps times each) instead.")
    var allReduceCounts: String?

    func run() throws {
        if let threads { Parallelism.setWorkerCount(threads) }
        let shape = input.split(separator: ",").compactMap { Int($0) }
        guard shape.count == 3 else { throw ValidationError("--input must be C,H,W, got \(input)") }
        var result: [String: Any] = [
            "model": model, "batch_size": batchSize, "steps": steps, "blas_core": BLASRuntime.coreName,
            "cpu": BLASRuntime.cpuModel(), "build_target": BuildTarget.cpu,
        ]
        if let allReduceCounts {
            result["allreduce"] = try allReduceSeconds(try ints(allReduceCounts))
        } else if kernels {
            result.merge(try convolutionKernelBenchmark(architecture: model, inputShape: shape, batch: batchSize,
                                                        repetitions: steps)) { $1 }
        } else {
            let (seconds, communication) = try attack.map { (try attackSeconds($0, shape: shape), (0.0, 0.0)) }
                ?? trainingSeconds(shape: shape)
            result["method"] = attack ?? recipe.method.rawValue
            result["allreduce_seconds_per_step"] = communication.0 / Double(steps)
            result["allreduce_exposed_seconds_per_step"] = communication.1 / Double(steps)
            result["seconds_per_step"] = seconds / Double(steps)
            result["images_per_second"] = Double(batchSize * steps) / seconds
            if let flops = try nominalFlopsPerStep(shape: shape) {
                result["model_gflop_per_step"] = flops / 1e9
                result["achieved_gflops"] = flops * Double(steps) / seconds / 1e9
            }
            result["sgemm_gflops"] = referenceSGEMMGFLOPS()
        }
        result["threads"] = Parallelism.workerCount
        result["ranks"] = Ranks.communicator.size
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// Seconds per sum all-reduce of each float count (median of `steps` after one untimed).
    private func allReduceSeconds(_ counts: [Int]) throws -> [[String: Any]] {
        let communicator = Ranks.communicator
        return try counts.map { count in
            var values = [Float](repeating: 1, count: count)
            var times: [Double] = []
            for step in 0...steps {
                try communicator.barrier()
                let start = Date()
                try values.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
                if step > 0 { times.append(Date().timeIntervalSince(start)) }
            }
            return ["floats": count, "seconds": times.sorted()[times.count / 2]]
        }
    }

    /// The nominal flops of one timed step or batch (see ``forwardPassesPerStep(_:)``), or nil
    /// where the pass count is not fixed.
    private func nominalFlopsPerStep(shape: [Int]) throws -> Double? {
        let passes = try attack.map { forwardPassesPerBatch(try AttackSpec(name: $0, threat: ThreatModel(epsilon: recipe.epsilon))) }
            ?? forwardPassesPerStep(recipe.recipe)
        guard let passes else { return nil }
        var generator = SeededGenerator(seed: 0)
        let network = try ModelSpec(architecture: model, inputShape: shape, classes: classes).build(using: &generator)
        return passes * Double(batchSize) * forwardFlopsPerImage(network, inputShape: shape)
    }

    /// Random images in [0, 1] for the warm-up step and the timed steps, and cycling labels.
    private func batches(shape: [Int]) -> (images: Tensor, labels: [Int]) {
        var generator = SeededGenerator(seed: 1)
        let count = batchSize * (steps + 1)
        return (Tensor.uniform([count] + shape, low: 0, high: 1, using: &generator), (0..<count).map { $0 % classes })
    }

    /// Seconds of `steps` training steps of the method, after one untimed step, and the seconds of
    /// gradient all-reduce in them (in all, and not hidden by the backward pass).
    private func trainingSeconds(shape: [Int]) throws -> (Double, (Double, Double)) {
        var config = TrainingConfiguration()
        config.batchSize = batchSize
        config.epochs = 1
        config.learningRate = 0.01
        config.evaluateEachEpoch = false
        config.synchronizeBatchNorm = synchronizeBatchNorm
        let spec = ModelSpec(architecture: model, inputShape: shape, classes: classes)
        let trainer = try Trainer(spec: spec, recipe: recipe.recipe, configuration: config, communicator: Ranks.communicator)
        let (images, labels) = batches(shape: shape)
        let warmUp = try Dataset(images: images.slice(0..<batchSize), labels: Array(labels[0..<batchSize]), classes: classes)
        let measuredSteps = try Dataset(images: images.slice(batchSize..<images.shape[0]), labels: Array(labels[batchSize...]),
                                classes: classes)
        _ = try trainer.trainEpoch(on: warmUp, test: nil)
        let before = trainer.communicationSeconds
        let seconds = try timed { _ = try trainer.trainEpoch(on: measuredSteps, test: nil) }
        let after = trainer.communicationSeconds
        return (seconds, (after.total - before.total, after.exposed - before.exposed))
    }

    /// Seconds of `steps` batches of evaluation with `name` (the adversarial batch, then the
    /// model's prediction on it), after one untimed batch, on a freshly initialised model.
    private func attackSeconds(_ name: String, shape: [Int]) throws -> Double {
        var generator = SeededGenerator(seed: 0)
        let model = try ModelSpec(architecture: model, inputShape: shape, classes: classes).build(using: &generator)
        let attack = try AttackSpec(name: name, threat: ThreatModel(epsilon: recipe.epsilon)).make()
        let (images, labels) = batches(shape: shape)
        func evaluate(_ step: Int) throws {
            let range = (step * batchSize)..<((step + 1) * batchSize)
            let adversarial = try attack.perturb(model, images: images.slice(range), labels: Array(labels[range]),
                                                 using: &generator)
            _ = model.predict(adversarial)
        }
        try evaluate(0)
        return try timed {
            for step in 1...steps { try evaluate(step) }
        }
    }

    /// The wall-clock seconds of `body`, profiled (table on stderr) with `--profile`.
    private func timed(_ body: () throws -> Void) rethrows -> Double {
        if profile { Profiler.start() }
        let start = Date()
        try body()
        let seconds = Date().timeIntervalSince(start)
        if profile { printToStandardError(Profiler.stop().table(steps: steps)) }
        return seconds
    }
}
