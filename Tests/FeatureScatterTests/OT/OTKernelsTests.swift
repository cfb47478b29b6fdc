// OTKernelsTests.swift — the vectorised exponentials of the OT solvers against the C library's exp.

import Foundation
import XCTest
@testable import FeatureScatter

final class OTKernelsTests: XCTestCase {
    /// Arguments from deep underflow to near overflow, dense where the solvers live (≤ 0).
    private var arguments: [Double] {
        stride(from: -750.0, through: 5, by: 0.37).map { $0 } + stride(from: -2.0, through: 2, by: 1.0 / 64).map { $0 }
            + [0, -0.0, 1e-12, -1e-12, 700, 709, -707.9]
    }

    func testDoubleExpIsWithinTwoUnitsInTheLastPlaceOfLibm() {
        for chunk in stride(from: 0, to: arguments.count - 3, by: 4) {
            let x = SIMD4<Double>(arguments[chunk], arguments[chunk + 1], arguments[chunk + 2], arguments[chunk + 3])
            let y = OTKernels.exp(x)
            for lane in 0..<4 {
                let expected = Foundation.exp(x[lane])
                if x[lane] < -708 {
                    XCTAssertEqual(y[lane], 0, "exp(\(x[lane]))")
                } else {
                    XCTAssertLessThanOrEqual(abs(y[lane] - expected), 2 * expected.ulp, "exp(\(x[lane]))")
                }
            }
        }
    }

    func testDoubleExpLimits() {
        let y = OTKernels.exp(SIMD4<Double>(-.infinity, 710, .nan, -708))
        XCTAssertEqual(y[0], 0)
        XCTAssertEqual(y[1], .infinity)
        XCTAssertTrue(y[2].isNaN)
        XCTAssertEqual(y[3], Foundation.exp(-708), accuracy: 2 * Foundation.exp(-708).ulp)
    }

    func testFloatExpIsWithinItsStatedRelativeError() {
        let values = arguments.filter { $0 <= 88 }.map(Float.init)
        for chunk in stride(from: 0, to: values.count - 7, by: 8) {
            let x = SIMD8<Float>(values[chunk..<chunk + 8])
            let y = OTKernels.exp(x)
            for lane in 0..<8 {
                let expected = Foundation.exp(Double(x[lane]))
                if x[lane] < OTKernels.expFloor {
                    XCTAssertEqual(y[lane], 0, "exp(\(x[lane]))")
                } else {
                    XCTAssertEqual(Double(y[lane]), expected, accuracy: 3e-7 * expected, "exp(\(x[lane]))")
                }
            }
        }
    }
}
