// BilateralTrainingTests.swift — BAT's bilateral perturbation: the image step (§4.2) and the labels (§4.1) together.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class BilateralTrainingTests: XCTestCase {
    private let classes = 5
    private let labels = [0, 1, 2, 3, 4, 0, 1, 2]

    private func model() throws -> any Module {
        var g = SeededGenerator(seed: 2)
        return try ModelSpec(architecture: "mlp", inputShape: [1, 8, 8], classes: classes).build(using: &g)
    }

    private func images() -> Tensor { randomTensor([8, 1, 8, 8], seed: 4, low: 0, high: 1) }

    func testThePerturbedImagesStayInTheBallAndTheUnitBox() throws {
        let method = try BilateralTraining(epsilon: 0.1, stepSize: 0.1)
        var g = SeededGenerator(seed: 1)
        let (x, _) = try method.perturb(try model(), images: images(), labels: labels, using: &g)
        let distances = method.attack.threat.distances(x, images())
        XCTAssert(distances.allSatisfy { $0 <= 0.1 + 1e-6 }, "\(distances)")
        XCTAssert(x.scalars.allSatisfy { (0...1).contains($0) })
    }

    func testTheStepMovesTowardTheMostConfusingClass() throws {
        let (net, clean) = (try model(), images())
        let targets = try mostConfusingClasses(logits: net.predict(clean), labels: labels)
        let method = try BilateralTraining(epsilon: 0.1, stepSize: 0.1)
        var g = SeededGenerator(seed: 1)
        let (x, _) = try method.perturb(net, images: clean, labels: labels, using: &g)
        func targetLoss(_ batch: Tensor) -> Float {
            crossEntropy(Variable(constant: net.predict(batch)), labels: targets).value.scalar
        }
        XCTAssertLessThan(targetLoss(x), targetLoss(clean))
    }

    func testTheLabelsComeFromTheCleanLogits() throws {
        let (net, clean) = (try model(), images())
        var g = SeededGenerator(seed: 1)
        let (_, soft) = try BilateralTraining(epsilon: 0.1, stepSize: 0.1).perturb(net, images: clean, labels: labels, using: &g)
        let expected = try adversarialLabels(logits: net.predict(clean), labels: labels)
        assertClose(soft.targets, expected.targets)
        XCTAssertEqual(soft.budgets, expected.budgets)
    }
}
