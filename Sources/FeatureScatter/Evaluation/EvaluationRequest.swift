// EvaluationRequest.swift — what to evaluate, and the one call that returns a finished report.

import Foundation

/// A model whose adversarial examples are tried on the evaluated model (a transfer attack).
public struct TransferSource {
    public var model: any Module
    /// How the report names it (e.g. its file).
    public var description: String

    public init(model: any Module, description: String) {
        self.model = model
        self.description = description
    }
}

/// Everything an evaluation runs: what `fscatter eval`'s flags and a C `fsc_eval_config`
/// both describe.
public struct EvaluationRequest {
    /// The attacks the C ABI runs when a caller names none (those of `make demo`).
    public static let quickAttacks = ["fgsm", "pgd20", "cw20", "apgd-ce"]

    public var threat: ThreatModel
    /// Attack and suite names (``AttackSpec``), each run on every correctly classified image.
    public var attacks: [String] = []
    /// Attack and suite names run after `attacks`, each only on the images still robust, for
    /// the per-example worst case (AutoAttack's way); none run when `attacks` and
    /// `transferSources` are empty.
    public var worstCase: [String] = []
    /// Each adds `transfer-NAME` for every attack of `transferAttacks`: crafted on the source,
    /// tried on the model.
    public var transferSources: [TransferSource] = []
    /// The white-box attacks (``AttackSpec`` names) run on each transfer source.
    public var transferAttacks = ["pgd20"]
    /// How many test images an evaluation takes when a caller names no number.
    public static let defaultLimit = 1000

    /// Evaluate the first `limit` images (nil = all).
    public var limit: Int? = defaultLimit
    /// Images per attack batch.
    public var batchSize = 250
    /// Fixes every attack's randomness.
    public var seed: UInt64 = 0
    /// ε values of a PGD-20 accuracy-vs-ε sweep (none when empty).
    public var epsilonSweep: [Float] = []
    /// Step counts of a PGD accuracy-vs-steps sweep at the threat model's ε (none when empty).
    public var stepsSweep: [Int] = []
    /// Recorded in the report: the model's file and the data set's name.
    public var checkpoint: String?
    public var datasetName: String?

    public init(threat: ThreatModel) {
        self.threat = threat
    }

    /// The attacks of the evaluation, built and checked.
    func attackList() throws -> (attacks: [any Attack], worstCase: [any Attack]) {
        var attacks = try AttackSpec.list(self.attacks, threat: threat).map { try $0.make() }
        let transferSpecs = transferSources.isEmpty ? [] : try AttackSpec.list(transferAttacks, threat: threat)
        for source in transferSources {
            for spec in transferSpecs {
                attacks.append(TransferAttack(source: source.model, attack: try spec.make(),
                                              sourceDescription: source.description))
            }
        }
        let extras = attacks.isEmpty ? [] : try AttackSpec.list(worstCase, threat: threat).map { try $0.make() }
        return (attacks, extras)
    }
}

/// Evaluates `model` on the first `request.limit` images of `data`: clean accuracy, each
/// attack, the per-example worst case, the sweeps, and the gradient-masking checks whenever
/// anything beyond clean accuracy ran.
///
/// - Parameters:
///   - spec: the model's input shape and classes, which the data must have; its architecture
///     names the model in the report.
///   - communicator: over several ranks each attacks its share of the batches (see
///     ``RobustnessEvaluation``) and every rank returns the one-process report.
///   - progress: called after every attack batch (of this rank).
/// - Throws: `FSCError.shapeMismatch` when the data does not fit the model,
///   `FSCError.invalidArgument` for unknown attack names or settings out of range.
public func evaluate(_ model: any Module, spec: ModelSpec, on data: Dataset, request: EvaluationRequest,
                     communicator: any Communicator = SingleProcess(),
                     progress: ((EvaluationProgress) -> Void)? = nil) throws -> EvaluationReport {
    guard data.imageShape == spec.inputShape, data.classes == spec.classes else {
        throw FSCError.shapeMismatch("data \(data.imageShape) with \(data.classes) classes does not fit the model's \(spec.inputShape) with \(spec.classes)")
    }
    if let limit = request.limit, limit < 1 { throw FSCError.invalidArgument("limit must be ≥ 1, got \(limit)") }
    let test = data.prefix(request.limit)
    let (attacks, worstCase) = try request.attackList()
    let evaluation = try RobustnessEvaluation(threat: request.threat, attacks: attacks, worstCaseAttacks: worstCase,
                                              batchSize: request.batchSize, seed: request.seed,
                                              communicator: communicator, progress: progress)
    var report = try evaluation.run(model, images: test.images, labels: test.labels)
    report.checkpoint = request.checkpoint
    report.model = spec.architecture
    report.dataset = request.datasetName
    if !request.epsilonSweep.isEmpty {
        report.sweeps.append(try evaluation.epsilonSweep(model, images: test.images, labels: test.labels,
                                                         epsilons: request.epsilonSweep, norm: request.threat.norm))
    }
    if !request.stepsSweep.isEmpty {
        report.sweeps.append(try evaluation.stepsSweep(model, images: test.images, labels: test.labels,
                                                       epsilon: request.threat.epsilon, steps: request.stepsSweep,
                                                       norm: request.threat.norm))
    }
    if !report.attacks.isEmpty || !report.sweeps.isEmpty {
        report.checkGradientMasking(model, images: test.images, labels: test.labels)
    }
    return report
}
