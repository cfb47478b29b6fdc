// Dropout.swift — inverted dropout, active only in training passes.

/// Zeroes each element with probability `p` in a training pass and scales the rest by
/// 1/(1 − p); the identity in an inference pass. The mask comes from the tape's seeded
/// generator, so a seed fixes it.
public final class Dropout: Module {
    public let probability: Float

    public init(_ probability: Float = 0.5) {
        precondition(probability >= 0 && probability < 1, "Dropout probability \(probability) outside [0,1)")
        self.probability = probability
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard x.mode == .training, probability > 0, let tape = x.tape else { return x }
        let keep = 1 / (1 - probability)
        var mask = [Float](repeating: 0, count: x.value.count)
        for i in 0..<mask.count where tape.generator.nextUnitFloat() >= probability { mask[i] = keep }
        return x * Tensor(shape: x.shape, scalars: mask)
    }
}
