// ShiftedPlaneTests.swift — shifted-plane convolutions against the im2col path.

@testable import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class ShiftedPlaneTests: XCTestCase {
    /// Batch, channels in and out, height, width, kernel height and width, padding (rows, columns).
    private let cases: [(n: Int, c: Int, o: Int, h: Int, w: Int, kh: Int, kw: Int, ph: Int, pw: Int)] = [
        (3, 32, 32, 26, 26, 3, 3, 0, 0), (2, 16, 8, 9, 11, 3, 3, 1, 1), (2, 5, 4, 7, 6, 5, 5, 2, 2),
        (2, 6, 3, 8, 5, 3, 2, 0, 1), (2, 17, 5, 4, 4, 1, 1, 0, 0), (1, 8, 4, 3, 3, 3, 3, 2, 0),
        (5, 16, 64, 32, 32, 3, 3, 1, 1),
    ]

    private func operands(_ index: Int) -> (Tensor, Tensor, Tensor, Conv2dGeometry) {
        let shape = cases[index]
        let seed = UInt64(index * 10)
        return (randomTensor([shape.n, shape.c, shape.h, shape.w], seed: seed + 1),
                randomTensor([shape.o, shape.c, shape.kh, shape.kw], seed: seed + 2), randomTensor([shape.o], seed: seed + 3),
                Conv2dGeometry(kernel: (shape.kh, shape.kw), padding: (shape.ph, shape.pw)))
    }

    func testForwardMatchesIm2colWithBiasAndReLU() {
        for index in cases.indices {
            let (x, weight, bias, geometry) = operands(index)
            for relu in [false, true] {
                let expected = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: relu, algorithm: .im2col)
                let actual = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: relu,
                                    algorithm: .shiftedPlanes)
                XCTAssertEqual(actual.shape, expected.shape, "case \(cases[index])")
                assertClose(actual, expected, rtol: 1e-5, atol: 1e-5)
            }
        }
    }

    func testInputWeightAndBiasGradientsMatchIm2col() {
        for index in cases.indices {
            let (x, weight, bias, geometry) = operands(index)
            let output = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: true, algorithm: .im2col)
            let upstream = randomTensor(output.shape, seed: UInt64(index * 10) + 4)
            func gradients(_ algorithm: ConvolutionAlgorithm, relu: Bool, input: Bool = true, weights: Bool = true,
                           bias: Bool = true) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
                conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                               reluOutput: relu ? output : nil, needInput: input, needWeight: weights, needBias: bias,
                               algorithm: algorithm)
            }
            for relu in [false, true] {
                let expected = gradients(.im2col, relu: relu)
                let actual = gradients(.shiftedPlanes, relu: relu)
                assertClose(actual.input!, expected.input!, rtol: 1e-5, atol: 1e-5)
                assertClose(actual.weight!, expected.weight!, rtol: 1e-5, atol: 1e-4)
                assertClose(actual.bias!, expected.bias!, rtol: 1e-5, atol: 1e-5)
            }
            let inputOnly = gradients(.shiftedPlanes, relu: true, weights: false, bias: false)
            XCTAssertNil(inputOnly.weight)
            XCTAssertNil(inputOnly.bias)
            assertClose(inputOnly.input!, gradients(.im2col, relu: true).input!, rtol: 1e-5, atol: 1e-5)
            let weightOnly = gradients(.shiftedPlanes, relu: false, input: false, bias: false)
            XCTAssertNil(weightOnly.input)
            assertClose(weightOnly.weight!, gradients(.im2col, relu: false).weight!, rtol: 1e-5, atol: 1e-4)
        }
    }

    func testAutomaticChoiceKeepsTheStemOnIm2colAndTakesShiftedPlanesAfterIt() {
        let plan = { (c: Int) in
            ConvolutionPlan(input: [1, c, 28, 28], weight: [16, c, 3, 3], groups: 1, geometry: Conv2dGeometry(kernel: (3, 3)))
        }
        XCTAssertEqual(plan(1).resolved(.automatic), .im2col)
        XCTAssertEqual(plan(16).resolved(.automatic), .shiftedPlanes)
        XCTAssertEqual(ConvolutionAlgorithm.chosen(input: [1, 16, 26, 26], weight: [16, 16, 3, 3],
                                                   geometry: Conv2dGeometry(kernel: (3, 3))).name, "shifted-planes")
    }
}
