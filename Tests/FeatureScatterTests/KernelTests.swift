// KernelTests.swift — forward kernels against naive reference loops.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class KernelTests: XCTestCase {
    func testSGEMMMatchesNaiveLoopUnderSelectedCore() {
        let a = randomTensor([37, 53]), b = randomTensor([53, 29], seed: 2)
        var expected = [Float](repeating: 0, count: 37 * 29)
        for i in 0..<37 {
            for j in 0..<29 {
                var total: Double = 0
                for k in 0..<53 { total += Double(a.scalars[i * 53 + k]) * Double(b.scalars[k * 29 + j]) }
                expected[i * 29 + j] = Float(total)
            }
        }
        assertClose(matmul(a, b), Tensor(shape: [37, 29], scalars: expected), "core \(BLASRuntime.coreName)")
    }

    func testConv2dMatchesDirectConvolution() {
        let x = randomTensor([2, 4, 7, 6]), w = randomTensor([6, 2, 3, 2], seed: 2), bias = randomTensor([6], seed: 3)
        let g = Conv2dGeometry(kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (2, 1))
        let y = conv2d(x, weight: w, bias: bias, groups: 2, geometry: g)
        let (oh, ow) = g.outputSize(height: 7, width: 6)!
        XCTAssertEqual(y.shape, [2, 6, oh, ow])
        var expected = [Float](repeating: 0, count: y.count)
        for n in 0..<2 {
            for o in 0..<6 {
                let group = o / 3
                for i in 0..<oh {
                    for j in 0..<ow {
                        var total = Double(bias.scalars[o])
                        for c in 0..<2 {
                            for ki in 0..<3 {
                                for kj in 0..<2 {
                                    let ih = i * 2 - 1 + ki * 2, iw = j - 1 + kj
                                    guard ih >= 0, ih < 7, iw >= 0, iw < 6 else { continue }
                                    let xv = x.scalars[((n * 4 + group * 2 + c) * 7 + ih) * 6 + iw]
                                    let wv = w.scalars[((o * 2 + c) * 3 + ki) * 2 + kj]
                                    total += Double(xv) * Double(wv)
                                }
                            }
                        }
                        expected[((n * 6 + o) * oh + i) * ow + j] = Float(total)
                    }
                }
            }
        }
        assertClose(y, Tensor(shape: y.shape, scalars: expected))
    }

    func testFusedConvReLUMatchesReLUOfConvWithTheSameGradients() {
        let x = randomTensor([3, 4, 6, 5]), w = randomTensor([6, 4, 3, 3], seed: 2), bias = randomTensor([6], seed: 3)
        let g = Conv2dGeometry(kernel: (3, 3), padding: (1, 1))
        let plain = conv2d(x, weight: w, bias: bias, geometry: g)
        let fused = conv2d(x, weight: w, bias: bias, geometry: g, fusingReLU: true)
        assertClose(fused, plain.mapped { max($0, 0) })
        let upstream = randomTensor(plain.shape, seed: 4)
        let masked = Tensor(shape: plain.shape, scalars: zip(upstream.scalars, plain.scalars).map { $1 > 0 ? $0 : 0 })
        let expected = conv2dBackward(masked, input: x, weight: w, groups: 1, geometry: g,
                                      needInput: true, needWeight: true, needBias: true)
        let actual = conv2dBackward(upstream, input: x, weight: w, groups: 1, geometry: g, reluOutput: fused,
                                    needInput: true, needWeight: true, needBias: true)
        assertClose(actual.input!, expected.input!)
        assertClose(actual.weight!, expected.weight!)
        assertClose(actual.bias!, expected.bias!)
    }

    func testSequentialFusesConvThenReLUWithoutChangingTheResult() {
        var generator = SeededGenerator(seed: 5)
        let conv = Conv2d(2, 3, kernel: 3, padding: 1, using: &generator)
        let x = randomTensor([2, 2, 5, 5])
        let fused = Sequential([conv, ReLU()]).predict(x)
        let separate = relu(conv(Variable(constant: x))).value
        assertClose(fused, separate)
    }

    func testSequentialFusesBatchNormThenReLUWithTheSameValuesAndGradients() {
        let x = randomTensor([3, 2, 4, 4])
        func run(_ fused: Bool) -> (Tensor, Tensor) {
            let norm = BatchNorm(2)
            norm.weight.value = Tensor(shape: [2], scalars: [0.7, 1.3])
            norm.bias.value = Tensor(shape: [2], scalars: [0.1, -0.2])
            let tape = Tape(mode: .training)
            let input = tape.input(x, requiresGradient: true)
            let y = fused ? Sequential([norm, ReLU()])(input) : relu(norm(input))
            tape.backward(sum(y * randomTensor(y.shape, seed: 9)))
            return (y.value, tape.gradient(of: input))
        }
        let (fused, separate) = (run(true), run(false))
        assertClose(fused.0, separate.0)
        assertClose(fused.1, separate.1)
    }

    func testMaxPoolTakesWindowMaximum() {
        let x = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map { Float(($0 * 7) % 16) })
        let (y, _) = maxPool2d(x, geometry: Conv2dGeometry(kernel: (2, 2), stride: (2, 2)))
        XCTAssertEqual(y.scalars, [12, 14, 15, 13])
    }

    func testMaxPoolHalvingPathMatchesBruteForceAndPropagatesNaN() {
        var x = randomTensor([2, 3, 6, 6])
        x.scalars[7] = .nan
        let (y, argMax) = maxPool2d(x, geometry: Conv2dGeometry(kernel: (2, 2), stride: (2, 2)))
        XCTAssert(y.scalars[0].isNaN)
        for plane in 0..<6 {
            for i in 0..<3 {
                for j in 0..<3 {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { plane * 36 + (2 * i + $0.0) * 6 + 2 * j + $0.1 }
                    let expected = window.first { x.scalars[$0].isNaN }
                        ?? window.max { x.scalars[$0] < x.scalars[$1] }!
                    XCTAssertEqual(Int(argMax[plane * 9 + i * 3 + j]), expected)
                }
            }
        }
    }

    func testMaxPoolHalvingVectorLanesMatchBruteForceWithNaNAndTies() {
        var x = randomTensor([2, 2, 4, 11])
        x.scalars[3] = .nan          // plane 0, top row, inside the four-output SIMD block
        x.scalars[11 + 5] = .nan     // same plane, bottom row of window 2: the later NaN loses
        x.scalars[11 + 4] = .nan
        x.scalars[44 + 0] = 0.5      // plane 1: a tie between the top-left and bottom-right
        x.scalars[44 + 12] = 0.5
        x.scalars[44 + 1] = -2
        x.scalars[44 + 11] = -2
        let (y, argMax) = maxPool2d(x, geometry: Conv2dGeometry(kernel: (2, 2), stride: (2, 2)))
        for plane in 0..<4 {
            for i in 0..<2 {
                for j in 0..<5 {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { plane * 44 + (2 * i + $0.0) * 11 + 2 * j + $0.1 }
                    let expected = window.first { x.scalars[$0].isNaN }
                        ?? window.max { x.scalars[$0] < x.scalars[$1] || (x.scalars[$0] == x.scalars[$1] && $0 > $1) }!
                    XCTAssertEqual(Int(argMax[plane * 10 + i * 5 + j]), expected, "plane \(plane) output \(i),\(j)")
                    XCTAssertEqual(y.scalars[plane * 10 + i * 5 + j].bitPattern, x.scalars[expected].bitPattern)
                }
            }
        }
    }

    func testAvgPoolExcludesPaddingWhenAsked() {
        let x = Tensor.ones([1, 1, 2, 2])
        let g = Conv2dGeometry(kernel: (2, 2), stride: (1, 1), padding: (1, 1))
        XCTAssertEqual(avgPool2d(x, geometry: g, countIncludePad: false).scalars, [Float](repeating: 1, count: 9))
        XCTAssertEqual(avgPool2d(x, geometry: g, countIncludePad: true).scalars[0], 0.25)
    }

    func testBroadcastingFollowsNumPyRules() {
        let a = Tensor(shape: [2, 1], scalars: [1, 2]), b = Tensor(shape: [3], scalars: [10, 20, 30])
        XCTAssertEqual((a + b).shape, [2, 3])
        XCTAssertEqual((a + b).scalars, [11, 21, 31, 12, 22, 32])
        XCTAssertNil(broadcastShape([2, 3], [4, 3]))
    }

    func testSummedToShapeIsTheAdjointOfBroadcasting() {
        let g = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(g.summed(toShape: [3]).scalars, [5, 7, 9])
        XCTAssertEqual(g.summed(toShape: [2, 1]).scalars, [6, 15])
        XCTAssertEqual(g.summed(toShape: []).scalars, [21])
    }

    func testConcatenateThenSplitRoundTrips() {
        let a = randomTensor([2, 2, 3]), b = randomTensor([2, 1, 3], seed: 2)
        let joined = Tensor(concatenating: [a, b], axis: 1)
        XCTAssertEqual(joined.shape, [2, 3, 3])
        XCTAssertEqual(joined.split(alongAxis: 1, extents: [2, 1]), [a, b])
    }

    func testBatchNormInTrainingNormalisesEachChannel() {
        let x = randomTensor([8, 3, 4, 4], low: 2, high: 6)
        let result = batchNorm(x, gamma: .ones([3]), beta: .zeros([3]), mean: [0, 0, 0], variance: [1, 1, 1],
                               epsilon: 1e-5, batchStatistics: true)
        let perChannel = result.output.reshaped([8, 3, 16]).summed(toShape: [1, 3, 1])
        for value in perChannel.scalars { XCTAssertEqual(value, 0, accuracy: 1e-3) }
    }
}
