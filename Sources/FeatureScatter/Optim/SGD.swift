// SGD.swift — stochastic gradient descent with momentum and weight decay (PyTorch semantics).

/// SGD with momentum, decoupled from nothing: exactly PyTorch's `torch.optim.SGD`.
///
/// ```
/// g ← ∇θ + λ·θ                       (weight decay λ)
/// b ← g on the first step, else μ·b + g   (momentum μ)
/// θ ← θ − η·(g + μ·b)  with Nesterov, else θ − η·b
/// ```
/// The paper's settings (η = 0.1, μ = 0.9, λ = 2e-4) are `FeatureScatterDefaults`.
public final class SGD {
    public let parameters: [Parameter]
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    /// One momentum buffer per parameter (nil until its first step).
    public internal(set) var momentumBuffers: [Tensor?]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0.9,
                weightDecay: Float = 0, nesterov: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update from the accumulated gradients (parameters without a gradient
    /// are skipped), then clears the gradients.
    public func step() {
        for (i, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            let count = gradient.count
            if momentum != 0 && momentumBuffers[i] == nil {
                momentumBuffers[i] = Tensor.zeros(gradient.shape)
                momentumBuffers[i]!.scalars.withUnsafeMutableBufferPointer { b in
                    gradient.scalars.withUnsafeBufferPointer { g in
                        parameter.value.scalars.withUnsafeBufferPointer { p in
                            for j in 0..<count { b[j] = g[j] + weightDecay * p[j] }
                        }
                    }
                }
                update(parameter, gradient: gradient, buffer: i, firstStep: true)
            } else {
                update(parameter, gradient: gradient, buffer: i, firstStep: false)
            }
            parameter.zeroGradient()
        }
    }

    private func update(_ parameter: Parameter, gradient: Tensor, buffer i: Int, firstStep: Bool) {
        let (lr, mu, wd, nesterov) = (learningRate, momentum, weightDecay, self.nesterov)
        let count = gradient.count
        parameter.value.scalars.withUnsafeMutableBufferPointer { p in
            gradient.scalars.withUnsafeBufferPointer { g in
                guard mu != 0 else {
                    for j in 0..<count { p[j] -= lr * (g[j] + wd * p[j]) }
                    return
                }
                momentumBuffers[i]!.scalars.withUnsafeMutableBufferPointer { b in
                    for j in 0..<count {
                        let d = g[j] + wd * p[j]
                        if !firstStep { b[j] = mu * b[j] + d }
                        p[j] -= lr * (nesterov ? d + mu * b[j] : b[j])
                    }
                }
            }
        }
    }
}
