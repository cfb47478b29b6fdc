// SinkhornTests.swift — marginals, stability and solver agreement of the Sinkhorn solvers.

import XCTest
@testable import FeatureScatter

final class SinkhornTests: XCTestCase {
    private func options(_ solver: OTSolver, reg: Double, iterations: Int = 2000, tolerance: Double = 1e-7)
        -> OTOptions
    {
        OTOptions(solver: solver, regularization: reg, maxIterations: iterations, tolerance: tolerance)
    }

    func testSinkhornPlanMatchesUniformMarginals() throws {
        let cost = randomCost(30, 30, seed: 1)
        for solver in [OTSolver.sinkhornLog, .sinkhornScaling] {
            let result = try solveOT(cost: cost, rows: 30, cols: 30, options: options(solver, reg: 0.05))
            XCTAssertTrue(result.converged, "\(solver)")
            assertClose(rowSums(result.plan, rows: 30, cols: 30), [Double](repeating: 1.0 / 30, count: 30), rtol: 0, atol: 1e-5)
            assertClose(colSums(result.plan, rows: 30, cols: 30), [Double](repeating: 1.0 / 30, count: 30), rtol: 0, atol: 1e-5)
        }
    }

    func testSinkhornPlanMatchesNonUniformMarginalsWithRectangularCost() throws {
        let a = randomWeights(17, seed: 2)
        let b = randomWeights(11, seed: 3)
        let cost = randomCost(17, 11, seed: 4)
        for solver in [OTSolver.sinkhornLog, .sinkhornScaling] {
            let result = try solveOT(cost: cost, rows: 17, cols: 11, a: a, b: b, options: options(solver, reg: 0.02))
            XCTAssertTrue(result.converged)
            assertClose(rowSums(result.plan, rows: 17, cols: 11), a, rtol: 0, atol: 1e-5)
            assertClose(colSums(result.plan, rows: 17, cols: 11), b, rtol: 0, atol: 1e-5)
            XCTAssertLessThan(result.marginalError, 1e-5)
        }
    }

    func testSinkhornStaysFiniteAcrossRegularisationsFrom1e3To10() throws {
        let n = 128
        let x = randomFeatures(n, 10, seed: 5)
        let y = randomFeatures(n, 10, seed: 6)
        let cost = try costMatrix(x, y, n: n, m: n, d: 10, kind: .cosine)
        for reg in [1e-3, 3e-3, 0.01, 0.1, 1, 10] {
            for solver in [OTSolver.sinkhorn, .sinkhornLog, .sinkhornScaling] {
                let result = try solveOT(cost: cost, rows: n, cols: n, options: options(solver, reg: reg, iterations: 100))
                XCTAssertTrue(result.plan.allSatisfy { $0.isFinite && $0 >= 0 }, "reg \(reg) \(solver)")
                XCTAssertTrue(result.transportCost.isFinite && result.entropicObjective.isFinite)
                assertClose(rowSums(result.plan, rows: n, cols: n), [Double](repeating: 1.0 / Double(n), count: n), rtol: 0, atol: 1e-5)
            }
        }
    }

    func testSinkhornStaysFiniteAt2048PointsWithSmallRegularisation() throws {
        let n = 2048
        let x = randomFeatures(n, 10, seed: 7)
        let y = randomFeatures(n, 10, seed: 8)
        let cost = try costMatrix(x, y, n: n, m: n, d: 10, kind: .cosine)
        let result = try solveOT(cost: cost, rows: n, cols: n, options: options(.sinkhornLog, reg: 1e-3, iterations: 10))
        XCTAssertTrue(result.plan.allSatisfy { $0.isFinite && $0 >= 0 })
        XCTAssertTrue(result.transportCost.isFinite)
        let fast = try solveOT(cost: cost, rows: n, cols: n, options: options(.sinkhorn, reg: 0.01, iterations: 30))
        XCTAssertEqual(fast.solver, .sinkhornScaling)
        XCTAssertTrue(fast.plan.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    func testLogDomainAndFastPathGiveTheSamePlan() throws {
        let cost = randomCost(40, 25, seed: 9)
        for reg in [0.01, 0.1, 1] {
            let log = try solveOT(cost: cost, rows: 40, cols: 25, options: options(.sinkhornLog, reg: reg, iterations: 50, tolerance: 0))
            let fast = try solveOT(cost: cost, rows: 40, cols: 25, options: options(.sinkhornScaling, reg: reg, iterations: 50, tolerance: 0))
            assertClose(fast.plan, log.plan, rtol: 1e-3, atol: 1e-7, "reg \(reg)")
            XCTAssertEqual(fast.iterations, 50)
        }
    }

    func testFastPathHasNoSubnormalsAndMatchesLogDomainOnHighDimensionalCosineCosts() throws {
        // d = 640 logits give cosine costs near 1, where a naive float32 kernel exp(−C/0.01)
        // is almost entirely zero or subnormal.
        let n = 64
        let d = 640
        let cost = try costMatrix(randomFeatures(n, d, seed: 14), randomFeatures(n, d, seed: 15), n: n, m: n, d: d, kind: .cosine)
        let fast = try solveOT(cost: cost, rows: n, cols: n, options: options(.sinkhornScaling, reg: 0.01, iterations: 100, tolerance: 0))
        let log = try solveOT(cost: cost, rows: n, cols: n, options: options(.sinkhornLog, reg: 0.01, iterations: 100, tolerance: 0))
        XCTAssertTrue(fast.plan.allSatisfy { $0 == 0 || $0 >= Float.leastNormalMagnitude })
        assertClose(fast.plan, log.plan, rtol: 1e-3, atol: 1e-7)
        XCTAssertEqual(fast.transportCost, log.transportCost, accuracy: 1e-6 * log.transportCost)
    }

    func testAutomaticSolverPicksFastPathUnlessRegularisationIsTiny() throws {
        let cost = randomCost(10, 10, seed: 10)
        XCTAssertEqual(try solveOT(cost: cost, rows: 10, cols: 10, options: options(.sinkhorn, reg: 0.01)).solver, .sinkhornScaling)
        XCTAssertEqual(try solveOT(cost: cost, rows: 10, cols: 10, options: options(.sinkhorn, reg: 1e-3)).solver, .sinkhornLog)
    }

    func testEpsilonScalingReachesTheSamePlan() throws {
        let cost = randomCost(20, 20, seed: 11)
        for solver in [OTSolver.sinkhornLog, .sinkhornScaling] {
            var scaled = options(solver, reg: 0.1, iterations: 5000, tolerance: 1e-6)
            scaled.epsilonScaling = true
            let warm = try solveOT(cost: cost, rows: 20, cols: 20, options: scaled)
            let cold = try solveOT(cost: cost, rows: 20, cols: 20, options: options(solver, reg: 0.1, iterations: 5000, tolerance: 1e-6))
            XCTAssertTrue(warm.converged, "\(warm.iterations) \(warm.marginalError)")
            XCTAssertTrue(cold.converged, "\(cold.iterations) \(cold.marginalError)")
            assertClose(warm.plan, cold.plan, rtol: 0, atol: 1e-6)
        }
    }

    func testSinkhornReportsNonConvergenceWhenIterationsRunOut() throws {
        let cost = randomCost(50, 50, seed: 12)
        let result = try solveOT(cost: cost, rows: 50, cols: 50, options: options(.sinkhornLog, reg: 0.005, iterations: 3, tolerance: 1e-12))
        XCTAssertFalse(result.converged)
        XCTAssertEqual(result.iterations, 3)
        XCTAssertGreaterThan(result.marginalError, 1e-12)
    }

    func testEntropicObjectiveIsBelowTransportCost() throws {
        let cost = randomCost(15, 15, seed: 13)
        let result = try solveOT(cost: cost, rows: 15, cols: 15, options: options(.sinkhornLog, reg: 0.1))
        var entropy = 0.0
        for value in result.plan where value > 0 { entropy -= Double(value) * (log(Double(value)) - 1) }
        XCTAssertEqual(result.entropicObjective, result.transportCost - 0.1 * entropy, accuracy: 1e-5)
    }
}
