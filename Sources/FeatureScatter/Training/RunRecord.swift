// RunRecord.swift — what a checkpoint records so that resuming continues the same run.

import Foundation

/// The definition of a run as its checkpoints record it: the recipe, the training configuration
/// and the data (by name, the caller's selection, and each split's size and fingerprint).
/// Resuming from a checkpoint rebuilds the run from this record, not from defaults.
public struct RunRecord: Codable, Equatable, Sendable {
    /// The data a run trains and tests on.
    public struct Data: Codable, Equatable, Sendable {
        public var dataset: String
        /// The caller's selection (e.g. `data_dir`, `train_subset`, `test_subset`), as given.
        public var selection: [String: String]
        public var trainCount: Int
        public var trainFingerprint: UInt64
        public var testCount: Int?
        public var testFingerprint: UInt64?

        public init(dataset: String, selection: [String: String], train: Dataset, test: Dataset?) {
            self.dataset = dataset
            self.selection = selection
            trainCount = train.count
            trainFingerprint = train.fingerprint
            testCount = test?.count
            testFingerprint = test?.fingerprint
        }

        /// Throws unless `train` and `test` are the data this record describes.
        public func check(train: Dataset, test: Dataset?) throws {
            guard train.count == trainCount, train.fingerprint == trainFingerprint else {
                throw FSCError.invalidArgument("the training data (\(train.count) examples, fingerprint \(String(train.fingerprint, radix: 16))) is not the run's (\(trainCount) examples, fingerprint \(String(trainFingerprint, radix: 16)))")
            }
            guard test?.count == testCount, test?.fingerprint == testFingerprint else {
                throw FSCError.invalidArgument("the test data (\(test.map { "\($0.count) examples" } ?? "none")) is not the run's (\(testCount.map { "\($0) examples" } ?? "none"))")
            }
        }
    }

    public var recipe: TrainingRecipe?
    public var configuration: TrainingConfiguration
    public var data: Data?

    /// The checkpoint metadata key the record is stored under (as JSON).
    public static let metadataKey = "run"

    public init(recipe: TrainingRecipe?, configuration: TrainingConfiguration, data: Data?) {
        self.recipe = recipe
        self.configuration = configuration
        self.data = data
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

extension Checkpoint {
    /// The run this checkpoint belongs to, or nil for checkpoints written before runs were recorded.
    ///
    /// - Throws: `FSCError.io` when the record is present but unreadable.
    public func runRecord() throws -> RunRecord? {
        guard let text = header.metadata[RunRecord.metadataKey] else { return nil }
        do {
            return try JSONDecoder().decode(RunRecord.self, from: Data(text.utf8))
        } catch {
            throw FSCError.io("the checkpoint's run record is unreadable: \(error)")
        }
    }
}

extension Checkpoint {
    /// The checkpoint metadata key of the run's per-epoch metrics (a JSON array).
    public static let historyKey = "metrics"

    /// The metrics of the epochs up to this checkpoint: all of them, or the last ones when the run
    /// was resumed from a checkpoint written before 0.4, which records none.
    ///
    /// - Throws: `FSCError.io` when the history is present but unreadable or not consecutive epochs
    ///   ending at the checkpoint's.
    public func metricsHistory() throws -> [EpochMetrics] {
        guard let text = header.metadata[Self.historyKey] else { return [] }
        let history: [EpochMetrics]
        do {
            history = try JSONDecoder().decode([EpochMetrics].self, from: Data(text.utf8))
        } catch {
            throw FSCError.io("the checkpoint's metrics history is unreadable: \(error)")
        }
        let expected = Array(stride(from: header.epoch - history.count + 1, through: header.epoch, by: 1))
        guard history.map(\.epoch) == expected, expected.first.map({ $0 >= 1 }) ?? true else {
            throw FSCError.io("the checkpoint's metrics history has epochs \(history.map(\.epoch)), not the last of 1...\(header.epoch)")
        }
        return history
    }

    static func encodedHistory(_ history: [EpochMetrics]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(history), as: UTF8.self)
    }
}
