// Tensor.swift — a dense, contiguous, row-major float32 array with a shape.

/// A dense float32 tensor stored contiguously in row-major (C) order.
///
/// Images are NCHW. `Tensor` is a value type with copy-on-write storage: copies are cheap
/// until one of them is mutated. It has no notion of gradients; see `Variable` for that.
public struct Tensor: Equatable, CustomStringConvertible {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Creates a tensor from its elements; traps if the count does not match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor whose elements `fill` writes, every one of them, into uninitialised
    /// storage (no zeroing pass first).
    @inline(__always)
    public init(shape: [Int], filling fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.shape = shape
        scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
    }

    /// Creates a tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Creates a tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(repeating: 0, shape: shape)
    }

    /// Creates a tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor {
        Tensor(repeating: 1, shape: shape)
    }

    /// A rank-0 tensor holding one value.
    public init(_ scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// Uniform samples in [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float,
                               using generator: inout SeededGenerator) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = generator.nextFloat(in: low, high) }
        return Tensor(shape: shape, scalars: values)
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              using generator: inout SeededGenerator) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = mean + standardDeviation * generator.nextNormal() }
        return Tensor(shape: shape, scalars: values)
    }

    /// Rademacher samples: each element −1 or +1 with probability ½, one bit of the
    /// generator's output each (64 elements per word, lowest bit first).
    public static func rademacher(_ shape: [Int], using generator: inout SeededGenerator) -> Tensor {
        var word: UInt64 = 0
        return Tensor(shape: shape) { out in
            for i in 0..<out.count {
                if i % 64 == 0 { word = generator.next() }
                out[i] = (word >> UInt64(i % 64)) & 1 == 1 ? 1 : -1
            }
        }
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The single element of a tensor with one element.
    public var scalar: Float {
        precondition(scalars.count == 1, "scalar of a tensor with shape \(shape)")
        return scalars[0]
    }

    /// True when every element is finite (no NaN, no infinity).
    public var isFinite: Bool {
        scalars.withUnsafeBufferPointer { buffer in
            var accumulator: Float = 0
            for value in buffer { accumulator += value * 0 }
            return accumulator == 0
        }
    }

    /// The same elements with another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var copy = self
        copy.shape = Tensor.resolve(newShape, count: count)
        return copy
    }

    /// Resolves a single -1 in `shape` so that the shape holds `count` elements.
    static func resolve(_ shape: [Int], count: Int) -> [Int] {
        guard let unknown = shape.firstIndex(of: -1) else {
            precondition(shape.reduce(1, *) == count, "cannot reshape \(count) elements to \(shape)")
            return shape
        }
        let known = shape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
        precondition(known > 0 && count % known == 0, "cannot reshape \(count) elements to \(shape)")
        var resolved = shape
        resolved[unknown] = count / known
        return resolved
    }

    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
