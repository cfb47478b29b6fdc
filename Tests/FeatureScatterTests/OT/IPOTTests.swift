// IPOTTests.swift — the proximal point solver tends to the exact optimum.

import XCTest
@testable import FeatureScatter

final class IPOTTests: XCTestCase {
    func testIPOTCostApproachesExactCostAsIterationsGrow() throws {
        let n = 24
        let cost = try costMatrix(randomFeatures(n, 5, seed: 20), randomFeatures(n, 5, seed: 21), n: n, m: n, d: 5, kind: .cosine)
        let exact = try solveOT(cost: cost, rows: n, cols: n, options: OTOptions(solver: .exact)).transportCost
        var gaps: [Double] = []
        for iterations in [5, 50, 500] {
            let options = OTOptions(solver: .ipot, maxIterations: iterations, proximalBeta: 0.1)
            let result = try solveOT(cost: cost, rows: n, cols: n, options: options)
            gaps.append(abs(result.transportCost - exact))
        }
        XCTAssertLessThan(gaps[1], gaps[0])
        XCTAssertLessThan(gaps[2], gaps[1])
        XCTAssertLessThan(gaps[2] / exact, 1e-3)
    }

    func testIPOTPlanHasExactColumnMarginals() throws {
        let a = randomWeights(9, seed: 22)
        let b = randomWeights(7, seed: 23)
        let result = try solveOT(
            cost: randomCost(9, 7, seed: 24), rows: 9, cols: 7, a: a, b: b,
            options: OTOptions(solver: .ipot, maxIterations: 200))
        assertClose(colSums(result.plan, rows: 9, cols: 7), b, rtol: 0, atol: 1e-5)
        assertClose(rowSums(result.plan, rows: 9, cols: 7), a, rtol: 0, atol: 1e-4)
        XCTAssertEqual(result.solver, .ipot)
        XCTAssertEqual(result.iterations, 200)
    }

    func testIPOTWithTinyBetaThrowsInsteadOfReturningNaN() {
        let cost: [Float] = [0, 100, 0, 100]
        let options = OTOptions(solver: .ipot, maxIterations: 5, proximalBeta: 0.01)
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, options: options)) { $0.isNotFinite }
    }
}
