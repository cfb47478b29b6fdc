// RobustnessEvaluation.swift — accuracy under each attack and the per-example worst case.

import Foundation

/// Progress of an evaluation: one event per batch of an attack.
public struct EvaluationProgress: Sendable {
    public var attack: String
    public var done: Int
    public var total: Int
    /// Images still robust under this attack so far (of `done`).
    public var robust: Int
}

/// The evaluation runner, in the spirit of AutoAttack and RobustBench.
///
/// 1. Clean accuracy on the images.
/// 2. Each attack of `attacks` runs on every correctly classified image (independently of the
///    others), giving its robust accuracy.
/// 3. The per-example worst case: an image counts as robust only if it is classified
///    correctly and no attack fooled it. The attacks of `worstCaseAttacks` that are not
///    already among `attacks` then run in order, each only on the images still robust (as
///    AutoAttack does), so the worst case is ≤ every single attack by construction.
///
/// Every attack's adversarial batch is checked to lie in its ball and in [0, 1]; a violation
/// throws `FSCError.internalError`. Randomness: batch b of attack a uses
/// `SeededGenerator(seed: seed + 1_000_003·a + b)`, so results repeat exactly.
///
/// Over several ranks, rank r attacks the batches b ≡ r (mod N) of each attack and the
/// per-image results are summed over ranks: every batch is the one one process would run, with
/// the same seed, so every rank returns the one-process report.
public struct RobustnessEvaluation {
    /// The threat model of the report; every attack must share it.
    public var threat: ThreatModel
    public var attacks: [any Attack]
    public var worstCaseAttacks: [any Attack]
    public var batchSize: Int
    public var seed: UInt64
    public var communicator: any Communicator
    public var progress: ((EvaluationProgress) -> Void)?

    /// - Throws: `FSCError.invalidArgument` for a batch size < 1 or an attack in another threat model.
    public init(threat: ThreatModel, attacks: [any Attack], worstCaseAttacks: [any Attack] = [], batchSize: Int = 250,
                seed: UInt64 = 0, communicator: any Communicator = SingleProcess(),
                progress: ((EvaluationProgress) -> Void)? = nil) throws {
        guard batchSize >= 1 else { throw FSCError.invalidArgument("batch size must be ≥ 1, got \(batchSize)") }
        if let other = (attacks + worstCaseAttacks).first(where: { $0.threat != threat }) {
            throw FSCError.invalidArgument("\(other.name) attacks in \(other.threat), the evaluation in \(threat)")
        }
        self.threat = threat
        self.attacks = attacks
        self.worstCaseAttacks = worstCaseAttacks
        self.batchSize = batchSize
        self.seed = seed
        self.communicator = communicator
        self.progress = progress
    }

    /// Evaluates `model` on `images` (`[N, C, H, W]` in [0, 1]) with `labels`.
    public func run(_ model: any Module, images: Tensor, labels: [Int]) throws -> EvaluationReport {
        let started = Date()
        let n = labels.count
        guard n > 0 else { throw FSCError.invalidArgument("nothing to evaluate: 0 images") }
        let clean = try predictions(model, images, communicator: communicator)
        let correct = zip(clean, labels).map { $0 == $1 }
        var report = EvaluationReport(images: n, threat: threat, seed: seed, batchSize: batchSize,
                                      accuracy: ["clean": percent(correct)],
                                      attacks: [], worstCaseAttacks: [])
        guard !(attacks.isEmpty && worstCaseAttacks.isEmpty) else { return report }
        var worst = correct
        for (index, attack) in attacks.enumerated() {
            let t0 = Date()
            let robust = try robustMask(model, attack, images: images, labels: labels, among: correct, attackIndex: index)
            worst = zip(worst, robust).map { $0 && $1 }
            report.attacks.append(AttackResult(name: attack.name, kind: kind(of: attack), settings: attack.settings,
                                               accuracy: percent(robust), mode: "independent",
                                               seconds: Date().timeIntervalSince(t0)))
            report.accuracy[attack.name] = percent(robust)
            report.worstCaseAttacks.append(attack.name)
        }
        let listed = Set(attacks.map(\.name))
        for (offset, attack) in worstCaseAttacks.enumerated() where !listed.contains(attack.name) {
            let t0 = Date()
            worst = try robustMask(model, attack, images: images, labels: labels, among: worst,
                                   attackIndex: attacks.count + offset)
            report.attacks.append(AttackResult(name: attack.name, kind: kind(of: attack), settings: attack.settings,
                                               accuracy: percent(worst), mode: "worst-case",
                                               seconds: Date().timeIntervalSince(t0)))
            report.worstCaseAttacks.append(attack.name)
        }
        report.accuracy["worst_case"] = percent(worst)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Per image: still classified correctly after `attack`, attacking only the `among` images.
    public func robustMask(_ model: any Module, _ attack: any Attack, images: Tensor, labels: [Int],
                           among candidates: [Bool], attackIndex: Int = 0) throws -> [Bool] {
        let open = candidates.indices.filter { candidates[$0] }
        let (rank, ranks) = (communicator.rank, communicator.size)
        var robust = [Float](repeating: 0, count: candidates.count)
        let mine = stride(from: 0, to: open.count, by: batchSize).enumerated().filter { $0.offset % ranks == rank }
        let total = mine.reduce(0) { $0 + min(batchSize, open.count - $1.element) }
        var done = 0, stillRobust = 0
        for (b, start) in mine {
            let rows = Array(open[start..<min(start + batchSize, open.count)])
            let x = images.gathering(rows: rows)
            let y = rows.map { labels[$0] }
            var generator = SeededGenerator(seed: seed &+ 1_000_003 &* UInt64(attackIndex) &+ UInt64(b))
            let adversarial = try attack.perturb(model, images: x, labels: y, using: &generator)
            try checkInsideThreatModel(adversarial, around: x, attack: attack)
            let predicted = model.predict(adversarial).argMaxPerRow()
            for (j, r) in rows.enumerated() where predicted[j] == y[j] { robust[r] = 1 }
            done += rows.count
            stillRobust += zip(predicted, y).filter { $0 == $1 }.count
            progress?(EvaluationProgress(attack: attack.name, done: done, total: total, robust: stillRobust))
        }
        return try communicator.allReduceSum(robust).map { $0 > 0.5 }
    }
}

/// Throws unless `adversarial` is within ε (+1e-6 for L∞, +1e-5 relative for L2) of `x` per image and in [0, 1].
func checkInsideThreatModel(_ adversarial: Tensor, around x: Tensor, attack: any Attack) throws {
    guard adversarial.shape == x.shape else {
        throw FSCError.internalError("\(attack.name) returned shape \(adversarial.shape) for \(x.shape)")
    }
    let eps = attack.threat.epsilon
    let allowed = attack.threat.norm == .linf ? eps + 1e-6 : eps * (1 + 1e-5) + 1e-6
    if let worst = attack.threat.distances(adversarial, x).max(), worst > allowed {
        throw FSCError.internalError("\(attack.name) left the \(attack.threat) ball: distance \(worst)")
    }
    if adversarial.scalars.contains(where: { !($0 >= 0 && $0 <= 1) }) {
        throw FSCError.internalError("\(attack.name) returned pixels outside [0, 1]")
    }
}

/// The arg-max class of each image, in batches of 500; over several ranks each predicts its
/// contiguous share and the classes are summed over ranks.
func predictions(_ model: any Module, _ images: Tensor, communicator: any Communicator = SingleProcess()) throws -> [Int] {
    let n = images.shape[0]
    let share = BatchShard.split(n, over: communicator).localRows
    var classes = [Float](repeating: 0, count: n)
    for start in stride(from: share.lowerBound, to: share.upperBound, by: 500) {
        let end = min(start + 500, share.upperBound)
        for (i, c) in model.predict(images.slice(start..<end)).argMaxPerRow().enumerated() { classes[start + i] = Float(c) }
    }
    return try communicator.allReduceSum(classes).map { Int($0.rounded()) }
}

/// The percentage of true values.
func percent(_ mask: [Bool]) -> Double {
    mask.isEmpty ? 0 : 100 * Double(mask.filter { $0 }.count) / Double(mask.count)
}

/// White-box (reads gradients), black-box (scores or a surrogate) or baseline (noise).
func kind(of attack: any Attack) -> String {
    switch attack {
    case is RandomNoise: return "baseline"
    case is Square, is TransferAttack: return "black-box"
    default: return "white-box"
    }
}
