// Rules.swift — the differentiable primitives: one forward kernel and one VJP each.
//
// Everything else (softmax, cross-entropy, cosine costs, layers) is composed from these,
// so it is differentiated for free. A gradient that was broadcast is summed back to the
// shape of its source.

import Foundation

// MARK: - Arithmetic with broadcasting

public func + (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return record("add", [a, b]) { a.value + b.value } pullback: { g in
        [a.requiresGradient ? g.summed(toShape: sa) : nil, b.requiresGradient ? g.summed(toShape: sb) : nil]
    }
}

public func - (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return record("subtract", [a, b]) { a.value - b.value } pullback: { g in
        [a.requiresGradient ? g.summed(toShape: sa) : nil, b.requiresGradient ? (-g).summed(toShape: sb) : nil]
    }
}

public func * (a: Variable, b: Variable) -> Variable {
    record("multiply", [a, b]) { a.value * b.value } pullback: { g in
        [a.requiresGradient ? (g * b.value).summed(toShape: a.shape) : nil,
         b.requiresGradient ? (g * a.value).summed(toShape: b.shape) : nil]
    }
}

public func / (a: Variable, b: Variable) -> Variable {
    record("divide", [a, b]) { a.value / b.value } pullback: { g in
        [a.requiresGradient ? (g / b.value).summed(toShape: a.shape) : nil,
         b.requiresGradient ? (-(g * a.value) / (b.value * b.value)).summed(toShape: b.shape) : nil]
    }
}

public prefix func - (a: Variable) -> Variable {
    record("negate", [a]) { -a.value } pullback: { g in [-g] }
}

public func * (a: Variable, s: Float) -> Variable {
    record("scale", [a]) { a.value * s } pullback: { g in [g * s] }
}

public func + (a: Variable, s: Float) -> Variable {
    record("shift", [a]) { a.value + s } pullback: { g in [g] }
}

public func * (a: Variable, b: Tensor) -> Variable { a * Variable(constant: b) }
public func + (a: Variable, b: Tensor) -> Variable { a + Variable(constant: b) }
public func - (a: Variable, b: Tensor) -> Variable { a - Variable(constant: b) }

// MARK: - Matrix product

/// The matrix product of two rank-2 variables, optionally transposing either operand.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    record("matmul", [a, b]) {
        matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    } pullback: { g in
        // C = op(A)·op(B):  dA = g·op(B)ᵀ (transposed back if A was), dB likewise.
        var da: Tensor?, db: Tensor?
        if a.requiresGradient {
            da = transposeA ? matmul(b.value, g, transposeA: transposeB, transposeB: true)
                            : matmul(g, b.value, transposeB: !transposeB)
        }
        if b.requiresGradient {
            db = transposeB ? matmul(g, a.value, transposeA: true, transposeB: transposeA)
                            : matmul(a.value, g, transposeA: !transposeA)
        }
        return [da, db]
    }
}

// MARK: - Convolution and pooling

/// 2-D convolution of `[N, C_in, H, W]` with weights `[C_out, C_in/groups, kh, kw]`, optionally
/// fused with the ReLU that follows it (`relu(conv2d(x))` in one op, one pass, one tape node).
public func conv2d(_ x: Variable, weight: Variable, bias: Variable?, groups: Int = 1,
                   geometry: Conv2dGeometry, fusingReLU: Bool = false) -> Variable {
    conv2d(x, weight: weight, bias: bias, groups: groups, geometry: geometry, fusingReLU: fusingReLU,
           filterCache: nil)
}

/// `conv2d`, forward and backward taking transformed Winograd filters from `filterCache` when it
/// has them for the weights.
func conv2d(_ x: Variable, weight: Variable, bias: Variable?, groups: Int = 1, geometry: Conv2dGeometry,
            fusingReLU: Bool = false, filterCache: WinogradFilterCache?) -> Variable {
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    let out = Profiler.measure(fusingReLU ? "conv2d+relu" : "conv2d", .forward) {
        conv2d(x.value, weight: weight.value, bias: bias?.value, groups: groups, geometry: geometry,
               fusingReLU: fusingReLU, filterCache: filterCache)
    }
    return record(fusingReLU ? "conv2d+relu" : "conv2d", inputs, out) { g in
        let grads = conv2dBackward(g, input: x.value, weight: weight.value, groups: groups, geometry: geometry,
                                   reluOutput: fusingReLU ? out : nil, needInput: x.requiresGradient,
                                   needWeight: weight.requiresGradient, needBias: bias?.requiresGradient ?? false,
                                   filterCache: filterCache)
        return [grads.input, grads.weight, grads.bias]
    }
}

/// Max pooling of `[N, C, H, W]`.
public func maxPool2d(_ x: Variable, geometry: Conv2dGeometry) -> Variable {
    let (out, argMax) = Profiler.measure("maxPool2d", .forward) { maxPool2d(x.value, geometry: geometry) }
    let shape = x.shape
    return record("maxPool2d", [x], out) { g in [maxPool2dBackward(g, inputShape: shape, argMax: argMax)] }
}

/// Average pooling of `[N, C, H, W]`.
public func avgPool2d(_ x: Variable, geometry: Conv2dGeometry, countIncludePad: Bool = true) -> Variable {
    let shape = x.shape
    return record("avgPool2d", [x]) {
        avgPool2d(x.value, geometry: geometry, countIncludePad: countIncludePad)
    } pullback: { g in
        [avgPool2dBackward(g, inputShape: shape, geometry: geometry, countIncludePad: countIncludePad)]
    }
}

// MARK: - Pointwise functions

/// max(x, 0).
public func relu(_ x: Variable) -> Variable {
    record("relu", [x]) { x.value.mapped { max($0, 0) } } pullback: { g in
        [g.zipped(with: x.value) { d, v in v > 0 ? d : 0 }]
    }
}

/// x for x > 0, slope·x otherwise.
public func leakyRelu(_ x: Variable, negativeSlope: Float = 0.01) -> Variable {
    record("leakyRelu", [x]) { x.value.mapped { $0 > 0 ? $0 : negativeSlope * $0 } } pullback: { g in
        [g.zipped(with: x.value) { d, v in v > 0 ? d : negativeSlope * d }]
    }
}

/// 1 / (1 + e^−x).
public func sigmoid(_ x: Variable) -> Variable {
    let y = Profiler.measure("sigmoid", .forward) { x.value.mapped { 1 / (1 + Foundation.exp(-$0)) } }
    return record("sigmoid", [x], y) { g in [g.zipped(with: y) { d, s in d * s * (1 - s) }] }
}

/// The hyperbolic tangent.
public func tanh(_ x: Variable) -> Variable {
    let y = Profiler.measure("tanh", .forward) { x.value.mapped { Foundation.tanh($0) } }
    return record("tanh", [x], y) { g in [g.zipped(with: y) { d, t in d * (1 - t * t) }] }
}

/// e^x.
public func exp(_ x: Variable) -> Variable {
    let y = Profiler.measure("exp", .forward) { x.value.exp() }
    return record("exp", [x], y) { g in [g * y] }
}

/// The natural logarithm.
public func log(_ x: Variable) -> Variable {
    record("log", [x]) { x.value.log() } pullback: { g in [g / x.value] }
}

/// The square root.
public func sqrt(_ x: Variable) -> Variable {
    let y = Profiler.measure("sqrt", .forward) { x.value.mapped { $0.squareRoot() } }
    return record("sqrt", [x], y) { g in [g.zipped(with: y) { d, r in d / (2 * r) }] }
}

extension Variable {
    /// Clamped to `range`; the gradient passes where the value was inside the range.
    public func clamped(to range: ClosedRange<Float>) -> Variable {
        let (low, high) = (range.lowerBound, range.upperBound)
        return record("clamp", [self]) { value.clamped(to: range) } pullback: { [value] g in
            [g.zipped(with: value) { d, v in v >= low && v <= high ? d : 0 }]
        }
    }
}

// MARK: - Reductions and shape

/// The sum of all elements, as a rank-0 variable.
public func sum(_ x: Variable) -> Variable {
    let shape = x.shape
    return record("sum", [x]) { Tensor(x.value.sum()) } pullback: { g in [Tensor(repeating: g.scalar, shape: shape)] }
}

/// The sum over `axis`; the result drops that dimension unless `keepingDimension`.
public func sum(_ x: Variable, axis: Int, keepingDimension: Bool = false) -> Variable {
    let shape = x.shape
    let kept = Profiler.measure("sumAxis", .forward) { x.value.summed(alongAxis: axis, keepingDimension: true) }
    var dropped = shape
    dropped.remove(at: axis < 0 ? axis + shape.count : axis)
    let out = keepingDimension ? kept : kept.reshaped(dropped)
    let keptShape = kept.shape
    return record("sumAxis", [x], out) { g in [Tensor.zeros(shape) + g.reshaped(keptShape)] }
}

/// The mean of all elements.
public func mean(_ x: Variable) -> Variable {
    sum(x) * (1 / Float(max(x.value.count, 1)))
}

extension Variable {
    /// The same values with another shape (one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Variable {
        let original = shape
        return record("reshape", [self], value.reshaped(newShape)) { g in [g.reshaped(original)] }
    }

    /// The transpose of a rank-2 variable.
    public func transposed() -> Variable {
        record("transpose", [self]) { value.transposed() } pullback: { g in [g.transposed()] }
    }
}

/// `[N, ...]` flattened to `[N, rest]`.
public func flatten(_ x: Variable) -> Variable {
    x.reshaped([x.shape.first ?? 0, -1])
}

/// Concatenation along `axis` (channels of NCHW by default).
public func concatenate(_ parts: [Variable], axis: Int = 1) -> Variable {
    let values = parts.map(\.value)
    let out = Profiler.measure("concatenate", .forward) { Tensor(concatenating: values, axis: axis) }
    let extents = values.map { $0.shape[axis] }
    return record("concatenate", parts, out) { g in g.split(alongAxis: axis, extents: extents) }
}

// MARK: - Softmax family

/// log(softmax(x)) over the last axis of a rank-2 variable, computed stably.
public func logSoftmax(_ x: Variable) -> Variable {
    let y = Profiler.measure("logSoftmax", .forward) { x.value.logSoftmaxRows() }
    return record("logSoftmax", [x], y) { g in
        // dx = g − softmax · Σ g  (per row)
        let rows = y.shape[0], cols = y.shape[1]
        var dx = g.scalars
        y.scalars.withUnsafeBufferPointer { ly in
            g.scalars.withUnsafeBufferPointer { gg in
                for r in 0..<rows {
                    var total: Float = 0
                    for c in 0..<cols { total += gg[r * cols + c] }
                    for c in 0..<cols { dx[r * cols + c] = gg[r * cols + c] - Foundation.exp(ly[r * cols + c]) * total }
                }
            }
        }
        return [Tensor(shape: y.shape, scalars: dx)]
    }
}
