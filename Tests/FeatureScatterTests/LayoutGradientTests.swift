// LayoutGradientTests.swift — the N-d layout primitives ONNX import uses, against finite differences.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class LayoutGradientTests: XCTestCase {
    func testPermuteGradientAppliesTheInversePermutation() {
        checkGradients(inputs: [randomTensor([2, 3, 4])]) { permute($0[0], [2, 0, 1]) }
    }

    func testPadGradientDropsThePadding() {
        checkGradients(inputs: [randomTensor([2, 3, 4])]) { pad($0[0], before: [0, 1, 2], after: [1, 0, 1], value: 0.5) }
    }

    func testCropGradientIsZeroOutsideTheBlock() {
        checkGradients(inputs: [randomTensor([3, 4, 5])]) { crop($0[0], start: [1, 0, 2], size: [2, 3, 2]) }
    }

    func testBatchedMatmulGradientSumsOverBroadcastBatches() {
        checkGradients(inputs: [randomTensor([2, 3, 4]), randomTensor([1, 4, 5], seed: 2)]) { batchedMatmul($0[0], $0[1]) }
    }

    func testSoftmaxAlongAnInnerAxisMatchesFiniteDifferences() {
        checkGradients(inputs: [randomTensor([2, 3, 4], low: -2, high: 2)]) { logSoftmax($0[0], axis: 1) }
        checkGradients(inputs: [randomTensor([2, 3, 4], low: -2, high: 2)]) { softmax($0[0], axis: 2) }
    }

    func testMeanOverAxesGradientSpreadsEvenly() {
        checkGradients(inputs: [randomTensor([2, 3, 4])]) { mean($0[0], axes: [0, 2]) }
    }

    func testSoftmaxAlongAnAxisSumsToOne() {
        let y = softmax(Variable(constant: randomTensor([2, 3, 4])), axis: 1).value
        for b in 0..<2 {
            for k in 0..<4 {
                let total = (0..<3).reduce(Float(0)) { $0 + y.scalars[(b * 3 + $1) * 4 + k] }
                XCTAssertEqual(total, 1, accuracy: 1e-5)
            }
        }
    }
}
