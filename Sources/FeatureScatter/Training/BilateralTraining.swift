// BilateralTraining.swift — BAT: train on a one-step targeted image perturbation with adversarial labels.

/// Bilateral Adversarial Training (Wang & Zhang, *Bilateral Adversarial Training: Towards Fast
/// Training of More Robust Models Against Adversarial Attacks*, ICCV 2019,
/// https://arxiv.org/abs/1811.10716), the "Bilateral" row of the feature-scattering paper's
/// Tables 1 and 2. It perturbs both sides of a training pair (§4): the image by a one-step
/// attack toward the most confusing class from a random start (§4.2, the paper's R-MC), and
/// the label by the closed form of §4.1 (its LA), then minimises
/// ```
/// min_θ  (1/N) Σ_i CE(f(x̃_i), ỹ_i)
/// x̃ = clamp(proj_{B∞(x,ε)}(x⁰ − α · sign(∇_x⁰ CE(f(x⁰), t))), 0, 1),   x⁰ = clamp(x + U(−ε, ε), 0, 1)
/// t_i = argmax_{k≠y_i} f(x_i)_k                       (``mostConfusingClasses(logits:labels:)``)
/// ỹ   = adversarial labels of f(x), β, γ              (``adversarialLabels(logits:labels:beta:gamma:)``)
/// ```
/// One inference pass on the clean batch gives both t and ỹ; the attack runs on inference
/// passes; only `f(x̃)` is in training mode. There is no label smoothing on top: ỹ replaces it
/// (label smoothing is the special case where the wrong classes tie).
///
/// Defaults: one step (the paper's "one-step targeted attack"); α = ε, our choice where the paper
/// as read here fixes none (one step from the random start can then reach every face of the ball,
/// as in feature scattering's reference code); β = 9 and γ = 0.01 (the authors' code). The authors train WRN-28-10 for 200 epochs at ε = 8/255
/// (SGD 0.1, momentum 0.9, weight decay 2e-4, batch 128, ×0.1 at epochs 100 and 150).
public struct BilateralTraining: TrainingMethod {
    /// β: the true class's target is β times the largest wrong class's (§4.1).
    public static let defaultBeta: Float = 9
    /// γ of §4.1.
    public static let defaultGamma: Float = 0.01
    /// The image perturbation is a single step (§4.2).
    public static let defaultSteps = 1

    public var name: String { "bilateral" }
    /// The image attack: PGD on the cross-entropy, from a random start, run toward the most
    /// confusing classes (its own `target` field is not used).
    public var attack: PGD
    public var beta: Float
    public var gamma: Float

    /// - Throws: `FSCError.invalidArgument` for ε, α, steps, β or γ out of range.
    public init(epsilon: Float, stepSize: Float, steps: Int = defaultSteps, beta: Float = defaultBeta,
                gamma: Float = defaultGamma) throws {
        guard beta.isFinite, beta > 0 else { throw FSCError.invalidArgument("bilateral β must be finite and > 0, got \(beta)") }
        guard gamma.isFinite, gamma > 0 else { throw FSCError.invalidArgument("bilateral γ must be finite and > 0, got \(gamma)") }
        attack = try PGD(epsilon: epsilon, stepSize: stepSize, steps: steps, randomStart: true, loss: .crossEntropy)
        attack.name = "bilateral-mc"
        self.beta = beta
        self.gamma = gamma
    }

    /// The bilateral pair for a batch: the perturbed images x̃ and the adversarial labels ỹ
    /// (with each image's budget ε_y), both from one inference pass on the clean images.
    ///
    /// - Throws: `FSCError` for labels outside the model's classes or non-finite logits.
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> (images: Tensor, labels: AdversarialLabels) {
        let clean = model.predict(images)
        let soft = try adversarialLabels(logits: clean, labels: labels, beta: beta, gamma: gamma)
        let targets = try mostConfusingClasses(logits: clean, labels: labels)
        return (attack.run(model, images: images, labels: labels, targets: targets, using: &generator), soft)
    }

    public func step(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
                     context: inout StepContext) throws -> TrainingStep {
        let (perturbed, soft) = try perturb(model, images: images, labels: labels, using: &context.randomness)
        let logits = model(tape.input(perturbed))
        let budget = soft.budgets.reduce(0.0) { $0 + Double($1) } / Double(max(labels.count, 1))
        return TrainingStep(loss: crossEntropy(logits, targets: soft.targets), logits: logits,
                            statistics: ["label_epsilon": budget])
    }
}
