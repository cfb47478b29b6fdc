// ProfilerTests.swift — the per-op profile charges ops, phases and SGEMM time.

import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class ProfilerTests: XCTestCase {
    func testProfileChargesForwardAndBackwardOfEachOpAndCountsGEMMs() {
        var generator = SeededGenerator(seed: 0)
        let model = SmallCNN(using: &generator)
        Profiler.start()
        let tape = Tape(mode: .training)
        tape.backward(crossEntropy(model(tape.input(randomTensor([2, 1, 28, 28], low: 0, high: 1))), labels: [1, 2]))
        let report = Profiler.stop()
        XCTAssertFalse(Profiler.isEnabled)
        let phases = Set(report.entries.filter { $0.op == "conv2d+relu" }.map(\.phase))
        XCTAssertEqual(phases, [.forward, .backward])
        XCTAssertEqual(report.entries.first { $0.op == "maxPool2d" && $0.phase == .forward }?.calls, 2)
        XCTAssertGreaterThan(report.gemmCalls, 0)
        XCTAssertLessThanOrEqual(report.attributedSeconds, report.wallSeconds)
        XCTAssert(report.table(steps: 1).contains("SGEMM"))
    }

    func testNothingIsRecordedWhileStopped() {
        Profiler.start()
        _ = Profiler.stop()
        _ = relu(Variable(constant: randomTensor([4])))
        XCTAssert(Profiler.stop().entries.isEmpty, "an op was recorded after stop()")
    }

    func testOpsAreRecordedWhileStarted() {
        Profiler.start()
        _ = relu(Variable(constant: randomTensor([4])))
        XCTAssertEqual(Profiler.stop().entries.first { $0.op == "relu" }?.calls, 1)
    }
}
