// Tensor+Elementwise.swift — broadcasting arithmetic and pointwise functions on tensors.

import Foundation

/// A binary pointwise operation, specialised at compile time so hot loops stay closure-free.
protocol BinaryKernel {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum AddKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubtractKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MultiplyKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
/// Elements per worker below which pointwise loops stay on one thread (the handoff costs
/// more than the loop).
let elementwiseGrain = 1 << 16

enum DivideKernel: BinaryKernel { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

extension Tensor {
    /// Applies `K` elementwise with NumPy broadcasting; traps on incompatible shapes.
    static func broadcasting<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { po in
                a.scalars.withUnsafeBufferPointer { pa in
                    b.scalars.withUnsafeBufferPointer { pb in
                        Parallelism.forEachRange(po.count, minimumPerWorker: elementwiseGrain) { range, _ in
                            for i in range { po[i] = K.apply(pa[i], pb[i]) }
                        }
                    }
                }
            }
        }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("cannot broadcast shapes \(a.shape) and \(b.shape)")
        }
        let stridesA = broadcastStrides(of: a.shape, to: shape)
        let stridesB = broadcastStrides(of: b.shape, to: shape)
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    var o = 0
                    forEachRow(shape: shape, stridesA: stridesA, stridesB: stridesB) { oa, ob, sa, sb, n in
                        if sa == 1 && sb == 0 {
                            let bv = pb[ob]
                            for j in 0..<n { po[o + j] = K.apply(pa[oa + j], bv) }
                        } else if sa == 1 && sb == 1 {
                            for j in 0..<n { po[o + j] = K.apply(pa[oa + j], pb[ob + j]) }
                        } else {
                            for j in 0..<n { po[o + j] = K.apply(pa[oa + j * sa], pb[ob + j * sb]) }
                        }
                        o += n
                    }
                }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { broadcasting(a, b, AddKernel.self) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { broadcasting(a, b, SubtractKernel.self) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { broadcasting(a, b, MultiplyKernel.self) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { broadcasting(a, b, DivideKernel.self) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.mapped { $0 * s } }
    public static func + (a: Tensor, s: Float) -> Tensor { a.mapped { $0 + s } }
    public static prefix func - (a: Tensor) -> Tensor { a.mapped { -$0 } }

    /// Adds `other` (same shape) into this tensor in place, scaled by `alpha`.
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        scalars.withUnsafeMutableBufferPointer { p in
            other.scalars.withUnsafeBufferPointer { q in
                for i in 0..<p.count { p[i] += alpha * q[i] }
            }
        }
    }

    /// A new tensor with `transform` applied to each element. The closure is inlined by the
    /// optimiser for the pointwise functions below; do not use it for large user closures.
    @inline(__always)
    public func mapped(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { o in
            scalars.withUnsafeBufferPointer { p in
                Parallelism.forEachRange(p.count, minimumPerWorker: elementwiseGrain) { range, _ in
                    for i in range { o[i] = transform(p[i]) }
                }
            }
        }
    }

    /// Combines two same-shape tensors elementwise.
    @inline(__always)
    func zipped(with other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        return Tensor(shape: shape) { o in
            scalars.withUnsafeBufferPointer { p in
                other.scalars.withUnsafeBufferPointer { q in
                    Parallelism.forEachRange(p.count, minimumPerWorker: elementwiseGrain) { range, _ in
                        for i in range { o[i] = combine(p[i], q[i]) }
                    }
                }
            }
        }
    }

    /// Each element clamped to `range`.
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        let low = range.lowerBound, high = range.upperBound
        return mapped { Swift.min(Swift.max($0, low), high) }
    }

    /// -1, 0 or 1 by the sign of each element (0 for NaN).
    public func sign() -> Tensor {
        mapped { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    }

    /// Elementwise `e^x`.
    public func exp() -> Tensor { mapped { Foundation.exp($0) } }

    /// Elementwise natural logarithm.
    public func log() -> Tensor { mapped { Foundation.log($0) } }
}
