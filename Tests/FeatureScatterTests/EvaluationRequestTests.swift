// EvaluationRequestTests.swift — the one evaluation entry point: attacks by name, worst case, checks.

import FeatureScatter
import XCTest

final class EvaluationRequestTests: XCTestCase {
    private let spec = ModelSpec(architecture: "mlp", inputShape: [1, 28, 28], classes: 10)

    private func request(attacks: [String], worstCase: [String] = [], limit: Int = 60) -> EvaluationRequest {
        var request = EvaluationRequest(threat: .default)
        request.attacks = attacks
        request.worstCase = worstCase
        request.limit = limit
        request.seed = 4
        return request
    }

    func testReportRecordsTheThreatModelAndTheMaskingChecks() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let report = try evaluate(model, spec: spec, on: test, request: request(attacks: ["fgsm", "pgd5"]))
        XCTAssertEqual(report.images, 60)
        XCTAssertEqual(report.epsilon, 0.1)
        XCTAssertEqual(report.norm, "linf")
        XCTAssertEqual(report.model, "mlp")
        XCTAssertEqual(Set(report.accuracy.keys), ["clean", "fgsm", "pgd5", "worst_case"])
        XCTAssertEqual(report.gradientMasking.count, 5)
        XCTAssertNotNil(report.zeroGradientFraction)
    }

    func testWorstCaseAttacksRunOnlyAfterListedOnes() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let alone = try evaluate(model, spec: spec, on: test, request: request(attacks: [], worstCase: ["pgd5"]))
        XCTAssertEqual(Set(alone.accuracy.keys), ["clean"])
        XCTAssert(alone.gradientMasking.isEmpty)
        let after = try evaluate(model, spec: spec, on: test, request: request(attacks: ["fgsm"], worstCase: ["pgd5"]))
        XCTAssertEqual(after.attacks.map(\.mode), ["independent", "worst-case"])
        XCTAssertLessThanOrEqual(after.accuracy["worst_case"]!, after.accuracy["fgsm"]!)
    }

    func testTheSameRequestGivesTheSameReportAsTheRunnerItDrives() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let report = try evaluate(model, spec: spec, on: test, request: request(attacks: ["pgd5"], worstCase: ["apgd-ce"]))
        let direct = try RobustnessEvaluation(threat: .default, attacks: [try AttackSpec(name: "pgd5", threat: .default).make()],
                                              worstCaseAttacks: [try APGD(epsilon: 0.1)], seed: 4)
            .run(model, images: test.images.slice(0..<60), labels: Array(test.labels.prefix(60)))
        XCTAssertEqual(report.accuracy, direct.accuracy)
    }

    func testTransferSourcesAddATransferAttack() throws {
        let (model, test) = try TrainedFashionMLP.get()
        var withTransfer = request(attacks: [])
        withTransfer.transferSources = [TransferSource(model: model, description: "itself")]
        let report = try evaluate(model, spec: spec, on: test, request: withTransfer)
        XCTAssertEqual(report.attacks.map(\.name), ["transfer-pgd20"])
        XCTAssertEqual(report.attacks[0].settings["source"], "itself")
    }

    func testEveryTransferAttackRunsOnEverySource() throws {
        let (model, test) = try TrainedFashionMLP.get()
        var withTransfer = request(attacks: ["pgd5"])
        withTransfer.transferSources = [TransferSource(model: model, description: "itself")]
        withTransfer.transferAttacks = ["pgd5", "cw5"]
        let report = try evaluate(model, spec: spec, on: test, request: withTransfer)
        XCTAssertEqual(report.attacks.map(\.name), ["pgd5", "transfer-pgd5", "transfer-cw5"])
        XCTAssertEqual(report.attacks[2].settings["loss"], "cw-margin")
        let whiteBox = report.accuracy["pgd5"]!
        XCTAssertEqual(report.accuracy["transfer-pgd5"]!, whiteBox, accuracy: 5, "a model is its own best surrogate")
        XCTAssertLessThan(report.accuracy["transfer-cw5"]!, report.accuracy["clean"]!)
        withTransfer.transferAttacks = ["pgd-oops"]
        XCTAssertThrowsError(try evaluate(model, spec: spec, on: test, request: withTransfer))
    }

    func testDataThatDoesNotFitTheModelIsAShapeError() throws {
        let (model, test) = try TrainedFashionMLP.get()
        let other = ModelSpec(architecture: "mlp", inputShape: [3, 32, 32], classes: 10)
        XCTAssertThrowsError(try evaluate(model, spec: other, on: test, request: request(attacks: ["fgsm"]))) { error in
            guard case FSCError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try evaluate(model, spec: spec, on: test, request: request(attacks: ["fgsm"], limit: 0)))
    }
}
