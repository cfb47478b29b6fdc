// RandomNoise.swift — the random-noise baseline: how much does noise of the same size hurt?

/// Random perturbations of the threat model's size: L∞ `x + U(−ε, ε)` (or the corners
/// `x ± ε` with random signs), L2 a uniform radius in a random direction; clamped to [0, 1].
/// With `restarts`, images not yet misclassified get new draws.
///
/// A baseline, not an attack: if it lowers accuracy as much as a gradient attack does, the
/// gradient attack is failing (Carlini et al., *On Evaluating Adversarial Robustness*,
/// 2019, https://arxiv.org/abs/1902.06705, §5).
public struct RandomNoise: Attack {
    public var threat: ThreatModel
    public var restarts: Int
    /// L∞ only: draw ±ε per pixel instead of U(−ε, ε).
    public var corners: Bool
    public var name = "noise"

    public init(epsilon: Float, norm: Norm = .linf, restarts: Int = 1, corners: Bool = false) throws {
        threat = try ThreatModel(norm: norm, epsilon: epsilon)
        guard restarts >= 1 else { throw FSCError.invalidArgument("restarts must be ≥ 1, got \(restarts)") }
        self.restarts = restarts
        self.corners = corners
    }

    public var settings: [String: String] {
        attackSettings("RandomNoise", threat, ["restarts": restarts, "corners": corners])
    }

    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        _ = try validateAttack(model, images: images, labels: labels)
        guard !labels.isEmpty else { return images }
        return try withRestarts(restarts, model: model, images: images, labels: labels, targets: nil) { x, _, _ in
            guard corners, threat.norm == .linf else { return threat.randomStart(around: x, using: &generator) }
            let signs = generator.uniform(x.shape, low: -1, high: 1).sign()
            return threat.project(x + signs * threat.epsilon, around: x)
        }
    }
}
