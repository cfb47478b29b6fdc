// SinkhornReference.swift — the feature-scattering authors' Sinkhorn, rule for rule, and its reverse mode.

import Foundation

/// The potentials of every iteration of the reference Sinkhorn, kept for the unrolled gradient:
/// `u[k*rows ..< (k+1)*rows]` and `v[k*cols ..< (k+1)*cols]` after iteration `k` (`k = 0` is the
/// zero start). Memory: `(K + 1) · (rows + cols)` doubles.
struct ReferenceSinkhornHistory {
    var u: [Double] = []
    var v: [Double] = []
}

/// What a reference Sinkhorn run hands to `transportDistance`.
struct ReferenceSinkhornRun {
    var plan: [Float]
    var u: [Double]
    var v: [Double]
    var iterations: Int
    var stoppedEarly: Bool
    var history: ReferenceSinkhornHistory?
}

/// The Sinkhorn iteration of the feature-scattering paper's reference code, exactly: the row
/// potential first, a log-sum-exp without max shift and with `1e-6` added inside the log, and a
/// stop as soon as the row potential moved less than `0.1` in L1.
///
/// With `u⁰ = v⁰ = 0`, `δ = 1e-6` and the regularisation `ε`, iteration `k` computes
/// ```
/// u_i ← u_i + ε (log a_i − log(Σ_j exp((u_i + v_j − C_ij)/ε) + δ))
/// v_j ← v_j + ε (log b_j − log(Σ_i exp((u_i + v_j − C_ij)/ε) + δ))     (with the new u)
/// ```
/// and stops after it when `Σ_i |u_iᵏ − u_iᵏ⁻¹| < 0.1`, or after `maxIterations`. The plan is
/// `T_ij = exp((u_i + v_j − C_ij)/ε)`. Unlike ``OTSolver/sinkhornLog`` the marginals are far from
/// met when the rule fires early (on batch-60 logits at ε = 0.01 it does after a handful of
/// iterations); the rule, not the marginal violation, decides, so `tolerance` is not used.
///
/// Every value is float64 (the reference runs float32; the two agree to float32 rounding). No
/// exponent overflows: after each update every row (then column) of the plan sums to at most its
/// weight, so every argument is ≤ 0.
///
/// Reference: Zhang & Wang, *Defense Against Adversarial Attacks Using Feature Scattering-based
/// Adversarial Training*, NeurIPS 2019, and the authors' public code (`ot.py`, `sinkhorn`).
enum ReferenceSinkhorn {
    /// The constant the reference adds inside the log-sum-exp.
    static let logOffset = 1e-6
    /// The reference's stop threshold on `Σ_i |Δu_i|`, in cost units.
    static let threshold = 0.1

    static func solve(_ problem: OTProblem, options: OTOptions, recordHistory: Bool) -> ReferenceSinkhornRun {
        let n = problem.rows
        let m = problem.cols
        let epsilon = options.regularization
        let logA = problem.a.map { log($0) }
        let logB = problem.b.map { log($0) }
        var u = [Double](repeating: 0, count: n)
        var v = [Double](repeating: 0, count: m)
        var history = recordHistory ? ReferenceSinkhornHistory(u: u, v: v) : nil
        var iterations = 0
        var stoppedEarly = false
        var rowTotals = [Double](repeating: 0, count: n)
        var colTotals = [Double](repeating: 0, count: m)
        while iterations < options.maxIterations {
            iterations += 1
            let previous = u
            rowSums(problem, u: u, v: v, epsilon: epsilon, into: &rowTotals)
            for i in 0..<n { u[i] += epsilon * (logA[i] - log(rowTotals[i] + logOffset)) }
            columnSums(problem, u: u, v: v, epsilon: epsilon, into: &colTotals)
            for j in 0..<m { v[j] += epsilon * (logB[j] - log(colTotals[j] + logOffset)) }
            history?.u.append(contentsOf: u)
            history?.v.append(contentsOf: v)
            var moved = 0.0
            for i in 0..<n { moved += abs(u[i] - previous[i]) }
            if moved < threshold {
                stoppedEarly = true
                break
            }
        }
        var plan = [Float](repeating: 0, count: n * m)
        problem.cost.withUnsafeBufferPointer { c in
            for i in 0..<n {
                for j in 0..<m { plan[i * m + j] = Float(exp((u[i] + v[j] - Double(c[i * m + j])) / epsilon)) }
            }
        }
        return ReferenceSinkhornRun(plan: plan, u: u, v: v, iterations: iterations, stoppedEarly: stoppedEarly,
                                    history: history)
    }

    /// `Σ_j exp((u_i + v_j − C_ij)/ε)` for every row `i`.
    private static func rowSums(_ problem: OTProblem, u: [Double], v: [Double], epsilon: Double,
                                into totals: inout [Double]) {
        let m = problem.cols
        problem.cost.withUnsafeBufferPointer { c in
            for i in 0..<problem.rows {
                var total = 0.0
                for j in 0..<m { total += exp((u[i] + v[j] - Double(c[i * m + j])) / epsilon) }
                totals[i] = total
            }
        }
    }

    /// `Σ_i exp((u_i + v_j − C_ij)/ε)` for every column `j`.
    private static func columnSums(_ problem: OTProblem, u: [Double], v: [Double], epsilon: Double,
                                   into totals: inout [Double]) {
        let m = problem.cols
        for j in 0..<m { totals[j] = 0 }
        problem.cost.withUnsafeBufferPointer { c in
            for i in 0..<problem.rows {
                for j in 0..<m { totals[j] += exp((u[i] + v[j] - Double(c[i * m + j])) / epsilon) }
            }
        }
    }

    /// `d⟨T_K(C), C⟩/dC` by reverse mode through the `K` iterations the forward pass ran.
    ///
    /// With `r` the sums of an update's kernel and `w` the adjoint of the potential it updates,
    /// an update `p ← p + ε (log w − log(r + δ))` passes `w δ/(r + δ)` back to its own potential,
    /// `−Σ w A/(r + δ)` to the other one and `+w A/(r + δ)` to the cost, `A` its kernel.
    static func costGradient(problem: OTProblem, options: OTOptions, history: ReferenceSinkhornHistory) -> [Double] {
        let n = problem.rows
        let m = problem.cols
        let epsilon = options.regularization
        let delta = logOffset
        let iterations = history.u.count / n - 1
        func u(_ k: Int) -> ArraySlice<Double> { history.u[(k * n)..<((k + 1) * n)] }
        func v(_ k: Int) -> ArraySlice<Double> { history.v[(k * m)..<((k + 1) * m)] }
        let cost = problem.cost.map { Double($0) }
        var gradient = [Double](repeating: 0, count: n * m)
        var uBar = [Double](repeating: 0, count: n)
        var vBar = [Double](repeating: 0, count: m)

        let (uK, vK) = (Array(u(iterations)), Array(v(iterations)))
        for i in 0..<n {
            for j in 0..<m {
                let c = cost[i * m + j]
                let plan = exp((uK[i] + vK[j] - c) / epsilon)
                let weighted = c * plan / epsilon
                gradient[i * m + j] = plan - weighted
                uBar[i] += weighted
                vBar[j] += weighted
            }
        }

        var kernel = [Double](repeating: 0, count: n * m)
        var colTotals = [Double](repeating: 0, count: m)
        var colScale = [Double](repeating: 0, count: m)
        for k in stride(from: iterations, to: 0, by: -1) {
            let (uNew, uOld, vOld) = (Array(u(k)), Array(u(k - 1)), Array(v(k - 1)))

            // v-update of iteration k: kernel at (u^k, v^{k-1}), column sums.
            for j in 0..<m { colTotals[j] = 0 }
            for i in 0..<n {
                for j in 0..<m {
                    let entry = exp((uNew[i] + vOld[j] - cost[i * m + j]) / epsilon)
                    kernel[i * m + j] = entry
                    colTotals[j] += entry
                }
            }
            for j in 0..<m { colScale[j] = vBar[j] / (colTotals[j] + delta) }
            for i in 0..<n {
                var toRow = 0.0
                for j in 0..<m {
                    let flow = colScale[j] * kernel[i * m + j]
                    gradient[i * m + j] += flow
                    toRow += flow
                }
                uBar[i] -= toRow
            }
            for j in 0..<m { vBar[j] *= delta / (colTotals[j] + delta) }

            // u-update of iteration k: kernel at (u^{k-1}, v^{k-1}), row sums.
            for i in 0..<n {
                var rowTotal = 0.0
                for j in 0..<m {
                    let entry = exp((uOld[i] + vOld[j] - cost[i * m + j]) / epsilon)
                    kernel[i * m + j] = entry
                    rowTotal += entry
                }
                let scale = uBar[i] / (rowTotal + delta)
                for j in 0..<m {
                    let flow = scale * kernel[i * m + j]
                    gradient[i * m + j] += flow
                    vBar[j] -= flow
                }
                uBar[i] *= delta / (rowTotal + delta)
            }
        }
        return gradient
    }
}
