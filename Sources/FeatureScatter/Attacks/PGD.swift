// PGD.swift — projected gradient descent on a loss of the labels (Madry et al.).

/// Projected gradient ascent on a labelled loss inside the L∞ ball (Madry et al., *Towards
/// Deep Learning Models Resistant to Adversarial Attacks*, ICLR 2018,
/// https://arxiv.org/abs/1706.06083).
///
/// From `x' = clamp(x + U(−ε, ε))` (or `x`), each step takes
/// `x' ← clamp(proj_{B∞(x,ε)}(x' + α · sign(∇_x' L(f(x'), y))), 0, 1)` with L the
/// cross-entropy. The model runs on inference passes (nothing in it changes).
///
/// Threat model: L∞, ε in [0, 1] pixel units.
public struct PGD {
    public var ball: LinfBall
    /// α, the step size.
    public var stepSize: Float
    public var steps: Int
    public var randomStart: Bool

    public init(epsilon: Float, stepSize: Float, steps: Int, randomStart: Bool = true) throws {
        ball = try LinfBall(epsilon: epsilon)
        guard stepSize.isFinite, stepSize >= 0 else { throw FSCError.invalidArgument("step size must be ≥ 0, got \(stepSize)") }
        guard steps >= 0 else { throw FSCError.invalidArgument("steps must be ≥ 0, got \(steps)") }
        self.stepSize = stepSize
        self.steps = steps
        self.randomStart = randomStart
    }

    /// The adversarial batch for `images` (`[N, C, H, W]` in [0, 1]) and their `labels`.
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout SeededGenerator) -> Tensor {
        var current = randomStart ? ball.randomStart(around: images, using: &generator) : images
        for _ in 0..<steps {
            let (gradient, _) = inputGradient(of: model, at: current) { crossEntropy($0, labels: labels) }
            current = ball.ascend(current, gradient: gradient, stepSize: stepSize, around: images)
        }
        return current
    }
}
