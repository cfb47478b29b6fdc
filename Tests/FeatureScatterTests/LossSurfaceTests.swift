// LossSurfaceTests.swift — the loss surface equals direct passes, and its two directions are what they claim.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class LossSurfaceTests: XCTestCase {
    /// A WideResNet with batch norm whose running statistics are not the identity, so that a
    /// training-mode pass would give other numbers than the inference passes the surface must use.
    private func model(classes: Int = 5) -> any Module {
        var g = SeededGenerator(seed: 1)
        let model = WideResNet(depth: 10, width: 1, inputChannels: 1, classes: classes, using: &g)
        for (name, buffer) in model.namedBuffers() {
            buffer.value = buffer.value.mapped { name.hasSuffix("var") ? $0 * 0.5 : $0 - 0.1 }
        }
        return model
    }

    private let image = randomTensor([1, 1, 8, 8], seed: 3, low: 0, high: 1)

    /// CE of the true label at one image `[1, C, H, W]`, from a fresh inference pass.
    private func directLoss(_ model: any Module, _ x: Tensor, label: Int) -> Float {
        -model.predict(x).logSoftmaxRows().scalars[label]
    }

    /// The image at grid point (a, b) built from the surface's own directions.
    private func point(_ surface: LossSurface, a: Float, b: Float, clip: Bool) -> Tensor {
        let da = Tensor(shape: image.shape, scalars: surface.adversarialDirection)
        let dr = Tensor(shape: image.shape, scalars: surface.rademacherDirection)
        let x = image + da * a + dr * b
        return clip ? x.clamped(to: 0...1) : x
    }

    func testGridValuesEqualDirectForwardPasses() throws {
        let model = model()
        for clip in [true, false] {
            let request = LossSurfaceRequest(epsilon: 0.1, points: 7, extent: 2, seed: 4, clip: clip, batchSize: 5)
            let surface = try lossSurface(model, image: image, label: 2, request: request)
            let values = surface.losses.joined()
            XCTAssertGreaterThan(values.max()! - values.min()!, 0.1, "a flat surface would test nothing")
            for (i, j) in [(3, 3), (0, 0), (6, 6), (0, 6), (6, 0), (1, 4), (5, 2)] {
                let a = surface.axis[i], b = surface.axis[j]
                let expected = directLoss(model, point(surface, a: a, b: b, clip: clip), label: 2)
                assertClose(Double(surface.losses[i][j]), Double(expected), rtol: 1e-4, atol: 1e-5, "at (\(i), \(j)), clip \(clip)")
            }
        }
    }

    func testCentreIsTheCleanLossAndTheAxisSpansExtentTimesEpsilon() throws {
        let surface = try lossSurface(model(), image: image, label: 1, request: LossSurfaceRequest(points: 5, extent: 3))
        XCTAssertEqual(surface.centre, 2)
        XCTAssertEqual(surface.axis[2], 0)
        assertClose(Double(surface.axis.first!), -0.3, rtol: 0, atol: 1e-6)
        assertClose(Double(surface.axis.last!), 0.3, rtol: 0, atol: 1e-6)
        assertClose(Double(surface.losses[2][2]), Double(surface.cleanLoss), rtol: 1e-5, atol: 1e-6)
        assertClose(Double(surface.cleanLoss), Double(directLoss(model(), image, label: 1)), rtol: 1e-5, atol: 1e-6)
    }

    func testSlicesAreTheMiddleColumnAndRow() throws {
        let surface = try lossSurface(model(), image: image, label: 0, request: LossSurfaceRequest(points: 9))
        XCTAssertEqual(surface.adversarialSlice, surface.losses.map { $0[4] })
        XCTAssertEqual(surface.rademacherSlice, surface.losses[4])
        XCTAssertEqual(surface.losses.count, 9)
        XCTAssert(surface.losses.allSatisfy { $0.count == 9 })
    }

    func testAdversarialDirectionIsTheSignOfTheInputGradient() throws {
        let model = model()
        let surface = try lossSurface(model, image: image, label: 3, request: LossSurfaceRequest(points: 3))
        let (gradient, _, _) = inputGradient(of: model, at: image) { crossEntropyPerExample($0, labels: [3]) }
        XCTAssertEqual(surface.adversarialDirection, gradient.sign().scalars)
        let largest = gradient.scalars.indices.sorted { abs(gradient.scalars[$0]) > abs(gradient.scalars[$1]) }.prefix(8)
        let numerical = numericalGradient(of: { Double(self.directLoss(model, $0, label: 3)) }, at: image, step: 1e-3,
                                          indices: Array(largest))
        for i in largest {
            XCTAssertEqual(surface.adversarialDirection[i], numerical[i]! > 0 ? 1 : -1, "pixel \(i): ∂L/∂x ≈ \(numerical[i]!)")
        }
    }

    func testRademacherDirectionIsPlusOrMinusOneAndSeeded() throws {
        let model = model()
        let first = try lossSurface(model, image: image, label: 0, request: LossSurfaceRequest(points: 3, seed: 9))
        let again = try lossSurface(model, image: image, label: 0, request: LossSurfaceRequest(points: 3, seed: 9))
        let other = try lossSurface(model, image: image, label: 0, request: LossSurfaceRequest(points: 3, seed: 10))
        XCTAssert(first.rademacherDirection.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertEqual(first.rademacherDirection, again.rademacherDirection)
        XCTAssertEqual(first.losses, again.losses)
        XCTAssertNotEqual(first.rademacherDirection, other.rademacherDirection)
        var g = SeededGenerator(seed: 5)
        let large = Tensor.rademacher([10_000], using: &g)
        let positive = large.scalars.filter { $0 == 1 }.count
        XCTAssert((4_800...5_200).contains(positive), "\(positive) of 10000 entries are +1")
    }

    func testClippedPointsStayInTheUnitBox() throws {
        let surface = try lossSurface(model(), image: image, label: 0, request: LossSurfaceRequest(epsilon: 0.5, points: 3))
        let corner = point(surface, a: surface.axis[0], b: surface.axis[2], clip: true)
        XCTAssert(corner.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssert(point(surface, a: surface.axis[0], b: surface.axis[2], clip: false).scalars.contains { $0 < 0 || $0 > 1 })
    }

    func testJSONRoundTripsWithSnakeCaseKeys() throws {
        let surface = try lossSurface(model(), image: image, label: 0, request: LossSurfaceRequest(points: 3))
        let data = try surface.json()
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"clean_loss\"", "\"adversarial_slice\"", "\"rademacher_slice\"", "\"losses\"", "\"axis\""] {
            XCTAssert(text.contains(key), "missing \(key)")
        }
        XCTAssertEqual(try JSONDecoder().decode(LossSurface.self, from: data), surface)
    }

    func testRejectsBadRequestsAndInputsWithErrors() throws {
        let model = model()
        let bad: [LossSurfaceRequest] = [
            LossSurfaceRequest(points: 4), LossSurfaceRequest(points: 1), LossSurfaceRequest(epsilon: 0),
            LossSurfaceRequest(epsilon: .nan), LossSurfaceRequest(extent: -1), LossSurfaceRequest(extent: .infinity),
            LossSurfaceRequest(batchSize: 0),
        ]
        for request in bad {
            XCTAssertThrowsError(try lossSurface(model, image: image, label: 0, request: request)) { error in
                guard case FSCError.invalidArgument = error else { return XCTFail("\(request): \(error)") }
            }
        }
        let two = randomTensor([2, 1, 8, 8], seed: 1, low: 0, high: 1)
        XCTAssertThrowsError(try lossSurface(model, image: two, label: 0, request: LossSurfaceRequest())) { error in
            guard case FSCError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try lossSurface(model, image: image, label: 5, request: LossSurfaceRequest())) { error in
            guard case FSCError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        var nan = image
        nan.scalars[3] = .nan
        XCTAssertThrowsError(try lossSurface(model, image: nan, label: 0, request: LossSurfaceRequest())) { error in
            guard case FSCError.notFinite = error else { return XCTFail("\(error)") }
        }
    }
}
