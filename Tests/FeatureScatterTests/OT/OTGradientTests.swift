// OTGradientTests.swift — unrolled and envelope gradients against central finite differences.

import XCTest
@testable import FeatureScatter

final class OTGradientTests: XCTestCase {
    private let rows = 5
    private let cols = 4
    private let step: Float = 1.0 / 1024

    /// Compares the unrolled `dD/dC` with central differences of the same fixed-iteration forward.
    private func checkUnrolled(_ options: OTOptions, a: [Float]? = nil, b: [Float]? = nil, seed: UInt64,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let cost = randomCost(rows, cols, seed: seed).map { 0.25 + $0 / 2 }
        let (_, gradient) = try transportDistance(
            cost: cost, rows: rows, cols: cols, a: a, b: b, options: options, gradient: .unrolled)
        let numeric = try centralDifferences(at: cost, step: step) {
            try transportDistance(cost: $0, rows: rows, cols: cols, a: a, b: b, options: options).result.transportCost
        }
        assertClose(gradient!, numeric, rtol: 2e-3, atol: 2e-4, "\(options.solver)", file: file, line: line)
    }

    func testUnrolledLogSinkhornGradientMatchesFiniteDifferences() throws {
        try checkUnrolled(OTOptions(solver: .sinkhornLog, regularization: 0.2, maxIterations: 15, tolerance: 0), seed: 40)
    }

    func testUnrolledFastPathGradientMatchesFiniteDifferences() throws {
        try checkUnrolled(OTOptions(solver: .sinkhornScaling, regularization: 0.2, maxIterations: 15, tolerance: 0), seed: 41)
    }

    func testUnrolledGradientWithNonUniformMarginalsAndEpsilonScaling() throws {
        var options = OTOptions(solver: .sinkhornLog, regularization: 0.3, maxIterations: 12, tolerance: 0)
        options.epsilonScaling = true
        try checkUnrolled(options, a: randomWeights(rows, seed: 42), b: randomWeights(cols, seed: 43), seed: 44)
    }

    func testUnrolledIPOTGradientMatchesFiniteDifferences() throws {
        try checkUnrolled(OTOptions(solver: .ipot, maxIterations: 6, proximalBeta: 0.5, innerIterations: 2), seed: 45)
        try checkUnrolled(OTOptions(solver: .ipot, maxIterations: 10, proximalBeta: 1, innerIterations: 1),
                          a: randomWeights(rows, seed: 46), b: randomWeights(cols, seed: 47), seed: 48)
    }

    func testEnvelopeGradientIsThePlanAndDifferentiatesTheRegularisedObjective() throws {
        let options = OTOptions(solver: .sinkhornLog, regularization: 0.2, maxIterations: 5000, tolerance: 1e-10)
        let cost = randomCost(rows, cols, seed: 49)
        let (result, gradient) = try transportDistance(cost: cost, rows: rows, cols: cols, options: options, gradient: .envelope)
        XCTAssertEqual(gradient!, result.plan)
        let numeric = try centralDifferences(at: cost, step: step) {
            try solveOT(cost: $0, rows: rows, cols: cols, options: options).entropicObjective
        }
        assertClose(gradient!, numeric, rtol: 2e-3, atol: 2e-5)
        let unrolled = try transportDistance(cost: cost, rows: rows, cols: cols, options: options, gradient: .unrolled).costGradient!
        let difference = zip(unrolled, gradient!).map { abs(Double($0) - Double($1)) }.max()!
        XCTAssertGreaterThan(difference, 1e-3, "⟨T(C), C⟩ and the regularised objective have different derivatives")
    }

    func testGradientThroughCostToFeaturesMatchesFiniteDifferences() throws {
        let d = 3
        let x = randomFeatures(rows, d, seed: 50)
        let y = randomFeatures(cols, d, seed: 51)
        let options = OTOptions(solver: .sinkhornLog, regularization: 0.1, maxIterations: 10, tolerance: 0)
        func distance(_ x: [Float], _ y: [Float]) throws -> Double {
            let cost = try costMatrix(x, y, n: rows, m: cols, d: d, kind: .cosine)
            return try transportDistance(cost: cost, rows: rows, cols: cols, options: options).result.transportCost
        }
        let cost = try costMatrix(x, y, n: rows, m: cols, d: d, kind: .cosine)
        let upstream = try transportDistance(cost: cost, rows: rows, cols: cols, options: options, gradient: .unrolled).costGradient!
        let (dX, dY) = try costMatrixPullback(x, y, n: rows, m: cols, d: d, kind: .cosine, upstream: upstream)
        assertClose(dX, try centralDifferences(at: x, step: step) { try distance($0, y) }, rtol: 5e-3, atol: 1e-3)
        assertClose(dY, try centralDifferences(at: y, step: step) { try distance(x, $0) }, rtol: 5e-3, atol: 1e-3)
    }

    func testUnrolledGradientOfExactSolverIsRejected() {
        let cost = randomCost(3, 3, seed: 52)
        assertThrowsFSCError(try transportDistance(cost: cost, rows: 3, cols: 3, options: OTOptions(solver: .exact), gradient: .unrolled)) {
            $0.isInvalidArgument
        }
    }
}
