// AdversarialLabelTests.swift — BAT's adversarial labels (§4.1) against hand-computed values and their invariants.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class AdversarialLabelTests: XCTestCase {
    /// Logits whose softmax is exactly (1/2, 1/4, 1/8, 1/8), so v = −log p = (1, 2, 3, 3)·ln 2.
    private let halving = Tensor(shape: [1, 4], scalars: [0.5, 0.25, 0.125, 0.125].map { Float(log($0)) })

    func testLabelOfTheLikeliestClassMatchesTheClosedForm() throws {
        // c = 0. Wrong classes 1, 2, 3: v − v_MC + γ = (γ, ln2 + γ, ln2 + γ) = (0.01, 0.703147, 0.703147),
        // S = 2 ln2 + 3γ = 1.416294, ε_y = 1 / (1 + 9 (ln2 + γ) / S) = 0.182875,
        // ỹ = (1 − ε_y, ε_y γ/S, ε_y (ln2 + γ)/S, ε_y (ln2 + γ)/S).
        let labels = try adversarialLabels(logits: halving, labels: [0], beta: 9, gamma: 0.01)
        assertClose(labels.targets, Tensor(shape: [1, 4], scalars: [0.817125, 0.0012912, 0.0907917, 0.0907917]),
                    rtol: 1e-4, atol: 1e-6)
        XCTAssertEqual(labels.budgets[0], 0.182875, accuracy: 1e-6)
    }

    func testLabelOfALessLikelyClassMatchesTheClosedForm() throws {
        // c = 2. Wrong classes 0, 1, 3 with v = (1, 2, 3)·ln2: v_MC = ln2, v_LL = 3 ln2,
        // v − v_MC + γ = (0.01, 0.703147, 1.396294), S = 3 ln2 + 3γ = 2.109442,
        // ε_y = 1 / (1 + 9 (2 ln2 + γ) / S) = 0.143733.
        let labels = try adversarialLabels(logits: halving, labels: [2], beta: 9, gamma: 0.01)
        assertClose(labels.targets, Tensor(shape: [1, 4], scalars: [0.00068138, 0.0479111, 0.856267, 0.0951408]),
                    rtol: 1e-4, atol: 1e-6)
        XCTAssertEqual(labels.budgets[0], 0.143733, accuracy: 1e-6)
    }

    func testTiedWrongClassesGiveLabelSmoothingAtTheLargestBudget() throws {
        // Every v_k (k ≠ c) equal: ε_y = 1 / (1 + β/(K−1)) = 1/4 for β = 9, K = 4, spread evenly.
        let logits = Tensor(shape: [2, 4], scalars: [3, 0, 0, 0, -1, -1, 2, -1])
        let labels = try adversarialLabels(logits: logits, labels: [0, 2])
        assertClose(labels.targets, smoothedTargets([0, 2], classes: 4, smoothing: 0.25), rtol: 1e-5, atol: 1e-6)
        XCTAssertEqual(labels.budgets, [0.25, 0.25])
    }

    func testTargetsAreDistributionsWithTheTrueClassBetaTimesTheLargestWrongOne() throws {
        let (n, k): (Int, Int) = (16, 10)
        let logits = randomTensor([n, k], seed: 5, low: -6, high: 6)
        let labels = (0..<n).map { $0 % k }
        for beta: Float in [1, 9, 50] {
            let result = try adversarialLabels(logits: logits, labels: labels, beta: beta)
            for (r, c) in labels.enumerated() {
                let row = Array(result.targets.scalars[(r * k)..<((r + 1) * k)])
                let largestWrong = row.indices.filter { $0 != c }.map { row[$0] }.max()!
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                XCTAssert(row.allSatisfy { $0 > 0 }, "\(row)")
                XCTAssertEqual(row[c] / largestWrong, beta, accuracy: beta * 1e-4)
                XCTAssertEqual(result.budgets[r], 1 - row[c], accuracy: 1e-6)
                XCTAssert(result.budgets[r] > 1 / (1 + beta) && result.budgets[r] <= 1 / (1 + beta / Float(k - 1)) + 1e-6,
                          "ε_y = \(result.budgets[r]) for β = \(beta)")
            }
        }
    }

    func testTheLeastLikelyWrongClassGetsTheMostMass() throws {
        let result = try adversarialLabels(logits: Tensor(shape: [1, 4], scalars: [4, 2, -3, 1]), labels: [0])
        XCTAssertEqual(result.targets.argMaxPerRow(), [0])
        let wrong = Array(result.targets.scalars[1...])
        XCTAssertEqual(wrong.firstIndex(of: wrong.max()!), 1, "class 2 has the lowest logit: \(wrong)")
        XCTAssertEqual(wrong.firstIndex(of: wrong.min()!), 0, "class 1 is the most confusing: \(wrong)")
    }

    func testBadArgumentsThrowNamingTheProblem() {
        let logits = Tensor(shape: [1, 3], scalars: [1, 2, 3])
        let cases: [(() throws -> AdversarialLabels, String)] = [
            ({ try adversarialLabels(logits: logits, labels: [0], beta: 0) }, "β"),
            ({ try adversarialLabels(logits: logits, labels: [0], beta: .nan) }, "β"),
            ({ try adversarialLabels(logits: logits, labels: [0], gamma: -1) }, "γ"),
            ({ try adversarialLabels(logits: logits, labels: [3]) }, "label 3"),
            ({ try adversarialLabels(logits: logits, labels: [0, 1]) }, "2 labels"),
            ({ try adversarialLabels(logits: Tensor(shape: [1, 1], scalars: [1]), labels: [0]) }, "K ≥ 2"),
            ({ try adversarialLabels(logits: Tensor(shape: [1, 3], scalars: [1, .nan, 0]), labels: [0]) }, "NaN"),
        ]
        for (call, word) in cases {
            XCTAssertThrowsError(try call()) { error in
                XCTAssert("\(error)".contains(word), "\(error) should mention \(word)")
            }
        }
    }

    func testAnEmptyBatchGivesNoTargets() throws {
        let result = try adversarialLabels(logits: Tensor(shape: [0, 4], scalars: []), labels: [])
        XCTAssertEqual(result.targets.shape, [0, 4])
        XCTAssertEqual(result.budgets, [])
    }
}
