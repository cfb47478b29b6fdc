// TrainingRecipeTests.swift — methods by name: their defaults, overrides and checks.

import FeatureScatter
import XCTest

final class TrainingRecipeTests: XCTestCase {
    func testEachMethodResolvesItsPublishedDefaults() {
        let eps: Float = 8.0 / 255
        let madry = TrainingRecipe(method: .madry, epsilon: eps)
        XCTAssertEqual(madry.steps, 7)
        XCTAssertEqual(madry.stepSize, 2.0 / 255, accuracy: 1e-9)
        XCTAssertEqual(madry.smoothing, 0)
        let trades = TrainingRecipe(method: .trades, epsilon: eps)
        XCTAssertEqual(trades.steps, 10)
        XCTAssertEqual(trades.stepSize, 2.0 / 255, accuracy: 1e-9)
        for method in [TrainingMethodKind.featureScattering, .supervised] {
            let recipe = TrainingRecipe(method: method, epsilon: eps)
            XCTAssertEqual(recipe.steps, 1)
            XCTAssertEqual(recipe.stepSize, eps)
            XCTAssertEqual(recipe.smoothing, 0.5)
        }
        XCTAssertEqual(TrainingRecipe(method: .random).smoothing, 0.5)
        XCTAssertEqual(TrainingRecipe(method: .standard).smoothing, 0)
    }

    func testExplicitSettingsOverrideTheDefaults() throws {
        let recipe = TrainingRecipe(method: .madry, epsilon: 0.2, attackSteps: 3, attackStepSize: 0.01, labelSmoothing: 0.1)
        let method = try XCTUnwrap(try recipe.makeMethod() as? PerturbationTraining)
        guard case .pgd(let pgd) = method.perturbation else { return XCTFail("\(method.perturbation)") }
        XCTAssertEqual(pgd.steps, 3)
        XCTAssertEqual(pgd.stepSize, 0.01)
        XCTAssertEqual(pgd.threat, try ThreatModel(epsilon: 0.2))
        XCTAssertEqual(method.labelSmoothing, 0.1)
        XCTAssertEqual(method.name, "madry")
    }

    func testFeatureScatteringCarriesItsObjective() throws {
        var recipe = TrainingRecipe(method: .featureScattering)
        recipe.scattering.matching = .uniform
        recipe.scattering.transport.maxIterations = 7
        let method = try XCTUnwrap(try recipe.makeMethod() as? PerturbationTraining)
        guard case .featureScattering(let attack) = method.perturbation else { return XCTFail("\(method.perturbation)") }
        XCTAssertEqual(attack.objective, recipe.scattering)
        XCTAssertEqual(recipe.settings["matching"], "uniform")
        XCTAssertEqual(recipe.settings["ot_iterations"], "7")
        XCTAssertEqual(recipe.settings["label_smoothing"], "0.5")
    }

    func testOutOfRangeSettingsAreRejectedWithTheirName() {
        for (recipe, word) in [(TrainingRecipe(method: .madry, epsilon: 2), "epsilon"),
                               (TrainingRecipe(method: .madry, attackSteps: 20_000), "steps"),
                               (TrainingRecipe(method: .supervised, attackStepSize: .nan), "step size"),
                               (TrainingRecipe(method: .standard, labelSmoothing: 1), "label smoothing")] {
            XCTAssertThrowsError(try recipe.makeMethod()) { error in
                guard case FSCError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
                XCTAssert(message.contains(word), message)
            }
        }
        var trades = TrainingRecipe(method: .trades)
        trades.tradesBeta = -1
        XCTAssertThrowsError(try trades.makeMethod())
    }

    func testBilateralResolvesThePapersDefaults() throws {
        let recipe = TrainingRecipe(method: .bilateral, epsilon: 8.0 / 255)
        XCTAssertEqual(recipe.steps, 1)
        XCTAssertEqual(recipe.stepSize, 8.0 / 255)
        XCTAssertEqual(recipe.smoothing, 0)
        XCTAssertEqual(recipe.labelRatio, 9)
        let method = try XCTUnwrap(try recipe.makeMethod() as? BilateralTraining)
        XCTAssertEqual(method.name, "bilateral")
        XCTAssertEqual(method.attack.steps, 1)
        XCTAssert(method.attack.randomStart)
        XCTAssertEqual(method.beta, 9)
        XCTAssertEqual(method.gamma, 0.01)
        XCTAssertEqual(recipe.settings, ["method": "bilateral", "epsilon": "\(Float(8.0 / 255))", "attack_steps": "1",
                                         "attack_step_size": "\(Float(8.0 / 255))", "bilateral_beta": "9.0"])
    }

    func testBilateralCarriesAnExplicitBeta() throws {
        var recipe = TrainingRecipe(method: .bilateral)
        recipe.bilateralBeta = 4
        XCTAssertEqual(try XCTUnwrap(try recipe.makeMethod() as? BilateralTraining).beta, 4)
        XCTAssertEqual(recipe.settings["bilateral_beta"], "4.0")
    }

    func testBilateralRefusesLabelSmoothingAndABadBeta() {
        var recipes = [TrainingRecipe(method: .bilateral, labelSmoothing: 0.5)]
        for beta: Float in [0, -1, .infinity] {
            var recipe = TrainingRecipe(method: .bilateral)
            recipe.bilateralBeta = beta
            recipes.append(recipe)
        }
        for recipe in recipes {
            XCTAssertThrowsError(try recipe.makeMethod()) { error in
                guard case FSCError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
                XCTAssert(message.contains("β") || message.contains("label smoothing"), message)
            }
        }
        XCTAssertNoThrow(try TrainingRecipe(method: .bilateral, labelSmoothing: 0).makeMethod())
    }
}

final class LearningRateScalingTests: XCTestCase {
    func testLinearScalingWarmsUpThenDecays() {
        var config = TrainingConfiguration()
        config.learningRate = 0.1
        config.batchSize = 480
        config.learningRateReferenceBatch = 60
        config.warmupEpochs = 4
        config.decayEpochs = [60]
        let rates = [0, 2, 4, 59, 60].map { config.learningRate(atEpoch: $0) }
        XCTAssertEqual(rates[0], 0.1, accuracy: 1e-7)
        XCTAssertEqual(rates[1], 0.1 * (1 + 7 * 0.5), accuracy: 1e-6)
        XCTAssertEqual(rates[2], 0.8, accuracy: 1e-6)
        XCTAssertEqual(rates[3], 0.8, accuracy: 1e-6)
        XCTAssertEqual(rates[4], 0.08, accuracy: 1e-6)
    }

    func testWithoutAReferenceBatchTheRateIsTheSchedules() {
        var config = TrainingConfiguration()
        config.decayEpochs = [1]
        XCTAssertEqual(config.learningRate(atEpoch: 0), config.learningRate)
        XCTAssertEqual(config.learningRate(atEpoch: 1), config.learningRate * 0.1, accuracy: 1e-9)
    }
}
