// TrainingMethod.swift — the strategy that turns a batch into a loss to minimise.

/// What a training method produces for one batch.
public struct TrainingStep {
    /// The loss to back-propagate (rank 0), recorded on the training tape.
    public var loss: Variable
    /// The logits of the batch the model was trained on (for the running training accuracy).
    public var logits: Variable
    /// Method-specific figures for this batch, averaged per epoch by the trainer
    /// (e.g. `"ot_distance"`, the OT distance of the feature-scattering perturbation's last ascent step).
    public var statistics: [String: Double]

    public init(loss: Variable, logits: Variable, statistics: [String: Double] = [:]) {
        self.loss = loss
        self.logits = logits
        self.statistics = statistics
    }
}

/// What a training step knows beyond its batch: the per-example randomness of its rows and
/// where they sit in the global batch.
public struct StepContext {
    /// Row r's stream is keyed by the example, so perturbation starts do not depend on the split.
    public var randomness: ExampleRandomness
    /// This rank's rows of the global batch (the whole batch in one process).
    public var shard: BatchShard

    public init(randomness: ExampleRandomness, shard: BatchShard) {
        self.randomness = randomness
        self.shard = shard
    }
}

/// One way of training: standard, adversarial (Madry), feature scattering, ….
///
/// A method sees the model, this rank's rows of the batch and a training tape, and returns the
/// mean loss over its rows, which the trainer back-propagates (weighted by the rows' share of
/// the global batch when several ranks train). Methods that craft perturbed inputs do so on
/// their own inference tapes, so the model's statistics and gradients are untouched until the
/// training forward pass.
public protocol TrainingMethod {
    /// The name used on the command line and in summaries.
    var name: String { get }
    /// The loss for one batch, recorded on `tape` (a training-mode tape).
    func step(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
              context: inout StepContext) throws -> TrainingStep
}
