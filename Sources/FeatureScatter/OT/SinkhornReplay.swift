// SinkhornReplay.swift — the unrolled gradient of log-domain Sinkhorn, vectorised and split by rows.

import Foundation

extension OTGradient {
    /// `dD/dC` through `K` log-domain Sinkhorn iterations (see ``SinkhornWorkspace``): the
    /// factored replay when it applies, else the exponential one below.
    ///
    /// With `P⁽ᵏ⁾_ij = exp((f⁽ᵏ⁾_i + g⁽ᵏ⁾_j − C_ij)/ε_k) / a_i` and
    /// `Q⁽ᵏ⁾_ij = exp((f⁽ᵏ⁻¹⁾_i + g⁽ᵏ⁾_j − C_ij)/ε_k) / b_j`, the updates have the Jacobians
    /// `∂f_i/∂g_j = −P_ij`, `∂f_i/∂C_ij = P_ij`, `∂g_j/∂f_i = −Q_ij`, `∂g_j/∂C_ij = Q_ij`
    /// (ε cancels), and the output `T = exp((f⁽ᴷ⁾ + g⁽ᴷ⁾ − C)/ε)` gives
    /// `∂D/∂C = T ⊙ (1 − C/ε)` plus `f̄ = (T ⊙ C) 1 / ε`, `ḡ = (T ⊙ C)ᵀ 1 / ε`.
    static func sinkhornCostGradient(problem: OTProblem, history: SinkhornHistory) -> [Double] {
        factoredSinkhornCostGradient(problem: problem, history: history)
            ?? exponentialSinkhornCostGradient(problem: problem, history: history)
    }

    /// `dD/dC` by re-evaluating every iteration's exponentials; the general path, for ε-scaling
    /// and potentials too far apart for ``factoredSinkhornCostGradient(problem:history:)``.
    ///
    /// Each sweep is `2 n m` float64 exponentials (a 128×128 problem with 100 iterations: 3.3
    /// million), so rows are split across the engine's workers, each with its own `ḡ`
    /// accumulator, and every row runs four lanes at a time.
    static func exponentialSinkhornCostGradient(problem: OTProblem, history: SinkhornHistory) -> [Double] {
        let n = problem.rows
        let m = problem.cols
        let steps = history.epsilons.count
        precondition(steps >= 1 && history.f.count == steps * n && history.g.count == steps * m)
        let workers = Parallelism.workerCount
        let cost = problem.cost.map { Double($0) }
        var gradient = [Double](repeating: 0, count: n * m)
        var fBar = [Double](repeating: 0, count: n)
        var gBar = [Double](repeating: 0, count: m)
        var partials = [Double](repeating: 0, count: workers * m)
        cost.withUnsafeBufferPointer { c in
            history.f.withUnsafeBufferPointer { f in
                history.g.withUnsafeBufferPointer { g in
                    gradient.withUnsafeMutableBufferPointer { dC in
                        fBar.withUnsafeMutableBufferPointer { fBar in
                            gBar.withUnsafeMutableBufferPointer { gBar in
                                partials.withUnsafeMutableBufferPointer { partials in
                                    let replay = SinkhornReplay(
                                        n: n, m: m, cost: c.baseAddress!, gradient: dC.baseAddress!,
                                        fBar: fBar.baseAddress!, gBar: gBar.baseAddress!,
                                        partials: partials.baseAddress!, workers: workers)
                                    replay.run(problem: problem, f: f.baseAddress!, g: g.baseAddress!,
                                               epsilons: history.epsilons)
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradient
    }
}

/// The buffers of one reverse sweep through Sinkhorn iterations, as raw pointers shared by
/// the workers: each writes only its own rows of `gradient` and `fBar` and its own block of
/// `partials` (`[workers, m]`, its share of `ḡ`).
private struct SinkhornReplay {
    let n, m: Int
    let cost: UnsafePointer<Double>
    let gradient, fBar, gBar, partials: UnsafeMutablePointer<Double>
    let workers: Int

    func run(problem: OTProblem, f: UnsafePointer<Double>, g: UnsafePointer<Double>, epsilons: [Double]) {
        let steps = epsilons.count
        let fLast = f + (steps - 1) * n
        let gLast = g + (steps - 1) * m
        let lastInverse = 1 / epsilons[steps - 1]
        forEachRow { i, partial in
            fBar[i] = outputRow(i, potential: fLast[i], g: gLast, inverseEpsilon: lastInverse, partial: partial)
        }
        collectPartials { j, total in gBar[j] += total }
        for k in stride(from: steps, through: 1, by: -1) {
            let inverseEpsilon = 1 / epsilons[k - 1]
            let fNow = f + (k - 1) * n
            let gNow = g + (k - 1) * m
            forEachRow { i, partial in
                rowUpdate(i, potential: fNow[i], g: gNow, inverseEpsilon: inverseEpsilon,
                          weight: fBar[i] / problem.a[i], partial: partial)
            }
            collectPartials { j, total in gBar[j] = (gBar[j] + total) / problem.b[j] }
            forEachRow { i, _ in
                let previous = k > 1 ? f[(k - 2) * n + i] : 0
                fBar[i] = -columnUpdate(i, potential: previous, g: gNow, inverseEpsilon: inverseEpsilon)
            }
            for j in 0..<m { gBar[j] = 0 }
        }
    }

    /// Runs `body(i, partial)` for every row, rows split across workers; `partial` is the
    /// worker's `[m]` block of `partials`.
    private func forEachRow(_ body: (Int, UnsafeMutablePointer<Double>) -> Void) {
        Parallelism.forEachRange(n) { rows, worker in
            let partial = partials + worker * m
            for i in rows { body(i, partial) }
        }
    }

    /// Hands `body(j, Σ_workers partials[·, j])` each column and zeroes `partials`.
    private func collectPartials(_ body: (Int, Double) -> Void) {
        for j in 0..<m {
            var total = 0.0
            for worker in 0..<workers {
                total += partials[worker * m + j]
                partials[worker * m + j] = 0
            }
            body(j, total)
        }
    }

    /// Row `i` of the output `T`: `∂D/∂C_ij = T_ij (1 − C_ij/ε)`, `ḡ_j += T_ij C_ij/ε`; returns
    /// `f̄_i = Σ_j T_ij C_ij/ε`.
    private func outputRow(_ i: Int, potential: Double, g: UnsafePointer<Double>, inverseEpsilon: Double,
                           partial: UnsafeMutablePointer<Double>) -> Double {
        let (c, dC) = (cost + i * m, gradient + i * m)
        let (f, scale) = (SIMD4<Double>(repeating: potential), SIMD4<Double>(repeating: inverseEpsilon))
        var sums = SIMD4<Double>()
        var j = 0
        while j + 4 <= m {
            let costs = OTKernels.load4(c + j)
            let plan = OTKernels.exp((f + OTKernels.load4(g + j) - costs) * scale)
            let weighted = plan * costs * scale
            OTKernels.store4(plan - weighted, dC + j)
            OTKernels.store4(OTKernels.load4(partial + j) + weighted, partial + j)
            sums += weighted
            j += 4
        }
        var total = sums.sum()
        while j < m {
            let plan = Foundation.exp((potential + g[j] - c[j]) * inverseEpsilon)
            let weighted = plan * c[j] * inverseEpsilon
            dC[j] = plan - weighted
            partial[j] += weighted
            total += weighted
            j += 1
        }
        return total
    }

    /// Row `i` through the `f` update: `P_ij = exp((f_i + g_j − C_ij)/ε) · weight` with
    /// `weight = f̄_i / a_i`; adds `P_ij` to `∂D/∂C_ij` and subtracts it from `ḡ_j`.
    private func rowUpdate(_ i: Int, potential: Double, g: UnsafePointer<Double>, inverseEpsilon: Double,
                           weight: Double, partial: UnsafeMutablePointer<Double>) {
        let (c, dC) = (cost + i * m, gradient + i * m)
        let (f, scale) = (SIMD4<Double>(repeating: potential), SIMD4<Double>(repeating: inverseEpsilon))
        let weights = SIMD4<Double>(repeating: weight)
        var j = 0
        while j + 4 <= m {
            let p = OTKernels.exp((f + OTKernels.load4(g + j) - OTKernels.load4(c + j)) * scale) * weights
            OTKernels.store4(OTKernels.load4(dC + j) + p, dC + j)
            OTKernels.store4(OTKernels.load4(partial + j) - p, partial + j)
            j += 4
        }
        while j < m {
            let p = Foundation.exp((potential + g[j] - c[j]) * inverseEpsilon) * weight
            dC[j] += p
            partial[j] -= p
            j += 1
        }
    }

    /// Row `i` through the `g` update: `Q_ij = exp((f⁽ᵏ⁻¹⁾_i + g_j − C_ij)/ε) · ḡ_j`; adds
    /// `Q_ij` to `∂D/∂C_ij` and returns `Σ_j Q_ij`.
    private func columnUpdate(_ i: Int, potential: Double, g: UnsafePointer<Double>,
                              inverseEpsilon: Double) -> Double {
        let (c, dC) = (cost + i * m, gradient + i * m)
        let (f, scale) = (SIMD4<Double>(repeating: potential), SIMD4<Double>(repeating: inverseEpsilon))
        var sums = SIMD4<Double>()
        var j = 0
        while j + 4 <= m {
            let plan = OTKernels.exp((f + OTKernels.load4(g + j) - OTKernels.load4(c + j)) * scale)
            let q = plan * OTKernels.load4(gBar + j)
            OTKernels.store4(OTKernels.load4(dC + j) + q, dC + j)
            sums += q
            j += 4
        }
        var total = sums.sum()
        while j < m {
            let q = Foundation.exp((potential + g[j] - c[j]) * inverseEpsilon) * gBar[j]
            dC[j] += q
            total += q
            j += 1
        }
        return total
    }
}
