// CostMatrix.swift — ground costs between two feature sets and their vector–Jacobian products.

import Foundation

/// The ground cost `c(x, y)` between a source feature `x` and a target feature `y` (both `[d]`).
public enum CostFunction: String, CaseIterable, Sendable, Codable {
    /// The paper's clamped cosine distance `max(0, 1 − cos(x, y))`, in [0, 2], with
    /// `cos(x, y) = ⟨x, y⟩ / (‖x‖ ‖y‖)`. A vector with `‖·‖ ≤ 1e-12` counts as zero: its cosine
    /// with anything is defined as 0 (cost 1) and it receives no gradient.
    case cosine
    /// `‖x − y‖²`.
    case squaredEuclidean = "sqeuclidean"
    /// `‖x − y‖`; its gradient at `x = y` is defined as 0.
    case euclidean
}

/// Norms at or below this are treated as zero by the cosine cost.
let zeroNormThreshold = 1e-12

/// The cost matrix `C_ij = c(x_i, y_j)` between the rows of `X` (`[n, d]`) and `Y` (`[m, d]`).
///
/// Precision: squared norms and differences are summed in float32 lanes and reduced in
/// float64; the cosine ratio and the square root are evaluated in float64.
///
/// - Parameters:
///   - x: `X`, `[n, d]` row-major, finite.
///   - y: `Y`, `[m, d]` row-major, finite.
///   - n, m, d: sizes, all ≥ 1.
///   - kind: the ground cost.
/// - Returns: `C`, `[n, m]` row-major.
/// - Throws: `FSCError.invalidArgument` for empty sets, `.shapeMismatch` for buffer sizes,
///   `.notFinite` for NaN/±∞ features.
public func costMatrix(_ x: [Float], _ y: [Float], n: Int, m: Int, d: Int, kind: CostFunction) throws -> [Float] {
    try validateFeatures(x, y, n: n, m: m, d: d)
    var cost = [Float](repeating: 0, count: n * m)
    let xNorms = rowNorms(x, count: n, d: d)
    let yNorms = rowNorms(y, count: m, d: d)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
            for i in 0..<n {
                let xi = xp.baseAddress! + i * d
                for j in 0..<m {
                    let yj = yp.baseAddress! + j * d
                    switch kind {
                    case .cosine:
                        let cosine = cosineSimilarity(xi, yj, d: d, xNorm: xNorms[i], yNorm: yNorms[j])
                        cost[i * m + j] = Float(max(0, 1 - cosine))
                    case .squaredEuclidean:
                        cost[i * m + j] = Float(squaredDistance(xi, yj, d: d))
                    case .euclidean:
                        cost[i * m + j] = Float(squaredDistance(xi, yj, d: d).squareRoot())
                    }
                }
            }
        }
    }
    return cost
}

/// The vector–Jacobian product of ``costMatrix(_:_:n:m:d:kind:)``: given `Ḡ = ∂L/∂C` (`[n, m]`),
/// returns `∂L/∂X = Σ_j Ḡ_ij ∂C_ij/∂x_i` (`[n, d]`) and `∂L/∂Y` (`[m, d]`), accumulated in float64.
///
/// ```
/// cosine:      ∂C_ij/∂x_i = −(ŷ_j − cos_ij x̂_i) / ‖x_i‖   where 1 − cos_ij ≥ 0, else 0
/// sqeuclidean: ∂C_ij/∂x_i = 2 (x_i − y_j)
/// euclidean:   ∂C_ij/∂x_i = (x_i − y_j) / ‖x_i − y_j‖      (0 where x_i = y_j)
/// ```
/// and symmetrically for `y_j`; `x̂ = x/‖x‖`. Zero vectors (cosine) get zero gradient.
///
/// - Throws: as ``costMatrix(_:_:n:m:d:kind:)``, plus `.shapeMismatch` when `upstream` is not
///   `[n, m]` and `.notFinite` when it holds NaN/±∞.
public func costMatrixPullback(
    _ x: [Float], _ y: [Float], n: Int, m: Int, d: Int, kind: CostFunction, upstream: [Float]
) throws -> (dX: [Float], dY: [Float]) {
    try validateFeatures(x, y, n: n, m: m, d: d)
    guard upstream.count == n * m else {
        throw FSCError.shapeMismatch("upstream gradient has \(upstream.count) values, expected [\(n), \(m)]")
    }
    guard upstream.allSatisfy({ $0.isFinite }) else {
        throw FSCError.notFinite("upstream gradient of the cost matrix holds NaN or infinity")
    }
    let xNorms = rowNorms(x, count: n, d: d)
    let yNorms = rowNorms(y, count: m, d: d)
    var dX = [Double](repeating: 0, count: n * d)
    var dY = [Double](repeating: 0, count: m * d)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
            for i in 0..<n {
                let xi = xp.baseAddress! + i * d
                for j in 0..<m {
                    let weight = Double(upstream[i * m + j])
                    if weight == 0 { continue }
                    let yj = yp.baseAddress! + j * d
                    switch kind {
                    case .cosine:
                        let xNorm = xNorms[i]
                        let yNorm = yNorms[j]
                        guard xNorm > zeroNormThreshold, yNorm > zeroNormThreshold else { continue }
                        let cosine = cosineSimilarity(xi, yj, d: d, xNorm: xNorm, yNorm: yNorm)
                        guard 1 - cosine >= 0 else { continue }
                        for k in 0..<d {
                            let xk = Double(xi[k])
                            let yk = Double(yj[k])
                            dX[i * d + k] -= weight * (yk / yNorm - cosine * xk / xNorm) / xNorm
                            dY[j * d + k] -= weight * (xk / xNorm - cosine * yk / yNorm) / yNorm
                        }
                    case .squaredEuclidean:
                        for k in 0..<d {
                            let difference = Double(xi[k]) - Double(yj[k])
                            dX[i * d + k] += 2 * weight * difference
                            dY[j * d + k] -= 2 * weight * difference
                        }
                    case .euclidean:
                        let distance = squaredDistance(xi, yj, d: d).squareRoot()
                        guard distance > 0 else { continue }
                        for k in 0..<d {
                            let difference = Double(xi[k]) - Double(yj[k])
                            dX[i * d + k] += weight * difference / distance
                            dY[j * d + k] -= weight * difference / distance
                        }
                    }
                }
            }
        }
    }
    return (dX.map { Float($0) }, dY.map { Float($0) })
}

private func validateFeatures(_ x: [Float], _ y: [Float], n: Int, m: Int, d: Int) throws {
    guard n > 0, m > 0, d > 0 else {
        throw FSCError.invalidArgument("empty feature set: n = \(n), m = \(m), d = \(d)")
    }
    guard x.count == n * d else {
        throw FSCError.shapeMismatch("x has \(x.count) values, expected [\(n), \(d)]")
    }
    guard y.count == m * d else {
        throw FSCError.shapeMismatch("y has \(y.count) values, expected [\(m), \(d)]")
    }
    if let index = x.firstIndex(where: { !$0.isFinite }) {
        throw FSCError.notFinite("x[\(index / d), \(index % d)] = \(x[index])")
    }
    if let index = y.firstIndex(where: { !$0.isFinite }) {
        throw FSCError.notFinite("y[\(index / d), \(index % d)] = \(y[index])")
    }
}

private func rowNorms(_ values: [Float], count: Int, d: Int) -> [Double] {
    values.withUnsafeBufferPointer { p in
        (0..<count).map { row in
            let start = p.baseAddress! + row * d
            return OTKernels.dot(start, start, count: d).squareRoot()
        }
    }
}

@inline(__always)
private func cosineSimilarity(
    _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, d: Int, xNorm: Double, yNorm: Double
) -> Double {
    guard xNorm > zeroNormThreshold, yNorm > zeroNormThreshold else { return 0 }
    return OTKernels.dot(x, y, count: d) / (xNorm * yNorm)
}

@inline(__always)
private func squaredDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, d: Int) -> Double {
    let vectorEnd = d & ~7
    var lanes = SIMD8<Float>()
    var k = 0
    while k < vectorEnd {
        let difference = OTKernels.load(x + k) - OTKernels.load(y + k)
        lanes += difference * difference
        k += 8
    }
    var total = 0.0
    for lane in 0..<8 { total += Double(lanes[lane]) }
    while k < d {
        let difference = Double(x[k]) - Double(y[k])
        total += difference * difference
        k += 1
    }
    return total
}
