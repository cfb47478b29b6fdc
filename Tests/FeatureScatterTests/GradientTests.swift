// GradientTests.swift — every differentiable primitive against central finite differences.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class GradientTests: XCTestCase {
    func testAddGradientSumsOverBroadcastAxes() {
        checkGradients(inputs: [randomTensor([2, 3, 4]), randomTensor([3, 1], seed: 2)]) { $0[0] + $0[1] }
    }

    func testSubtractGradientSumsOverBroadcastAxes() {
        checkGradients(inputs: [randomTensor([2, 3]), randomTensor([3], seed: 2)]) { $0[0] - $0[1] }
    }

    func testMultiplyGradientMatchesFiniteDifferences() {
        checkGradients(inputs: [randomTensor([2, 3, 2]), randomTensor([1, 3, 1], seed: 2)]) { $0[0] * $0[1] }
    }

    func testDivideGradientMatchesFiniteDifferences() {
        checkGradients(inputs: [randomTensor([2, 3]), randomTensor([2, 3], seed: 2, low: 0.5, high: 2)]) { $0[0] / $0[1] }
    }

    func testMatmulGradientForEveryTransposeCombination() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [4, 3] : [3, 4]), b = randomTensor(tb ? [5, 4] : [4, 5], seed: 2)
            checkGradients(inputs: [a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
    }

    func testConv2dGradientMatchesFiniteDifferences() {
        let geometry = Conv2dGeometry(kernel: (3, 3), stride: (2, 1), padding: (1, 2), dilation: (1, 2))
        checkGradients(inputs: [randomTensor([2, 4, 6, 7]), randomTensor([6, 2, 3, 3], seed: 2), randomTensor([6], seed: 3)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], groups: 2, geometry: geometry)
        }
    }

    func testFusedConv2dReLUGradientMatchesFiniteDifferences() {
        let geometry = Conv2dGeometry(kernel: (3, 3), stride: (1, 2), padding: (1, 0))
        checkGradients(inputs: [randomTensor([2, 4, 6, 7]), randomTensor([6, 2, 3, 3], seed: 2), randomTensor([6], seed: 3)],
                       step: 1e-3) {
            conv2d($0[0], weight: $0[1], bias: $0[2], groups: 2, geometry: geometry, fusingReLU: true)
        }
    }

    func testMaxPoolGradientRoutesToTheMaximum() {
        let geometry = Conv2dGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        checkGradients(inputs: [randomTensor([2, 3, 7, 7])], step: 1e-3) { maxPool2d($0[0], geometry: geometry) }
    }

    func testMaxPoolHalvingFastPathGradientMatchesFiniteDifferences() {
        let geometry = Conv2dGeometry(kernel: (2, 2), stride: (2, 2))
        checkGradients(inputs: [randomTensor([2, 3, 6, 5])], step: 1e-3) { maxPool2d($0[0], geometry: geometry) }
    }

    func testAvgPoolGradientWithAndWithoutPaddingInCount() {
        let geometry = Conv2dGeometry(kernel: (3, 2), stride: (2, 2), padding: (1, 1))
        for include in [true, false] {
            checkGradients(inputs: [randomTensor([2, 2, 5, 6])]) {
                avgPool2d($0[0], geometry: geometry, countIncludePad: include)
            }
        }
    }

    func testPointwiseGradientsMatchFiniteDifferences() {
        let x = randomTensor([3, 5], low: -2, high: 2)
        checkGradients(inputs: [x], step: 1e-3) { relu($0[0]) }
        checkGradients(inputs: [x], step: 1e-3) { leakyRelu($0[0], negativeSlope: 0.1) }
        checkGradients(inputs: [x]) { sigmoid($0[0]) }
        checkGradients(inputs: [x]) { tanh($0[0]) }
        checkGradients(inputs: [x]) { exp($0[0]) }
        checkGradients(inputs: [x], step: 1e-3) { $0[0].clamped(to: -0.5...0.7) }
        let positive = randomTensor([3, 5], low: 0.5, high: 3)
        checkGradients(inputs: [positive]) { log($0[0]) }
        checkGradients(inputs: [positive]) { sqrt($0[0]) }
    }

    func testReductionAndShapeGradients() {
        let x = randomTensor([2, 3, 4])
        checkGradients(inputs: [x]) { sum($0[0]) }
        checkGradients(inputs: [x]) { mean($0[0]) }
        checkGradients(inputs: [x]) { sum($0[0], axis: 1) }
        checkGradients(inputs: [x]) { sum($0[0], axis: 2, keepingDimension: true) }
        checkGradients(inputs: [x]) { $0[0].reshaped([4, -1]) }
        checkGradients(inputs: [randomTensor([3, 4])]) { $0[0].transposed() }
    }

    func testConcatenateGradientSplitsBackToParts() {
        checkGradients(inputs: [randomTensor([2, 1, 3, 3]), randomTensor([2, 3, 3, 3], seed: 2)]) {
            concatenate([$0[0], $0[1]], axis: 1)
        }
    }

    func testLogSoftmaxGradientMatchesFiniteDifferences() {
        checkGradients(inputs: [randomTensor([4, 6], low: -3, high: 3)]) { logSoftmax($0[0]) }
    }

    func testBatchNormGradientInTrainingAndInference() {
        let x = randomTensor([4, 3, 2, 2]), gamma = randomTensor([3], seed: 2, low: 0.5, high: 1.5)
        let beta = randomTensor([3], seed: 3)
        for batchStatistics in [true, false] {
            checkGradients(inputs: [x, gamma, beta], step: 1e-2, rtol: 2e-2) {
                batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: [0.1, -0.2, 0.3],
                          runningVariance: [0.5, 1.5, 2.0], epsilon: 1e-5, batchStatistics: batchStatistics).output
            }
        }
    }

    func testFusedBatchNormReLUGradientMatchesFiniteDifferences() {
        let x = randomTensor([4, 3, 2, 2]), gamma = randomTensor([3], seed: 2, low: 0.5, high: 1.5)
        let beta = randomTensor([3], seed: 3)
        for batchStatistics in [true, false] {
            checkGradients(inputs: [x, gamma, beta], step: 1e-3, rtol: 2e-2) {
                batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: [0.1, -0.2, 0.3], runningVariance: [0.5, 1.5, 2.0],
                          epsilon: 1e-5, batchStatistics: batchStatistics, fusingReLU: true).output
            }
        }
    }

    /// γ and β as constants: the backward pass skips their sums (and, in inference, every sum).
    func testBatchNormInputOnlyGradientMatchesFiniteDifferences() {
        let x = randomTensor([4, 3, 2, 2]), gamma = randomTensor([3], seed: 2, low: 0.5, high: 1.5)
        let beta = randomTensor([3], seed: 3)
        for batchStatistics in [true, false] {
            for fusingReLU in [false, true] {
                checkGradients(inputs: [x], step: 1e-3, rtol: 2e-2) {
                    batchNorm($0[0], gamma: Variable(constant: gamma), beta: Variable(constant: beta),
                              runningMean: [0.1, -0.2, 0.3], runningVariance: [0.5, 1.5, 2.0], epsilon: 1e-5,
                              batchStatistics: batchStatistics, fusingReLU: fusingReLU).output
                }
            }
        }
    }

    func testGradientIsZeroForAnInputTheRootDoesNotUse() {
        let tape = Tape(mode: .inference)
        let used = tape.input(randomTensor([3]), requiresGradient: true)
        let unused = tape.input(randomTensor([3]), requiresGradient: true)
        tape.backward(sum(used * used))
        XCTAssertEqual(tape.gradient(of: unused), Tensor.zeros([3]))
    }

    func testGradientAccumulatesWhenAValueIsUsedTwice() {
        let tape = Tape(mode: .inference)
        let x = tape.input(Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        tape.backward(sum(x * x + x))
        XCTAssertEqual(tape.gradient(of: x), Tensor(shape: [2], scalars: [3, 5]))
    }
}

final class TapeLifetimeTests: XCTestCase {
    func testTapeAndItsActivationsAreFreedAfterTheStep() {
        var generator = SeededGenerator(seed: 0)
        let model = SmallCNN(using: &generator)
        weak var released: Tape?
        do {
            let tape = Tape(mode: .training)
            let logits = model(tape.input(randomTensor([2, 1, 28, 28], low: 0, high: 1), requiresGradient: true))
            tape.backward(crossEntropy(logits, labels: [1, 2]))
            released = tape
        }
        XCTAssertNil(released, "the tape outlived its step: activations would accumulate across steps")
    }
}
