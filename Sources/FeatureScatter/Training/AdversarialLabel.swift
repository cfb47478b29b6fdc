// AdversarialLabel.swift — BAT's adversarial labels: the closed-form label perturbation of its §4.1.

import Foundation

/// Soft training targets perturbed against the model, and the budget each image got.
public struct AdversarialLabels {
    /// `[N, K]` probability rows ỹ.
    public var targets: Tensor
    /// ε_y per image: the mass moved off its label, `1 − ỹ_c`.
    public var budgets: [Float]
}

/// The adversarial labels of Bilateral Adversarial Training (Wang & Zhang, *Bilateral Adversarial
/// Training: Towards Fast Training of More Robust Models Against Adversarial Attacks*, ICCV 2019,
/// https://arxiv.org/abs/1811.10716, §4.1 "Generating adversarial labels").
///
/// The label is moved, inside the simplex, along the gradient of the loss with respect to it.
/// For the cross-entropy `L = −Σ_k y_k log p_k` with `p = softmax(z)` at the clean image that
/// gradient is `v_k = ∂L/∂y_k = −log p_k`. For an image of class c among K classes:
/// ```
/// ỹ_k = ε_y · (v_k − v_MC + γ) / S    (k ≠ c),    ỹ_c = 1 − ε_y,
/// S    = Σ_{j≠c} (v_j − v_MC + γ),    v_MC = min_{k≠c} v_k,    v_LL = max_{k≠c} v_k
/// ```
/// (the paper writes S/(K−1) as the mean of the v_j less v_MC plus γ). The wrong class the
/// model finds least likely gets the most mass, the most confusing one the least (γ); when
/// every wrong class has the same v_k this is label smoothing with δ = ε_y.
///
/// The budget ε_y is the largest that keeps the true class β times the largest wrong class,
/// `ỹ_c = β · max_{k≠c} ỹ_k` (§4.1), per image:
/// ```
/// ε_y = 1 / (1 + β · (v_LL − v_MC + γ) / S)   ∈ (1/(1+β), 1/(1+β/(K−1))]
/// ```
/// The upper end is reached when the wrong classes tie: 0.5 for the paper's β = 9 and K = 10,
/// the label smoothing the feature-scattering paper trains with. The authors' code
/// (`adv_labels` in github.com/wjyouch/bilateral-adversarial-training) computes the same
/// with `v_k = −log(p_k + 1e−8)`; here `v_k` is the exact `−log softmax(z)_k` (float64).
///
/// - Parameters:
///   - logits: `[N, K]` logits of the clean images (an inference pass), K ≥ 2, finite.
///   - labels: N labels in `0..<K`.
///   - beta: β > 0, the true class's target over the largest wrong class's; the paper's 9.
///   - gamma: γ > 0, which keeps S > 0 and gives the most confusing class some mass; 0.01.
/// - Returns: the targets ỹ (rows sum to 1) and the budgets ε_y.
/// - Throws: `FSCError.invalidArgument` for β or γ not finite and > 0 or a label outside
///   `0..<K`; `FSCError.shapeMismatch` for logits that are not `[N, K≥2]`;
///   `FSCError.notFinite` for NaN or infinite logits.
public func adversarialLabels(logits: Tensor, labels: [Int], beta: Float = BilateralTraining.defaultBeta,
                              gamma: Float = BilateralTraining.defaultGamma) throws -> AdversarialLabels {
    guard beta.isFinite, beta > 0 else { throw FSCError.invalidArgument("bilateral β must be finite and > 0, got \(beta)") }
    guard gamma.isFinite, gamma > 0 else { throw FSCError.invalidArgument("bilateral γ must be finite and > 0, got \(gamma)") }
    let k = try checkClassRows(logits, labels: labels)
    guard logits.isFinite else { throw FSCError.notFinite("the clean logits of the adversarial labels contain NaN or infinity") }
    var targets = [Float](repeating: 0, count: labels.count * k)
    var budgets = [Float](repeating: 0, count: labels.count)
    let (b, g) = (Double(beta), Double(gamma))
    for (r, c) in labels.enumerated() {
        let v = negativeLogSoftmax(logits.scalars[(r * k)..<((r + 1) * k)])
        let wrong = v.indices.filter { $0 != c }
        let mostConfusing = wrong.map { v[$0] }.min()!, leastLikely = wrong.map { v[$0] }.max()!
        let spread = wrong.reduce(0.0) { $0 + v[$1] - mostConfusing + g }
        let budget = 1 / (1 + b * (leastLikely - mostConfusing + g) / spread)
        for j in wrong { targets[r * k + j] = Float(budget * (v[j] - mostConfusing + g) / spread) }
        targets[r * k + c] = Float(1 - budget)
        budgets[r] = Float(budget)
    }
    return AdversarialLabels(targets: Tensor(shape: [labels.count, k], scalars: targets), budgets: budgets)
}

/// `−log softmax(z)` of one row, in float64: `logSumExp(z) − z_k`.
private func negativeLogSoftmax(_ row: ArraySlice<Float>) -> [Double] {
    let z = row.map(Double.init)
    let top = z.max()!
    let logSum = top + log(z.reduce(0) { $0 + exp($1 - top) })
    return z.map { logSum - $0 }
}
