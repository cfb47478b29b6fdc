// EvaluationTests.swift — the evaluation runner, its worst case, sweeps and masking flags.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class EvaluationTests: XCTestCase {
    func testWorstCaseIsAtMostEveryAttackAndCleanIsTheModelsAccuracy() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let attacks = try ["fgsm", "pgd10", "noise"].map { try attack($0) }
        let evaluation = try RobustnessEvaluation(threat: .default, attacks: attacks,
                                                  worstCaseAttacks: [try APGD(epsilon: 0.1, steps: 20), try Square(epsilon: 0.1, queries: 100)],
                                                  batchSize: 64, seed: 1)
        let report = try evaluation.run(model, images: test.images, labels: test.labels)
        assertClose(report.accuracy["clean"]!, try accuracy(of: model, on: test))
        let worst = report.accuracy["worst_case"]!
        for name in ["fgsm", "pgd10", "noise"] {
            XCTAssertLessThanOrEqual(worst, report.accuracy[name]!, name)
        }
        XCTAssertEqual(report.worstCaseAttacks, ["fgsm", "pgd10", "noise", "apgd-ce", "square"])
        XCTAssertEqual(report.attacks.map(\.mode), ["independent", "independent", "independent", "worst-case", "worst-case"])
        XCTAssertLessThanOrEqual(worst, report.attacks.last!.accuracy)
    }

    func testSameSeedGivesTheSameReport() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let evaluation = try RobustnessEvaluation(threat: .default, attacks: [try attack("pgd5")], seed: 3)
        let a = try evaluation.run(model, images: test.images, labels: test.labels)
        let b = try evaluation.run(model, images: test.images, labels: test.labels)
        XCTAssertEqual(a.accuracy, b.accuracy)
    }

    func testSweepsFallWithEpsilonAndDoNotRiseWithSteps() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let evaluation = try RobustnessEvaluation(threat: .default, attacks: [], seed: 0)
        let byEpsilon = try evaluation.epsilonSweep(model, images: test.images, labels: test.labels,
                                                    epsilons: [0, 0.05, 0.1, 0.5], steps: 10)
        let accuracies = byEpsilon.points.map(\.accuracy)
        XCTAssertEqual(accuracies.first!, try accuracy(of: model, on: test), accuracy: 1e-9)
        XCTAssertEqual(accuracies, accuracies.sorted(by: >))
        XCTAssertLessThanOrEqual(accuracies.last!, 5)
        let bySteps = try evaluation.stepsSweep(model, images: test.images, labels: test.labels, epsilon: 0.1, steps: [1, 5, 20])
        XCTAssertLessThanOrEqual(bySteps.points.last!.accuracy, bySteps.points.first!.accuracy)
    }

    func testReportHasPaperStyleKeysAndTable() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let evaluation = try RobustnessEvaluation(threat: .default, attacks: [try attack("fgsm"),
                                                            try attack("cw5")])
        let report = try evaluation.run(model, images: test.images.slice(0..<50), labels: Array(test.labels.prefix(50)))
        let json = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        let accuracy = json["accuracy"] as! [String: Double]
        XCTAssertEqual(Set(accuracy.keys), ["clean", "fgsm", "cw5", "worst_case"])
        let attacks = json["attacks"] as! [[String: Any]]
        XCTAssertEqual((attacks[1]["settings"] as! [String: String])["kappa"], "50.0")
        XCTAssert(report.markdownTable().hasPrefix("| Clean | FGSM | CW-5 | Worst case |"), report.markdownTable())
    }

    func testTableShowsWorstCaseOnlyAttacksWithTheirCumulativeAccuracy() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let evaluation = try RobustnessEvaluation(threat: .default, attacks: [try attack("fgsm")],
                                                  worstCaseAttacks: [try attack("pgd5")])
        let report = try evaluation.run(model, images: test.images.slice(0..<50), labels: Array(test.labels.prefix(50)))
        let rows = report.markdownTable().split(separator: "\n")
        XCTAssertEqual(rows[0], "| Clean | FGSM | + PGD-5 | Worst case |")
        XCTAssertFalse(rows[2].contains("nan"), String(rows[2]))
        XCTAssertEqual(report.attacks[1].accuracy, report.accuracy["worst_case"])
    }

    /// The named attack at L∞ ε = 0.1.
    private func attack(_ name: String) throws -> any Attack {
        try AttackSpec(name: name, threat: .default).make()
    }

    private func report(_ attacks: [(String, String, String, Double)], sweeps: [Sweep] = [], zero: Double? = nil) -> EvaluationReport {
        var r = EvaluationReport(images: 1000, threat: .default, seed: 0, batchSize: 250, accuracy: [:],
                                 attacks: attacks.map { AttackResult(name: $0.0, kind: $0.1, settings: ["attack": $0.2],
                                                                     accuracy: $0.3, mode: "independent", seconds: 0) },
                                 worstCaseAttacks: [])
        r.sweeps = sweeps
        r.zeroGradientFraction = zero
        return r
    }

    private func status(_ flags: [MaskingFlag], _ prefix: String) -> String {
        flags.first { $0.check.hasPrefix(prefix) }!.status
    }

    func testMaskingChecksFlagTheCarliniWarningSigns() {
        let masked = GradientMaskingChecks.run(on: report(
            [("fgsm", "white-box", "FGSM", 20), ("pgd20", "white-box", "PGD", 45), ("square", "black-box", "Square", 10)],
            sweeps: [Sweep(parameter: "epsilon", settings: [:], points: [.init(value: 0.5, accuracy: 30)]),
                     Sweep(parameter: "steps", settings: [:], points: [.init(value: 1, accuracy: 40), .init(value: 100, accuracy: 60)])],
            zero: 0.2))
        XCTAssert(masked.allSatisfy { $0.status == "flagged" }, "\(masked)")
        let healthy = GradientMaskingChecks.run(on: report(
            [("fgsm", "white-box", "FGSM", 40), ("pgd20", "white-box", "PGD", 30), ("square", "black-box", "Square", 31)],
            sweeps: [Sweep(parameter: "epsilon", settings: [:], points: [.init(value: 0.5, accuracy: 0)]),
                     Sweep(parameter: "steps", settings: [:], points: [.init(value: 1, accuracy: 50), .init(value: 100, accuracy: 30)])],
            zero: 0))
        XCTAssert(healthy.allSatisfy { $0.status == "ok" }, "\(healthy)")
        XCTAssertEqual(status(GradientMaskingChecks.run(on: report([])), "accuracy does not"), "not-checked")
    }

    func testZeroGradientFractionIsZeroForATrainedMLP() throws {
        let (model, test) = try TrainedFashionMLP.get()
        XCTAssertEqual(GradientMaskingChecks.zeroGradientFraction(model, images: test.images, labels: test.labels), 0)
    }
}
