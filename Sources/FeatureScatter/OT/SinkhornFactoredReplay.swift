// SinkhornFactoredReplay.swift — the unrolled Sinkhorn gradient as matrix–vector products with the final plan.

import COpenBLAS
import Foundation

extension OTGradient {
    /// Potentials may differ from the final ones by at most this many ε for the factored replay:
    /// every factor then lies in `[e^-300, e^300]` and every product of two in float64's range.
    static let factoredExponentBound = 300.0

    /// `dD/dC` through `K` Sinkhorn iterations at one ε, the same quantity as the exponential
    /// replay (``sinkhornCostGradient(problem:history:)``) computed with `n m` exponentials in
    /// all instead of `2 n m` per iteration; nil when the history does not allow it.
    ///
    /// Every matrix the replay exponentiates is the final plan `T*` rescaled by rows and columns:
    /// ```
    /// exp((f⁽ᵏ⁾_i + g⁽ˡ⁾_j − C_ij)/ε) = α⁽ᵏ⁾_i · T*_ij · β⁽ˡ⁾_j,
    /// α⁽ᵏ⁾ = exp((f⁽ᵏ⁾ − f⁽ᴷ⁾)/ε),  β⁽ˡ⁾ = exp((g⁽ˡ⁾ − g⁽ᴷ⁾)/ε),  T* = exp((f⁽ᴷ⁾ + g⁽ᴷ⁾ − C)/ε),
    /// ```
    /// so each iteration's row and column sums are two float64 matrix–vector products with `T*`,
    /// and each iteration adds a rank-one term `T* ⊙ (x yᵀ)` to `∂D/∂C`; the `2K` rank-one terms
    /// are summed by one matrix product at the end. Exact in real arithmetic; used when every
    /// iteration ran at the final ε (no ε-scaling) and no potential strays more than
    /// ``factoredExponentBound`` ε from its final value (else a factor could overflow).
    static func factoredSinkhornCostGradient(problem: OTProblem, history: SinkhornHistory) -> [Double]? {
        let (n, m) = (problem.rows, problem.cols)
        let steps = history.epsilons.count
        precondition(steps >= 1 && history.f.count == steps * n && history.g.count == steps * m)
        let epsilon = history.epsilons[steps - 1]
        guard history.epsilons.allSatisfy({ $0 == epsilon }) else { return nil }
        let inverse = 1 / epsilon
        let fFinal = Array(history.f[((steps - 1) * n)...])
        let gFinal = Array(history.g[((steps - 1) * m)...])
        // α⁽ᵏ⁾ for k = 0…K (f⁽⁰⁾ = 0) and β⁽ᵏ⁾ for k = 1…K, after checking their exponents.
        var alphaExponents = fFinal.map { -$0 * inverse }
        for k in 0..<steps {
            for i in 0..<n { alphaExponents.append((history.f[k * n + i] - fFinal[i]) * inverse) }
        }
        var betaExponents = [Double](repeating: 0, count: steps * m)
        for k in 0..<steps {
            for j in 0..<m { betaExponents[k * m + j] = (history.g[k * m + j] - gFinal[j]) * inverse }
        }
        let bound = factoredExponentBound
        guard alphaExponents.allSatisfy({ abs($0) <= bound }), betaExponents.allSatisfy({ abs($0) <= bound }) else {
            return nil
        }
        let alpha = alphaExponents.map { Foundation.exp($0) }
        let beta = betaExponents.map { Foundation.exp($0) }
        let cost = problem.cost.map { Double($0) }
        var plan = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m { plan[i * m + j] = Foundation.exp((fFinal[i] + gFinal[j] - cost[i * m + j]) * inverse) }
        }

        // The output T = T*: ∂D/∂C = T ⊙ (1 − C/ε), f̄ = (T ⊙ C) 1 / ε, ḡ = (T ⊙ C)ᵀ 1 / ε.
        var gradient = [Double](repeating: 0, count: n * m)
        var fBar = [Double](repeating: 0, count: n)
        var gBar = [Double](repeating: 0, count: m)
        for i in 0..<n {
            for j in 0..<m {
                let weighted = plan[i * m + j] * cost[i * m + j] * inverse
                gradient[i * m + j] = plan[i * m + j] - weighted
                fBar[i] += weighted
                gBar[j] += weighted
            }
        }
        // Column pairs (x, y) of the rank-one terms, two per iteration: X is [n, 2K], Y is [m, 2K].
        let terms = 2 * steps
        var xs = [Double](repeating: 0, count: n * terms)
        var ys = [Double](repeating: 0, count: m * terms)
        var x = [Double](repeating: 0, count: n)
        var y = [Double](repeating: 0, count: m)
        var product = [Double](repeating: 0, count: max(n, m))
        for k in stride(from: steps, through: 1, by: -1) {
            let term = 2 * (steps - k)
            let alphaNow = (k * n)..<((k + 1) * n)
            let alphaBefore = ((k - 1) * n)..<(k * n)
            let betaNow = ((k - 1) * m)..<(k * m)
            // The f update of iteration k: P = diag(α⁽ᵏ⁾ f̄ / a) T* diag(β⁽ᵏ⁾); ḡ ← (ḡ − Pᵀ 1) / b.
            for i in 0..<n { x[i] = alpha[alphaNow.lowerBound + i] * fBar[i] / problem.a[i] }
            multiply(plan, transposed: true, rows: n, cols: m, x, into: &product)
            for j in 0..<m {
                gBar[j] = (gBar[j] - beta[betaNow.lowerBound + j] * product[j]) / problem.b[j]
                ys[j * terms + term] = beta[betaNow.lowerBound + j]
                y[j] = beta[betaNow.lowerBound + j] * gBar[j]
                ys[j * terms + term + 1] = y[j]
            }
            for i in 0..<n {
                xs[i * terms + term] = x[i]
                xs[i * terms + term + 1] = alpha[alphaBefore.lowerBound + i]
            }
            // The g update: Q = diag(α⁽ᵏ⁻¹⁾) T* diag(β⁽ᵏ⁾ ḡ); f̄⁽ᵏ⁻¹⁾ = −Q 1 (unused for f⁽⁰⁾ = 0).
            if k > 1 {
                multiply(plan, transposed: false, rows: n, cols: m, y, into: &product)
                for i in 0..<n { fBar[i] = -alpha[alphaBefore.lowerBound + i] * product[i] }
            }
            for j in 0..<m { gBar[j] = 0 }
        }
        var outer = [Double](repeating: 0, count: n * m)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(m), Int32(terms), 1, xs, Int32(terms),
                    ys, Int32(terms), 0, &outer, Int32(m))
        for index in 0..<(n * m) { gradient[index] += plan[index] * outer[index] }
        return gradient
    }

    /// `T* v` (`transposed`: `T*ᵀ v`) for the row-major `[rows, cols]` plan, written to the front of `out`.
    private static func multiply(_ plan: [Double], transposed: Bool, rows: Int, cols: Int, _ vector: [Double],
                                 into out: inout [Double]) {
        _ = Parallelism.singleThreadedBLAS
        cblas_dgemv(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), 1, plan,
                    Int32(cols), vector, 1, 0, &out, 1)
    }
}
