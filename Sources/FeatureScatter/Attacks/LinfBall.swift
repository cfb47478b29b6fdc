// LinfBall.swift — the L∞ threat model: random starts, projection and the sign step.

/// The set of images within `epsilon` of a clean image in every pixel and inside [0, 1]:
/// `{x' : ‖x' − x‖∞ ≤ ε, 0 ≤ x' ≤ 1}`. ε is in pixel units of [0, 1] images.
public struct LinfBall: Sendable, Equatable {
    public var epsilon: Float

    /// - Throws: `FSCError.invalidArgument` unless 0 ≤ ε ≤ 1.
    public init(epsilon: Float) throws {
        guard epsilon.isFinite, epsilon >= 0, epsilon <= 1 else {
            throw FSCError.invalidArgument("epsilon must be in [0, 1] (pixel units), got \(epsilon)")
        }
        self.epsilon = epsilon
    }

    /// `clamp(x + U(−ε, ε), 0, 1)`: a uniform random start inside the ball.
    public func randomStart(around x: Tensor, using generator: inout SeededGenerator) -> Tensor {
        let noise = Tensor.uniform(x.shape, low: -epsilon, high: epsilon, using: &generator)
        return (x + noise).clamped(to: 0...1)
    }

    /// `clamp(proj_ball(x' + step · sign(g)), 0, 1)`: one signed-gradient ascent step.
    public func ascend(_ current: Tensor, gradient: Tensor, stepSize: Float, around x: Tensor) -> Tensor {
        let eps = epsilon
        var out = current.scalars
        out.withUnsafeMutableBufferPointer { o in
            gradient.scalars.withUnsafeBufferPointer { g in
                x.scalars.withUnsafeBufferPointer { c in
                    for i in 0..<o.count {
                        let direction: Float = g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0)
                        let stepped = o[i] + stepSize * direction
                        o[i] = min(max(min(max(stepped, c[i] - eps), c[i] + eps), 0), 1)
                    }
                }
            }
        }
        return Tensor(shape: current.shape, scalars: out)
    }
}

/// The gradient of `objective(model(x))` with respect to the input batch `x`, in an
/// inference pass that records no parameter gradients and changes nothing in the model.
///
/// - Returns: the gradient (shape of `x`) and the objective's value.
public func inputGradient(of model: any Module, at x: Tensor,
                          _ objective: (Variable) throws -> Variable) rethrows -> (gradient: Tensor, value: Float) {
    let tape = Tape(mode: .inference, parameterGradients: false)
    let input = tape.input(x, requiresGradient: true)
    let value = try objective(model(input))
    tape.backward(value)
    return (tape.gradient(of: input), value.value.scalar)
}
