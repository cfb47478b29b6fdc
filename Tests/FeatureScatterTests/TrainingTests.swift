// TrainingTests.swift — the trainer, checkpoints and resuming, on tiny synthetic data.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class TrainingTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "fsc-train-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Two classes of 16×16 images: bright left half or bright right half, plus noise.
    private func toyData(count: Int, seed: UInt64) throws -> Dataset {
        var g = SeededGenerator(seed: seed)
        var values = [Float](repeating: 0, count: count * 256)
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            labels.append(label)
            for y in 0..<16 {
                for x in 0..<16 {
                    let bright = (x < 8) == (label == 0)
                    values[i * 256 + y * 16 + x] = min(max((bright ? 0.7 : 0.3) + 0.2 * (g.nextUnitFloat() - 0.5), 0), 1)
                }
            }
        }
        return try Dataset(images: Tensor(shape: [count, 1, 16, 16], scalars: values), labels: labels, classes: 2)
    }

    private func configuration(epochs: Int) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.epochs = epochs
        config.batchSize = 16
        config.learningRate = 0.05
        config.decayEpochs = []
        config.seed = 11
        return config
    }

    func testStandardTrainingLowersLossAndLearnsToyTask() throws {
        let data = try toyData(count: 128, seed: 1)
        let spec = ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2)
        let trainer = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 4))
        var losses: [Double] = []
        for _ in 0..<4 { losses.append(try trainer.trainEpoch(on: data, test: nil).trainLoss) }
        XCTAssertLessThan(losses.last!, losses.first! * 0.5, "losses \(losses)")
        XCTAssertGreaterThan(try accuracy(of: trainer.model, on: try toyData(count: 64, seed: 2)), 95)
    }

    func testSameSeedGivesIdenticalMetrics() throws {
        let data = try toyData(count: 64, seed: 1)
        let spec = ModelSpec(architecture: "smallcnn", inputShape: [1, 16, 16], classes: 2)
        let runs = try (0..<2).map { _ in
            try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 1))
                .trainEpoch(on: data, test: data).trainLoss
        }
        XCTAssertEqual(runs[0], runs[1])
    }

    func testResumingFromCheckpointReproducesLaterLosses() throws {
        let data = try toyData(count: 64, seed: 1)
        let spec = ModelSpec(architecture: "smallcnn", inputShape: [1, 16, 16], classes: 2)
        let straight = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 3))
        let straightLosses = try (0..<3).map { _ in try straight.trainEpoch(on: data, test: nil).trainLoss }

        let first = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 3))
        _ = try first.trainEpoch(on: data, test: nil)
        try first.checkpoint().write(to: folder + "/c.fsc")
        let resumed = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 3))
        try resumed.resume(from: Checkpoint.read(from: folder + "/c.fsc"))
        let resumedLosses = try (0..<2).map { _ in try resumed.trainEpoch(on: data, test: nil).trainLoss }
        XCTAssertEqual(resumedLosses, Array(straightLosses[1...]))
    }

    func testNaNLossStopsTrainingWithClearError() throws {
        let data = try toyData(count: 32, seed: 1)
        var config = configuration(epochs: 1)
        config.learningRate = 1e30
        let trainer = try Trainer(spec: ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2),
                                  recipe: TrainingRecipe(method: .standard), configuration: config)
        XCTAssertThrowsError(try trainer.trainEpoch(on: data, test: nil)) { error in
            guard case FSCError.notFinite(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("learning rate"), message)
        }
    }

    func testTrainingRejectsDataOfTheWrongShape() throws {
        let trainer = try Trainer(spec: ModelSpec(architecture: "smallcnn", inputShape: [1, 28, 28], classes: 10),
                                  recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 1))
        XCTAssertThrowsError(try trainer.trainEpoch(on: try toyData(count: 8, seed: 1), test: nil)) { error in
            guard case FSCError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testCheckpointRoundTripsParametersBuffersAndEpoch() throws {
        let spec = ModelSpec(architecture: "wrn-10-1", inputShape: [3, 8, 8], classes: 4)
        let trainer = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 1))
        let path = folder + "/w.fsc"
        try trainer.checkpoint(metadata: ["eps": "0.1"]).write(to: path)
        let loaded = try Checkpoint.read(from: path)
        XCTAssertEqual(loaded.header.model, spec)
        XCTAssertEqual(loaded.header.metadata["eps"], "0.1")
        var g = SeededGenerator(seed: 999)
        let other = try spec.build(using: &g)
        try loaded.restore(into: other)
        let x = randomTensor([2, 3, 8, 8], low: 0, high: 1)
        XCTAssertEqual(other.predict(x), trainer.model.predict(x))
    }

    func testImportedONNXModelTrainsAndItsCheckpointRestoresItAlone() throws {
        let spec = ModelSpec(architecture: "smallcnn", inputShape: [1, 16, 16], classes: 2)
        var g = SeededGenerator(seed: 4)
        let original = try spec.build(using: &g)
        let (graph, importedSpec) = try importONNXClassifier(bytes: try exportONNX(original, inputShape: spec.inputShape))
        XCTAssertEqual(importedSpec, ModelSpec(architecture: onnxArchitecture, inputShape: [1, 16, 16], classes: 2))
        let x = randomTensor([3, 1, 16, 16], low: 0, high: 1)
        let before = original.predict(x)
        assertClose(graph.predict(x), before, rtol: 0, atol: 1e-5)

        let trainer = try Trainer(model: graph, spec: importedSpec, recipe: TrainingRecipe(method: .featureScattering),
                                  configuration: configuration(epochs: 1))
        _ = try trainer.trainEpoch(on: try toyData(count: 32, seed: 1), test: nil)
        let after = graph.predict(x)
        XCTAssertGreaterThan(zip(after.scalars, before.scalars).map { abs($0 - $1) }.max() ?? 0, 1e-4, "training changed nothing")
        let path = folder + "/onnx.fsc"
        try trainer.checkpoint().write(to: path)
        let restored = try Checkpoint.read(from: path).makeModel()
        XCTAssertEqual(restored.predict(x), graph.predict(x))
        XCTAssertThrowsError(try importedSpec.build(using: &g))
    }

    func testTruncatedCheckpointIsAnIOErrorAndLeavesNoTemporaryFiles() throws {
        let spec = ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2)
        let path = folder + "/m.fsc"
        try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 1))
            .checkpoint().write(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
            guard case FSCError.io(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("m.fsc"), message)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["m.fsc"])
    }

    func testRunWithoutFolderOrTestSetWritesNothingAndReportsNoAccuracy() throws {
        let spec = ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2)
        let trainer = try Trainer(spec: spec, recipe: TrainingRecipe(method: .standard), configuration: configuration(epochs: 2))
        let summary = try runTraining(trainer, train: try toyData(count: 32, seed: 1), test: nil, datasetName: "toy",
                                      directory: nil)
        XCTAssertEqual(trainer.epoch, 2)
        XCTAssertNil(summary.testAccuracy)
        XCTAssertNil(summary.checkpoint)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testRunFolderHoldsMetricsSummaryAndACheckpointWithTheRecipe() throws {
        let spec = ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2)
        let recipe = TrainingRecipe(method: .madry, attackSteps: 2)
        let trainer = try Trainer(spec: spec, recipe: recipe, configuration: configuration(epochs: 1))
        let summary = try runTraining(trainer, train: try toyData(count: 32, seed: 1), test: try toyData(count: 16, seed: 2),
                                      datasetName: "toy", directory: folder)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder)),
                       ["metrics.jsonl", "checkpoint.fsc", "summary.json"])
        let metadata = try Checkpoint.read(from: try XCTUnwrap(summary.checkpoint)).header.metadata
        XCTAssertEqual(metadata["method"], "madry")
        XCTAssertEqual(metadata["attack_steps"], "2")
        XCTAssertEqual(metadata["seed"], "11")
        XCTAssertEqual(metadata["dataset"], "toy")
        XCTAssertNotNil(summary.testAccuracy)
    }

    func testCheckpointsRecordTheRunSoThatItCanBeRebuilt() throws {
        let spec = ModelSpec(architecture: "mlp", inputShape: [1, 16, 16], classes: 2)
        let recipe = TrainingRecipe(method: .featureScattering, epsilon: 0.05)
        let config = configuration(epochs: 1)
        let trainer = try Trainer(spec: spec, recipe: recipe, configuration: config)
        let (train, test) = (try toyData(count: 32, seed: 1), try toyData(count: 16, seed: 2))
        let summary = try runTraining(trainer, train: train, test: test, datasetName: "toy", directory: folder,
                                      dataSelection: ["train_subset": "32"])
        let record = try XCTUnwrap(try Checkpoint.read(from: try XCTUnwrap(summary.checkpoint)).runRecord())
        XCTAssertEqual(record.recipe, recipe)
        XCTAssertEqual(record.configuration, config)
        XCTAssertEqual(record.data, RunRecord.Data(dataset: "toy", selection: ["train_subset": "32"], train: train, test: test))
        XCTAssertNoThrow(try record.data?.check(train: train, test: test))
        XCTAssertThrowsError(try record.data?.check(train: try toyData(count: 32, seed: 3), test: test))
        XCTAssertThrowsError(try record.data?.check(train: train, test: nil))

        var old = try trainer.checkpoint()
        old.header.metadata[RunRecord.metadataKey] = nil
        XCTAssertNil(try old.runRecord())
        old.header.metadata[RunRecord.metadataKey] = "{not json"
        XCTAssertThrowsError(try old.runRecord())
    }
}
