// PerturbationTraining.swift — train on a perturbed batch: standard, Madry, feature scattering, ablations.

/// How the training batch is perturbed before the training step.
public enum Perturbation {
    /// The clean batch (standard training).
    case none
    /// Uniform noise in the L∞ ball: the paper's "Random" ablation.
    case random(ThreatModel)
    /// PGD on the cross-entropy of the labels: Madry et al.'s adversarial training, or the
    /// paper's "Supervised" ablation with feature scattering's budget and step count.
    case pgd(PGD)
    /// The paper's feature-scattering perturbation (Algorithm 1).
    case featureScattering(FeatureScatteringAttack)

    /// The perturbed batch and figures about it.
    func apply(_ model: any Module, images: Tensor, labels: [Int],
               context: inout StepContext) throws -> (Tensor, [String: Double]) {
        switch self {
        case .none:
            return (images, [:])
        case .random(let threat):
            return (threat.randomStart(around: images, using: &context.randomness), [:])
        case .pgd(let pgd):
            return (try pgd.perturb(model, images: images, labels: labels, using: &context.randomness), [:])
        case .featureScattering(let attack):
            let (perturbed, distance) = try attack.perturbReportingDistance(
                model, images: images, labels: labels, shard: context.shard, using: &context.randomness)
            return (perturbed, distance.map { ["ot_distance": Double($0)] } ?? [:])
        }
    }
}

/// Training on a perturbed batch only, with (label-smoothed) cross-entropy: the loop of
/// Algorithm 1 in the feature-scattering paper, and of every baseline it is compared with.
///
/// ```
/// x' = perturb(x)                     (on an inference pass of the model)
/// loss = −(1/N) Σ_i Σ_k t_ik log softmax(f(x'_i))_k,  t = (1 − δ − δ/(K−1))·onehot + δ/(K−1)
/// ```
/// with the model in training mode for `f(x')`.
public struct PerturbationTraining: TrainingMethod {
    public let name: String
    public var perturbation: Perturbation
    /// δ in [0, 1); 0 means plain one-hot targets.
    public var labelSmoothing: Float

    public init(name: String, perturbation: Perturbation, labelSmoothing: Float) throws {
        guard labelSmoothing >= 0, labelSmoothing < 1 else {
            throw FSCError.invalidArgument("label smoothing must be in [0, 1), got \(labelSmoothing)")
        }
        self.name = name
        self.perturbation = perturbation
        self.labelSmoothing = labelSmoothing
    }

    public func step(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
                     context: inout StepContext) throws -> TrainingStep {
        let (perturbed, statistics) = try perturbation.apply(model, images: images, labels: labels, context: &context)
        let logits = model(tape.input(perturbed))
        let targets = smoothedTargets(labels, classes: classes, smoothing: labelSmoothing)
        return TrainingStep(loss: crossEntropy(logits, targets: targets), logits: logits, statistics: statistics)
    }
}
