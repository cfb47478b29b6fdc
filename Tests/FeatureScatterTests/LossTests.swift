// LossTests.swift — cross-entropy and label smoothing against hand-derived values.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class LossTests: XCTestCase {
    func testCrossEntropyGradientIsSoftmaxMinusTargetOverBatch() {
        let logits = randomTensor([4, 5], low: -2, high: 2)
        let targets = smoothedTargets([0, 3, 1, 4], classes: 5, smoothing: 0.5)
        let tape = Tape(mode: .inference)
        let z = tape.input(logits, requiresGradient: true)
        tape.backward(crossEntropy(z, targets: targets))
        let expected = (softmax(Variable(constant: logits)).value - targets) * (1 / 4)
        assertClose(tape.gradient(of: z), expected)
    }

    func testCrossEntropyValueMatchesDefinition() {
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0])
        let loss = crossEntropy(Variable(constant: logits), labels: [2, 1]).value.scalar
        let first: Double = -(3 - Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)))
        let second: Double = Foundation.log(3.0)
        assertClose(Double(loss), (first + second) / 2, rtol: 1e-6)
    }

    func testSmoothedTargetsGiveTrueClassOneMinusDelta() {
        let t = smoothedTargets([2], classes: 10, smoothing: 0.5)
        assertClose(Double(t.scalars[2]), 0.5, rtol: 1e-6)
        assertClose(Double(t.scalars[0]), 0.5 / 9, rtol: 1e-6)
        assertClose(Double(t.sum()), 1, rtol: 1e-6)
    }

    func testLogSoftmaxIsStableForHugeLogits() {
        let z = Tensor(shape: [1, 3], scalars: [1000, 0, -1000])
        let y = z.logSoftmaxRows()
        XCTAssert(y.isFinite)
        assertClose(Double(y.scalars[0]), 0, atol: 1e-6)
    }
}
