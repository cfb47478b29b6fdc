// FeatureScatteringAttack.swift — Algorithm 1 of the paper: perturbations that scatter features.

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
/// size ε, cosine cost, OT matching, Sinkhorn with reg 0.01 and 100 iterations, gradients
/// unrolled through the iterations (the reference does not detach T).
public struct FeatureScatteringAttack {
    public var ball: LinfBall
    /// The step size (default ε).
    public var stepSize: Float
    public var steps: Int
    public var randomStart: Bool
    public var cost: CostFunction
    public var matching: OTMatching
    public var transport: OTOptions
    public var gradientMode: OTGradientMode

    public init(epsilon: Float, stepSize: Float? = nil, steps: Int = 1, randomStart: Bool = true,
                cost: CostFunction = .cosine, matching: OTMatching = .ot,
                transport: OTOptions = OTOptions(solver: .sinkhorn, regularization: 0.01, maxIterations: 100),
                gradientMode: OTGradientMode = .unrolled) throws {
        ball = try LinfBall(epsilon: epsilon)
        self.stepSize = stepSize ?? epsilon
        guard self.stepSize.isFinite, self.stepSize >= 0 else {
            throw FSCError.invalidArgument("step size must be ≥ 0, got \(self.stepSize)")
        }
        guard steps >= 0 else { throw FSCError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        try transport.validate()
        self.steps = steps
        self.randomStart = randomStart
        self.cost = cost
        self.matching = matching
        self.transport = transport
        self.gradientMode = gradientMode
    }

    /// The scattering objective D between the clean logits and the model's logits on `x'`.
    public func distance(cleanLogits: Tensor, perturbedLogits: Variable) throws -> Variable {
        try transportDistance(Variable(constant: cleanLogits), perturbedLogits, cost: cost, matching: matching,
                              options: transport, gradient: gradientMode).distance
    }

    /// Perturbs a batch.
    ///
    /// - Parameter images: `[N, C, H, W]` in [0, 1].
    /// - Returns: the perturbed batch and the OT distance it reaches (measured after the last step).
    public func perturb(_ model: any Module, images: Tensor,
                        using generator: inout SeededGenerator) throws -> (images: Tensor, distance: Float) {
        let clean = model.predict(images)
        var current = randomStart ? ball.randomStart(around: images, using: &generator) : images
        for _ in 0..<steps {
            let (gradient, _) = try inputGradient(of: model, at: current) {
                try distance(cleanLogits: clean, perturbedLogits: $0)
            }
            current = ball.ascend(current, gradient: gradient, stepSize: stepSize, around: images)
        }
        let reached = try distance(cleanLogits: clean, perturbedLogits: Variable(constant: model.predict(current)))
        return (current, reached.value.scalar)
    }
}
