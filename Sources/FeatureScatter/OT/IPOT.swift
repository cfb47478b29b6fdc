// IPOT.swift — the inexact proximal point method for optimal transport (Xie et al. 2018).

import Foundation

/// The scalings of every IPOT step, kept for the unrolled gradient.
///
/// `delta[((t-1)*L + (l-1))*rows ..< …+rows]` and `sigma[…*cols …]` hold `δ` and `σ` after inner
/// iteration `l` of outer iteration `t`. Memory: `N · L · (rows + cols)` doubles.
struct IPOTHistory {
    var delta: [Double] = []
    var sigma: [Double] = []
    /// `min_j C_ij`, the row shift applied to the proximal kernel.
    var rowShift: [Double] = []
}

/// What an IPOT run hands to `transportDistance`.
struct IPOTRun {
    var plan: [Float]
    var iterations: Int
    var converged: Bool
    var history: IPOTHistory?
}

/// Exact OT approximated by proximal point iterations with a KL proximity term (IPOT).
///
/// Each outer iteration `t = 1 … N` solves, inexactly, the proximal problem
/// ```
/// T⁽ᵗ⁾ = argmin_{T ≥ 0, T 1 = a, Tᵀ 1 = b}  ⟨T, C⟩ + β KL(T ‖ T⁽ᵗ⁻¹⁾)
/// ```
/// with `L` Sinkhorn-like scaling steps on the kernel `Q = G ⊙ T⁽ᵗ⁻¹⁾`, `G_ij = exp(−C_ij/β)`:
/// ```
/// repeat L times:  δ = a / (Q σ),  σ = b / (Qᵀ δ);     then  T⁽ᵗ⁾ = diag(δ) Q diag(σ)
/// ```
/// where `C` is the `[n, m]` cost, `a`, `b` the marginals, `β > 0` the proximal parameter,
/// `T⁽⁰⁾ = 1 1ᵀ` and `σ` starts at `1/m` and is carried across outer iterations (as in the
/// reference code). Unlike Sinkhorn, `T⁽ᵗ⁾` tends to the *exact* (unregularised) optimal plan
/// as `t` grows, for any β. The returned plan has exact column sums `b`.
///
/// `G` is shifted by each row's minimum cost (an exact reparametrisation that `δ` absorbs)
/// and entries below `1e-30` are flushed to 0, so no subnormal slows the loop. Kernel and
/// scalings are float32; dot products are reduced in float64, column sums
/// accumulated in float32.
///
/// Stopping: always `N = maxIterations` outer iterations (the reference uses 50 × 1);
/// `converged` reports whether the final marginal violation is below `tolerance`.
/// Throws `FSCError.notFinite` if a whole row or column of `Q` underflows (β far below the
/// cost range / 80); raise `proximalBeta`.
///
/// Reference: Xie, Wang, Wang, Zha, *A Fast Proximal Point Method for Computing Exact
/// Wasserstein Distance*, UAI 2019 (arXiv 1802.04307, 2018).
func solveIPOT(_ problem: OTProblem, options: OTOptions, recordHistory: Bool) throws -> IPOTRun {
    let n = problem.rows
    let m = problem.cols
    let beta = options.proximalBeta
    let outer = options.maxIterations
    let inner = options.innerIterations
    var history = recordHistory ? IPOTHistory() : nil
    var rowShift = [Float](repeating: 0, count: n)
    var kernel = [Float](repeating: 0, count: n * m)
    let inverseBeta = Float(1 / beta)
    problem.cost.withUnsafeBufferPointer { c in
        kernel.withUnsafeMutableBufferPointer { k in
            for i in 0..<n {
                var low = Float.infinity
                for j in 0..<m { low = min(low, c[i * m + j]) }
                rowShift[i] = low
                for j in 0..<m {
                    let argument = (low - c[i * m + j]) * inverseBeta
                    k[i * m + j] = argument < OTKernels.expFloor ? 0 : exp(argument)
                }
            }
        }
    }
    history?.rowShift = rowShift.map { Double($0) }
    let a = problem.a.map { Float($0) }
    let b = problem.b
    var plan = [Float]()
    var delta = [Float](repeating: 1, count: n)
    var sigma = [Float](repeating: 1 / Float(m), count: m)
    var columnSums = [Float](repeating: 0, count: m)
    let flushBelow: Float = 1e-30

    for t in 1...outer {
        // Q = G ⊙ T⁽ᵗ⁻¹⁾ with T⁽ᵗ⁻¹⁾ = diag(δ) Q diag(σ) (T⁽⁰⁾ = 1), fused in one pass.
        if t == 1 {
            plan = kernel
        } else {
            plan.withUnsafeMutableBufferPointer { q in
                kernel.withUnsafeBufferPointer { k in
                    sigma.withUnsafeBufferPointer { s in
                        for i in 0..<n {
                            OTKernels.scaleRow(
                                q.baseAddress! + i * m, rowScale: delta[i], scales: s.baseAddress!,
                                factor: k.baseAddress! + i * m, flush: flushBelow, count: m)
                        }
                    }
                }
            }
        }
        for _ in 1...inner {
            for j in 0..<m { columnSums[j] = 0 }
            OTKernels.scaleRowsToMarginal(plan, v: sigma, a: a, rows: n, cols: m, u: &delta, columnSums: &columnSums)
            for j in 0..<m { sigma[j] = Float(b[j] / Double(columnSums[j])) }
            guard delta.allSatisfy({ $0.isFinite && $0 > 0 }), sigma.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw FSCError.notFinite(
                    "IPOT kernel underflowed at outer iteration \(t) (β = \(beta), cost range "
                        + "\(problem.maxCost - problem.minCost)); increase proximalBeta")
            }
            if history != nil {
                history!.delta.append(contentsOf: delta.map { Double($0) })
                history!.sigma.append(contentsOf: sigma.map { Double($0) })
            }
        }
    }
    plan.withUnsafeMutableBufferPointer { q in
        sigma.withUnsafeBufferPointer { s in
            for i in 0..<n {
                OTKernels.scaleRow(
                    q.baseAddress! + i * m, rowScale: delta[i], scales: s.baseAddress!, factor: nil, flush: 0, count: m)
            }
        }
    }
    let summary = PlanSummary(plan: plan, cost: problem.cost, rows: n, cols: m)
    let converged = summary.marginalError(a: problem.a, b: problem.b) < options.tolerance
    return IPOTRun(plan: plan, iterations: outer, converged: converged, history: history)
}
