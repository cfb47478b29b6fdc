// FGSM.swift — the fast gradient sign method, with or without a random start.

/// The fast gradient sign method (Goodfellow et al., *Explaining and Harnessing Adversarial
/// Examples*, ICLR 2015, https://arxiv.org/abs/1412.6572):
/// ```
/// x' = clamp(proj_{B(x,ε)}(x₀ + α · sign(∇_x₀ CE(f(x₀), y))), 0, 1)
/// ```
/// with x₀ = x (classic FGSM, α = ε) or x₀ = x + U(−ε, ε) (`randomStart`, the
/// feature-scattering reference's "FGSM"; Wong et al. 2020 use α = 1.25ε there). For L2,
/// sign is replaced by g/‖g‖₂ (the fast gradient method).
///
/// Threat model: L∞ (ε in [0, 1] pixel units) or L2. Defaults: no random start, α = ε.
public struct FGSM: Attack {
    public var threat: ThreatModel
    public var stepSize: Float
    public var randomStart: Bool
    public var name: String

    public init(epsilon: Float, stepSize: Float? = nil, randomStart: Bool = false, norm: Norm = .linf) throws {
        threat = try ThreatModel(norm: norm, epsilon: epsilon)
        self.stepSize = stepSize ?? epsilon
        guard self.stepSize.isFinite, self.stepSize >= 0 else {
            throw FSCError.invalidArgument("step size must be ≥ 0, got \(self.stepSize)")
        }
        self.randomStart = randomStart
        name = randomStart ? "fgsm-rs" : "fgsm"
    }

    public var settings: [String: String] {
        attackSettings("FGSM", threat, ["step_size": stepSize, "random_start": randomStart])
    }

    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        var pgd = try PGD(epsilon: threat.epsilon, stepSize: stepSize, steps: 1, randomStart: randomStart, norm: threat.norm)
        pgd.name = name
        return try pgd.perturb(model, images: images, labels: labels, using: &generator)
    }
}
