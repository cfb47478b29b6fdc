// PGD.swift — projected gradient descent on a loss of the labels (Madry et al.).

/// Projected gradient ascent on a labelled loss inside an L∞ or L2 ball (Madry et al.,
/// *Towards Deep Learning Models Resistant to Adversarial Attacks*, ICLR 2018,
/// https://arxiv.org/abs/1706.06083).
///
/// From `x' = proj(x + U(ball))` (or `x`), each of the k steps takes
/// ```
/// x' ← clamp(proj_{B(x,ε)}(x' + α · d(∇_x' L(f(x'), y))), 0, 1)
/// ```
/// with d = sign for L∞ and g/‖g‖₂ for L2, and L the cross-entropy (default), the CW margin
/// (`PGD.cw`) or DLR. Targeted attacks descend on the loss of the target class instead.
/// With restarts, images not yet fooled are attacked again from a new random start.
/// The model runs on inference passes (nothing in it changes).
///
/// Threat model: L∞ (ε in [0, 1] pixel units) or L2. Defaults of the feature-scattering
/// reference evaluation: random start, step ε/4 (2/255 for ε = 8/255), cross-entropy.
///
/// ```swift
/// let adversarial = try PGD(epsilon: 0.1, steps: 20).perturb(model, images: x, labels: y, using: &g)
/// ```
public struct PGD: Attack {
    /// The step count of an evaluation PGD or CW when none is named (PGD-20).
    public static let defaultSteps = 20

    /// The reference code's step size, ε/4 (2/255 at ε = 8/255); Madry training and TRADES use it too.
    public static func defaultStepSize(epsilon: Float) -> Float { epsilon / 4 }

    /// The loss PGD ascends.
    public enum Loss: Sendable, Equatable {
        /// Cross-entropy of the label (targeted: minus that of the target).
        case crossEntropy
        /// Minus the CW margin `max(z_y − max_{j≠y} z_j + κ, 0)`.
        case margin(kappa: Float)
        /// The DLR loss (targeted: targeted DLR, K ≥ 4).
        case dlr
    }

    public var threat: ThreatModel
    /// α, the step size.
    public var stepSize: Float
    public var steps: Int
    public var randomStart: Bool
    public var loss: Loss
    /// Attempts per image (≥ 1); later ones only for images not yet fooled.
    public var restarts: Int
    public var target: AttackTarget
    /// The name in reports, `"pgd<k>"` unless set.
    public var name: String

    /// - Parameter stepSize: α; nil for ε/4.
    public init(epsilon: Float, stepSize: Float? = nil, steps: Int, randomStart: Bool = true, norm: Norm = .linf,
                loss: Loss = .crossEntropy, restarts: Int = 1, target: AttackTarget = .untargeted) throws {
        threat = try ThreatModel(norm: norm, epsilon: epsilon)
        let stepSize = stepSize ?? PGD.defaultStepSize(epsilon: epsilon)
        guard stepSize.isFinite, stepSize >= 0 else { throw FSCError.invalidArgument("step size must be ≥ 0, got \(stepSize)") }
        guard steps >= 0 else { throw FSCError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        guard restarts >= 1 else { throw FSCError.invalidArgument("restarts must be ≥ 1, got \(restarts)") }
        self.stepSize = stepSize
        self.steps = steps
        self.randomStart = randomStart
        self.loss = loss
        self.restarts = restarts
        self.target = target
        self.name = "pgd\(steps)"
    }

    public var settings: [String: String] {
        var fields: [String: Any] = ["step_size": stepSize, "steps": steps, "random_start": randomStart,
                                     "restarts": restarts, "target": target.rawValue]
        switch loss {
        case .crossEntropy: fields["loss"] = "cross-entropy"
        case .margin(let kappa): fields["loss"] = "cw-margin"; fields["kappa"] = kappa
        case .dlr: fields["loss"] = "dlr"
        }
        return attackSettings("PGD", threat, fields)
    }

    /// The per-example objective PGD maximises.
    func objective(_ logits: Variable, labels: [Int], targets: [Int]?) -> Variable {
        switch loss {
        case .crossEntropy:
            if let targets { return -crossEntropyPerExample(logits, labels: targets) }
            return crossEntropyPerExample(logits, labels: labels)
        case .margin(let kappa):
            return -marginLoss(logits, labels: labels, kappa: kappa, targets: targets)
        case .dlr:
            if let targets { return targetedDLRLoss(logits, labels: labels, targets: targets) }
            return dlrLoss(logits, labels: labels)
        }
    }

    /// The adversarial batch for `images` (`[N, C, H, W]` in [0, 1]) and their `labels`.
    ///
    /// - Throws: `FSCError` for images outside [0, 1], labels outside the model's classes,
    ///   a model that outputs probabilities, or DLR with too few classes.
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        let k = try validateAttack(model, images: images, labels: labels)
        guard !labels.isEmpty else { return images }
        if case .dlr = loss {
            let needed = target == .untargeted ? 3 : 4
            guard k >= needed else { throw FSCError.invalidArgument("DLR loss needs ≥ \(needed) classes, the model has \(k)") }
        }
        let targets = target == .untargeted
            ? nil : target.targets(cleanLogits: model.predict(images), labels: labels, using: &generator)
        return try withRestarts(restarts, model: model, images: images, labels: labels, targets: targets) { x, y, t in
            run(model, images: x, labels: y, targets: t, using: &generator)
        }
    }

    /// One PGD run without restarts.
    func run(_ model: any Module, images: Tensor, labels: [Int], targets: [Int]?,
             using generator: inout some BatchRandomness) -> Tensor {
        var current = randomStart ? threat.randomStart(around: images, using: &generator) : images
        for _ in 0..<steps {
            let (gradient, _, _) = inputGradient(of: model, at: current) {
                objective($0, labels: labels, targets: targets)
            }
            current = threat.step(current, gradient: gradient, stepSize: stepSize, around: images)
        }
        return current
    }
}
