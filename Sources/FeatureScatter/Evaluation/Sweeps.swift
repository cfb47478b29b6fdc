// Sweeps.swift — accuracy against ε and against the number of PGD steps (paper, Figure 3).

extension RobustnessEvaluation {
    /// PGD-`steps` accuracy (cross-entropy, random start, step ε/4) at each ε. At a large ε
    /// (0.5 in L∞ allows a uniform grey image) it must reach about 0, or gradients are masked.
    public func epsilonSweep(_ model: any Module, images: Tensor, labels: [Int], epsilons: [Float],
                             steps: Int = 20, norm: Norm = .linf) throws -> Sweep {
        let correct = zip(predictions(model, images), labels).map { $0 == $1 }
        var points: [Sweep.Point] = []
        for (i, eps) in epsilons.enumerated() {
            let pgd = try PGD(epsilon: eps, stepSize: eps / 4, steps: steps, norm: norm)
            let robust = try robustMask(model, pgd, images: images, labels: labels, among: correct, attackIndex: 10_000 + i)
            points.append(Sweep.Point(value: Double(eps), accuracy: percent(robust)))
        }
        return Sweep(parameter: "epsilon",
                     settings: ["attack": "PGD", "steps": "\(steps)", "step_size": "ε/4", "norm": norm.rawValue,
                                "random_start": "true", "loss": "cross-entropy"],
                     points: points)
    }

    /// PGD-k accuracy at a fixed ε for each k (cross-entropy, random start, fixed step ε/4
    /// as in the reference code). More steps must not raise accuracy beyond noise.
    public func stepsSweep(_ model: any Module, images: Tensor, labels: [Int], epsilon: Float, steps: [Int],
                           norm: Norm = .linf) throws -> Sweep {
        let correct = zip(predictions(model, images), labels).map { $0 == $1 }
        var points: [Sweep.Point] = []
        for (i, k) in steps.enumerated() {
            let pgd = try PGD(epsilon: epsilon, stepSize: epsilon / 4, steps: k, norm: norm)
            let robust = try robustMask(model, pgd, images: images, labels: labels, among: correct, attackIndex: 20_000 + i)
            points.append(Sweep.Point(value: Double(k), accuracy: percent(robust)))
        }
        return Sweep(parameter: "steps",
                     settings: ["attack": "PGD", "epsilon": "\(epsilon)", "step_size": "\(epsilon / 4)", "norm": norm.rawValue,
                                "random_start": "true", "loss": "cross-entropy"],
                     points: points)
    }
}
