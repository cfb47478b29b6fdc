// OTResult.swift — what an optimal-transport solve returns.

/// The outcome of an optimal-transport solve.
///
/// All scalar summaries are accumulated in float64 from the float32 plan.
public struct OTResult: Sendable, Equatable {
    /// The transport plan `T`, row-major, `[rows, cols]`.
    public var plan: [Float]
    /// `n`, the number of source points (rows of `plan`).
    public var rows: Int
    /// `m`, the number of target points (columns of `plan`).
    public var cols: Int
    /// The transport cost `⟨T, C⟩ = Σ_ij T_ij C_ij`.
    public var transportCost: Double
    /// The entropic objective `⟨T, C⟩ − ε H(T)` with `H(T) = −Σ_ij T_ij (log T_ij − 1)` for the
    /// Sinkhorn solvers; equal to `transportCost` for the other solvers and matchings.
    public var entropicObjective: Double
    /// The iterations run: Sinkhorn iterations, IPOT outer iterations, for the exact solver the
    /// rows assigned (uniform weights) or augmenting paths (general weights), 0 for fixed matchings.
    public var iterations: Int
    /// The marginal violation `‖T 1 − a‖₂ + ‖Tᵀ 1 − b‖₂` of the returned plan.
    public var marginalError: Double
    /// Whether `marginalError` fell below the tolerance (always true for exact and fixed plans).
    public var converged: Bool
    /// The solver that actually ran (`.sinkhorn` resolves to the log domain or the fast path);
    /// nil for the fixed `uniform` and `identity` matchings.
    public var solver: OTSolver?

    public init(
        plan: [Float], rows: Int, cols: Int, transportCost: Double, entropicObjective: Double,
        iterations: Int, marginalError: Double, converged: Bool, solver: OTSolver?
    ) {
        self.plan = plan
        self.rows = rows
        self.cols = cols
        self.transportCost = transportCost
        self.entropicObjective = entropicObjective
        self.iterations = iterations
        self.marginalError = marginalError
        self.converged = converged
        self.solver = solver
    }
}
