// ExactOTTests.swift — the assignment solver finds the optimal permutation.

import XCTest
@testable import FeatureScatter

final class ExactOTTests: XCTestCase {
    private func permutations(_ count: Int) -> [[Int]] {
        guard count > 0 else { return [[]] }
        return permutations(count - 1).flatMap { rest in
            (0...rest.count).map { position in
                var next = rest
                next.insert(count - 1, at: position)
                return next
            }
        }
    }

    func testExactCostEqualsBruteForceOverPermutations() throws {
        for n in 1...6 {
            for seed in 0..<5 {
                let cost = randomCost(n, n, seed: UInt64(100 * n + seed))
                let best = permutations(n).map { p in (0..<n).reduce(0.0) { $0 + Double(cost[$1 * n + p[$1]]) } }.min()!
                let result = try solveOT(cost: cost, rows: n, cols: n, options: OTOptions(solver: .exact))
                XCTAssertEqual(result.transportCost, best / Double(n), accuracy: 1e-7 * max(1, best), "n \(n) seed \(seed)")
                XCTAssertEqual(result.marginalError, 0, accuracy: 1e-6)
            }
        }
    }

    func testExactPlanIsAPermutationOverN() throws {
        let n = 50
        let result = try solveOT(cost: randomCost(n, n, seed: 30), rows: n, cols: n, options: OTOptions(solver: .exact))
        XCTAssertEqual(result.plan.filter { $0 != 0 }.count, n)
        assertClose(rowSums(result.plan, rows: n, cols: n), [Double](repeating: 1 / Double(n), count: n), rtol: 1e-6, atol: 0)
        assertClose(colSums(result.plan, rows: n, cols: n), [Double](repeating: 1 / Double(n), count: n), rtol: 1e-6, atol: 0)
    }

    func testExactCostIsBelowEverySinkhornPlanCost() throws {
        let n = 40
        let cost = randomCost(n, n, seed: 31)
        let exact = try solveOT(cost: cost, rows: n, cols: n, options: OTOptions(solver: .exact)).transportCost
        let entropic = try solveOT(cost: cost, rows: n, cols: n, options: OTOptions(regularization: 0.01, maxIterations: 1000))
        XCTAssertLessThanOrEqual(exact, entropic.transportCost + 1e-6)
    }

    func testTransportationSolverAgreesWithAssignmentOnUniformSquareProblems() throws {
        let n = 30
        let cost = randomCost(n, n, seed: 32)
        let uniform = [Double](repeating: 1 / Double(n), count: n)
        let general = solveTransportation(OTProblem(cost: cost, rows: n, cols: n, a: uniform, b: uniform))
        let assignment = try solveOT(cost: cost, rows: n, cols: n, options: OTOptions(solver: .exact))
        let generalCost = zip(general.plan, cost).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(generalCost, assignment.transportCost, accuracy: 1e-6)
    }

    func testTransportationPlanWithGeneralMarginalsHasAnOptimalityCertificate() throws {
        let (n, m) = (13, 8)
        let a = randomWeights(n, seed: 33)
        let b = randomWeights(m, seed: 34)
        let cost = randomCost(n, m, seed: 35)
        let result = try solveOT(cost: cost, rows: n, cols: m, a: a, b: b, options: OTOptions(solver: .exact))
        assertClose(rowSums(result.plan, rows: n, cols: m), a, rtol: 0, atol: 1e-6)
        assertClose(colSums(result.plan, rows: n, cols: m), b, rtol: 0, atol: 1e-6)
        let problem = OTProblem(
            cost: cost, rows: n, cols: m,
            a: try OTProblem.validatedMarginal(a, count: n, name: "a"), b: try OTProblem.validatedMarginal(b, count: m, name: "b"))
        let solution = solveTransportation(problem)
        var dual = 0.0
        for i in 0..<n { dual += problem.a[i] * solution.u[i] }
        for j in 0..<m { dual += problem.b[j] * solution.v[j] }
        for i in 0..<n {
            for j in 0..<m { XCTAssertGreaterThanOrEqual(Double(cost[i * m + j]) - solution.u[i] - solution.v[j], -1e-9) }
        }
        XCTAssertEqual(dual, result.transportCost, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(result.plan.filter { $0 > 0 }.count, n + m - 1)
    }
}
