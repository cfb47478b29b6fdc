// Assertions.swift — tolerance comparisons and finite-difference gradient checks for tests.

import FeatureScatter
import XCTest

/// Asserts that two tensors have the same shape and `|a − b| ≤ atol + rtol·|b|` elementwise;
/// on failure prints both (first differing elements) and the worst index.
public func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == b.shape else {
        XCTFail("shape \(a.shape) != \(b.shape) \(message)", file: file, line: line)
        return
    }
    var worst = -1
    var worstExcess: Float = 0
    for i in 0..<a.count {
        let excess = abs(a.scalars[i] - b.scalars[i]) - (atol + rtol * abs(b.scalars[i]))
        if excess > worstExcess || excess.isNaN {
            worst = i
            worstExcess = excess.isNaN ? .infinity : excess
        }
    }
    if worst >= 0 {
        XCTFail("""
            tensors differ at \(worst): \(a.scalars[worst]) vs \(b.scalars[worst]) (rtol \(rtol), atol \(atol)) \(message)
              a: \(a.scalars.prefix(12))
              b: \(b.scalars.prefix(12))
            """, file: file, line: line)
    }
}

/// Asserts `|a − b| ≤ atol + rtol·|b|` for numbers.
public func assertClose(_ a: Double, _ b: Double, rtol: Double = 1e-4, atol: Double = 1e-6,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssert(abs(a - b) <= atol + rtol * abs(b), "\(a) vs \(b) (rtol \(rtol), atol \(atol)) \(message)",
              file: file, line: line)
}

/// Central finite differences of a scalar function of a tensor, with the difference taken
/// in double precision: `(f(x + h·e_i) − f(x − h·e_i)) / 2h`, for the listed indices
/// (all when nil).
public func numericalGradient(of f: (Tensor) -> Double, at x: Tensor, step: Float = 1e-2,
                              indices: [Int]? = nil) -> [Int: Double] {
    var result: [Int: Double] = [:]
    for i in indices ?? Array(0..<x.count) {
        var plus = x, minus = x
        plus.scalars[i] += step
        minus.scalars[i] -= step
        let h = Double(plus.scalars[i]) - Double(minus.scalars[i])
        result[i] = (f(plus) - f(minus)) / h
    }
    return result
}

/// A fixed random weighting `R` so that `Σ R ⊙ y` makes every output element matter.
public func probe(_ shape: [Int], seed: UInt64 = 99) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: -1, high: 1, using: &generator)
}

/// Σ R ⊙ y in double precision.
public func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
    zip(y.scalars, r.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// Checks the analytic gradient of `Σ R ⊙ f(x)` with respect to each input against central
/// differences. `f` builds the output from variables on the given tape.
public func checkGradients(inputs: [Tensor], step: Float = 1e-2, rtol: Double = 1e-2, atol: Double = 1e-3,
                           maxChecksPerInput: Int = 40, file: StaticString = #filePath, line: UInt = #line,
                           _ f: ([Variable]) -> Variable) {
    let tape = Tape(mode: .inference, parameterGradients: false)
    let variables = inputs.map { tape.input($0, requiresGradient: true) }
    let output = f(variables)
    let r = probe(output.shape)
    tape.backward(output, seed: r)
    for (k, input) in inputs.enumerated() {
        let analytic = tape.gradient(of: variables[k])
        let stride = max(1, input.count / maxChecksPerInput)
        let indices = Array(Swift.stride(from: 0, to: input.count, by: stride))
        let numeric = numericalGradient(of: { value in
            var values = inputs
            values[k] = value
            return weightedSum(f(values.map { Variable(constant: $0) }).value, r)
        }, at: input, step: step, indices: indices)
        for i in indices {
            let a = Double(analytic.scalars[i]), n = numeric[i]!
            XCTAssert(abs(a - n) <= atol + rtol * abs(n),
                      "input \(k) element \(i): analytic \(a) vs numeric \(n)", file: file, line: line)
        }
    }
}

/// A seeded random tensor in [low, high).
public func randomTensor(_ shape: [Int], seed: UInt64 = 1, low: Float = -1, high: Float = 1) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &generator)
}
