// ThreatModel.swift — the L∞ and L2 balls attacks search in: random starts, steps, projection.

import Foundation

/// The norm that measures a perturbation.
public enum Norm: String, CaseIterable, Sendable, Codable, Equatable {
    /// ‖δ‖∞ = max_i |δ_i|.
    case linf
    /// ‖δ‖₂ = √(Σ_i δ_i²), per image.
    case l2
}

/// The set of images an attacker may choose for a clean image `x`:
/// `{x' : ‖x' − x‖ ≤ ε, 0 ≤ x' ≤ 1}`, with ‖·‖ the L∞ or the L2 norm of one image.
///
/// ε is in pixel units of [0, 1] images (8/255 ≈ 0.031 for CIFAR-10 L∞, 0.1 for
/// Fashion-MNIST in this project; 0.5 is a usual L2 radius). Projection first maps onto the
/// ball and then clamps to [0, 1]; clamping only shrinks each |δ_i| because `x` is in
/// [0, 1], so the result lies in both sets.
public struct ThreatModel: Sendable, Equatable, CustomStringConvertible {
    /// The project's default radius: L∞ 0.1, the usual budget for Fashion-MNIST.
    public static let defaultEpsilon: Float = 0.1

    public var norm: Norm
    public var epsilon: Float

    /// ε as the decimal a person wrote (0.1, not 0.10000000149), for reports.
    public var epsilonDecimal: Double { Double("\(epsilon)") ?? Double(epsilon) }

    /// L∞ with ``defaultEpsilon``.
    public static let `default` = ThreatModel(valid: .linf, defaultEpsilon)

    /// - Throws: `FSCError.invalidArgument` unless ε is finite, ≥ 0, and ≤ 1 for L∞.
    public init(norm: Norm = .linf, epsilon: Float) throws {
        guard epsilon.isFinite, epsilon >= 0, norm == .l2 || epsilon <= 1 else {
            throw FSCError.invalidArgument("epsilon must be finite, ≥ 0 (and ≤ 1 for L∞), got \(epsilon) for \(norm.rawValue)")
        }
        self.init(valid: norm, epsilon)
    }

    private init(valid norm: Norm, _ epsilon: Float) {
        self.norm = norm
        self.epsilon = epsilon
    }

    public var description: String { "\(norm.rawValue) ε=\(epsilon)" }

    /// A uniform start: L∞ `x + U(−ε, ε)`; L2 `x + ε·u·d/‖d‖` with d ~ N(0, I), u ~ U(0, 1);
    /// then clamped to [0, 1].
    public func randomStart(around x: Tensor, using generator: inout some BatchRandomness) -> Tensor {
        switch norm {
        case .linf:
            return (x + generator.uniform(x.shape, low: -epsilon, high: epsilon)).clamped(to: 0...1)
        case .l2:
            var d = generator.normal(x.shape, standardDeviation: 1)
            let rows = x.shape.first ?? 0, width = rows == 0 ? 0 : x.count / rows
            let radii = generator.unitFloats(perRow: rows)
            for r in 0..<rows {
                let n = rowNorm(d.scalars, r, width)
                let scale = Float(Double(epsilon * radii[r]) / max(n, 1e-12))
                for i in (r * width)..<((r + 1) * width) { d.scalars[i] *= scale }
            }
            return project(x + d, around: x)
        }
    }

    /// The steepest-ascent direction of unit norm: `sign(g)` for L∞, `g/‖g‖₂` per image for
    /// L2 (zero where g is zero).
    public func ascentDirection(_ gradient: Tensor) -> Tensor {
        switch norm {
        case .linf:
            return gradient.sign()
        case .l2:
            var d = gradient
            let rows = d.shape.first ?? 0, width = rows == 0 ? 0 : d.count / rows
            for r in 0..<rows {
                let n = rowNorm(d.scalars, r, width)
                let scale: Float = n > 1e-20 ? Float(1 / n) : 0
                for i in (r * width)..<((r + 1) * width) { d.scalars[i] *= scale }
            }
            return d
        }
    }

    /// `proj(x' + α·direction(g))`: one steepest-ascent step followed by projection.
    public func step(_ current: Tensor, gradient: Tensor, stepSize: Float, around x: Tensor) -> Tensor {
        project(current + ascentDirection(gradient) * stepSize, around: x)
    }

    /// The nearest point of the ball around `x` (per image), then clamped to [0, 1].
    public func project(_ candidate: Tensor, around x: Tensor) -> Tensor {
        precondition(candidate.shape == x.shape, "project: \(candidate.shape) vs \(x.shape)")
        var out = candidate.scalars
        let eps = epsilon
        switch norm {
        case .linf:
            x.scalars.withUnsafeBufferPointer { c in
                for i in 0..<out.count { out[i] = min(max(min(max(out[i], c[i] - eps), c[i] + eps), 0), 1) }
            }
        case .l2:
            let rows = x.shape.first ?? 0, width = rows == 0 ? 0 : x.count / rows
            for r in 0..<rows {
                let range = (r * width)..<((r + 1) * width)
                var total = 0.0
                for i in range { let d = Double(out[i] - x.scalars[i]); total += d * d }
                let n = total.squareRoot()
                if n > Double(eps) {
                    let scale = Double(eps) / n * (1 - 1e-7)
                    for i in range { out[i] = x.scalars[i] + Float(Double(out[i] - x.scalars[i]) * scale) }
                }
                for i in range { out[i] = min(max(out[i], 0), 1) }
            }
        }
        return Tensor(shape: x.shape, scalars: out)
    }

    /// ‖x'_i − x_i‖ for each image i.
    public func distances(_ adversarial: Tensor, _ x: Tensor) -> [Float] {
        let rows = x.shape.first ?? 0, width = rows == 0 ? 0 : x.count / rows
        return (0..<rows).map { r in
            var result = 0.0
            for i in (r * width)..<((r + 1) * width) {
                let d = Double(adversarial.scalars[i] - x.scalars[i])
                result = norm == .linf ? max(result, abs(d)) : result + d * d
            }
            return Float(norm == .linf ? result : result.squareRoot())
        }
    }
}

/// ‖row r‖₂ of a flattened `[N, width]` buffer, in double precision.
func rowNorm(_ values: [Float], _ r: Int, _ width: Int) -> Double {
    var total = 0.0
    for i in (r * width)..<((r + 1) * width) { total += Double(values[i]) * Double(values[i]) }
    return total.squareRoot()
}
