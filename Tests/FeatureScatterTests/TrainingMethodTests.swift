// TrainingMethodTests.swift — every training method improves its own objective on Fashion-MNIST.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class TrainingMethodTests: XCTestCase {
    /// The first 512 Fashion-MNIST training images, or a skip when the Debian package is absent.
    private func fashionSubset() throws -> Dataset {
        guard FileManager.default.fileExists(atPath: Dataset.fashionMNISTDirectory) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        return try Dataset.mnistStyle(directory: Dataset.fashionMNISTDirectory, split: .train).prefix(512)
    }

    /// Per-epoch training losses of an MLP (SmallCNN's default initialisation sits on a plateau
    /// for the first few hundred steps, too long for a unit test).
    private func trainedLosses(_ recipe: TrainingRecipe, epochs: Int = 5) throws -> [Double] {
        var config = TrainingConfiguration()
        config.epochs = epochs
        config.batchSize = 64
        config.learningRate = 0.1
        config.decayEpochs = []
        config.seed = 3
        let trainer = try Trainer(spec: ModelSpec(architecture: "mlp", inputShape: [1, 28, 28], classes: 10),
                                  recipe: recipe, configuration: config)
        let data = try fashionSubset()
        return try (0..<epochs).map { _ in try trainer.trainEpoch(on: data, test: nil).trainLoss }
    }

    private func assertImproves(_ recipe: TrainingRecipe, file: StaticString = #filePath, line: UInt = #line) throws {
        let losses = try trainedLosses(recipe)
        XCTAssertLessThan(losses.last!, losses.first! - 0.05, "\(recipe.method) losses \(losses)", file: file, line: line)
    }

    func testStandardTrainingImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .standard))
    }

    func testMadryTrainingImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .madry, attackSteps: 3))
    }

    func testFeatureScatteringTrainingImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .featureScattering))
    }

    func testRandomAblationImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .random))
    }

    func testSupervisedAblationImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .supervised))
    }

    func testTRADESImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .trades, attackSteps: 3))
    }

    func testBilateralTrainingImprovesItsLoss() throws {
        try assertImproves(TrainingRecipe(method: .bilateral))
    }

    func testBilateralTrainingReportsLabelBudgetsInThePapersRange() throws {
        var config = TrainingConfiguration()
        config.epochs = 1
        config.batchSize = 64
        let trainer = try Trainer(spec: ModelSpec(architecture: "mlp", inputShape: [1, 28, 28], classes: 10),
                                  recipe: TrainingRecipe(method: .bilateral), configuration: config)
        let metrics = try trainer.trainEpoch(on: try fashionSubset().prefix(128), test: nil)
        // β = 9, K = 10: ε_y ∈ (1/(1+β), 1/(1+β/(K−1))] = (0.1, 0.5].
        let budget = try XCTUnwrap(metrics.statistics["label_epsilon"])
        XCTAssert(budget > 0.1 && budget <= 0.5, "\(budget)")
        XCTAssert(metrics.trainLoss.isFinite, "\(metrics.trainLoss)")
    }

    func testFeatureScatteringRunsAreIdenticalForTheSameSeed() throws {
        let recipe = TrainingRecipe(method: .featureScattering)
        XCTAssertEqual(try trainedLosses(recipe, epochs: 1), try trainedLosses(recipe, epochs: 1))
    }

    func testFeatureScatteringReportsTheDistanceOfItsLastStep() throws {
        var config = TrainingConfiguration()
        config.epochs = 1
        config.batchSize = 64
        let trainer = try Trainer(spec: ModelSpec(architecture: "mlp", inputShape: [1, 28, 28], classes: 10),
                                  recipe: TrainingRecipe(method: .featureScattering),
                                  configuration: config)
        let metrics = try trainer.trainEpoch(on: try fashionSubset().prefix(128), test: nil)
        let distance = try XCTUnwrap(metrics.statistics["ot_distance"])
        XCTAssert(distance > 0 && distance <= 2, "\(distance)")
    }

    func testLabelSmoothingOutsideUnitIntervalIsRejected() {
        XCTAssertThrowsError(try TrainingRecipe(method: .random, labelSmoothing: 1).makeMethod()) { error in
            guard case FSCError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try FeatureScatteringAttack(epsilon: 1.5))
    }
}
