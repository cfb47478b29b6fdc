// Rules+Transport.swift — the optimal-transport distance between two feature sets, differentiable.

/// The optimal-transport distance `D = ⟨T, C(X, Y)⟩` between feature sets, as a variable
/// that back-propagates to both sets.
///
/// `C` is the ground cost between the rows of `X` (`[n, d]`) and `Y` (`[m, d]`) (the paper:
/// clamped cosine distance), `T` the plan of `matching` (OT with `options`' solver and
/// uniform marginals, uniform, or identity). The gradient flows through `C` to the features;
/// `gradient` picks what it differentiates through `T` (see `OTGradientMode`: `.unrolled`
/// is the reference code's choice).
///
/// - Returns: the distance (rank 0) and the solver's report (plan, iterations, convergence).
/// - Throws: `FSCError` from the cost or the solver (shapes, NaN features, bad options).
public func transportDistance(_ x: Variable, _ y: Variable, cost: CostFunction = .cosine,
                              matching: OTMatching = .ot, options: OTOptions = OTOptions(),
                              gradient: OTGradientMode = .unrolled) throws -> (distance: Variable, result: OTResult) {
    guard x.shape.count == 2, y.shape.count == 2, x.shape[1] == y.shape[1] else {
        throw FSCError.shapeMismatch("transport distance needs features [n,d] and [m,d], got \(x.shape) and \(y.shape)")
    }
    let (n, m, d) = (x.shape[0], y.shape[0], x.shape[1])
    let (xs, ys) = (x.value.scalars, y.value.scalars)
    let needsGradient = x.requiresGradient || y.requiresGradient
    let solved = try Profiler.measure("transport", .forward) {
        try transportDistance(cost: try costMatrix(xs, ys, n: n, m: m, d: d, kind: cost), rows: n, cols: m,
                              matching: matching, options: options, gradient: needsGradient ? gradient : nil)
    }
    let costGradient = solved.costGradient ?? []
    let distance = record("transport", [x, y], Tensor(Float(solved.result.transportCost))) { g in
        let upstream = costGradient.map { $0 * g.scalar }
        guard let pulled = try? costMatrixPullback(xs, ys, n: n, m: m, d: d, kind: cost, upstream: upstream) else {
            // Only a non-finite upstream gradient fails here; propagate it as NaN for the caller's checks.
            return [Tensor(repeating: .nan, shape: [n, d]), Tensor(repeating: .nan, shape: [m, d])]
        }
        return [Tensor(shape: [n, d], scalars: pulled.dX), Tensor(shape: [m, d], scalars: pulled.dY)]
    }
    return (distance, solved.result)
}
