// WinogradFilterCacheTests.swift — transformed filters are reused for the same weights and only for them.

@testable import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class WinogradFilterCacheTests: XCTestCase {
    func testReusesFiltersOnlyForBitwiseEqualWeights() {
        let cache = WinogradFilterCache()
        var transforms = 0
        func filters(_ weights: [Float], adjoint: Bool = false) -> [Float] {
            cache.filters(of: weights, adjoint: adjoint, tiles4x4: true) {
                transforms += 1
                return weights.map { $0 * 2 }
            }
        }
        var weights: [Float] = [1, 0, 3]
        XCTAssertEqual(filters(weights), [2, 0, 6])
        XCTAssertEqual(filters(weights), [2, 0, 6])
        XCTAssertEqual(transforms, 1, "the same array again")
        XCTAssertEqual(filters(Array([1, 0, 3])), [2, 0, 6])
        XCTAssertEqual(transforms, 1, "another array with the same values")
        weights[2] = 4
        XCTAssertEqual(filters(weights), [2, 0, 8])
        XCTAssertEqual(transforms, 2, "the array written in place after it was cached")
        weights[1] = -0.0
        _ = filters(weights)
        XCTAssertEqual(transforms, 3, "-0 is not the same weight as 0")
        _ = filters(weights, adjoint: true)
        XCTAssertEqual(transforms, 4, "the adjoint filters are another entry")
        _ = filters(weights)
        XCTAssertEqual(transforms, 4, "the forward entry is still there")
    }

    /// A layer whose weights change between passes (as an optimiser step changes them in place)
    /// computes with the new weights, forward and backward, not with the filters it cached.
    func testLayerFollowsWeightsWrittenInPlace() {
        var generator = SeededGenerator(seed: 5)
        for size in [8, 16] {
            let layer = Conv2d(64, 64, kernel: 3, padding: 1, using: &generator)
            let x = randomTensor([2, 64, size, size], seed: UInt64(size))
            for round in 0..<3 {
                let tape = Tape(mode: .training)
                let input = tape.input(x, requiresGradient: true)
                let y = layer(input)
                let upstream = randomTensor(y.shape, seed: UInt64(round))
                tape.backward(y, seed: upstream)
                let weight = layer.weight.value
                let expected = conv2d(x, weight: weight, bias: layer.bias!.value, geometry: layer.geometry)
                assertClose(y.value, expected, rtol: 1e-3, atol: 1e-3)
                let expectedGradient = conv2dBackward(upstream, input: x, weight: weight, groups: 1,
                                                      geometry: layer.geometry, needInput: true, needWeight: false,
                                                      needBias: false).input!
                assertClose(tape.gradient(of: input), expectedGradient, rtol: 1e-3, atol: 1e-3)
                layer.weight.value.scalars.withUnsafeMutableBufferPointer { w in
                    for i in w.indices { w[i] = -w[i] + Float(round + 1) * 0.01 }
                }
                layer.zeroGradients()
            }
        }
    }
}
