// CostMatrixTests.swift — cost values, the zero-norm rule and the pullbacks.

import XCTest
@testable import FeatureScatter

final class CostMatrixTests: XCTestCase {
    func testCosineCostMatchesDefinitionAndStaysInZeroToTwo() throws {
        let x: [Float] = [1, 0, 0, 1, 1, 1]
        let y: [Float] = [1, 0, -1, 0, 0, 2]
        let cost = try costMatrix(x, y, n: 3, m: 3, d: 2, kind: .cosine)
        let half = Float(1 - 1 / 2.0.squareRoot())
        assertClose(cost, [0, 2, 1, 1, 1, 0, half, 1 + Float(1 / 2.0.squareRoot()), half], rtol: 1e-6, atol: 1e-6)
    }

    func testCosineOfZeroVectorIsDefinedAsCostOneWithZeroGradient() throws {
        let x: [Float] = [0, 0, 3, 4]
        let y: [Float] = [1, 2]
        let cost = try costMatrix(x, y, n: 2, m: 1, d: 2, kind: .cosine)
        XCTAssertEqual(cost[0], 1)
        let (dX, dY) = try costMatrixPullback(x, y, n: 2, m: 1, d: 2, kind: .cosine, upstream: [1, 0])
        XCTAssertEqual(dX, [0, 0, 0, 0])
        XCTAssertEqual(dY, [0, 0])
    }

    func testEuclideanCostsMatchDefinition() throws {
        let x: [Float] = [0, 0, 1, 2]
        let y: [Float] = [3, 4]
        assertClose(try costMatrix(x, y, n: 2, m: 1, d: 2, kind: .squaredEuclidean), [25, 8], rtol: 1e-6, atol: 0)
        assertClose(try costMatrix(x, y, n: 2, m: 1, d: 2, kind: .euclidean), [5, Float(8.0.squareRoot())], rtol: 1e-6, atol: 0)
    }

    func testCostPullbacksMatchFiniteDifferences() throws {
        let n = 4
        let m = 3
        let d = 5
        let x = randomFeatures(n, d, seed: 60)
        let y = randomFeatures(m, d, seed: 61)
        let upstream = randomFeatures(n, m, seed: 62)
        for kind in CostFunction.allCases {
            func loss(_ x: [Float], _ y: [Float]) throws -> Double {
                zip(try costMatrix(x, y, n: n, m: m, d: d, kind: kind), upstream).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            let (dX, dY) = try costMatrixPullback(x, y, n: n, m: m, d: d, kind: kind, upstream: upstream)
            assertClose(dX, try centralDifferences(at: x, step: 1e-2) { try loss($0, y) }, rtol: 1e-2, atol: 2e-3, "\(kind)")
            assertClose(dY, try centralDifferences(at: y, step: 1e-2) { try loss(x, $0) }, rtol: 1e-2, atol: 2e-3, "\(kind)")
        }
    }

    func testCostMatrixRejectsBadFeatures() {
        assertThrowsFSCError(try costMatrix([], [], n: 0, m: 1, d: 1, kind: .cosine)) { $0.isInvalidArgument }
        assertThrowsFSCError(try costMatrix([1, 2, 3], [1, 2], n: 2, m: 1, d: 2, kind: .cosine)) { $0.isShapeMismatch }
        assertThrowsFSCError(try costMatrix([1, .nan], [1, 2], n: 1, m: 1, d: 2, kind: .euclidean)) { $0.isNotFinite }
        assertThrowsFSCError(try costMatrixPullback([1, 2], [1, 2], n: 1, m: 1, d: 2, kind: .cosine, upstream: [1, 2])) {
            $0.isShapeMismatch
        }
    }
}
