// WinogradTests.swift — Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions against the im2col path.

@testable import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class WinogradTests: XCTestCase {
    /// Batch, input channels, output channels, height, width, padding (odd sizes leave partial tiles).
    private let cases: [(n: Int, c: Int, o: Int, h: Int, w: Int, pad: Int)] = [
        (2, 3, 5, 7, 6, 1), (3, 4, 6, 9, 9, 0), (2, 5, 4, 6, 5, 2), (1, 2, 3, 1, 1, 1), (20, 64, 64, 8, 8, 1),
        (2, 16, 8, 32, 32, 1), (3, 8, 7, 10, 11, 1), (9, 128, 128, 16, 16, 1),
    ]
    /// Both Winograd algorithms; F(4×4, 3×3) rounds more (its transforms have larger coefficients).
    private let algorithms: [(algorithm: ConvolutionAlgorithm, tolerance: Float)] = [
        (.winograd, 1e-4), (.winograd4x4, 5e-4),
    ]

    /// Input, weights, bias and geometry of one case.
    private func operands(_ shape: (n: Int, c: Int, o: Int, h: Int, w: Int, pad: Int), seed: UInt64)
        -> (Tensor, Tensor, Tensor, Conv2dGeometry) {
        (randomTensor([shape.n, shape.c, shape.h, shape.w], seed: seed + 1),
         randomTensor([shape.o, shape.c, 3, 3], seed: seed + 2), randomTensor([shape.o], seed: seed + 3),
         Conv2dGeometry(kernel: (3, 3), padding: (shape.pad, shape.pad)))
    }

    func testForwardMatchesIm2colWithBiasAndReLU() {
        for (index, shape) in cases.enumerated() {
            let (x, weight, bias, geometry) = operands(shape, seed: UInt64(index * 10))
            for relu in [false, true] {
                let expected = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: relu,
                                      algorithm: .im2col)
                for (algorithm, tolerance) in algorithms {
                    let actual = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: relu,
                                        algorithm: algorithm)
                    XCTAssertEqual(actual.shape, expected.shape, "case \(shape), \(algorithm.name)")
                    assertClose(actual, expected, rtol: tolerance, atol: tolerance)
                }
            }
        }
    }

    func testInputWeightAndBiasGradientsMatchIm2col() {
        for (index, shape) in cases.enumerated() {
            let (x, weight, bias, geometry) = operands(shape, seed: UInt64(index * 10))
            let output = conv2d(x, weight: weight, bias: bias, geometry: geometry, fusingReLU: true)
            let upstream = randomTensor(output.shape, seed: UInt64(index * 10) + 4)
            let expected = conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                                          reluOutput: output, needInput: true, needWeight: true, needBias: true,
                                          algorithm: .im2col)
            let expectedWeightOnly = conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                                                    needInput: false, needWeight: true, needBias: false,
                                                    algorithm: .im2col).weight!
            for (algorithm, tolerance) in algorithms {
                let actual = conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                                            reluOutput: output, needInput: true, needWeight: true, needBias: true,
                                            algorithm: algorithm)
                assertClose(actual.input!, expected.input!, rtol: tolerance, atol: tolerance)
                assertClose(actual.weight!, expected.weight!, rtol: tolerance, atol: 10 * tolerance)
                assertClose(actual.bias!, expected.bias!, rtol: 1e-4, atol: 1e-4)
                let inputOnly = conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                                               needInput: true, needWeight: false, needBias: false,
                                               algorithm: algorithm)
                XCTAssertNil(inputOnly.weight)
                XCTAssertNil(inputOnly.bias)
                let weightOnly = conv2dBackward(upstream, input: x, weight: weight, groups: 1, geometry: geometry,
                                                needInput: false, needWeight: true, needBias: false,
                                                algorithm: algorithm)
                XCTAssertNil(weightOnly.input)
                assertClose(weightOnly.weight!, expectedWeightOnly, rtol: tolerance, atol: 10 * tolerance)
            }
        }
    }

    func testAutomaticChoiceTakesWinogradForWideLayersTheLargerTilesForLargePlanesAndShiftedPlanesOtherwise() {
        func plan(_ c: Int, _ o: Int, kernel: Int = 3, stride: Int = 1, size: Int = 8) -> ConvolutionPlan {
            ConvolutionPlan(input: [1, c, size, size], weight: [o, c, kernel, kernel], groups: 1,
                            geometry: Conv2dGeometry(kernel: (kernel, kernel), stride: (stride, stride), padding: (1, 1)))
        }
        XCTAssertEqual(plan(128, 128).resolved(.automatic), .winograd4x4)
        XCTAssertEqual(plan(128, 128, size: 16).resolved(.automatic), .winograd4x4)
        XCTAssertEqual(plan(64, 64).resolved(.automatic), .winograd4x4)
        XCTAssertEqual(plan(32, 64, size: 4).resolved(.automatic), .winograd)
        XCTAssertEqual(plan(64, 64, size: 16).resolved(.winograd), .winograd)
        XCTAssertEqual(plan(3, 16).resolved(.automatic), .im2col)
        XCTAssertEqual(plan(16, 32).resolved(.automatic), .shiftedPlanes)
        XCTAssertEqual(plan(16, 64, size: 32).resolved(.automatic), .winograd4x4)
        XCTAssertEqual(plan(16, 16, size: 32).resolved(.automatic), .shiftedPlanes)
        XCTAssertEqual(plan(256, 256).resolved(.automatic), .winograd4x4)
        XCTAssertEqual(plan(256, 256, size: 6).resolved(.automatic), .winograd)
        XCTAssertEqual(plan(64, 128, stride: 2).resolved(.automatic), .im2col)
        XCTAssertEqual(plan(64, 64, kernel: 1).resolved(.automatic), .shiftedPlanes)
        XCTAssertEqual(plan(64, 64).resolved(.im2col), .im2col)
    }
}
