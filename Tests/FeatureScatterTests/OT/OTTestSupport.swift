// OTTestSupport.swift — shared helpers for the optimal-transport tests.

import XCTest
@testable import FeatureScatter

/// A random `[n, m]` cost with values on a 2^-12 grid in [0, 2), so `C ± 2^-10` is exact in float32.
func randomCost(_ n: Int, _ m: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<(n * m)).map { _ in Float(generator.next() % 8192) / 4096 }
}

/// Random standard-normal features, `[count, d]`.
func randomFeatures(_ count: Int, _ d: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<(count * d)).map { _ in generator.nextNormal() }
}

/// Random positive weights summing to 1.
func randomWeights(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let raw = (0..<count).map { _ in Double(generator.nextFloat(in: 0.2, 1)) }
    let total = raw.reduce(0, +)
    return raw.map { Float($0 / total) }
}

func rowSums(_ plan: [Float], rows: Int, cols: Int) -> [Double] {
    (0..<rows).map { i in (0..<cols).reduce(0.0) { $0 + Double(plan[i * cols + $1]) } }
}

func colSums(_ plan: [Float], rows: Int, cols: Int) -> [Double] {
    (0..<cols).map { j in (0..<rows).reduce(0.0) { $0 + Double(plan[$1 * cols + j]) } }
}

/// Checks the counts, then `|a − b| ≤ atol + rtol |b|` elementwise; prints both on failure.
func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [B], rtol: Double, atol: Double,
    _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("count \(actual.count) != \(expected.count) \(message)", file: file, line: line)
        return
    }
    for (index, (a, b)) in zip(actual, expected).enumerated() {
        let x = Double(a)
        let y = Double(b)
        if !(abs(x - y) <= atol + rtol * abs(y)) {
            XCTFail("element \(index): \(x) vs \(y) \(message)\nactual: \(actual)\nexpected: \(expected)", file: file, line: line)
            return
        }
    }
}

/// Central differences of `function` at `point` in float64: `(F(p + h e_k) − F(p − h e_k)) / 2h`.
func centralDifferences(
    at point: [Float], step: Float, _ function: ([Float]) throws -> Double
) rethrows -> [Double] {
    var gradient = [Double](repeating: 0, count: point.count)
    for k in point.indices {
        var plus = point
        var minus = point
        plus[k] += step
        minus[k] -= step
        gradient[k] = (try function(plus) - function(minus)) / (Double(plus[k]) - Double(minus[k]))
    }
    return gradient
}

/// Asserts that `expression` throws an `FSCError` accepted by `matches`.
func assertThrowsFSCError(
    _ expression: @autoclosure () throws -> Any, file: StaticString = #filePath, line: UInt = #line,
    _ matches: (FSCError) -> Bool
) {
    do {
        _ = try expression()
        XCTFail("expected an FSCError, nothing was thrown", file: file, line: line)
    } catch let error as FSCError {
        XCTAssertTrue(matches(error), "unexpected error case: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected an FSCError, got \(error)", file: file, line: line)
    }
}

extension FSCError {
    var isInvalidArgument: Bool { if case .invalidArgument = self { return true } else { return false } }
    var isShapeMismatch: Bool { if case .shapeMismatch = self { return true } else { return false } }
    var isNotFinite: Bool { if case .notFinite = self { return true } else { return false } }
    var isIO: Bool { if case .io = self { return true } else { return false } }
}
