// Sinkhorn.swift — entropic optimal transport in the log domain (max-stabilised log-sum-exp).

import Foundation

/// The potentials of every Sinkhorn iteration, kept for the unrolled gradient.
///
/// Iteration `k` (1-based) stored `f[(k-1)*rows ..< k*rows]`, `g[(k-1)*cols ..< k*cols]` (in cost
/// units, float64) and its `epsilons[k-1]`. Memory: `K · (rows + cols)` doubles.
struct SinkhornHistory {
    var f: [Double] = []
    var g: [Double] = []
    var epsilons: [Double] = []
}

/// What a Sinkhorn run hands to `transportDistance`.
struct SinkhornRun {
    var plan: [Float]
    var f: [Double]
    var g: [Double]
    var epsilon: Double
    var iterations: Int
    var converged: Bool
    var solver: OTSolver
    var history: SinkhornHistory?
}

/// Entropic OT solved by Sinkhorn iterations on the dual potentials, in the log domain.
///
/// Solves
/// ```
/// min_{T ≥ 0, T 1 = a, Tᵀ 1 = b}  ⟨T, C⟩ − ε H(T),   H(T) = −Σ_ij T_ij (log T_ij − 1)
/// ```
/// where `C` is the `[n, m]` cost, `a` (`[n]`) and `b` (`[m]`) are positive weights summing to 1
/// and `ε > 0` is the regularisation. The optimal plan is `T_ij = exp((f_i + g_j − C_ij)/ε)`;
/// iteration `k` updates the potentials (columns first, as POT does, so the returned plan
/// has exact row sums)
/// ```
/// g_j ← ε log b_j − ε LSE_i((f_i − C_ij)/ε),   f_i ← ε log a_i − ε LSE_j((g_j − C_ij)/ε)
/// ```
/// with `f⁰ = 0` and `LSE` the max-stabilised log-sum-exp, so no value overflows or underflows
/// for any ε (tested for ε in [1e-3, 10] with costs in [0, 2]).
///
/// Precision: potentials, log-sum-exp results and all summaries are float64; the `n m`
/// exponentials of a sweep are evaluated in float32 on the max-shifted argument (≤ 0); row sums
/// run in eight float32 lanes and column sums in float32 over blocks of 64 rows, both reduced
/// in float64.
///
/// ε-scaling (`OTOptions.epsilonScaling`): iteration `k` uses `ε_k = max(ε, range · 2^(1−k))`,
/// `range = max C − min C`, and `ε` from iteration `maxIterations / 2` on.
///
/// Stopping: the column violation `‖Tᵀ 1 − b‖₂` is measured every 10 iterations (for free: it
/// is the next sweep's log-sum-exp) and the run stops below `tolerance`; otherwise it stops after
/// `maxIterations` with `converged == false` — raise `maxIterations` or `regularization`.
///
/// Reference: Cuturi, *Sinkhorn Distances: Lightspeed Computation of Optimal Transport*,
/// NeurIPS 2013; Peyré & Cuturi, *Computational Optimal Transport*, §4.4 (log domain).
final class SinkhornWorkspace {
    let problem: OTProblem
    let options: OTOptions
    var f: [Double]
    var g: [Double]
    /// `LSE_i((f_i − C_ij)/ε)` for the ε in `columnLSEEpsilon`.
    var columnLSE: [Double]
    var columnLSEEpsilon = 0.0
    var scaledRow: [Float]
    var scaledCol: [Float]
    var columnMaxima: [Float]
    var blockSums: [Float]
    var history: SinkhornHistory?

    init(problem: OTProblem, options: OTOptions, recordHistory: Bool) {
        self.problem = problem
        self.options = options
        let n = problem.rows
        let m = problem.cols
        f = [Double](repeating: 0, count: n)
        g = [Double](repeating: 0, count: m)
        columnLSE = [Double](repeating: 0, count: m)
        scaledRow = [Float](repeating: 0, count: n)
        scaledCol = [Float](repeating: 0, count: m)
        columnMaxima = [Float](repeating: 0, count: m)
        blockSums = [Float](repeating: 0, count: m)
        history = recordHistory ? SinkhornHistory() : nil
    }

    /// ε at iteration `k` (1-based). With ε-scaling it halves from the cost range down to the
    /// target and is the target from iteration `maxIterations / 2` on.
    func epsilon(at k: Int) -> Double {
        let target = options.regularization
        guard options.epsilonScaling, k < options.maxIterations / 2 else { return target }
        let start = max(target, problem.maxCost - problem.minCost)
        return max(target, start * pow(0.5, Double(k - 1)))
    }

    /// Recomputes `columnLSE` from the current `f` at `epsilon`, reading `C` row by row: a
    /// column-wise maximum pass, then a pass summing the shifted exponentials in float32 over
    /// blocks of 64 rows, each block added to float64 totals.
    func computeColumnLSE(epsilon: Double) {
        let n = problem.rows
        let m = problem.cols
        let scale = Float(1 / epsilon)
        for i in 0..<n { scaledRow[i] = Float(f[i] / epsilon) }
        for j in 0..<m {
            columnMaxima[j] = -.infinity
            columnLSE[j] = 0
        }
        problem.cost.withUnsafeBufferPointer { c in
            columnMaxima.withUnsafeMutableBufferPointer { maxima in
                for i in 0..<n {
                    OTKernels.columnMaximum(
                        row: c.baseAddress! + i * m, bias: scaledRow[i], scale: scale,
                        maxima: maxima.baseAddress!, count: m)
                }
                blockSums.withUnsafeMutableBufferPointer { sums in
                    var blockStart = 0
                    while blockStart < n {
                        let blockEnd = min(n, blockStart + 64)
                        for j in 0..<m { sums[j] = 0 }
                        for i in blockStart..<blockEnd {
                            OTKernels.columnExpSum(
                                row: c.baseAddress! + i * m, bias: scaledRow[i], scale: scale,
                                maxima: maxima.baseAddress!, sums: sums.baseAddress!, count: m)
                        }
                        for j in 0..<m { columnLSE[j] += Double(sums[j]) }
                        blockStart = blockEnd
                    }
                }
            }
        }
        for j in 0..<m { columnLSE[j] = Double(columnMaxima[j]) + log(columnLSE[j]) }
        columnLSEEpsilon = epsilon
    }

    /// One log-domain iteration at `epsilon`: the `g` update, then the `f` update.
    func logIteration(epsilon: Double) {
        let n = problem.rows
        let m = problem.cols
        if columnLSEEpsilon != epsilon { computeColumnLSE(epsilon: epsilon) }
        for j in 0..<m {
            g[j] = epsilon * (log(problem.b[j]) - columnLSE[j])
            scaledCol[j] = Float(g[j] / epsilon)
        }
        let scale = Float(1 / epsilon)
        problem.cost.withUnsafeBufferPointer { c in
            scaledCol.withUnsafeBufferPointer { gs in
                for i in 0..<n {
                    let lse = OTKernels.logSumExp(
                        row: c.baseAddress! + i * m, potential: gs.baseAddress!, count: m, scale: scale)
                    f[i] = epsilon * (log(problem.a[i]) - lse)
                }
            }
        }
        columnLSEEpsilon = 0
    }

    /// `‖Tᵀ 1 − b‖₂` of the current plan, from a fresh `columnLSE` at `epsilon`.
    func columnViolation(epsilon: Double) -> Double {
        computeColumnLSE(epsilon: epsilon)
        var total = 0.0
        for j in 0..<problem.cols {
            let column = exp(g[j] / epsilon + columnLSE[j])
            total += (column - problem.b[j]) * (column - problem.b[j])
        }
        return total.squareRoot()
    }

    func record(f rowPotential: [Double], g colPotential: [Double], epsilon: Double) {
        guard history != nil else { return }
        history!.f.append(contentsOf: rowPotential)
        history!.g.append(contentsOf: colPotential)
        history!.epsilons.append(epsilon)
    }

    /// Runs log-domain Sinkhorn to convergence or `maxIterations`.
    func runLogDomain() -> SinkhornRun {
        let target = options.regularization
        var iterations = 0
        var converged = false
        for k in 1...options.maxIterations {
            let epsilon = epsilon(at: k)
            logIteration(epsilon: epsilon)
            record(f: f, g: g, epsilon: epsilon)
            iterations = k
            if epsilon == target, k % 10 == 0 || k == options.maxIterations {
                if columnViolation(epsilon: epsilon) < options.tolerance {
                    converged = true
                    break
                }
            }
        }
        return SinkhornRun(
            plan: planFromPotentials(f: f, g: g, epsilon: target), f: f, g: g, epsilon: target,
            iterations: iterations, converged: converged, solver: .sinkhornLog, history: history)
    }

    /// `T_ij = exp((f_i + g_j − C_ij)/ε)` in float32.
    func planFromPotentials(f rowPotential: [Double], g colPotential: [Double], epsilon: Double) -> [Float] {
        var plan = [Float](repeating: 0, count: problem.rows * problem.cols)
        var sums = [Float](repeating: 0, count: problem.cols)
        exponentiatePotentials(f: rowPotential, g: colPotential, epsilon: epsilon, floor: OTKernels.expFloor,
                               into: &plan, columnSums: &sums)
        return plan
    }

    /// Writes `out_ij = max(exp((f_i + g_j − C_ij)/ε), floor)` in float32 and adds each column's
    /// sum `Σ_i out_ij` to `columnSums`.
    func exponentiatePotentials(f: [Double], g: [Double], epsilon: Double, floor: Float,
                                into out: inout [Float], columnSums: inout [Float]) {
        let n = problem.rows
        let m = problem.cols
        for j in 0..<m { scaledCol[j] = Float(g[j] / epsilon) }
        let scale = Float(1 / epsilon)
        problem.cost.withUnsafeBufferPointer { c in
            scaledCol.withUnsafeBufferPointer { gs in
                out.withUnsafeMutableBufferPointer { t in
                    columnSums.withUnsafeMutableBufferPointer { s in
                        for i in 0..<n {
                            OTKernels.expRow(
                                row: c.baseAddress! + i * m, potential: gs.baseAddress!,
                                bias: Float(f[i] / epsilon), scale: scale, floor: floor,
                                out: t.baseAddress! + i * m, sums: s.baseAddress!, count: m)
                        }
                    }
                }
            }
        }
    }
}
