// TransportDistanceTests.swift — matching schemes, zero-mass points and bad input.

import XCTest
@testable import FeatureScatter

final class TransportDistanceTests: XCTestCase {
    func testUniformMatchingGivesEveryPairTheSameMassAndItsPlanAsGradient() throws {
        let cost = randomCost(3, 5, seed: 70)
        let (result, gradient) = try transportDistance(cost: cost, rows: 3, cols: 5, matching: .uniform, gradient: .unrolled)
        XCTAssertTrue(result.plan.allSatisfy { abs($0 - 1.0 / 15) < 1e-7 })
        XCTAssertEqual(gradient!, result.plan)
        XCTAssertEqual(result.transportCost, cost.reduce(0.0) { $0 + Double($1) } / 15, accuracy: 1e-6)
        XCTAssertNil(result.solver)
    }

    func testIdentityMatchingIsTheDiagonalOverN() throws {
        let cost = randomCost(4, 4, seed: 71)
        let (result, gradient) = try transportDistance(cost: cost, rows: 4, cols: 4, matching: .identity, gradient: .envelope)
        for i in 0..<4 {
            for j in 0..<4 { XCTAssertEqual(result.plan[i * 4 + j], i == j ? 0.25 : 0) }
        }
        XCTAssertEqual(gradient!, result.plan)
        XCTAssertEqual(result.transportCost, (0..<4).reduce(0.0) { $0 + Double(cost[$1 * 5]) } / 4, accuracy: 1e-6)
    }

    func testIdentityMatchingWithDifferentSizesThrows() {
        assertThrowsFSCError(try transportDistance(cost: randomCost(3, 4, seed: 72), rows: 3, cols: 4, matching: .identity)) {
            $0.isInvalidArgument
        }
    }

    func testZeroMassPointsGetEmptyRowsAndColumns() throws {
        let a: [Float] = [0.5, 0, 0.5]
        let b: [Float] = [0.25, 0.75, 0]
        let options = OTOptions(regularization: 0.1, maxIterations: 1000, tolerance: 1e-8)
        let (result, gradient) = try transportDistance(
            cost: randomCost(3, 3, seed: 73), rows: 3, cols: 3, a: a, b: b, options: options, gradient: .unrolled)
        XCTAssertEqual(result.rows, 3)
        for k in 0..<3 {
            XCTAssertEqual(result.plan[3 + k], 0)
            XCTAssertEqual(result.plan[k * 3 + 2], 0)
            XCTAssertEqual(gradient![3 + k], 0)
        }
        assertClose(colSums(result.plan, rows: 3, cols: 3), b, rtol: 0, atol: 1e-5)
    }

    func testBadInputThrowsTheMatchingError() {
        let cost = randomCost(2, 2, seed: 74)
        assertThrowsFSCError(try solveOT(cost: [1, .nan, 0, 1], rows: 2, cols: 2)) { $0.isNotFinite }
        assertThrowsFSCError(try solveOT(cost: [1, .infinity, 0, 1], rows: 2, cols: 2)) { $0.isNotFinite }
        assertThrowsFSCError(try solveOT(cost: [], rows: 0, cols: 2)) { $0.isInvalidArgument }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 3)) { $0.isShapeMismatch }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, a: [1.2, -0.2])) { $0.isInvalidArgument }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, a: [0.3, 0.3])) { $0.isInvalidArgument }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, b: [1])) { $0.isShapeMismatch }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, b: [.nan, 1])) { $0.isNotFinite }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, options: OTOptions(regularization: 0))) { $0.isInvalidArgument }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, options: OTOptions(maxIterations: 0))) { $0.isInvalidArgument }
        assertThrowsFSCError(try solveOT(cost: cost, rows: 2, cols: 2, options: OTOptions(solver: .ipot, proximalBeta: -1))) {
            $0.isInvalidArgument
        }
    }

    func testSinglePointProblemHasTheTrivialPlan() throws {
        for solver in OTSolver.allCases {
            let result = try solveOT(cost: [0.7], rows: 1, cols: 1, options: OTOptions(solver: solver))
            // The reference rule's 1e-6 inside the log keeps its mass that far below the marginal.
            let tolerance: Float = solver == .sinkhornReference ? 3e-6 : 1e-6
            XCTAssertEqual(result.plan[0], 1, accuracy: tolerance, "\(solver)")
            XCTAssertEqual(result.transportCost, 0.7, accuracy: Double(tolerance))
        }
    }
}
