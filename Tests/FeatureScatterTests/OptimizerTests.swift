// OptimizerTests.swift — SGD and learning-rate schedules against hand-computed values.

import FeatureScatter
import XCTest

final class OptimizerTests: XCTestCase {
    /// Two steps of PyTorch's SGD(lr=0.1, momentum=0.9, weight_decay=0.01), computed by hand.
    func testSGDMatchesPyTorchSemanticsOverTwoSteps() {
        let p = Parameter(Tensor(shape: [1], scalars: [1.0]))
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        p.gradient = Tensor(shape: [1], scalars: [0.5])
        sgd.step()
        // d = 0.5 + 0.01·1 = 0.51; b = 0.51; p = 1 − 0.051 = 0.949
        XCTAssertEqual(p.value.scalars[0], 0.949, accuracy: 1e-6)
        XCTAssertNil(p.gradient)
        p.gradient = Tensor(shape: [1], scalars: [0.5])
        sgd.step()
        // d = 0.5 + 0.00949 = 0.50949; b = 0.9·0.51 + 0.50949 = 0.96849; p = 0.949 − 0.096849
        XCTAssertEqual(p.value.scalars[0], 0.852151, accuracy: 1e-6)
    }

    func testNesterovStepUsesLookAhead() {
        let p = Parameter(Tensor(shape: [1], scalars: [0]))
        let sgd = SGD(parameters: [p], learningRate: 1, momentum: 0.5, nesterov: true)
        p.gradient = Tensor(shape: [1], scalars: [1])
        sgd.step()
        XCTAssertEqual(p.value.scalars[0], -1.5, accuracy: 1e-6)
    }

    func testPiecewiseScheduleDecaysAtMilestones() {
        let schedule = LearningRateSchedule.piecewise(milestones: [60, 90], factor: 0.1)
        XCTAssertEqual(schedule.rate(base: 0.1, epoch: 59), 0.1, accuracy: 1e-9)
        XCTAssertEqual(schedule.rate(base: 0.1, epoch: 60), 0.01, accuracy: 1e-9)
        XCTAssertEqual(schedule.rate(base: 0.1, epoch: 95), 0.001, accuracy: 1e-9)
    }

    func testCosineScheduleGoesFromBaseToZero() {
        let schedule = LearningRateSchedule.cosine(totalEpochs: 10)
        XCTAssertEqual(schedule.rate(base: 0.2, epoch: 0), 0.2, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(base: 0.2, epoch: 5), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.rate(base: 0.2, epoch: 10), 0, accuracy: 1e-7)
    }
}
