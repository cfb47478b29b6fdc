// TrainingRun.swift — a whole training run with its files: metrics, checkpoints, summary.

import Foundation

/// The outcome of a training run, as written to `summary.json`.
public struct TrainingSummary: Codable, Sendable {
    public var method: String
    public var model: String
    public var dataset: String
    public var epochs: Int
    public var seed: UInt64
    /// Clean accuracy on the test split used, percent (nil without a test set).
    public var testAccuracy: Double?
    public var testImages: Int
    public var trainImages: Int
    /// Wall time of the training epochs (evaluation excluded).
    public var trainSeconds: Double
    public var imagesPerSecond: Double
    /// Path of the final checkpoint (nil when the run wrote no files).
    public var checkpoint: String?
    public var blasCore: String
    /// Worker threads per rank.
    public var threads: Int
    /// Processes the run was spread over.
    public var ranks: Int
    /// The FNV-1a hash of the final parameters and buffers, checked equal on every rank.
    public var stateHash: String
    /// Seconds of gradient all-reduce over the run, and the part the backward pass did not hide.
    public var allReduceSeconds: Double
    public var allReduceExposedSeconds: Double
    /// The preset the run started from (the `preset` metadata), if any.
    public var preset: String?
    /// The method's settings with every default resolved (as the checkpoint records them).
    public var settings: [String: String]
    /// The run's settings, resolved.
    public var configuration: TrainingConfiguration
    /// The model's input normalisation, if it has one.
    public var inputNormalization: InputNormalizationSpec?
}

/// Trains `trainer` to its configured epoch count. With a `directory` it writes there
/// `metrics.jsonl` (one `EpochMetrics` per line), `checkpoint.fsc` (replaced atomically
/// after every epoch, so a killed run leaves the last good one) and `summary.json`.
/// Over several ranks only rank 0 writes; the others wait until each checkpoint is on disk
/// and fail with rank 0 when it could not be written.
///
/// - Parameters:
///   - test: measured for clean accuracy after each epoch (when configured) and at the end.
///   - dataSelection: how the caller chose the data (folder, subsets), recorded in the checkpoint's
///     ``RunRecord`` so that a resumed run reads the same data.
///   - progress: called after every batch; return false to cancel (the last checkpoint stays).
///   - epochEnded: called with each epoch's metrics.
public func runTraining(_ trainer: Trainer, train: Dataset, test: Dataset?, datasetName: String,
                        directory: String?, metadata: [String: String] = [:], dataSelection: [String: String] = [:],
                        progress: (TrainingProgress) -> Bool = { _ in true },
                        epochEnded: (EpochMetrics) -> Void = { _ in }) throws -> TrainingSummary {
    let communicator = trainer.communicator
    // The data's fingerprints, computed once: the ranks compare them and checkpoints record them.
    let dataRecord = communicator.size > 1 || directory != nil
        ? RunRecord.Data(dataset: datasetName, selection: dataSelection, train: train, test: test) : nil
    if communicator.size > 1, let data = dataRecord {
        try trainer.checkRanksAgree(on: [("training data", "\(data.trainCount) examples, fingerprint \(String(data.trainFingerprint, radix: 16))"),
                                         ("test data", data.testCount.map { "\($0) examples, fingerprint \(String(data.testFingerprint ?? 0, radix: 16))" } ?? "none")])
    }
    let fresh = trainer.epoch == 0
    let files = try communicator.agree("creating the run folder") {
        let files = try directory.flatMap { communicator.isRoot ? try RunFiles(directory: $0, fresh: fresh) : nil }
        if !fresh { try files?.reconcile(with: trainer.history, epoch: trainer.epoch) }
        return files
    }
    var trainSeconds = 0.0, trainedImages = 0
    var lastAccuracy: Double?
    let runMetadata = metadata.merging(["dataset": datasetName]) { a, _ in a }
    while trainer.epoch < trainer.configuration.epochs {
        let metrics = try trainer.trainEpoch(on: train, test: test, progress: progress)
        trainSeconds += metrics.seconds
        trainedImages += train.count
        lastAccuracy = metrics.testAccuracy ?? lastAccuracy
        if communicator.size > 1 { try trainer.checkReplicasAgree() }
        if directory != nil {
            try trainer.checkStateFinite(examples: train.count)
            let checkpoint = try trainer.checkpoint(metadata: runMetadata, data: dataRecord)
            // The checkpoint first: a metrics line never describes an epoch the checkpoint lacks.
            try communicator.agree("writing the checkpoint") {
                try files.map { try checkpoint.write(to: $0.checkpoint) }
                try files?.append(metrics)
            }
        }
        epochEnded(metrics)
    }
    try trainer.synchronizeBuffers()
    let finalAccuracy = try test.map { try lastAccuracy ?? accuracy(of: trainer.model, on: $0, communicator: communicator) }
    let summary = TrainingSummary(
        method: trainer.method.name, model: trainer.spec.architecture, dataset: datasetName,
        epochs: trainer.configuration.epochs, seed: trainer.configuration.seed,
        testAccuracy: finalAccuracy, testImages: test?.count ?? 0,
        trainImages: train.count, trainSeconds: trainSeconds,
        imagesPerSecond: Double(trainedImages) / max(trainSeconds, 1e-9),
        checkpoint: directory.map { RunFiles.checkpointPath(in: $0) },
        blasCore: BLASRuntime.coreName, threads: Parallelism.workerCount, ranks: communicator.size,
        stateHash: String(try trainer.checkReplicasAgree(), radix: 16),
        allReduceSeconds: trainer.communicationSeconds.total, allReduceExposedSeconds: trainer.communicationSeconds.exposed,
        preset: metadata["preset"], settings: trainer.settings, configuration: trainer.configuration,
        inputNormalization: trainer.spec.inputNormalization)
    try communicator.agree("writing the summary") { try files?.write(summary) }
    return summary
}

/// The files of a run directory.
private struct RunFiles {
    let directory: String
    var metrics: String { directory + "/metrics.jsonl" }
    var checkpoint: String { RunFiles.checkpointPath(in: directory) }

    static func checkpointPath(in directory: String) -> String { directory + "/checkpoint.fsc" }

    /// Creates the folder and removes the temporary files a killed write left there; a fresh run
    /// starts a new metrics file.
    init(directory: String, fresh: Bool) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where [".checkpoint.fsc.tmp-", ".summary.json.tmp-", ".metrics.jsonl.tmp-"].contains(where: name.hasPrefix) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        if fresh { try? FileManager.default.removeItem(atPath: metrics) }
    }

    /// Makes a resumed run's `metrics.jsonl` hold one line per epoch up to the checkpoint's `epoch`,
    /// as an uninterrupted run's would: the lines of `history` (the checkpoint's record), after the
    /// file's own lines of earlier epochs when `history` does not reach back to epoch 1. A line cut by
    /// a kill, or of an epoch the checkpoint does not have, goes.
    func reconcile(with history: [EpochMetrics], epoch: Int) throws {
        let firstRecorded = epoch - history.count + 1
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let existing = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
        var kept: [EpochMetrics] = []
        for line in existing.split(separator: "\n") {
            guard let entry = try? decoder.decode(EpochMetrics.self, from: Data(line.utf8)),
                  entry.epoch == kept.count + 1, entry.epoch < firstRecorded else { continue }
            kept.append(entry)
        }
        let encoder = RunFiles.encoder(pretty: false)
        var text = Data()
        for entry in kept + history {
            text.append(try encoder.encode(entry))
            text.append(UInt8(ascii: "\n"))
        }
        try writeFileAtomically(text, to: metrics)
    }

    func append(_ metrics: EpochMetrics) throws {
        var line = try RunFiles.encoder(pretty: false).encode(metrics)
        line.append(UInt8(ascii: "\n"))
        try appendToFile(line, path: self.metrics)
    }

    func write(_ summary: TrainingSummary) throws {
        try writeFileAtomically(RunFiles.encoder(pretty: true).encode(summary), to: directory + "/summary.json")
    }

    /// Snake-case, key-sorted JSON.
    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return encoder
    }
}

/// Appends `data` to the file at `path`, creating it if needed; a failed write (a full disk) is
/// cut back off, so the file never ends in a partial line.
private func appendToFile(_ data: Data, path: String) throws {
    if !FileManager.default.fileExists(atPath: path) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw FSCError.io("\(path): cannot create")
        }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw FSCError.io("\(path): cannot open for writing") }
    defer { try? handle.close() }
    let end = try handle.seekToEnd()
    do {
        try handle.write(contentsOf: data)
    } catch {
        try? handle.truncate(atOffset: end)
        throw FSCError.io("\(path): write failed (\(error))")
    }
}
