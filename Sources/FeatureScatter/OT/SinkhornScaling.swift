// SinkhornScaling.swift — the Sinkhorn fast path: scaling iterations on an absorbed float32 kernel.

import Foundation

extension SinkhornWorkspace {
    /// Below this exponent the absorbed kernel stores 0 (`e^-60 ≈ 8.8e-27`), so that products
    /// with scalings in `scalingRange` stay normal floats: no subnormal slow-down.
    static let kernelFloor: Float = -60
    /// The scalings `u`, `v` are kept in this range; leaving it triggers an absorption.
    static let scalingRange: ClosedRange<Float> = 1e-4...1e4

    /// Sinkhorn in the scaling domain with absorption (the fast path of `.sinkhorn`).
    ///
    /// Solves the same problem as the log domain (see ``SinkhornWorkspace``) with the plan written
    /// `T_ij = u_i K̃_ij v_j`, where the float32 kernel holds the *absorbed* plan
    /// `K̃_ij = exp((f_i + g_j − C_ij)/ε)` of the last refresh, so `K̃` is representable at any ε
    /// (unlike `exp(−C/ε)`, which underflows at ε = 0.01). An iteration is one fused pass over `K̃`:
    /// ```
    /// v = b / (K̃ᵀ u);  for each row i:  u_i = a_i / (K̃ v)_i,  (K̃ᵀ u) += u_i K̃_i
    /// ```
    /// When a scaling leaves `[1e-4, 1e4]` (or is not finite), the pass is discarded, `log u`,
    /// `log v` are absorbed into `f`, `g`, the iteration is done in the log domain instead and
    /// `K̃` is rebuilt (Schmitzer 2016). The first iteration and the ε-scaling phase are always
    /// log-domain. Entries of `K̃` below `e^-60` are flushed to 0 (the plan error this causes is
    /// below `1e4 · 1e4 · e^-60 ≈ 1e-18`).
    ///
    /// Precision: kernel, scalings and the fused dot/axpy are float32 (lane sums reduced in
    /// float64); potentials are float64. The column violation `‖v ⊙ K̃ᵀu − b‖₂` comes out of
    /// the fused pass for free.
    ///
    /// Reference: Schmitzer, *Stabilized Sparse Scaling Algorithms for Entropy Regularized
    /// Transport Problems*, SIAM J. Sci. Comput. 2019 (arXiv 2016).
    func runScaling() -> SinkhornRun {
        let n = problem.rows
        let m = problem.cols
        let epsilon = options.regularization
        var kernel = [Float](repeating: 0, count: n * m)
        var u = [Float](repeating: 1, count: n)
        var v = [Float](repeating: 1, count: m)
        var vCandidate = [Float](repeating: 1, count: m)
        var uSaved = [Float](repeating: 1, count: n)
        var kernelColumnSums = [Float](repeating: 0, count: m)
        var nextColumnSums = [Float](repeating: 0, count: m)
        let a = problem.a.map { Float($0) }
        let b = problem.b.map { Float($0) }
        var kernelIsCurrent = false
        var iterations = 0
        var converged = false
        var rowPotential = f
        var colPotential = g

        func rebuildKernel() {
            for j in 0..<m { kernelColumnSums[j] = 0 }
            exponentiatePotentials(f: f, g: g, epsilon: epsilon, floor: Self.kernelFloor, into: &kernel,
                                   columnSums: &kernelColumnSums)
            for i in 0..<n { u[i] = 1 }
            for j in 0..<m { v[j] = 1 }
            kernelIsCurrent = true
        }

        func absorbAndIterateInLogDomain(epsilon: Double, rebuild: Bool) {
            if kernelIsCurrent {
                for i in 0..<n { f[i] += epsilon * log(Double(u[i])) }
                for j in 0..<m { g[j] += epsilon * log(Double(v[j])) }
            }
            logIteration(epsilon: epsilon)
            kernelIsCurrent = false
            if rebuild { rebuildKernel() }
        }

        for k in 1...options.maxIterations {
            iterations = k
            let stepEpsilon = self.epsilon(at: k)
            if stepEpsilon != epsilon || !kernelIsCurrent {
                absorbAndIterateInLogDomain(epsilon: stepEpsilon, rebuild: stepEpsilon == epsilon)
                record(f: f, g: g, epsilon: stepEpsilon)
                continue
            }
            var valid = true
            for j in 0..<m {
                let value = b[j] / kernelColumnSums[j]
                vCandidate[j] = value
                if !Self.scalingRange.contains(value) { valid = false }
            }
            if valid {
                for i in 0..<n { uSaved[i] = u[i] }
                for j in 0..<m { nextColumnSums[j] = 0 }
                OTKernels.scaleRowsToMarginal(kernel, v: vCandidate, a: a, rows: n, cols: m, u: &u,
                                              columnSums: &nextColumnSums)
                valid = u.allSatisfy(Self.scalingRange.contains)
                if valid {
                    swap(&v, &vCandidate)
                    swap(&kernelColumnSums, &nextColumnSums)
                } else {
                    swap(&u, &uSaved)
                }
            }
            if !valid {
                absorbAndIterateInLogDomain(epsilon: epsilon, rebuild: true)
                record(f: f, g: g, epsilon: epsilon)
                continue
            }
            if history != nil || k % 10 == 0 || k == options.maxIterations {
                for i in 0..<n { rowPotential[i] = f[i] + epsilon * log(Double(u[i])) }
                for j in 0..<m { colPotential[j] = g[j] + epsilon * log(Double(v[j])) }
                record(f: rowPotential, g: colPotential, epsilon: epsilon)
            }
            if k % 10 == 0 || k == options.maxIterations {
                var violation = 0.0
                for j in 0..<m {
                    let column = Double(v[j]) * Double(kernelColumnSums[j])
                    violation += (column - problem.b[j]) * (column - problem.b[j])
                }
                if violation.squareRoot() < options.tolerance {
                    converged = true
                    break
                }
            }
        }

        if !kernelIsCurrent { rebuildKernel() }
        var plan = kernel
        plan.withUnsafeMutableBufferPointer { t in
            v.withUnsafeBufferPointer { scales in
                for i in 0..<n {
                    OTKernels.scaleRow(
                        t.baseAddress! + i * m, rowScale: u[i], scales: scales.baseAddress!, factor: nil, flush: 0,
                        count: m)
                }
            }
        }
        for i in 0..<n { rowPotential[i] = f[i] + epsilon * log(Double(u[i])) }
        for j in 0..<m { colPotential[j] = g[j] + epsilon * log(Double(v[j])) }
        if !converged, iterations == options.maxIterations, self.epsilon(at: iterations) == epsilon {
            var violation = 0.0
            for j in 0..<m {
                let column = Double(v[j]) * Double(kernelColumnSums[j])
                violation += (column - problem.b[j]) * (column - problem.b[j])
            }
            converged = violation.squareRoot() < options.tolerance
        }
        return SinkhornRun(
            plan: plan, f: rowPotential, g: colPotential, epsilon: epsilon, iterations: iterations,
            converged: converged, solver: .sinkhornScaling, history: history)
    }
}
