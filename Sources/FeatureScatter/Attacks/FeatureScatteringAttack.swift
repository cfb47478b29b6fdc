// FeatureScatteringAttack.swift — Algorithm 1 of the paper: perturbations that scatter features.

/// Which batch feature scattering's transport problem spans when a global batch is split over ranks.
public enum OTScope: String, CaseIterable, Sendable, Codable {
    /// The whole global batch: clean and perturbed logits are gathered from every rank, each rank
    /// solves the same problem and back-propagates into its own rows, as one process would.
    case global
    /// Each rank's own rows, as the reference code under DataParallel (one problem per device).
    case local
}

/// What feature scattering maximises: the transport distance between the clean and the
/// perturbed batch's logits. Defaults are the reference code's: cosine cost, OT matching,
/// Sinkhorn with reg 0.01 and 100 iterations, gradients unrolled through the iterations (the
/// reference does not detach T); the problem spans the global batch.
public struct ScatteringObjective: Sendable, Equatable, Codable {
    public var cost: CostFunction = .cosine
    public var matching: OTMatching = .ot
    public var transport = OTOptions()
    public var gradientMode: OTGradientMode = .unrolled
    public var scope: OTScope = .global

    public init(cost: CostFunction = .cosine, matching: OTMatching = .ot, transport: OTOptions = OTOptions(),
                gradientMode: OTGradientMode = .unrolled, scope: OTScope = .global) {
        self.cost = cost
        self.matching = matching
        self.transport = transport
        self.gradientMode = gradientMode
        self.scope = scope
    }

    /// D between the clean logits and the perturbed logits.
    public func distance(cleanLogits: Tensor, perturbedLogits: Variable) throws -> Variable {
        try transportDistance(Variable(constant: cleanLogits), perturbedLogits, cost: cost, matching: matching,
                              options: transport, gradient: gradientMode).distance
    }

    /// The settings a report or checkpoint records.
    public var settings: [String: String] {
        ["cost": cost.rawValue, "matching": matching.rawValue, "solver": transport.solver.rawValue,
         "ot_reg": String(transport.regularization), "ot_iterations": String(transport.maxIterations),
         "grad_mode": gradientMode.rawValue, "ot_scope": scope.rawValue]
    }
}

/// Feature-scattering perturbation (Zhang & Wang, *Defense Against Adversarial Attacks Using
/// Feature Scattering-based Adversarial Training*, NeurIPS 2019, Algorithm 1).
///
/// Unsupervised and collaborative: for a batch `x` of n images it maximises the optimal
/// transport distance between the clean and the perturbed batch's features,
/// ```
/// max_{x' ∈ B∞(x, ε)}  D(x, x') = Σ_ij T_ij C_ij,   C_ij = max(0, 1 − cos(f(x_i), f(x'_j)))
/// ```
/// where `f` gives the logits, T is the entropic OT plan (Sinkhorn, reg 0.01, ≤ 100 iterations)
/// with uniform marginals 1/n, and no label is used. Starting from `x' = clamp(x + U(−ε, ε))`,
/// each of `steps` iterations takes `x' ← clamp(proj(x' + stepSize · sign(∇_x' D)), 0, 1)`.
/// The model is run on inference passes: batch norm uses running statistics, dropout is off,
/// nothing in the model changes and no parameter gradient is recorded.
///
/// Threat model: L∞, ε in [0, 1] pixel units. Defaults are the reference code's: one step of
/// size ε and the objective's defaults (see ``ScatteringObjective``).
public struct FeatureScatteringAttack: Attack {
    /// The reference code's step count.
    public static let defaultSteps = 1

    public var threat: ThreatModel
    /// The step size (default ε).
    public var stepSize: Float
    public var steps: Int
    public var randomStart: Bool
    public var objective: ScatteringObjective
    public var name: String { "feature-scattering" }

    public init(epsilon: Float, stepSize: Float? = nil, steps: Int = defaultSteps, randomStart: Bool = true,
                objective: ScatteringObjective = ScatteringObjective()) throws {
        threat = try ThreatModel(norm: .linf, epsilon: epsilon)
        self.stepSize = stepSize ?? epsilon
        guard self.stepSize.isFinite, self.stepSize >= 0 else {
            throw FSCError.invalidArgument("step size must be ≥ 0, got \(self.stepSize)")
        }
        guard steps >= 0 else { throw FSCError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        try objective.transport.validate()
        self.steps = steps
        self.randomStart = randomStart
        self.objective = objective
    }

    public var settings: [String: String] {
        var fields: [String: Any] = objective.settings
        fields.merge(["step_size": stepSize, "steps": steps, "random_start": randomStart]) { _, own in own }
        return attackSettings("FeatureScattering", threat, fields)
    }

    /// The perturbed batch; the labels are checked but not used (the objective has none).
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        try perturbReportingDistance(model, images: images, labels: labels, using: &generator).images
    }

    /// Perturbs a batch and reports the OT distance of its last ascent step.
    ///
    /// The distance is the objective that step already computed, at the point it started from
    /// (for the default single step: the random start); nil without steps. Measuring the
    /// distance after the last step would cost one more forward pass and OT solve per batch.
    ///
    /// - Parameters:
    ///   - images: `[N, C, H, W]` in [0, 1], with their `labels` (checked only).
    ///   - shard: where the rows sit in a global batch split over ranks; with the `.global`
    ///     scope the transport problem spans the global batch (nil: these rows alone).
    public func perturbReportingDistance(_ model: any Module, images: Tensor, labels: [Int], shard: BatchShard? = nil,
                                         using generator: inout some BatchRandomness) throws -> (images: Tensor, distance: Float?) {
        _ = try validateAttack(model, images: images, labels: labels)
        let span = objective.scope == .global ? shard ?? .whole(labels.count) : .whole(labels.count)
        let clean = try span.gatherRows(model.predict(images))
        var current = randomStart ? threat.randomStart(around: images, using: &generator) : images
        var distance: Float?
        for _ in 0..<steps {
            let (gradient, value, _) = try inputGradient(of: model, at: current) {
                try objective.distance(cleanLogits: clean, perturbedLogits: try span.gatherRows($0))
            }
            distance = value.scalar
            current = threat.step(current, gradient: gradient, stepSize: stepSize, around: images)
        }
        return (current, distance)
    }
}
