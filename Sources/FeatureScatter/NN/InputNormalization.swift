// InputNormalization.swift — per-channel mean/std normalisation inside a model.

/// `(x − mean_c) / std_c` per channel of `[N, C, H, W]`.
///
/// Put this first in a model that was trained on normalised data: attacks then work on
/// images in [0, 1] and the ε-ball keeps its meaning in pixel units.
public final class InputNormalization: Module {
    /// `[1, C, 1, 1]`.
    public let mean: Buffer
    /// `[1, C, 1, 1]`.
    public let standardDeviation: Buffer

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(mean.count == standardDeviation.count && standardDeviation.allSatisfy { $0 > 0 },
                     "InputNormalization needs one positive std per mean, got \(mean) and \(standardDeviation)")
        self.mean = Buffer(Tensor(shape: [1, mean.count, 1, 1], scalars: mean))
        self.standardDeviation = Buffer(Tensor(shape: [1, mean.count, 1, 1], scalars: standardDeviation))
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        (x - mean.value) * standardDeviation.value.mapped { 1 / $0 }
    }

    public var localBuffers: [(String, Buffer)] { [("mean", mean), ("std", standardDeviation)] }
}
