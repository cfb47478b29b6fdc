// CW.swift — the Carlini–Wagner margin loss, used inside PGD as in the reference evaluation.

/// The Carlini–Wagner margin per example `[N]` (Carlini & Wagner, *Towards Evaluating the
/// Robustness of Neural Networks*, IEEE S&P 2017, https://arxiv.org/abs/1608.04644, loss f₆):
/// ```
/// m(z, y) = max(z_y − max_{j≠y} z_j + κ, 0)
/// ```
/// An attack minimises it (maximises −m). κ = 50 in the feature-scattering reference code,
/// which makes the max inactive, so the attack simply pushes the best wrong logit over z_y.
/// Targeted form: `max(max_{j≠t} z_j − z_t + κ, 0)`, minimised.
///
/// - Parameters:
///   - logits: `[N, K]`.
///   - labels: true classes; with `targets`, the targeted form is used and labels are ignored.
public func marginLoss(_ logits: Variable, labels: [Int], kappa: Float = PGD.defaultKappa, targets: [Int]? = nil) -> Variable {
    let k = logits.shape[1]
    let z = logits.value
    var weights = [Float](repeating: 0, count: z.count)
    for (r, y) in labels.enumerated() {
        let anchor = targets?[r] ?? y
        let sign: Float = targets == nil ? 1 : -1
        weights[r * k + anchor] += sign
        weights[r * k + bestOtherClass(z, row: r, excluding: anchor)] -= sign
    }
    return relu(sum(logits * Tensor(shape: logits.shape, scalars: weights), axis: 1) + kappa)
}

extension PGD {
    /// κ of the CW margin in the feature-scattering reference code.
    public static let defaultKappa: Float = 50

    /// CW-k as in the feature-scattering reference: PGD with a uniform random start and
    /// k signed steps on the margin loss −max(z_y − max_{j≠y} z_j + κ, 0).
    ///
    /// - Parameters:
    ///   - epsilon: L∞ radius in pixel units (L2 with `norm: .l2`).
    ///   - stepSize: α; default ε/4 (the reference's 2/255 for ε = 8/255).
    ///   - steps: k.
    ///   - kappa: κ, default 50.
    public static func cw(epsilon: Float, stepSize: Float? = nil, steps: Int, kappa: Float = defaultKappa,
                          norm: Norm = .linf, restarts: Int = 1) throws -> PGD {
        var attack = try PGD(epsilon: epsilon, stepSize: stepSize, steps: steps, norm: norm,
                             loss: .margin(kappa: kappa), restarts: restarts)
        attack.name = "cw\(steps)"
        return attack
    }
}
