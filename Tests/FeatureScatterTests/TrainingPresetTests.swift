// TrainingPresetTests.swift — the paper's recipes by name resolve to the paper's settings.

import FeatureScatter
import Foundation
import XCTest

final class TrainingPresetTests: XCTestCase {
    func testPaperFeatureScatteringPresetsAreThePapersRecipe() throws {
        for dataset in ["cifar10", "cifar100", "svhn"] {
            let preset = try TrainingPreset.named("paper-\(dataset)-fs")
            XCTAssertEqual(preset.dataset, dataset)
            XCTAssertEqual(preset.architecture, "wrn-28-10")
            XCTAssertEqual(preset.inputNormalization, InputNormalizationSpec(mean: [0.5], standardDeviation: [0.5]))
            let recipe = preset.recipe
            XCTAssertEqual(recipe.method, .featureScattering)
            XCTAssertEqual(recipe.epsilon, 8.0 / 255)
            XCTAssertEqual(recipe.steps, 1)
            XCTAssertEqual(recipe.stepSize, 8.0 / 255)
            XCTAssertEqual(recipe.smoothing, 0.5)
            XCTAssertEqual(recipe.scattering.transport.solver, .sinkhorn)
            XCTAssertEqual(recipe.scattering.transport.regularization, 0.01)
            XCTAssertEqual(recipe.scattering.transport.maxIterations, 100)
            XCTAssertEqual(recipe.scattering.cost, .cosine)
            XCTAssertEqual(recipe.scattering.gradientMode, .unrolled)
            let config = preset.configuration
            XCTAssertEqual(config.epochs, 200)
            XCTAssertEqual(config.batchSize, 60)
            XCTAssertEqual(config.learningRate, dataset == "svhn" ? 0.01 : 0.1)
            XCTAssertEqual(config.momentum, 0.9)
            XCTAssertEqual(config.weightDecay, 2e-4)
            XCTAssertEqual(config.schedule, .piecewise(milestones: [60, 90], factor: 0.1))
            XCTAssertEqual(config.cropPadding, dataset == "svhn" ? 0 : 4)
            XCTAssertEqual(config.horizontalFlip, dataset != "svhn")
        }
    }

    func testPaperBaselinesChangeOnlyMethodAndEpochs() throws {
        for dataset in ["cifar10", "cifar100", "svhn"] {
            let fs = try TrainingPreset.named("paper-\(dataset)-fs")
            let madry = try TrainingPreset.named("paper-\(dataset)-madry")
            XCTAssertEqual(madry.recipe.method, .madry)
            XCTAssertEqual(madry.recipe.steps, 7)
            XCTAssertEqual(madry.recipe.stepSize, 2.0 / 255, accuracy: 1e-9)
            XCTAssertEqual(madry.recipe.smoothing, 0)
            let standard = try TrainingPreset.named("paper-\(dataset)-standard")
            XCTAssertEqual(standard.recipe.method, .standard)
            for baseline in [madry, standard] {
                XCTAssertEqual(baseline.configuration.epochs, 100)
                var same = baseline.configuration
                same.epochs = fs.configuration.epochs
                XCTAssertEqual(same, fs.configuration)
                XCTAssertEqual(baseline.architecture, fs.architecture)
                XCTAssertEqual(baseline.inputNormalization, fs.inputNormalization)
            }
        }
    }

    func testFashionMNISTPresetsAreTodaysSettings() throws {
        for (suffix, method) in [("fs", TrainingMethodKind.featureScattering), ("madry", .madry), ("standard", .standard)] {
            let preset = try TrainingPreset.named("fmnist-smallcnn-\(suffix)")
            XCTAssertEqual(preset.dataset, "fashion-mnist")
            XCTAssertEqual(preset.architecture, "smallcnn")
            XCTAssertNil(preset.inputNormalization)
            XCTAssertEqual(preset.recipe, TrainingRecipe(method: method, epsilon: 0.1))
            XCTAssertEqual(preset.configuration.epochs, 5)
            XCTAssertEqual(preset.configuration.batchSize, 128)
            XCTAssertEqual(preset.configuration.learningRate, 0.05)
        }
    }

    func testUnknownPresetNamesTheKnownOnes() {
        XCTAssertThrowsError(try TrainingPreset.named("paper-mnist-fs")) { error in
            XCTAssertTrue("\(error)".contains("paper-cifar10-fs"), "\(error)")
        }
        XCTAssertEqual(Set(TrainingPreset.all.map(\.name)).count, TrainingPreset.all.count)
    }

    func testInputNormalizationComesFirstAndSurvivesACheckpoint() throws {
        let spec = ModelSpec(architecture: "mlp", inputShape: [3, 4, 4], classes: 3,
                             inputNormalization: InputNormalizationSpec(mean: [0.5], standardDeviation: [0.5]))
        var generator = SeededGenerator(seed: 1)
        let normalized = try spec.build(using: &generator)
        var plainGenerator = SeededGenerator(seed: 1)
        let plain = try ModelSpec(architecture: "mlp", inputShape: [3, 4, 4], classes: 3).build(using: &plainGenerator)
        let x = Tensor(shape: [2, 3, 4, 4], scalars: (0..<96).map { Float($0 % 7) / 7 })
        let expected = plain(Variable(constant: x.mapped { ($0 - 0.5) / 0.5 })).value
        let logits = normalized(Variable(constant: x)).value
        for (a, b) in zip(logits.scalars, expected.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("preset-\(UUID().uuidString).fsc").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(model: normalized, spec: spec, optimizer: nil, epoch: 0).write(to: path)
        let restored = try Checkpoint.read(from: path).makeModel()
        XCTAssertEqual(restored(Variable(constant: x)).value.scalars, logits.scalars)
    }

    func testInputNormalizationRefusesBadStatistics() {
        for bad in [InputNormalizationSpec(mean: [0.5, 0.5], standardDeviation: [0.5, 0.5]),
                    InputNormalizationSpec(mean: [0.5], standardDeviation: [0]),
                    InputNormalizationSpec(mean: [.nan], standardDeviation: [1])] {
            var generator = SeededGenerator(seed: 1)
            let spec = ModelSpec(architecture: "mlp", inputShape: [3, 4, 4], classes: 3, inputNormalization: bad)
            XCTAssertThrowsError(try spec.build(using: &generator)) { error in
                XCTAssertTrue("\(error)".contains("normalisation"), "\(error)")
            }
        }
    }
}
