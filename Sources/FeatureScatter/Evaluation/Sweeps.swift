// Sweeps.swift — accuracy against ε and against the number of PGD steps (paper, Figure 3).

extension RobustnessEvaluation {
    /// PGD-`steps` accuracy (cross-entropy, random start, step ε/4) at each ε. At a large ε
    /// (0.5 in L∞ allows a uniform grey image) it must reach about 0, or gradients are masked.
    public func epsilonSweep(_ model: any Module, images: Tensor, labels: [Int], epsilons: [Float],
                             steps: Int = PGD.defaultSteps, norm: Norm = .linf) throws -> Sweep {
        let attacks = try epsilons.map { try PGD(epsilon: $0, steps: steps, norm: norm) }
        return Sweep(parameter: "epsilon",
                     settings: ["attack": "PGD", "steps": "\(steps)", "step_size": "ε/4", "norm": norm.rawValue,
                                "random_start": "true", "loss": "cross-entropy"],
                     points: try sweep(model, images: images, labels: labels, attacks: attacks, values: epsilons.map(Double.init),
                                       firstIndex: 10_000))
    }

    /// PGD-k accuracy at a fixed ε for each k (cross-entropy, random start, fixed step ε/4
    /// as in the reference code). More steps must not raise accuracy beyond noise.
    public func stepsSweep(_ model: any Module, images: Tensor, labels: [Int], epsilon: Float, steps: [Int],
                           norm: Norm = .linf) throws -> Sweep {
        let attacks = try steps.map { try PGD(epsilon: epsilon, steps: $0, norm: norm) }
        return Sweep(parameter: "steps",
                     settings: ["attack": "PGD", "epsilon": "\(epsilon)", "step_size": "\(PGD.defaultStepSize(epsilon: epsilon))",
                                "norm": norm.rawValue, "random_start": "true", "loss": "cross-entropy"],
                     points: try sweep(model, images: images, labels: labels, attacks: attacks, values: steps.map(Double.init),
                                       firstIndex: 20_000))
    }

    /// The accuracy under each attack (on the correctly classified images), as sweep points.
    private func sweep(_ model: any Module, images: Tensor, labels: [Int], attacks: [PGD], values: [Double],
                       firstIndex: Int) throws -> [Sweep.Point] {
        let correct = zip(try predictions(model, images, communicator: communicator), labels).map { $0 == $1 }
        return try zip(attacks, values).enumerated().map { i, pair in
            let robust = try robustMask(model, pair.0, images: images, labels: labels, among: correct,
                                        attackIndex: firstIndex + i)
            return Sweep.Point(value: pair.1, accuracy: percent(robust))
        }
    }
}
