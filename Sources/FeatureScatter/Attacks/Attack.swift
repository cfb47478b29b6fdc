// Attack.swift — the interface every evasion attack implements, and the pieces they share.

/// An evasion attack: from clean images in [0, 1] and their labels, adversarial images
/// inside the attack's threat model (‖x' − x‖ ≤ ε per image) and inside [0, 1].
///
/// Conventions are those of torchattacks and AutoAttack: images in [0, 1] (`[N, C, H, W]`),
/// any normalisation inside the model, logits out. A model whose output rows are
/// probabilities (non-negative, summing to 1) is rejected, because a softmax output
/// saturates and weakens gradient attacks. Attacks run the model on inference passes
/// (`Tape(mode: .inference, parameterGradients: false)` or `predict`): batch norm uses its
/// running statistics, dropout is off, and nothing in the model changes. All randomness
/// comes from the generator passed in, so the same seed gives the same output.
public protocol Attack {
    /// A short name, as used on the command line (`"pgd20"`, `"apgd-ce"`).
    var name: String { get }
    /// Every setting needed to reproduce a result, as text (`["epsilon": "0.1", "steps": "20"]`).
    var settings: [String: String] { get }
    /// The ball the adversarial images stay in.
    var threat: ThreatModel { get }
    /// The adversarial batch for `images` (`[N, C, H, W]` in [0, 1]) and their `labels`.
    func perturb(_ model: any Module, images: Tensor, labels: [Int],
                 using generator: inout some BatchRandomness) throws -> Tensor
}

/// Which outcome an attack seeks.
public enum AttackTarget: String, Sendable, Equatable {
    /// Any wrong class: maximise the loss of the true label.
    case untargeted
    /// The class the model finds least likely on the clean image: minimise its loss.
    case leastLikely = "least-likely"
    /// A uniformly drawn class other than the label (from the attack's generator).
    case random

    /// The target class per image, or nil when untargeted.
    func targets(cleanLogits: Tensor, labels: [Int], using generator: inout some BatchRandomness) -> [Int]? {
        let k = cleanLogits.shape[1]
        switch self {
        case .untargeted:
            return nil
        case .leastLikely:
            return (0..<labels.count).map { r in
                var best = 0
                for c in 1..<k where cleanLogits.scalars[r * k + c] < cleanLogits.scalars[r * k + best] { best = c }
                return best
            }
        case .random:
            return labels.map { y in
                let t = Int(generator.next() % UInt64(k - 1))
                return t >= y ? t + 1 : t
            }
        }
    }
}

// MARK: - Input checks

/// Checks an attack's batch: rank ≥ 2, one label per image, finite pixels in [0, 1],
/// labels ≥ 0.
func validateAttackBatch(images: Tensor, labels: [Int]) throws {
    guard images.rank >= 2 else { throw FSCError.shapeMismatch("attack images must be [N, ...], got \(images.shape)") }
    guard images.shape[0] == labels.count else {
        throw FSCError.shapeMismatch("\(images.shape[0]) images but \(labels.count) labels")
    }
    guard images.isFinite else { throw FSCError.notFinite("attack images contain NaN or infinity") }
    if let bad = images.scalars.firstIndex(where: { $0 < 0 || $0 > 1 }) {
        throw FSCError.invalidArgument("attack images must be in [0, 1] (normalise inside the model); element \(bad) is \(images.scalars[bad])")
    }
    if let bad = labels.first(where: { $0 < 0 }) { throw FSCError.invalidArgument("label \(bad) is negative") }
}

/// Checks a model's outputs on a batch: `[N, K]` logits with every label in `0..<K`, and not
/// probability rows (all ≥ 0 and summing to 1), which would mean a softmax output layer.
func validateLogits(_ logits: Tensor, labels: [Int]) throws {
    guard logits.rank == 2, logits.shape[0] == labels.count else {
        throw FSCError.shapeMismatch("the model must return [N, K] logits for N = \(labels.count) images, got \(logits.shape)")
    }
    let k = logits.shape[1]
    if let bad = labels.first(where: { $0 >= k }) {
        throw FSCError.invalidArgument("label \(bad) outside the model's \(k) classes")
    }
    guard !labels.isEmpty, k > 1 else { return }
    var probabilityRows = true
    for r in 0..<labels.count where probabilityRows {
        let row = logits.scalars[(r * k)..<((r + 1) * k)]
        let total = row.reduce(0, +)
        probabilityRows = row.allSatisfy { $0 >= 0 } && abs(total - 1) < 1e-4
    }
    if probabilityRows {
        throw FSCError.invalidArgument("the model's outputs are probabilities (every row is ≥ 0 and sums to 1, e.g. \(Array(logits.scalars.prefix(k)))); attacks need logits: remove the final softmax")
    }
}

/// Checks the batch and the model together and returns the number of classes K: runs
/// the model on the first image (cheap) to check that it returns logits for K classes,
/// every label is below K, and the output is not a probability row.
func validateAttack(_ model: any Module, images: Tensor, labels: [Int]) throws -> Int {
    try validateAttackBatch(images: images, labels: labels)
    guard !labels.isEmpty else { return 0 }
    let first = model.predict(images.slice(0..<1))
    guard first.rank == 2 else { throw FSCError.shapeMismatch("the model must return [N, K] logits, got \(first.shape)") }
    try validateLogits(first, labels: [labels[0]])
    let k = first.shape[1]
    if let bad = labels.first(where: { $0 >= k }) {
        throw FSCError.invalidArgument("label \(bad) outside the model's \(k) classes")
    }
    return k
}

// MARK: - Gradients and success

/// The gradient of `objective(model(x))` with respect to the input batch `x`, from one
/// inference pass that records no parameter gradients and changes nothing in the model.
///
/// The objective is a scalar, or per-example values `[N]` whose sum is differentiated: an
/// inference pass treats images independently, so each image then gets its own gradient.
///
/// - Returns: the gradient (shape of `x`), the objective's value and the logits.
public func inputGradient(of model: any Module, at x: Tensor, _ objective: (Variable) throws -> Variable) rethrows
    -> (gradient: Tensor, objective: Tensor, logits: Tensor) {
    let tape = Tape(mode: .inference, parameterGradients: false)
    let input = tape.input(x, requiresGradient: true)
    let logits = model(input)
    let value = try objective(logits)
    tape.backward(value.shape.isEmpty ? value : sum(value))
    return (tape.gradient(of: input), value.value, logits.value)
}

/// Per image: misclassified (untargeted) or classified as its target (targeted).
func attackSucceeded(logits: Tensor, labels: [Int], targets: [Int]?) -> [Bool] {
    let predictions = logits.argMaxPerRow()
    if let targets { return zip(predictions, targets).map { $0 == $1 } }
    return zip(predictions, labels).map { $0 != $1 }
}

/// The rows of `source` where `mask` is true, written into `destination`.
func replaceRows(_ destination: inout Tensor, with source: Tensor, where mask: [Bool]) {
    let width = destination.count / max(mask.count, 1)
    for (r, take) in mask.enumerated() where take {
        for i in (r * width)..<((r + 1) * width) { destination.scalars[i] = source.scalars[i] }
    }
}

/// Runs `attempt` up to `restarts` times; after the first, only on the images not yet
/// fooled. Keeps for each image the first successful adversarial (or the last attempt).
func withRestarts(_ restarts: Int, model: any Module, images: Tensor, labels: [Int], targets: [Int]?,
                  _ attempt: (Tensor, [Int], [Int]?) throws -> Tensor) throws -> Tensor {
    var result = try attempt(images, labels, targets)
    guard restarts > 1 else { return result }
    var fooled = attackSucceeded(logits: model.predict(result), labels: labels, targets: targets)
    for _ in 1..<restarts {
        let open = fooled.indices.filter { !fooled[$0] }
        guard !open.isEmpty else { break }
        let subTargets = targets.map { t in open.map { t[$0] } }
        let subLabels = open.map { labels[$0] }
        let candidate = try attempt(images.gathering(rows: open), subLabels, subTargets)
        let won = attackSucceeded(logits: model.predict(candidate), labels: subLabels, targets: subTargets)
        let width = images.count / max(labels.count, 1)
        for (j, r) in open.enumerated() {
            for i in 0..<width { result.scalars[r * width + i] = candidate.scalars[j * width + i] }
            fooled[r] = won[j]
        }
    }
    return result
}

/// An attack's settings for reports: its family name, its threat model and its own fields.
func attackSettings(_ family: String, _ threat: ThreatModel, _ fields: [String: Any]) -> [String: String] {
    fields.mapValues { "\($0)" }.merging(["attack": family, "norm": threat.norm.rawValue, "epsilon": "\(threat.epsilon)"]) { _, fixed in fixed }
}
