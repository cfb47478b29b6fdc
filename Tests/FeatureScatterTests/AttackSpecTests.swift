// AttackSpecTests.swift — attack names, suites and the defaults behind them.

import FeatureScatter
import XCTest

final class AttackSpecTests: XCTestCase {
    private func made(_ name: String, _ threat: ThreatModel = .default) throws -> any Attack {
        try AttackSpec(name: name, threat: threat).make()
    }

    func testNamesBuildTheAttacksTheyStandFor() throws {
        let pgd = try XCTUnwrap(try made("pgd40") as? PGD)
        XCTAssertEqual([pgd.steps, pgd.restarts], [40, 1])
        XCTAssertEqual(pgd.stepSize, 0.025, accuracy: 1e-9)
        XCTAssertTrue(pgd.randomStart)
        let cw = try XCTUnwrap(try made("cw10") as? PGD)
        XCTAssertEqual(cw.loss, .margin(kappa: 50))
        XCTAssertEqual(cw.name, "cw10")
        XCTAssertEqual(try XCTUnwrap(try made("apgd-t") as? APGD).steps, 100)
        XCTAssertEqual(try XCTUnwrap(try made("square300") as? Square).queries, 300)
        XCTAssertTrue(try XCTUnwrap(try made("fgsm-rs") as? FGSM).randomStart)
    }

    func testNamesRoundTripThroughTheSpec() throws {
        for name in ["fgsm", "fgsm-rs", "pgd7", "cw100", "apgd-ce", "apgd-dlr", "apgd-t", "square", "square100", "noise"] {
            XCTAssertEqual(try AttackSpec(name: name, threat: .default).name, name)
            XCTAssertEqual(try made(name).name, name)
        }
    }

    func testUnknownNamesAndL2SquareAreRejected() throws {
        XCTAssertThrowsError(try made("pgd"))
        XCTAssertThrowsError(try made("pgd0"))
        XCTAssertThrowsError(try made("deepfool")) { error in
            XCTAssert("\(error)".contains("unknown attack 'deepfool'"), "\(error)")
        }
        XCTAssertThrowsError(try made("square", ThreatModel(norm: .l2, epsilon: 0.5)))
    }

    func testSuitesExpandByNormAndListsDropRepeats() throws {
        let l2 = try ThreatModel(norm: .l2, epsilon: 0.5)
        XCTAssertEqual(try AttackSpec.list(["autoattack"], threat: .default).map(\.name), ["apgd-ce", "apgd-t", "square"])
        XCTAssertEqual(try AttackSpec.list(["autoattack"], threat: l2).map(\.name), ["apgd-ce", "apgd-t"])
        XCTAssertEqual(try AttackSpec.list(["paper"], threat: .default).count, 9)
        XCTAssertEqual(try AttackSpec.list(["pgd20", "paper"], threat: .default).filter { $0.name == "pgd20" }.count, 1)
    }

    func testSettingsOutOfRangeAndMisplacedTargetsAreRejected() {
        var spec = AttackSpec(kind: .apgdCE, threat: .default)
        spec.target = .leastLikely
        XCTAssertThrowsError(try spec.make())
        spec = AttackSpec(kind: .pgd, threat: .default)
        spec.restarts = 0
        XCTAssertThrowsError(try spec.make())
        var cw = AttackSpec(kind: .cw, threat: .default)
        cw.kappa = -1
        XCTAssertThrowsError(try cw.make())
        XCTAssertThrowsError(try ThreatModel(norm: .linf, epsilon: 1.5))
        XCTAssertThrowsError(try ThreatModel(norm: .l2, epsilon: .nan))
    }
}
