// APGD.swift — Auto-PGD: step-size-free PGD with momentum (Croce & Hein 2020).

/// Auto-PGD (Croce & Hein, *Reliable evaluation of adversarial robustness with an ensemble
/// of diverse parameter-free attacks*, ICML 2020, https://arxiv.org/abs/2003.01690, Alg. 1).
///
/// Per image, from `x⁰` (a random point of the ball) and `η = 2ε`:
/// ```
/// x¹     = P(x⁰ + η · d(∇f(x⁰)))
/// z^k+1  = P(x^k + η · d(∇f(x^k)))
/// x^k+1  = P(x^k + α(z^k+1 − x^k) + (1 − α)(x^k − x^k−1)),   α = 0.75
/// ```
/// with d = sign (L∞) or g/‖g‖₂ (L2) and P the projection onto the ball and [0, 1].
/// At the checkpoints `w_j = ⌈p_j N⌉`, `p_0 = 0, p_1 = 0.22, p_j+1 = p_j + max(p_j − p_j−1 − 0.03, 0.06)`,
/// η is halved and the iterate restarts from the best point x_max when
///   1. `Σ_{i=w_j−1}^{w_j−1} 1[f(x^i+1) > f(x^i)] < ρ·(w_j − w_j−1)`, ρ = 0.75, or
///   2. η was not reduced at w_j−1 and `f_max` has not improved since then.
/// The loss f is the cross-entropy (APGD-CE), DLR (APGD-DLR), or, targeted, the targeted
/// DLR towards each of the `targetClasses` highest other classes in turn (APGD-T, 9 by
/// default; only images still classified correctly go on to the next target).
///
/// Returns for each image the first misclassified iterate found, else the iterate with the
/// highest loss. The model runs on inference passes; nothing in it changes.
///
/// Threat model: L∞ (ε in [0, 1] pixel units) or L2. Defaults (AutoAttack "standard"):
/// 100 iterations, 1 restart, ρ = 0.75, α = 0.75, 9 target classes.
public struct APGD: Attack {
    /// AutoAttack's iteration count.
    public static let defaultSteps = 100

    /// The loss APGD maximises.
    public enum Loss: String, Sendable, Equatable {
        case crossEntropy = "ce"
        case dlr
    }

    public var threat: ThreatModel
    public var steps: Int
    public var restarts: Int
    public var loss: Loss
    public var targeted: Bool
    public var targetClasses: Int
    /// ρ, the fraction of increasing steps below which the step size is halved.
    public var rho: Float = 0.75
    /// α, the momentum weight of the new gradient step.
    public var momentum: Float = 0.75
    public var name: String

    /// - Parameters:
    ///   - loss: ignored when `targeted` (which always uses the targeted DLR loss).
    public init(epsilon: Float, norm: Norm = .linf, steps: Int = defaultSteps, loss: Loss = .crossEntropy,
                targeted: Bool = false, targetClasses: Int = 9, restarts: Int = 1) throws {
        threat = try ThreatModel(norm: norm, epsilon: epsilon)
        guard steps >= 1 else { throw FSCError.invalidArgument("APGD steps must be ≥ 1, got \(steps)") }
        guard restarts >= 1 else { throw FSCError.invalidArgument("restarts must be ≥ 1, got \(restarts)") }
        guard targetClasses >= 1 else { throw FSCError.invalidArgument("target classes must be ≥ 1, got \(targetClasses)") }
        self.steps = steps
        self.restarts = restarts
        self.loss = targeted ? .dlr : loss
        self.targeted = targeted
        self.targetClasses = targetClasses
        name = targeted ? "apgd-t" : (loss == .dlr ? "apgd-dlr" : "apgd-ce")
    }

    public var settings: [String: String] {
        var fields: [String: Any] = ["loss": targeted ? "targeted-dlr" : (loss == .dlr ? "dlr" : "cross-entropy"),
                                     "steps": steps, "restarts": restarts, "rho": rho, "momentum": momentum,
                                     "initial_step": "2ε"]
        if targeted { fields["target_classes"] = targetClasses }
        return attackSettings(targeted ? "APGD-T" : "APGD", threat, fields)
    }

    /// The checkpoints `w_j = ⌈p_j · N⌉` (without w_0 = 0), strictly increasing, below N.
    public static func checkpoints(steps n: Int) -> [Int] {
        var p: [Double] = [0, 0.22]
        while p.last! < 1 { p.append(p[p.count - 1] + max(p[p.count - 1] - p[p.count - 2] - 0.03, 0.06)) }
        var result: [Int] = []
        for value in p.dropFirst() {
            let w = Int((value * Double(n) - 1e-9).rounded(.up))
            if w < n && w > (result.last ?? 0) { result.append(w) }
        }
        return result
    }

    /// - Throws: `FSCError.invalidArgument` for targeted APGD with fewer than 4 classes
    ///   (targeted DLR needs z_π4), DLR with fewer than 3, or a probability-output model.
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        let k = try validateAttack(model, images: images, labels: labels)
        guard !labels.isEmpty else { return images }
        if targeted {
            guard k >= 4 else {
                throw FSCError.invalidArgument("APGD-T (targeted DLR loss) needs ≥ 4 classes, the model has \(k)")
            }
        } else if loss == .dlr, k < 3 {
            throw FSCError.invalidArgument("APGD-DLR needs ≥ 3 classes, the model has \(k)")
        }
        var result = images
        var fooled = [Bool](repeating: false, count: labels.count)
        let clean = model.predict(images)
        let order = labels.indices.map { sortedClasses(clean, row: $0) }
        let rounds = targeted ? min(targetClasses, k - 1) : 1
        for round in 0..<rounds {
            for _ in 0..<restarts {
                let open = fooled.indices.filter { !fooled[$0] }
                guard !open.isEmpty else { return result }
                let x = images.gathering(rows: open)
                let y = open.map { labels[$0] }
                let t: [Int]? = targeted ? open.map { order[$0][round + 1] } : nil
                let (adversarial, success) = singleRun(model, images: x, labels: y, targets: t, using: &generator)
                for (j, r) in open.enumerated() {
                    let width = x.count / open.count
                    for i in 0..<width { result.scalars[r * width + i] = adversarial.scalars[j * width + i] }
                    fooled[r] = success[j]
                }
            }
        }
        return result
    }

    /// The per-example objective.
    private func objective(_ logits: Variable, labels: [Int], targets: [Int]?) -> Variable {
        if let targets { return targetedDLRLoss(logits, labels: labels, targets: targets) }
        return loss == .dlr ? dlrLoss(logits, labels: labels) : crossEntropyPerExample(logits, labels: labels)
    }

    /// The random start of AutoAttack: L∞ `x + ε·t/‖t‖∞` with t ~ U(−1, 1), L2 `x + ε·t/‖t‖₂`
    /// with t ~ N(0, I); clamped to [0, 1].
    private func start(_ x: Tensor, using generator: inout some BatchRandomness) -> Tensor {
        var t = threat.norm == .linf ? generator.uniform(x.shape, low: -1, high: 1)
                                     : generator.normal(x.shape, standardDeviation: 1)
        let rows = x.shape[0], width = x.count / rows
        for r in 0..<rows {
            let range = (r * width)..<((r + 1) * width)
            let size = threat.norm == .linf ? Double(t.scalars[range].map { abs($0) }.max() ?? 0) : rowNorm(t.scalars, r, width)
            let scale = Float(Double(threat.epsilon) / max(size, 1e-12))
            for i in range { t.scalars[i] *= scale }
        }
        return threat.project(x + t, around: x)
    }

    /// `P(x + η_i · d(g_i))` with a step size per image.
    private func step(_ current: Tensor, _ gradient: Tensor, _ eta: [Float], around x: Tensor) -> Tensor {
        var moved = threat.ascentDirection(gradient)
        let width = x.count / eta.count
        for (r, e) in eta.enumerated() {
            for i in (r * width)..<((r + 1) * width) { moved.scalars[i] = current.scalars[i] + e * moved.scalars[i] }
        }
        return threat.project(moved, around: x)
    }

    /// One run of Algorithm 1 on a batch: the adversarial batch and which images it fools.
    func singleRun(_ model: any Module, images x: Tensor, labels: [Int], targets: [Int]?,
                   using generator: inout some BatchRandomness) -> (Tensor, [Bool]) {
        let n = labels.count, width = x.count / n
        let objective = { (z: Variable) in self.objective(z, labels: labels, targets: targets) }
        var current = start(x, using: &generator)
        var (gradient, losses, logits) = perExampleGradient(model, at: current, objective)
        var fooled = attackSucceeded(logits: logits, labels: labels, targets: nil)
        var bestAdversarial = current
        var best = current, bestGradient = gradient, bestLoss = losses
        var eta = [Float](repeating: 2 * threat.epsilon, count: n)
        var previous = current
        var increases = [Int](repeating: 0, count: n)
        var lossAtLastCheck = bestLoss
        var reducedAtLastCheck = [Bool](repeating: false, count: n)
        var checkpoints = APGD.checkpoints(steps: steps)[...]
        var lastCheckpoint = 0

        for iteration in 0..<steps {
            let alpha: Float = iteration == 0 ? 1 : momentum
            let z = step(current, gradient, eta, around: x)
            var next = current
            for i in 0..<next.count {
                next.scalars[i] = current.scalars[i] + alpha * (z.scalars[i] - current.scalars[i])
                    + (1 - alpha) * (current.scalars[i] - previous.scalars[i])
            }
            next = threat.project(next, around: x)
            previous = current
            current = next
            let lastLosses = losses
            (gradient, losses, logits) = perExampleGradient(model, at: current, objective)
            let success = attackSucceeded(logits: logits, labels: labels, targets: nil)
            for r in 0..<n {
                if success[r], !fooled[r] {
                    fooled[r] = true
                    for i in (r * width)..<((r + 1) * width) { bestAdversarial.scalars[i] = current.scalars[i] }
                }
                if losses[r] > lastLosses[r] { increases[r] += 1 }
                if losses[r] > bestLoss[r] {
                    bestLoss[r] = losses[r]
                    for i in (r * width)..<((r + 1) * width) {
                        best.scalars[i] = current.scalars[i]
                        bestGradient.scalars[i] = gradient.scalars[i]
                    }
                }
            }
            // Checkpoint w_j after the update x^{w_j} is known.
            guard let w = checkpoints.first, iteration + 1 == w else { continue }
            checkpoints.removeFirst()
            let interval = Float(w - lastCheckpoint)
            for r in 0..<n {
                let oscillating = Float(increases[r]) < rho * interval
                let stalled = !reducedAtLastCheck[r] && bestLoss[r] <= lossAtLastCheck[r]
                let reduce = oscillating || stalled
                reducedAtLastCheck[r] = reduce
                lossAtLastCheck[r] = bestLoss[r]
                increases[r] = 0
                if reduce {
                    eta[r] /= 2
                    for i in (r * width)..<((r + 1) * width) {
                        current.scalars[i] = best.scalars[i]
                        gradient.scalars[i] = bestGradient.scalars[i]
                    }
                    losses[r] = bestLoss[r]
                }
            }
            lastCheckpoint = w
        }
        replaceRows(&best, with: bestAdversarial, where: fooled)
        return (best, fooled)
    }
}

/// The input gradient, the per-example objective as floats, and the logits at `x`.
private func perExampleGradient(_ model: any Module, at x: Tensor,
                                _ objective: (Variable) -> Variable) -> (Tensor, [Float], Tensor) {
    let (gradient, values, logits) = inputGradient(of: model, at: x, objective)
    return (gradient, values.scalars, logits)
}
