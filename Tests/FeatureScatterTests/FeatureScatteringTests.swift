// FeatureScatteringTests.swift — the feature-scattering perturbation (Algorithm 1) and its invariants.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class FeatureScatteringTests: XCTestCase {
    private func tinyModel(seed: UInt64 = 1) -> any Module {
        var g = SeededGenerator(seed: seed)
        return WideResNet(depth: 10, width: 1, inputChannels: 1, classes: 5, using: &g)
    }

    private func batch(_ n: Int = 6) -> Tensor { randomTensor([n, 1, 8, 8], seed: 3, low: 0, high: 1) }

    /// Labels for a batch (checked by the attack, not used by its objective).
    private func labels(_ x: Tensor) -> [Int] { (0..<x.shape[0]).map { $0 % 5 } }

    func testPerturbationStaysInsideEpsilonBallAndUnitBox() throws {
        let attack = try FeatureScatteringAttack(epsilon: 0.1, stepSize: 0.05, steps: 3)
        var g = SeededGenerator(seed: 0)
        let x = batch()
        let adversarial = try attack.perturb(tinyModel(), images: x, labels: labels(x), using: &g)
        for (a, c) in zip(adversarial.scalars, x.scalars) {
            XCTAssertLessThanOrEqual(abs(a - c), 0.1 + 1e-6)
            XCTAssert(a >= 0 && a <= 1)
        }
    }

    func testPerturbationRaisesTheTransportDistanceOverTheRandomStart() throws {
        let model = tinyModel()
        let x = batch(8)
        let clean = model.predict(x)
        let attack = try FeatureScatteringAttack(epsilon: 0.1, stepSize: 0.02, steps: 5)
        var g1 = SeededGenerator(seed: 4), g2 = SeededGenerator(seed: 4)
        let start = attack.threat.randomStart(around: x, using: &g1)
        let startDistance = try attack.objective.distance(cleanLogits: clean, perturbedLogits: Variable(constant: model.predict(start)))
        let adversarial = try attack.perturb(model, images: x, labels: labels(x), using: &g2)
        let reached = try attack.objective.distance(cleanLogits: clean, perturbedLogits: Variable(constant: model.predict(adversarial)))
        XCTAssertGreaterThan(reached.value.scalar, startDistance.value.scalar * 1.5, "start \(startDistance.value.scalar)")
    }

    func testReportedDistanceIsTheObjectiveItsLastStepComputed() throws {
        let model = tinyModel()
        let x = batch(8)
        let attack = try FeatureScatteringAttack(epsilon: 0.1)
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        let start = attack.threat.randomStart(around: x, using: &g1)
        let startDistance = try attack.objective.distance(cleanLogits: model.predict(x),
                                                          perturbedLogits: Variable(constant: model.predict(start)))
        let reported = try XCTUnwrap(try attack.perturbReportingDistance(model, images: x, labels: labels(x), using: &g2).distance)
        XCTAssertEqual(reported, startDistance.value.scalar, accuracy: 1e-6 * startDistance.value.scalar)
        var g3 = SeededGenerator(seed: 5)
        let unstepped = try FeatureScatteringAttack(epsilon: 0.1, steps: 0)
        XCTAssertNil(try unstepped.perturbReportingDistance(model, images: x, labels: labels(x), using: &g3).distance)
    }

    func testAttackLeavesBatchNormStatisticsAndParameterGradientsUntouched() throws {
        let model = tinyModel()
        let buffersBefore = model.namedBuffers().map { $0.1.value }
        let parametersBefore = model.parameters.map(\.value)
        var g = SeededGenerator(seed: 0)
        _ = try FeatureScatteringAttack(epsilon: 0.1, steps: 2).perturb(model, images: batch(), labels: labels(batch()), using: &g)
        XCTAssertEqual(model.namedBuffers().map { $0.1.value }, buffersBefore)
        XCTAssertEqual(model.parameters.map(\.value), parametersBefore)
        XCTAssert(model.parameters.allSatisfy { $0.gradient == nil })
    }

    func testIdentityMatchingIsTheMeanPerSampleCosineDistance() throws {
        let z = randomTensor([5, 4], seed: 1), w = randomTensor([5, 4], seed: 2)
        let d = try ScatteringObjective(matching: .identity).distance(cleanLogits: z, perturbedLogits: Variable(constant: w)).value.scalar
        var expected = 0.0
        for i in 0..<5 {
            let a = z.scalars[(i * 4)..<(i * 4 + 4)].map(Double.init)
            let b = w.scalars[(i * 4)..<(i * 4 + 4)].map(Double.init)
            let dot: Double = zip(a, b).map(*).reduce(0, +)
            let normA: Double = a.map { $0 * $0 }.reduce(0, +).squareRoot()
            let normB: Double = b.map { $0 * $0 }.reduce(0, +).squareRoot()
            expected += max(0, 1 - dot / (normA * normB)) / 5
        }
        assertClose(Double(d), expected, rtol: 1e-5)
    }

    func testScatteringInputGradientMatchesFiniteDifferencesInBothModes() throws {
        var g = SeededGenerator(seed: 2)
        let model = MLP(inputFeatures: 16, hidden: [12], classes: 4, using: &g)
        let x = randomTensor([5, 1, 4, 4], seed: 5, low: 0, high: 1)
        let clean = model.predict(randomTensor([5, 1, 4, 4], seed: 6, low: 0, high: 1))
        for mode in [OTGradientMode.unrolled, .envelope] {
            let transport = OTOptions(solver: .sinkhornLog, regularization: 0.1, maxIterations: 30, tolerance: 0)
            let objective = ScatteringObjective(transport: transport, gradientMode: mode)
            let (gradient, _, _) = try inputGradient(of: model, at: x) {
                try objective.distance(cleanLogits: clean, perturbedLogits: $0)
            }
            let direction = randomTensor(x.shape, seed: 9)
            func scattered(_ t: Float) throws -> Double {
                let logits = model.predict(x + direction * t)
                let plan = try transportDistance(Variable(constant: clean), Variable(constant: logits),
                                                 options: transport).result.plan
                let cost = try costMatrix(clean.scalars, logits.scalars, n: 5, m: 5, d: 4, kind: .cosine)
                // Envelope differentiates ⟨T, C⟩ with T held at its value at t = 0.
                let fixedPlan = mode == .envelope ? try transportDistance(
                    Variable(constant: clean), Variable(constant: model.predict(x)), options: transport).result.plan : plan
                return zip(fixedPlan, cost).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let h: Float = 1e-3
            let numeric = (try scattered(h) - scattered(-h)) / Double(2 * h)
            assertClose(weightedSum(gradient, direction), numeric, rtol: 2e-2, atol: 1e-4, "\(mode)")
        }
    }
}
