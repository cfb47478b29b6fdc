// OTOptions.swift — solver choice, matching scheme, gradient mode and the options of an OT solve.

/// The algorithm used to compute a transport plan.
public enum OTSolver: String, CaseIterable, Sendable, Codable {
    /// Entropic Sinkhorn with an automatic choice between `sinkhornScaling` (the fast path) and
    /// `sinkhornLog` (see ``OTOptions/resolvedSolver(costRange:)``).
    case sinkhorn
    /// Sinkhorn in the log domain with a max-stabilised log-sum-exp: safe for any regularisation.
    case sinkhornLog = "sinkhorn-log"
    /// Sinkhorn in the scaling domain on a float32 kernel with absorbed potentials (Schmitzer 2016).
    case sinkhornScaling = "sinkhorn-scaling"
    /// The paper's reference code's Sinkhorn, rule for rule: rows first, `log(Σ exp + 1e-6)`
    /// without max shift, stopping once the row potential moves less than 0.1 (``ReferenceSinkhorn``).
    case sinkhornReference = "sinkhorn-reference"
    /// Inexact proximal point OT (Xie et al. 2018), the paper's second solver.
    case ipot
    /// Exact (unregularised) OT by shortest augmenting paths: a linear assignment solver for equal
    /// uniform weights, successive shortest paths for general marginals.
    case exact
}

/// How the plan between the two feature sets is chosen (the paper's matching ablation).
public enum OTMatching: String, CaseIterable, Sendable, Codable {
    /// The optimal-transport plan computed by `OTOptions.solver`.
    case ot
    /// Every pair gets the same mass: `T_ij = 1 / (n m)`. Ignores custom marginals.
    case uniform
    /// Each point is matched to its own counterpart: `T = I / n`; needs `n == m`.
    case identity
}

/// What the gradient of `D = ⟨T, C⟩` with respect to the cost `C` holds the plan to.
///
/// - `envelope`: `T` is held fixed, so `∂D/∂C = T`. By Danskin's theorem this is the exact
///   gradient of the *regularised optimum* `min_T ⟨T, C⟩ − ε H(T)` (at convergence) and of the
///   exact OT cost (where the optimal plan is unique); it is **not** the derivative of the
///   composite map `C ↦ ⟨T(C), C⟩`.
/// - `unrolled`: exact reverse mode through the iterations the forward pass ran (Sinkhorn or
///   IPOT), i.e. the derivative of `C ↦ ⟨T_K(C), C⟩` where `T_K` is the plan after `K`
///   iterations, as in the paper's reference code, which does not detach `T`.
public enum OTGradientMode: String, CaseIterable, Sendable, Codable {
    case envelope
    case unrolled
}

/// The options of an optimal-transport solve. Defaults follow the paper's settings.
public struct OTOptions: Sendable, Equatable, Codable {
    /// The algorithm; `.sinkhorn` picks the log domain or the fast path automatically.
    public var solver: OTSolver = .sinkhorn
    /// The entropic regularisation ε of the Sinkhorn solvers, in cost units; must be > 0.
    public var regularization: Double = 0.01
    /// The iteration cap (Sinkhorn iterations; IPOT outer iterations); must be ≥ 1.
    public var maxIterations: Int = 100
    /// Stop when the marginal violation (see ``OTResult/marginalError``) drops below this.
    /// Checked every 10 iterations, as POT does; 0 runs exactly `maxIterations` iterations.
    /// The plan is float32, so violations bottom out near 1e-8…1e-7: the default (POT's 1e-9)
    /// in practice runs `maxIterations` iterations and reports `converged == false`.
    public var tolerance: Double = 1e-9
    /// IPOT's proximal parameter β (in cost units); must be > 0.
    public var proximalBeta: Double = 1
    /// IPOT's inner Sinkhorn iterations per proximal step; must be ≥ 1.
    public var innerIterations: Int = 1
    /// Warm-start Sinkhorn by ε-scaling: ε decreases geometrically from the cost range to
    /// `regularization` over the first iterations (at most half of `maxIterations`).
    public var epsilonScaling: Bool = false

    public init(
        solver: OTSolver = .sinkhorn, regularization: Double = 0.01, maxIterations: Int = 100,
        tolerance: Double = 1e-9, proximalBeta: Double = 1, innerIterations: Int = 1,
        epsilonScaling: Bool = false
    ) {
        self.solver = solver
        self.regularization = regularization
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.proximalBeta = proximalBeta
        self.innerIterations = innerIterations
        self.epsilonScaling = epsilonScaling
    }

    /// The concrete solver `.sinkhorn` stands for, given the cost range `max C − min C`.
    ///
    /// The fast path (`.sinkhornScaling`) is chosen when `range / ε ≤ 1000` (for costs in [0, 2]:
    /// ε ≥ 0.002, which includes the paper's 0.01). Its float32 kernel holds the *absorbed* plan
    /// `exp((f_i + g_j − C_ij)/ε)`, refreshed whenever the scalings leave [1e-4, 1e4]; below that
    /// ratio refreshes are rare, above it they would cost as much as log-domain iterations, so
    /// the log domain is used. Other solvers are returned unchanged.
    public func resolvedSolver(costRange: Double) -> OTSolver {
        guard solver == .sinkhorn else { return solver }
        return costRange / regularization <= 1000 ? .sinkhornScaling : .sinkhornLog
    }

    /// Throws `FSCError.invalidArgument` when an option is out of range.
    public func validate() throws {
        guard regularization.isFinite, regularization > 0 else {
            throw FSCError.invalidArgument("regularization must be finite and > 0, got \(regularization)")
        }
        guard maxIterations >= 1 else {
            throw FSCError.invalidArgument("maxIterations must be >= 1, got \(maxIterations)")
        }
        guard tolerance.isFinite, tolerance >= 0 else {
            throw FSCError.invalidArgument("tolerance must be finite and >= 0, got \(tolerance)")
        }
        guard proximalBeta.isFinite, proximalBeta > 0 else {
            throw FSCError.invalidArgument("proximalBeta must be finite and > 0, got \(proximalBeta)")
        }
        guard innerIterations >= 1 else {
            throw FSCError.invalidArgument("innerIterations must be >= 1, got \(innerIterations)")
        }
    }
}
