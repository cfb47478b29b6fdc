// TrainingRun.swift — a whole training run with its files: metrics, checkpoints, summary.

import Foundation

/// The outcome of a training run, as written to `summary.json`.
public struct TrainingSummary: Codable, Sendable {
    public var method: String
    public var model: String
    public var dataset: String
    public var epochs: Int
    public var seed: UInt64
    /// Clean accuracy on the test split used, percent.
    public var testAccuracy: Double
    public var testImages: Int
    public var trainImages: Int
    /// Wall time of the training epochs (evaluation excluded).
    public var trainSeconds: Double
    public var imagesPerSecond: Double
    /// Path of the final checkpoint.
    public var checkpoint: String
    public var blasCore: String
    public var threads: Int
}

/// Trains `trainer` to its configured epoch count, writing into `directory`:
/// `metrics.jsonl` (one `EpochMetrics` per line), `checkpoint.fsc` (replaced atomically
/// after every epoch, so a killed run leaves the last good one) and `summary.json`.
///
/// - Parameters:
///   - progress: called after every batch; return false to cancel (the last checkpoint stays).
///   - epochEnded: called with each epoch's metrics.
public func runTraining(_ trainer: Trainer, train: Dataset, test: Dataset, datasetName: String,
                        directory: String, metadata: [String: String] = [:],
                        progress: (TrainingProgress) -> Bool = { _ in true },
                        epochEnded: (EpochMetrics) -> Void = { _ in }) throws -> TrainingSummary {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let metricsPath = directory + "/metrics.jsonl"
    let checkpointPath = directory + "/checkpoint.fsc"
    if trainer.epoch == 0 { try? FileManager.default.removeItem(atPath: metricsPath) }
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    var trainSeconds = 0.0, trainedImages = 0
    var lastAccuracy: Double?
    let runMetadata = metadata.merging(["dataset": datasetName]) { a, _ in a }
    while trainer.epoch < trainer.configuration.epochs {
        let metrics = try trainer.trainEpoch(on: train, test: test, progress: progress)
        trainSeconds += metrics.seconds
        trainedImages += train.count
        lastAccuracy = metrics.testAccuracy ?? lastAccuracy
        var line = try encoder.encode(metrics)
        line.append(UInt8(ascii: "\n"))
        try appendToFile(line, path: metricsPath)
        try trainer.checkpoint(metadata: runMetadata).write(to: checkpointPath)
        epochEnded(metrics)
    }
    let summary = TrainingSummary(
        method: trainer.method.name, model: trainer.spec.architecture, dataset: datasetName,
        epochs: trainer.configuration.epochs, seed: trainer.configuration.seed,
        testAccuracy: lastAccuracy ?? accuracy(of: trainer.model, on: test), testImages: test.count,
        trainImages: train.count, trainSeconds: trainSeconds,
        imagesPerSecond: Double(trainedImages) / max(trainSeconds, 1e-9), checkpoint: checkpointPath,
        blasCore: BLASRuntime.coreName, threads: Parallelism.workerCount)
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    try writeFileAtomically(encoder.encode(summary), to: directory + "/summary.json")
    return summary
}

/// Appends `data` to the file at `path`, creating it if needed.
private func appendToFile(_ data: Data, path: String) throws {
    if !FileManager.default.fileExists(atPath: path) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw FSCError.io("\(path): cannot create")
        }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw FSCError.io("\(path): cannot open for writing") }
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: data)
}
