// Dropout.swift — inverted dropout, active only in training passes.

/// Zeroes each element with probability `p` in a training pass and scales the rest by
/// 1/(1 − p); the identity in an inference pass. The mask comes from the tape's randomness
/// (row r from example r's stream when the trainer keys it per example), so a seed fixes it.
public final class Dropout: Module {
    public let probability: Float

    public init(_ probability: Float = 0.5) {
        precondition(probability >= 0 && probability < 1, "Dropout probability \(probability) outside [0,1)")
        self.probability = probability
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard x.mode == .training, probability > 0, let tape = x.tape else { return x }
        let keep = 1 / (1 - probability)
        let draws = tape.randomness.uniform(x.shape, low: 0, high: 1)
        return x * draws.mapped { $0 >= probability ? keep : 0 }
    }
}
