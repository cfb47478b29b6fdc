// OTGradient.swift — exact reverse mode through the Sinkhorn and IPOT iterations (unrolled gradients).

import Foundation

/// Reverse-mode derivatives of `D = ⟨T_K(C), C⟩`, where `T_K` is the plan after the iterations
/// the forward pass actually ran. Both routines replay the stored iterates in float64 (float64
/// `exp` and accumulators), so the gradient is as accurate as the forward allows; the Sinkhorn
/// replay is in `SinkhornReplay.swift`.
/// Memory: a few `[n, m]` float64 buffers plus the history.
enum OTGradient {
    /// `dD/dC` through `N × L` IPOT iterations (see ``solveIPOT(_:options:recordHistory:)``).
    ///
    /// The kernel of outer step `t` is rebuilt as `Q⁽ᵗ⁾ = exp(−t (C − s)/β + A⁽ᵗ⁻¹⁾ ⊕ B⁽ᵗ⁻¹⁾)`,
    /// where `s` is the row shift and `A`, `B` the running sums of `log δ`, `log σ` of the final
    /// inner step of each outer step (so `T⁽ᵗ⁾ = exp(−t (C − s)/β + A⁽ᵗ⁾ ⊕ B⁽ᵗ⁾)`). The reverse
    /// sweep differentiates `δ = a / (Q σ)`, `σ = b / (Qᵀ δ)`, `T = diag(δ) Q diag(σ)` and
    /// `Q = G ⊙ T⁽ᵗ⁻¹⁾` with `∂G/∂C = −G/β`. The row shift does not change `T`, so it is held
    /// constant.
    static func ipotCostGradient(problem: OTProblem, options: OTOptions, history: IPOTHistory) -> [Double] {
        let n = problem.rows
        let m = problem.cols
        let outer = options.maxIterations
        let inner = options.innerIterations
        let beta = options.proximalBeta
        precondition(history.delta.count == outer * inner * n && history.sigma.count == outer * inner * m)
        func deltaAt(_ t: Int, _ l: Int) -> Int { ((t - 1) * inner + (l - 1)) * n }
        func sigmaAt(_ t: Int, _ l: Int) -> Int { ((t - 1) * inner + (l - 1)) * m }
        var logKernel = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m {
                logKernel[i * m + j] = (history.rowShift[i] - Double(problem.cost[i * m + j])) / beta
            }
        }
        var rowLog = [[Double]](repeating: [Double](repeating: 0, count: n), count: outer + 1)
        var colLog = [[Double]](repeating: [Double](repeating: 0, count: m), count: outer + 1)
        for t in 1...outer {
            for i in 0..<n { rowLog[t][i] = rowLog[t - 1][i] + log(history.delta[deltaAt(t, inner) + i]) }
            for j in 0..<m { colLog[t][j] = colLog[t - 1][j] + log(history.sigma[sigmaAt(t, inner) + j]) }
        }
        var gradient = [Double](repeating: 0, count: n * m)
        var planBar = [Double](repeating: 0, count: n * m)
        for index in 0..<(n * m) {
            let i = index / m
            let j = index % m
            gradient[index] = exp(Double(outer) * logKernel[index] + rowLog[outer][i] + colLog[outer][j])
            planBar[index] = Double(problem.cost[index])
        }
        var kernelBar = [Double](repeating: 0, count: n * m)
        var q = [Double](repeating: 0, count: n * m)
        var deltaBar = [Double](repeating: 0, count: n)
        var sigmaBar = [Double](repeating: 0, count: m)
        var sigmaCarry = [Double](repeating: 0, count: m)
        var rBar = [Double](repeating: 0, count: m)
        var previousSigma = [Double](repeating: 0, count: m)
        for t in stride(from: outer, through: 1, by: -1) {
            for index in 0..<(n * m) {
                q[index] = exp(Double(t) * logKernel[index] + rowLog[t - 1][index / m] + colLog[t - 1][index % m])
            }
            let lastDelta = deltaAt(t, inner)
            let lastSigma = sigmaAt(t, inner)
            for i in 0..<n { deltaBar[i] = 0 }
            for j in 0..<m { sigmaBar[j] = sigmaCarry[j] }
            for i in 0..<n {
                let d = history.delta[lastDelta + i]
                for j in 0..<m {
                    let index = i * m + j
                    let s = history.sigma[lastSigma + j]
                    kernelBar[index] = planBar[index] * d * s
                    deltaBar[i] += planBar[index] * q[index] * s
                    sigmaBar[j] += planBar[index] * q[index] * d
                }
            }
            for l in stride(from: inner, through: 1, by: -1) {
                let dOffset = deltaAt(t, l)
                let sOffset = sigmaAt(t, l)
                for j in 0..<m {
                    let s = history.sigma[sOffset + j]
                    rBar[j] = -sigmaBar[j] * s * s / problem.b[j]
                }
                for i in 0..<n {
                    let d = history.delta[dOffset + i]
                    var total = 0.0
                    for j in 0..<m {
                        total += q[i * m + j] * rBar[j]
                        kernelBar[i * m + j] += d * rBar[j]
                    }
                    deltaBar[i] += total
                }
                if l > 1 || t > 1 {
                    let offset = l > 1 ? sigmaAt(t, l - 1) : sigmaAt(t - 1, inner)
                    for j in 0..<m { previousSigma[j] = history.sigma[offset + j] }
                } else {
                    for j in 0..<m { previousSigma[j] = 1 / Double(m) }
                }
                for j in 0..<m { sigmaBar[j] = 0 }
                for i in 0..<n {
                    let d = history.delta[dOffset + i]
                    let sBar = -deltaBar[i] * d * d / problem.a[i]
                    for j in 0..<m {
                        sigmaBar[j] += q[i * m + j] * sBar
                        kernelBar[i * m + j] += sBar * previousSigma[j]
                    }
                    deltaBar[i] = 0
                }
            }
            for j in 0..<m { sigmaCarry[j] = sigmaBar[j] }
            for index in 0..<(n * m) {
                gradient[index] -= kernelBar[index] * q[index] / beta
                planBar[index] = kernelBar[index] * exp(logKernel[index])
            }
        }
        return gradient
    }
}
