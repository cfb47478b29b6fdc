// AttackTests.swift — invariants of every attack, their losses' gradients, and their strength.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

/// A model with a softmax output layer, which attacks must reject.
final class SoftmaxOutput: Module {
    let inner: any Module
    init(_ inner: any Module) { self.inner = inner }
    func callAsFunction(_ x: Variable) -> Variable { softmax(inner(x)) }
    var children: [(String, any Module)] { [("inner", inner)] }
}

/// An MLP trained for 3 epochs on 2,000 Fashion-MNIST images (about 80% test accuracy),
/// trained once and shared by the strength tests.
enum TrainedFashionMLP {
    nonisolated(unsafe) private static var cached: (any Module, Dataset)?

    static func get() throws -> (model: any Module, test: Dataset) {
        if let cached { return cached }
        guard FileManager.default.fileExists(atPath: Dataset.fashionMNISTDirectory) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let train = try Dataset.mnistStyle(directory: Dataset.fashionMNISTDirectory, split: .train).prefix(2000)
        let test = try Dataset.mnistStyle(directory: Dataset.fashionMNISTDirectory, split: .test).prefix(200)
        var config = TrainingConfiguration()
        config.epochs = 3
        config.batchSize = 64
        config.learningRate = 0.1
        config.decayEpochs = []
        config.seed = 7
        let trainer = try Trainer(spec: ModelSpec(architecture: "mlp", inputShape: [1, 28, 28], classes: 10),
                                  recipe: TrainingRecipe(method: .standard), configuration: config)
        for _ in 0..<3 { _ = try trainer.trainEpoch(on: train, test: nil) }
        cached = (trainer.model, test)
        return (trainer.model, test)
    }
}

/// The accuracy (%) of `model` on `attack`'s adversarial images.
func robustAccuracy(_ model: any Module, _ attack: any Attack, _ data: Dataset, seed: UInt64 = 0) throws -> Double {
    var g = SeededGenerator(seed: seed)
    let adversarial = try attack.perturb(model, images: data.images, labels: data.labels, using: &g)
    let correct = zip(model.predict(adversarial).argMaxPerRow(), data.labels).filter { $0 == $1 }.count
    return 100 * Double(correct) / Double(data.count)
}

final class AttackTests: XCTestCase {
    private func tinyModel(classes: Int = 5, seed: UInt64 = 1) -> any Module {
        var g = SeededGenerator(seed: seed)
        return WideResNet(depth: 10, width: 1, inputChannels: 1, classes: classes, using: &g)
    }

    private func batch(_ n: Int = 6) -> Tensor { randomTensor([n, 1, 8, 8], seed: 3, low: 0, high: 1) }
    private let labels = [0, 1, 2, 3, 4, 0]

    /// Every attack, with budgets small enough for a unit test.
    private func everyAttack(source: any Module) throws -> [any Attack] {
        [
            try FGSM(epsilon: 0.1), try FGSM(epsilon: 0.1, randomStart: true), try FGSM(epsilon: 0.5, norm: .l2),
            try PGD(epsilon: 0.1, stepSize: 0.03, steps: 3, restarts: 2),
            try PGD(epsilon: 0.5, stepSize: 0.2, steps: 3, norm: .l2),
            try PGD(epsilon: 0.1, stepSize: 0.03, steps: 3, target: .leastLikely),
            try PGD.cw(epsilon: 0.1, steps: 3),
            try PGD(epsilon: 0.1, stepSize: 0.03, steps: 3, loss: .dlr, target: .random),
            try APGD(epsilon: 0.1, steps: 6), try APGD(epsilon: 0.5, norm: .l2, steps: 6, loss: .dlr),
            try APGD(epsilon: 0.1, steps: 4, targeted: true, restarts: 2),
            try Square(epsilon: 0.1, queries: 30), try RandomNoise(epsilon: 0.1, restarts: 2),
            try RandomNoise(epsilon: 0.1, corners: true), try RandomNoise(epsilon: 0.5, norm: .l2),
            TransferAttack(source: source, attack: try PGD(epsilon: 0.1, stepSize: 0.03, steps: 2)),
        ]
    }

    func testEveryAttackStaysInsideItsBallAndTheUnitBox() throws {
        let model = tinyModel(), x = batch()
        for attack in try everyAttack(source: tinyModel(seed: 2)) {
            var g = SeededGenerator(seed: 5)
            let adversarial = try attack.perturb(model, images: x, labels: labels, using: &g)
            XCTAssertEqual(adversarial.shape, x.shape, attack.name)
            let worst = attack.threat.distances(adversarial, x).max()!
            XCTAssertLessThanOrEqual(worst, attack.threat.epsilon + 1e-6, "\(attack.name) \(attack.settings)")
            XCTAssert(adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, attack.name)
        }
    }

    func testEveryAttackIsDeterministicForASeed() throws {
        let model = tinyModel(), x = batch()
        for attack in try everyAttack(source: tinyModel(seed: 2)) {
            var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
            let a = try attack.perturb(model, images: x, labels: labels, using: &g1)
            let b = try attack.perturb(model, images: x, labels: labels, using: &g2)
            XCTAssertEqual(a, b, attack.name)
        }
    }

    func testEveryAttackLeavesParametersBatchNormStatisticsAndGradientsUntouched() throws {
        let model = tinyModel(), source = tinyModel(seed: 2)
        let buffersBefore = model.namedBuffers().map { $0.1.value }
        let parametersBefore = model.parameters.map(\.value)
        for attack in try everyAttack(source: source) {
            var g = SeededGenerator(seed: 0)
            _ = try attack.perturb(model, images: batch(), labels: labels, using: &g)
            XCTAssertEqual(model.namedBuffers().map { $0.1.value }, buffersBefore, attack.name)
            XCTAssertEqual(model.parameters.map(\.value), parametersBefore, attack.name)
            XCTAssert(model.parameters.allSatisfy { $0.gradient == nil }, attack.name)
        }
    }

    func testEveryAttackRejectsASoftmaxOutputModel() throws {
        let model = SoftmaxOutput(tinyModel())
        for attack in try everyAttack(source: tinyModel(seed: 2)) {
            var g = SeededGenerator(seed: 0)
            XCTAssertThrowsError(try attack.perturb(model, images: batch(), labels: labels, using: &g), attack.name) {
                XCTAssert("\($0)".contains("probabilities"), "\($0)")
            }
        }
    }

    func testAttacksRejectImagesOutsideTheUnitBoxAndBadLabels() throws {
        let model = tinyModel(), pgd = try PGD(epsilon: 0.1, stepSize: 0.03, steps: 1)
        var g = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try pgd.perturb(model, images: batch() * 2 + (-0.5), labels: labels, using: &g))
        XCTAssertThrowsError(try pgd.perturb(model, images: batch(), labels: [0, 1, 2, 3, 4, 7], using: &g))
        XCTAssertThrowsError(try pgd.perturb(model, images: batch(), labels: [0, 1], using: &g))
    }

    func testTargetedAPGDNeedsFourClasses() throws {
        let model = tinyModel(classes: 3)
        var g = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try APGD(epsilon: 0.1, steps: 2, targeted: true)
            .perturb(model, images: batch(), labels: [0, 1, 2, 0, 1, 2], using: &g)) {
            XCTAssert("\($0)".contains("≥ 4 classes"), "\($0)")
        }
    }

    func testAPGDCheckpointsFollowThePaperSchedule() {
        XCTAssertEqual(APGD.checkpoints(steps: 100), [22, 41, 57, 70, 80, 87, 93, 99])
        XCTAssertEqual(APGD.checkpoints(steps: 10), [3, 5, 6, 7, 8, 9])
    }

    func testSquareFractionHalvesOnTheRescaledSchedule() {
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 10, budget: 10000), 0.8)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 11, budget: 10000), 0.4)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 30, budget: 5000), 0.2)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 9000, budget: 10000), 0.8 / 512)
    }

    // MARK: - Losses

    /// Logits with well separated values, so a small step keeps their order.
    private func separatedLogits() -> Tensor {
        var g = SeededGenerator(seed: 4)
        var values: [Float] = []
        for _ in 0..<4 { values += Array(0..<6).map { Float($0) * 0.7 }.shuffled(using: &g).map { $0 + 0.1 * g.nextUnitFloat() } }
        return Tensor(shape: [4, 6], scalars: values)
    }

    func testDLRLossMatchesItsFormulaAndFiniteDifferences() {
        let z = Tensor(shape: [1, 4], scalars: [1, 3, 2, 0])
        // y = 0: −(z_0 − max_{i≠0} z_i)/(z_π1 − z_π3) = −(1 − 3)/(3 − 1) = 1.
        XCTAssertEqual(dlrLoss(Variable(constant: z), labels: [0]).value.scalars[0], 1, accuracy: 1e-6)
        // Targeted, y = 1, t = 3: −(3 − 0)/(3 − (1 + 0)/2) = −1.2.
        XCTAssertEqual(targetedDLRLoss(Variable(constant: z), labels: [1], targets: [3]).value.scalars[0], -1.2, accuracy: 1e-6)
        let logits = separatedLogits()
        checkGradients(inputs: [logits], step: 1e-3) { dlrLoss($0[0], labels: [0, 3, 5, 2]) }
        checkGradients(inputs: [logits], step: 1e-3) { targetedDLRLoss($0[0], labels: [0, 3, 5, 2], targets: [1, 0, 2, 4]) }
    }

    func testMarginLossMatchesItsFormulaAndFiniteDifferences() {
        let z = Tensor(shape: [1, 3], scalars: [2, 5, 1])
        XCTAssertEqual(marginLoss(Variable(constant: z), labels: [0], kappa: 50).value.scalars[0], 47, accuracy: 1e-5)
        XCTAssertEqual(marginLoss(Variable(constant: z), labels: [0], kappa: 0).value.scalars[0], 0)
        XCTAssertEqual(marginLoss(Variable(constant: z), labels: [0], kappa: 0, targets: [2]).value.scalars[0], 4, accuracy: 1e-5)
        let logits = separatedLogits()
        checkGradients(inputs: [logits], step: 1e-3) { marginLoss($0[0], labels: [0, 3, 5, 2], kappa: 50) }
        checkGradients(inputs: [logits], step: 1e-3) { crossEntropyPerExample($0[0], labels: [0, 3, 5, 2]) }
    }

    // MARK: - Strength on a trained model

    func testPGDIsAtLeastAsStrongAsFGSM() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let fgsm = try robustAccuracy(model, FGSM(epsilon: 0.1), test)
        let pgd = try robustAccuracy(model, PGD(epsilon: 0.1, stepSize: 0.025, steps: 20), test)
        XCTAssertLessThanOrEqual(pgd, fgsm, "PGD-20 \(pgd)% vs FGSM \(fgsm)%")
        XCTAssertLessThan(pgd, try accuracy(of: model, on: test) - 10, "PGD-20 \(pgd)% barely hurts")
    }

    func testAccuracyAtLargeEpsilonIsNearZero() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let pgd = try robustAccuracy(model, PGD(epsilon: 0.5, stepSize: 0.125, steps: 20), test)
        XCTAssertLessThanOrEqual(pgd, 5)
    }

    func testAPGDIsAtLeastAsStrongAsPGD20() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let pgd = try robustAccuracy(model, PGD(epsilon: 0.1, stepSize: 0.025, steps: 20), test)
        let apgd = try robustAccuracy(model, APGD(epsilon: 0.1), test)
        XCTAssertLessThanOrEqual(apgd, pgd + 2, "APGD-CE \(apgd)% vs PGD-20 \(pgd)%")
    }

    func testSquareAndTargetedAPGDFoolTheModel() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let clean = try accuracy(of: model, on: test)
        let square = try robustAccuracy(model, Square(epsilon: 0.1, queries: 300), test)
        let apgdT = try robustAccuracy(model, APGD(epsilon: 0.1, steps: 20, targeted: true), test)
        XCTAssertLessThan(square, clean - 10, "Square \(square)% vs clean \(clean)%")
        XCTAssertLessThan(apgdT, clean - 10, "APGD-T \(apgdT)% vs clean \(clean)%")
    }
}
