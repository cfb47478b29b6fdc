// SinkhornReplayTests.swift — the factored unrolled gradient against the exponential replay.

import XCTest
@testable import FeatureScatter

final class SinkhornReplayTests: XCTestCase {
    /// The history of a Sinkhorn run on `cost`, as the unrolled gradient records it.
    private func history(_ cost: [Float], rows: Int, cols: Int, options: OTOptions,
                         a: [Double]? = nil, b: [Double]? = nil) -> (OTProblem, SinkhornHistory) {
        let problem = OTProblem(cost: cost, rows: rows, cols: cols,
                                a: a ?? Array(repeating: 1 / Double(rows), count: rows),
                                b: b ?? Array(repeating: 1 / Double(cols), count: cols))
        let workspace = SinkhornWorkspace(problem: problem, options: options, recordHistory: true)
        let run = options.solver == .sinkhornLog ? workspace.runLogDomain() : workspace.runScaling()
        return (problem, run.history!)
    }

    /// Feature scattering's problem: cosine costs between a batch of logits and a perturbed copy.
    private func scatteringCost(_ n: Int, seed: UInt64) throws -> [Float] {
        let x = randomFeatures(n, 10, seed: seed).map { 3 * $0 }
        let noise = randomFeatures(n, 10, seed: seed + 1)
        let y = zip(x, noise).map { $0 + 0.3 * $1 }
        return try costMatrix(x, y, n: n, m: n, d: 10, kind: .cosine)
    }

    private func assertReplaysAgree(_ problem: OTProblem, _ history: SinkhornHistory,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let factored = try XCTUnwrap(OTGradient.factoredSinkhornCostGradient(problem: problem, history: history),
                                     file: file, line: line)
        let exponential = OTGradient.exponentialSinkhornCostGradient(problem: problem, history: history)
        let scale = exponential.map(abs).max()!
        assertClose(factored, exponential, rtol: 1e-6, atol: 1e-9 * scale, file: file, line: line)
    }

    func testFactoredReplayEqualsTheExponentialOneOnTheAttacksProblem() throws {
        let (problem, history) = history(try scatteringCost(128, seed: 70), rows: 128, cols: 128,
                                         options: OTOptions(solver: .sinkhornScaling, regularization: 0.01,
                                                            maxIterations: 100, tolerance: 0))
        XCTAssertEqual(history.epsilons.count, 100)
        try assertReplaysAgree(problem, history)
    }

    func testFactoredReplayEqualsTheExponentialOneForLogDomainAndUnequalMarginals() throws {
        let a = randomWeights(7, seed: 71).map(Double.init)
        let b = randomWeights(5, seed: 72).map(Double.init)
        let (problem, history) = history(randomCost(7, 5, seed: 73), rows: 7, cols: 5,
                                         options: OTOptions(solver: .sinkhornLog, regularization: 0.05,
                                                            maxIterations: 30, tolerance: 0), a: a, b: b)
        try assertReplaysAgree(problem, history)
    }

    func testEpsilonScalingAndFarPotentialsFallBackToTheExponentialReplay() throws {
        var scaled = OTOptions(solver: .sinkhornLog, regularization: 0.05, maxIterations: 20, tolerance: 0)
        scaled.epsilonScaling = true
        let (problem, history) = history(randomCost(6, 6, seed: 74), rows: 6, cols: 6, options: scaled)
        XCTAssertNil(OTGradient.factoredSinkhornCostGradient(problem: problem, history: history))

        // ε = 1e-3 on costs in [0, 8): the first potentials lie thousands of ε from the last.
        let tiny = OTOptions(solver: .sinkhornLog, regularization: 1e-3, maxIterations: 20, tolerance: 0)
        let (far, farHistory) = self.history(randomCost(6, 6, seed: 75).map { 4 * $0 }, rows: 6, cols: 6, options: tiny)
        XCTAssertNil(OTGradient.factoredSinkhornCostGradient(problem: far, history: farHistory))
        let chosen = OTGradient.sinkhornCostGradient(problem: far, history: farHistory)
        XCTAssertEqual(chosen, OTGradient.exponentialSinkhornCostGradient(problem: far, history: farHistory))
    }
}
