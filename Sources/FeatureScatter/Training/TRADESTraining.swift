// TRADESTraining.swift — TRADES: a clean loss plus a KL term between clean and perturbed predictions.

/// TRADES (Zhang et al., *Theoretically Principled Trade-off between Robustness and
/// Accuracy*, ICML 2019, https://arxiv.org/abs/1901.08573), the modern baseline the
/// feature-scattering paper lacks.
///
/// ```
/// x' = argmax_{x' ∈ B∞(x, ε)} KL(p(x) ‖ p(x'))   (PGD from x + 0.001·N(0, 1), inference passes)
/// loss = CE(f(x), y) + β · (1/N) Σ_i KL(p(x_i) ‖ p(x'_i)),   p = softmax ∘ f
/// ```
/// with both forward passes of the loss in training mode. The paper's β is 6.
public struct TRADESTraining: TrainingMethod {
    /// β of the TRADES paper's CIFAR-10 experiments.
    public static let defaultBeta: Float = 6

    public var name: String { "trades" }
    public var threat: ThreatModel
    public var stepSize: Float
    public var steps: Int
    public var beta: Float

    public init(epsilon: Float, stepSize: Float, steps: Int, beta: Float = defaultBeta) throws {
        threat = try ThreatModel(norm: .linf, epsilon: epsilon)
        guard stepSize.isFinite, stepSize >= 0 else { throw FSCError.invalidArgument("step size must be ≥ 0, got \(stepSize)") }
        self.stepSize = stepSize
        guard steps >= 0 else { throw FSCError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        guard beta.isFinite, beta >= 0 else { throw FSCError.invalidArgument("beta must be ≥ 0, got \(beta)") }
        self.steps = steps
        self.beta = beta
    }

    /// `(1/N) Σ_i KL(softmax(p_i) ‖ softmax(q_i))` for logits `p` (reference) and `q`.
    static func meanKL(_ p: Variable, _ q: Variable) -> Variable {
        let logP = logSoftmax(p), logQ = logSoftmax(q)
        return sum(exp(logP) * (logP - logQ)) * (1 / Float(p.shape[0]))
    }

    public func step(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
                     context: inout StepContext) throws -> TrainingStep {
        let clean = Variable(constant: model.predict(images))
        var current = (images + context.randomness.normal(images.shape, standardDeviation: 0.001))
            .clamped(to: 0...1)
        for _ in 0..<steps {
            let (gradient, _, _) = inputGradient(of: model, at: current) { TRADESTraining.meanKL(clean, $0) }
            current = threat.step(current, gradient: gradient, stepSize: stepSize, around: images)
        }
        let logits = model(tape.input(images))
        let robust = TRADESTraining.meanKL(logits, model(tape.input(current)))
        return TrainingStep(loss: crossEntropy(logits, labels: labels) + robust * beta, logits: logits,
                            statistics: ["kl": Double(robust.value.scalar)])
    }
}
