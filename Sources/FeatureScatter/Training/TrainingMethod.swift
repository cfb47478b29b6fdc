// TrainingMethod.swift — the strategy that turns a batch into a loss to minimise.

/// One way of training: standard, adversarial (Madry), feature scattering, ….
///
/// A method sees the model, the clean batch and a training tape, and returns the loss the
/// trainer back-propagates. Methods that craft perturbed inputs do so on their own
/// inference tapes, so the model's statistics and gradients are untouched until the
/// training forward pass.
public protocol TrainingMethod {
    /// The name used on the command line and in summaries.
    var name: String { get }
    /// The loss for one batch, recorded on `tape` (a training-mode tape), and the logits
    /// of the batch the model was trained on (for the running training accuracy).
    func loss(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
              generator: inout SeededGenerator) throws -> (loss: Variable, logits: Variable)
}

/// Standard training: cross-entropy on the clean batch.
public struct StandardTraining: TrainingMethod {
    public var name: String { "standard" }
    public init() {}

    public func loss(model: any Module, images: Tensor, labels: [Int], classes: Int, tape: Tape,
                     generator: inout SeededGenerator) throws -> (loss: Variable, logits: Variable) {
        let logits = model(tape.input(images))
        return (crossEntropy(logits, labels: labels), logits)
    }
}
