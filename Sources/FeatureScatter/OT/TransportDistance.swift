// TransportDistance.swift — the OT entry point: plan, transport distance D = ⟨T, C⟩ and dD/dC.

import Foundation

/// Solves an optimal-transport problem and returns the plan, `D = ⟨T, C⟩` and optionally `dD/dC`.
///
/// ```
/// D(C) = ⟨T(C), C⟩ = Σ_ij T_ij C_ij
/// ```
/// where `C` is the `[rows, cols]` cost, `T` the plan chosen by `matching`:
/// - `.ot`: the plan of `options.solver` for marginals `a` (`[rows]`) and `b` (`[cols]`);
/// - `.uniform`: `T_ij = 1/(rows · cols)`;
/// - `.identity`: `T = I / rows` (needs `rows == cols`).
///
/// Points with zero mass are removed before solving and get zero rows/columns in the plan
/// and the gradient.
///
/// Gradients (`gradient`, nil = none):
/// - `.envelope`: `dD/dC = T` (the plan held fixed). This is the exact gradient of the
///   regularised optimum `OT_ε(C) = min_T ⟨T, C⟩ − ε H(T)` at convergence (Danskin) and of the
///   exact OT cost when its plan is unique; it is *not* the derivative of `C ↦ ⟨T(C), C⟩`,
///   from which it differs by `Σ_kl C_kl ∂T_kl/∂C` (0.6–89 % in measured cases).
/// - `.unrolled`: exact reverse mode of `C ↦ ⟨T_K(C), C⟩` through the `K` iterations the forward
///   pass ran (Sinkhorn or IPOT); matches central finite differences of the same fixed-`K`
///   computation. Not available for `.exact` (a piecewise-linear map; use `.envelope`).
/// - For `.uniform` and `.identity` matching the plan does not depend on `C`: `dD/dC = T`
///   in both modes.
///
/// - Parameters:
///   - cost: `C`, `[rows, cols]` row-major float32, finite.
///   - rows: `n ≥ 1`.
///   - cols: `m ≥ 1`.
///   - a: source weights `[rows]`, non-negative, summing to 1 (±1e-4); nil = uniform `1/n`.
///   - b: target weights `[cols]`, likewise; nil = uniform `1/m`.
///   - matching: the plan scheme (the paper's ablation); default `.ot`.
///   - options: solver and its parameters.
///   - gradient: the gradient mode, or nil for none.
/// - Returns: the result and `dD/dC` (`[rows, cols]`, float32, computed in float64) if asked.
/// - Throws: `FSCError.invalidArgument` (empty problem, bad options, negative or non-normalised
///   marginals, identity matching with `rows != cols`, unrolled gradient of exact OT), `.shapeMismatch` (buffer sizes), `.notFinite` (NaN/±∞
///   cost or weight, IPOT underflow).
public func transportDistance(
    cost: [Float], rows: Int, cols: Int, a: [Float]? = nil, b: [Float]? = nil,
    matching: OTMatching = .ot, options: OTOptions = OTOptions(), gradient: OTGradientMode? = nil
) throws -> (result: OTResult, costGradient: [Float]?) {
    try options.validate()
    try OTProblem.validateCost(cost, rows: rows, cols: cols)
    let sourceWeights = try OTProblem.validatedMarginal(a, count: rows, name: "a")
    let targetWeights = try OTProblem.validatedMarginal(b, count: cols, name: "b")

    switch matching {
    case .uniform:
        let plan = [Float](repeating: Float(1 / Double(rows * cols)), count: rows * cols)
        return (fixedPlanResult(plan, cost: cost, rows: rows, cols: cols, a: sourceWeights, b: targetWeights),
                gradient == nil ? nil : plan)
    case .identity:
        guard rows == cols else {
            throw FSCError.invalidArgument("identity matching needs rows == cols, got \(rows) × \(cols)")
        }
        var plan = [Float](repeating: 0, count: rows * cols)
        for i in 0..<rows { plan[i * cols + i] = Float(1 / Double(rows)) }
        return (fixedPlanResult(plan, cost: cost, rows: rows, cols: cols, a: sourceWeights, b: targetWeights),
                gradient == nil ? nil : plan)
    case .ot:
        break
    }

    let keptRows = sourceWeights.indices.filter { sourceWeights[$0] > 0 }
    let keptCols = targetWeights.indices.filter { targetWeights[$0] > 0 }
    let reduced = keptRows.count < rows || keptCols.count < cols
    var reducedCost = cost
    if reduced {
        reducedCost = []
        reducedCost.reserveCapacity(keptRows.count * keptCols.count)
        for i in keptRows {
            for j in keptCols { reducedCost.append(cost[i * cols + j]) }
        }
    }
    let problem = OTProblem(
        cost: reducedCost, rows: keptRows.count, cols: keptCols.count,
        a: keptRows.map { sourceWeights[$0] }, b: keptCols.map { targetWeights[$0] })
    var (result, costGradient) = try solve(problem, options: options, gradient: gradient)

    if reduced {
        result.plan = expand(result.plan, rows: rows, cols: cols, keptRows: keptRows, keptCols: keptCols)
        result.rows = rows
        result.cols = cols
        costGradient = costGradient.map {
            expand($0, rows: rows, cols: cols, keptRows: keptRows, keptCols: keptCols)
        }
    }
    return (result, costGradient)
}

/// Solves with `matching: .ot` and no gradient; see ``transportDistance(cost:rows:cols:a:b:matching:options:gradient:)``.
public func solveOT(
    cost: [Float], rows: Int, cols: Int, a: [Float]? = nil, b: [Float]? = nil,
    options: OTOptions = OTOptions()
) throws -> OTResult {
    try transportDistance(cost: cost, rows: rows, cols: cols, a: a, b: b, options: options).result
}

private func solve(
    _ problem: OTProblem, options: OTOptions, gradient: OTGradientMode?
) throws -> (OTResult, [Float]?) {
    let solver = options.resolvedSolver(costRange: problem.maxCost - problem.minCost)
    let unrolled = gradient == .unrolled
    var plan: [Float]
    var iterations: Int
    var converged: Bool
    var potentials: (f: [Double], g: [Double], epsilon: Double)?
    var costGradient: [Double]?
    switch solver {
    case .sinkhorn, .sinkhornLog, .sinkhornScaling:
        let workspace = SinkhornWorkspace(problem: problem, options: options, recordHistory: unrolled)
        let run = solver == .sinkhornLog ? workspace.runLogDomain() : workspace.runScaling()
        (plan, iterations, converged) = (run.plan, run.iterations, run.converged)
        potentials = (run.f, run.g, run.epsilon)
        if let history = run.history {
            costGradient = OTGradient.sinkhornCostGradient(problem: problem, history: history)
        }
    case .sinkhornReference:
        let run = ReferenceSinkhorn.solve(problem, options: options, recordHistory: unrolled)
        (plan, iterations, converged) = (run.plan, run.iterations, run.stoppedEarly)
        potentials = (run.u, run.v, options.regularization)
        if let history = run.history {
            costGradient = ReferenceSinkhorn.costGradient(problem: problem, options: options, history: history)
        }
    case .ipot:
        let run = try solveIPOT(problem, options: options, recordHistory: unrolled)
        (plan, iterations, converged) = (run.plan, run.iterations, run.converged)
        if let history = run.history {
            costGradient = OTGradient.ipotCostGradient(problem: problem, options: options, history: history)
        }
    case .exact:
        if unrolled {
            throw FSCError.invalidArgument(
                "the unrolled gradient needs an iterative solver (sinkhorn, ipot); exact OT supports envelope only")
        }
        (plan, iterations) = solveExactOT(problem)
        converged = true
    }
    let summary = PlanSummary(plan: plan, cost: problem.cost, rows: problem.rows, cols: problem.cols)
    var entropic = summary.transportCost
    if let (f, g, epsilon) = potentials {
        // ⟨T, C⟩ − ε H(T) with log T_ij = (f_i + g_j − C_ij)/ε: Σ f_i r_i + Σ g_j c_j − ε Σ T.
        var value = -epsilon * summary.total
        for i in 0..<problem.rows { value += f[i] * summary.rowSums[i] }
        for j in 0..<problem.cols { value += g[j] * summary.colSums[j] }
        entropic = value
    }
    let result = OTResult(
        plan: plan, rows: problem.rows, cols: problem.cols, transportCost: summary.transportCost,
        entropicObjective: entropic, iterations: iterations,
        marginalError: summary.marginalError(a: problem.a, b: problem.b), converged: converged, solver: solver)
    switch gradient {
    case nil: return (result, nil)
    case .envelope: return (result, plan)
    case .unrolled: return (result, costGradient!.map { Float($0) })
    }
}

private func fixedPlanResult(
    _ plan: [Float], cost: [Float], rows: Int, cols: Int, a: [Double], b: [Double]
) -> OTResult {
    let summary = PlanSummary(plan: plan, cost: cost, rows: rows, cols: cols)
    let error = summary.marginalError(a: a, b: b)
    return OTResult(
        plan: plan, rows: rows, cols: cols, transportCost: summary.transportCost,
        entropicObjective: summary.transportCost, iterations: 0, marginalError: error,
        converged: true, solver: nil)
}

private func expand(_ values: [Float], rows: Int, cols: Int, keptRows: [Int], keptCols: [Int]) -> [Float] {
    var full = [Float](repeating: 0, count: rows * cols)
    for (reducedRow, i) in keptRows.enumerated() {
        for (reducedCol, j) in keptCols.enumerated() {
            full[i * cols + j] = values[reducedRow * keptCols.count + reducedCol]
        }
    }
    return full
}
