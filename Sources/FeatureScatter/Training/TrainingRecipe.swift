// TrainingRecipe.swift — a training method by name with its settings; every method default lives here.

/// The training methods the library implements.
public enum TrainingMethodKind: String, CaseIterable, Sendable, Codable {
    /// Cross-entropy on the clean batch.
    case standard
    /// Madry et al.'s PGD adversarial training (ICLR 2018).
    case madry
    /// The paper's method (Algorithm 1).
    case featureScattering = "feature-scattering"
    /// The paper's "Random" ablation: uniform noise in the ball.
    case random
    /// The paper's "Supervised" ablation: feature scattering's budget and steps, labelled ascent.
    case supervised
    /// TRADES (Zhang et al., ICML 2019).
    case trades
    /// Bilateral Adversarial Training (Wang & Zhang, ICCV 2019): a one-step attack toward the
    /// most confusing class and adversarial labels, the paper's "Bilateral" baseline.
    case bilateral

    /// Perturbation steps when a recipe names none: Madry's PGD-7, TRADES' 10, BAT's single
    /// step, and feature scattering's single step for the paper's method and its ablations.
    public var defaultSteps: Int {
        switch self {
        case .madry: return 7
        case .trades: return 10
        case .bilateral: return BilateralTraining.defaultSteps
        case .standard, .random, .featureScattering, .supervised: return FeatureScatteringAttack.defaultSteps
        }
    }

    /// The step size when a recipe names none: PGD's ε/4 for Madry and TRADES, one full ε
    /// step for feature scattering and its ablations (the reference code's) and for BAT's
    /// single step.
    public func defaultStepSize(epsilon: Float) -> Float {
        switch self {
        case .madry, .trades: return PGD.defaultStepSize(epsilon: epsilon)
        case .standard, .random, .featureScattering, .supervised, .bilateral: return epsilon
        }
    }

    /// Label smoothing when a recipe names none: the paper's δ = 0.5 for feature scattering
    /// and the ablations it is compared with, none for the baselines (BAT's adversarial
    /// labels take its place).
    public var defaultLabelSmoothing: Float {
        switch self {
        case .featureScattering, .random, .supervised: return 0.5
        case .standard, .madry, .trades, .bilateral: return 0
        }
    }
}

/// A training method and its settings: what `fscatter train`'s flags and a C
/// `fsc_trainer_config` both describe. An unset optional means the method's default.
///
/// ```swift
/// let method = try TrainingRecipe(method: .madry, epsilon: 8.0 / 255).makeMethod()   // PGD-7, step 2/255
/// ```
public struct TrainingRecipe: Sendable, Equatable, Codable {
    public var method: TrainingMethodKind
    /// The L∞ budget of the perturbation, in [0, 1] pixel units.
    public var epsilon: Float
    /// Perturbation steps; nil for ``TrainingMethodKind/defaultSteps``.
    public var attackSteps: Int?
    /// Perturbation step size; nil for ``TrainingMethodKind/defaultStepSize(epsilon:)``.
    public var attackStepSize: Float?
    /// δ in [0, 1); nil for ``TrainingMethodKind/defaultLabelSmoothing``.
    public var labelSmoothing: Float?
    /// Feature scattering's objective (cost, matching, OT solver, gradient mode).
    public var scattering = ScatteringObjective()
    /// TRADES' β.
    public var tradesBeta = TRADESTraining.defaultBeta
    /// BAT's β > 0, the true class's target over the largest wrong class's; nil for
    /// ``BilateralTraining/defaultBeta``.
    public var bilateralBeta: Float?

    public init(method: TrainingMethodKind = .featureScattering, epsilon: Float = ThreatModel.defaultEpsilon,
                attackSteps: Int? = nil, attackStepSize: Float? = nil, labelSmoothing: Float? = nil) {
        self.method = method
        self.epsilon = epsilon
        self.attackSteps = attackSteps
        self.attackStepSize = attackStepSize
        self.labelSmoothing = labelSmoothing
    }

    /// The perturbation steps the method runs.
    public var steps: Int { attackSteps ?? method.defaultSteps }
    /// The perturbation step size the method uses.
    public var stepSize: Float { attackStepSize ?? method.defaultStepSize(epsilon: epsilon) }
    /// The label smoothing δ of the training loss.
    public var smoothing: Float { labelSmoothing ?? method.defaultLabelSmoothing }
    /// BAT's β.
    public var labelRatio: Float { bilateralBeta ?? BilateralTraining.defaultBeta }

    /// The method these settings describe, checked.
    ///
    /// - Throws: `FSCError.invalidArgument` naming the setting that is out of range.
    public func makeMethod() throws -> any TrainingMethod {
        guard (0...10_000).contains(steps) else {
            throw FSCError.invalidArgument("perturbation steps must be in 0...10000, got \(steps)")
        }
        let threat = try ThreatModel(norm: .linf, epsilon: epsilon)
        let perturbation: Perturbation
        switch method {
        case .standard:
            perturbation = .none
        case .madry, .supervised:
            perturbation = .pgd(try PGD(epsilon: epsilon, stepSize: stepSize, steps: steps))
        case .featureScattering:
            perturbation = .featureScattering(try FeatureScatteringAttack(epsilon: epsilon, stepSize: stepSize, steps: steps,
                                                                          objective: scattering))
        case .random:
            perturbation = .random(threat)
        case .trades:
            return try TRADESTraining(epsilon: epsilon, stepSize: stepSize, steps: steps, beta: tradesBeta)
        case .bilateral:
            guard smoothing == 0 else {
                throw FSCError.invalidArgument("bilateral training perturbs the labels itself (set its β instead); label smoothing must be 0 or unset, got \(smoothing)")
            }
            return try BilateralTraining(epsilon: epsilon, stepSize: stepSize, steps: steps, beta: labelRatio)
        }
        return try PerturbationTraining(name: method.rawValue, perturbation: perturbation, labelSmoothing: smoothing)
    }

    /// The settings a checkpoint and a summary record, defaults resolved.
    public var settings: [String: String] {
        var facts = ["method": method.rawValue]
        if method != .bilateral { facts["label_smoothing"] = "\(smoothing)" }
        guard method != .standard else { return facts }
        facts["epsilon"] = "\(epsilon)"
        if method != .random {
            facts["attack_steps"] = "\(steps)"
            facts["attack_step_size"] = "\(stepSize)"
        }
        if method == .featureScattering { facts.merge(scattering.settings) { a, _ in a } }
        if method == .trades { facts["trades_beta"] = "\(tradesBeta)" }
        if method == .bilateral { facts["bilateral_beta"] = "\(labelRatio)" }
        return facts
    }
}
