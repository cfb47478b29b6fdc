// BatchRandomness.swift — random draws for a batch: one sequential stream, or one stream per example.

/// A source of random draws for a batch `[N, ...]`.
///
/// `SeededGenerator` is one sequential stream: the draws of a batch depend on the batch as a
/// whole. `ExampleRandomness` gives each example its own stream keyed by (seed, epoch, example),
/// so an example's draws do not depend on which other examples share its batch — which is what
/// lets N ranks, each holding a slice of a global batch, compute what one process computes.
public protocol BatchRandomness: RandomNumberGenerator {
    /// Uniform values in [low, high) of shape `shape` (row r of `[N, ...]` from example r's stream).
    mutating func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor
    /// Normal values with mean 0 (row r of `[N, ...]` from example r's stream).
    mutating func normal(_ shape: [Int], standardDeviation: Float) -> Tensor
    /// One random word per row of an N-row batch.
    mutating func words(perRow rows: Int) -> [UInt64]
}

extension BatchRandomness {
    /// One uniform float in [0, 1) per row, with 24 random bits.
    public mutating func unitFloats(perRow rows: Int) -> [Float] {
        words(perRow: rows).map { Float($0 >> 40) * (1.0 / 16_777_216.0) }
    }
}

extension SeededGenerator: BatchRandomness {
    public mutating func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, using: &self)
    }

    public mutating func normal(_ shape: [Int], standardDeviation: Float) -> Tensor {
        Tensor.normal(shape, standardDeviation: standardDeviation, using: &self)
    }

    public mutating func words(perRow rows: Int) -> [UInt64] {
        (0..<rows).map { _ in next() }
    }
}

/// Per-example random streams: row r of every draw comes from a generator keyed by `keys[r]`,
/// the stream's purpose and the number of draws made so far.
///
/// Draws that are not per row (`next()`, used by attacks that pick one window for a whole batch)
/// come from a stream keyed by all the batch's keys.
public struct ExampleRandomness: BatchRandomness {
    /// One key per example of the batch, in row order.
    public let keys: [UInt64]
    private let purpose: UInt64
    private var draws: UInt64 = 0
    private var batchStream: SeededGenerator

    /// - Parameter purpose: separates independent uses of the same examples (augmentation,
    ///   perturbation, dropout).
    public init(keys: [UInt64], purpose: UInt64) {
        self.keys = keys
        self.purpose = purpose
        batchStream = SeededGenerator(seed: keys.reduce(mixKeys(purpose, 0x0BA7_C4ED)) { mixKeys($0, $1) })
    }

    /// The key of example `index` (its position in the data set) in `epoch` of a run seeded `seed`.
    public static func key(seed: UInt64, epoch: Int, example index: Int) -> UInt64 {
        mixKeys(mixKeys(seed, UInt64(truncatingIfNeeded: epoch)), UInt64(truncatingIfNeeded: index))
    }

    /// The same examples, for another purpose.
    public func forPurpose(_ purpose: UInt64) -> ExampleRandomness {
        ExampleRandomness(keys: keys, purpose: purpose)
    }

    /// One generator per example for the next draw.
    private mutating func rowGenerators() -> [SeededGenerator] {
        draws += 1
        let salt = mixKeys(purpose, draws)
        return keys.map { SeededGenerator(seed: mixKeys($0, salt)) }
    }

    public mutating func next() -> UInt64 {
        batchStream.next()
    }

    public mutating func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor {
        perRow(shape) { Tensor.uniform([$1], low: low, high: high, using: &$0) }
    }

    public mutating func normal(_ shape: [Int], standardDeviation: Float) -> Tensor {
        perRow(shape) { Tensor.normal([$1], standardDeviation: standardDeviation, using: &$0) }
    }

    public mutating func words(perRow rows: Int) -> [UInt64] {
        precondition(rows == keys.count, "\(rows) rows drawn from randomness for \(keys.count) examples")
        var generators = rowGenerators()
        return generators.indices.map { generators[$0].next() }
    }

    /// A `[N, ...]` tensor whose row r is `draw(&generator_r, width)`.
    private mutating func perRow(_ shape: [Int], _ draw: (inout SeededGenerator, Int) -> Tensor) -> Tensor {
        precondition(shape.first == keys.count, "a draw of shape \(shape) from randomness for \(keys.count) examples")
        let width = shape.dropFirst().reduce(1, *)
        var generators = rowGenerators()
        var values: [Float] = []
        values.reserveCapacity(keys.count * width)
        for r in generators.indices { values += draw(&generators[r], width).scalars }
        return Tensor(shape: shape, scalars: values)
    }
}

/// Two 64-bit words mixed into one (SplitMix64's finaliser over their odd-weighted sum).
func mixKeys(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a &+ 0x9E37_79B9_7F4A_7C15 &+ b &* 0xD6E8_FEB8_6659_FD93
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
