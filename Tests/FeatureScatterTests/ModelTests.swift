// ModelTests.swift — parameter counts and whole-model gradients.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class ModelTests: XCTestCase {
    func testSmallCNNHasTheReferenceParameterCount() throws {
        var g = SeededGenerator(seed: 0)
        XCTAssertEqual(SmallCNN(using: &g).parameterCount, 312_202)
    }

    func testWideResNet28x10HasTheReferenceParameterCount() {
        var g = SeededGenerator(seed: 0)
        XCTAssertEqual(WideResNet(depth: 28, width: 10, using: &g).parameterCount, 36_479_194)
    }

    func testPreActResNet18HasTheReferenceParameterCount() {
        var g = SeededGenerator(seed: 0)
        XCTAssertEqual(PreActResNet18(using: &g).parameterCount, 11_171_146)
    }

    func testLargeModelsRunForwardAndBackwardOnTwoImages() throws {
        for architecture in ["wrn-28-10", "preactresnet18"] {
            var g = SeededGenerator(seed: 0)
            let model = try ModelSpec(architecture: architecture, inputShape: [3, 32, 32], classes: 10).build(using: &g)
            let tape = Tape(mode: .training)
            let x = tape.input(randomTensor([2, 3, 32, 32], low: 0, high: 1), requiresGradient: true)
            let logits = model(x)
            XCTAssertEqual(logits.shape, [2, 10])
            tape.backward(crossEntropy(logits, labels: [3, 7]))
            XCTAssert(model.parameters.allSatisfy { $0.gradient?.isFinite ?? false }, architecture)
            XCTAssert(tape.gradient(of: x).isFinite)
        }
    }

    func testSmallCNNInputGradientMatchesFiniteDifferences() {
        var g = SeededGenerator(seed: 3)
        let model = SmallCNN(using: &g)
        let x = randomTensor([2, 1, 28, 28], low: 0, high: 1)
        checkModelGradients(model, input: x, classes: 10)
    }

    func testSmallWideResNetGradientsMatchFiniteDifferences() {
        var g = SeededGenerator(seed: 4)
        let model = WideResNet(depth: 10, width: 1, inputChannels: 3, classes: 4, using: &g)
        checkModelGradients(model, input: randomTensor([3, 3, 8, 8], low: 0, high: 1), classes: 4)
    }

    func testSpecRejectsUnknownArchitecture() {
        var g = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try ModelSpec(architecture: "resnet9000", inputShape: [1, 28, 28], classes: 10).build(using: &g)) {
            XCTAssert("\($0)".contains("resnet9000"))
        }
    }

    /// Directional derivatives of `Σ R ⊙ logits` (R a fixed random probe) along random
    /// directions, for the input and for a sample of parameter tensors, against central
    /// differences. The objective is piecewise linear in a ReLU network, so small steps
    /// measure it exactly unless they cross a kink; an inference pass keeps dropout and
    /// batch statistics out. Parameter directions take a smaller step (1e-4) because moving
    /// a whole weight tensor shifts every unit of its layer at once and crosses far more
    /// kinks (at 1e-3 the differences were off by up to 17%, at 1e-4 within 1%).
    private func checkModelGradients(_ model: any Module, input: Tensor, classes: Int,
                                     file: StaticString = #filePath, line: UInt = #line) {
        let r = probe([input.shape[0], classes])
        func objective(_ x: Tensor) -> Double { weightedSum(model.predict(x), r) }
        let tape = Tape(mode: .inference)
        let x = tape.input(input, requiresGradient: true)
        tape.backward(model(x), seed: r)
        let inputGradient = tape.gradient(of: x)
        for seed in 0..<3 {
            let direction = randomTensor(input.shape, seed: UInt64(100 + seed))
            let numeric = numericalGradient(of: { t in objective(input + direction * t.scalars[0]) },
                                            at: Tensor(shape: [1], scalars: [0]), step: 1e-3)[0]!
            assertClose(weightedSum(inputGradient, direction), numeric, rtol: 1e-2, atol: 1e-3,
                        "input direction \(seed)", file: file, line: line)
        }
        for (name, parameter) in model.namedParameters().enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
            let original = parameter.value
            let direction = randomTensor(original.shape, seed: 7)
            let numeric = numericalGradient(of: { t in
                parameter.value = original + direction * t.scalars[0]
                return objective(input)
            }, at: Tensor(shape: [1], scalars: [0]), step: 1e-4)[0]!
            parameter.value = original
            assertClose(weightedSum(parameter.gradient!, direction), numeric, rtol: 1e-2, atol: 1e-3,
                        name, file: file, line: line)
        }
    }
}
