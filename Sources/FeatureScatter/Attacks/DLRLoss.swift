// DLRLoss.swift — per-example attack losses: cross-entropy and the Difference of Logits Ratio.

/// Per-example cross-entropy `[N]`: `−log softmax(z_i)_{y_i}`.
public func crossEntropyPerExample(_ logits: Variable, labels: [Int]) -> Variable {
    -sum(logSoftmax(logits) * oneHot(labels, classes: logits.shape[1]), axis: 1)
}

/// The Difference of Logits Ratio loss per example `[N]` (Croce & Hein, *Reliable
/// evaluation of adversarial robustness with an ensemble of diverse parameter-free
/// attacks*, ICML 2020, https://arxiv.org/abs/2003.01690, eq. 5):
/// ```
/// DLR(z, y) = −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12)
/// ```
/// where π orders the logits decreasingly (z_π1 ≥ z_π2 ≥ …). It is invariant to shifting
/// and rescaling the logits, so it cannot be masked by a temperature or label smoothing.
/// Attacks maximise it; it is positive once the image is misclassified.
///
/// The arg-max and the ordering are taken from the forward values and held fixed, so the
/// gradient is the exact gradient wherever the ordering is strict (almost everywhere).
/// Needs K ≥ 3 classes.
public func dlrLoss(_ logits: Variable, labels: [Int]) -> Variable {
    dlrRatio(logits, labels: labels, minimumClasses: 3, name: "DLR") { y, order, _ in
        let other = order[0] == y ? order[1] : order[0]
        let numerator: [(Int, Float)] = [(y, 1), (other, -1)]
        return (numerator, [(order[0], 1), (order[2], -1)])
    }
}

/// The targeted DLR loss per example `[N]` (Croce & Hein 2020, eq. 6), maximised by the
/// attack so that z_t overtakes z_y:
/// ```
/// DLR_T(z, y, t) = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)
/// ```
/// Needs K ≥ 4 classes.
public func targetedDLRLoss(_ logits: Variable, labels: [Int], targets: [Int]) -> Variable {
    dlrRatio(logits, labels: labels, minimumClasses: 4, name: "targeted DLR") { y, order, r in
        let numerator: [(Int, Float)] = [(y, 1), (targets[r], -1)]
        return (numerator, [(order[0], 1), (order[2], -0.5), (order[3], -0.5)])
    }
}

/// `−(Σ_k z_k·a_k) / (Σ_k z_k·b_k + 1e-12)` per row, with selection weights a and b that
/// `terms(label, classes by logit, row)` gives as (class, weight) pairs.
private func dlrRatio(_ logits: Variable, labels: [Int], minimumClasses: Int, name: String,
                      _ terms: (Int, [Int], Int) -> (numerator: [(Int, Float)], denominator: [(Int, Float)])) -> Variable {
    let k = logits.shape[1]
    precondition(k >= minimumClasses, "\(name) needs ≥ \(minimumClasses) classes, got \(k)")
    let z = logits.value
    var a = [Float](repeating: 0, count: z.count), b = a
    for (r, y) in labels.enumerated() {
        let (numerator, denominator) = terms(y, sortedClasses(z, row: r), r)
        for (c, weight) in numerator { a[r * k + c] += weight }
        for (c, weight) in denominator { b[r * k + c] += weight }
    }
    let top = sum(logits * Tensor(shape: logits.shape, scalars: a), axis: 1)
    let bottom = sum(logits * Tensor(shape: logits.shape, scalars: b), axis: 1) + 1e-12
    return -(top / bottom)
}

/// The classes of row r of `[N, K]` logits, highest logit first (ties: lower index first).
func sortedClasses(_ z: Tensor, row r: Int) -> [Int] {
    let k = z.shape[1]
    return (0..<k).sorted { a, b in
        let (za, zb) = (z.scalars[r * k + a], z.scalars[r * k + b])
        return za != zb ? za > zb : a < b
    }
}

/// The highest-scoring class other than `excluded` in row r.
func bestOtherClass(_ z: Tensor, row r: Int, excluding excluded: Int) -> Int {
    let k = z.shape[1]
    var best = -1
    for c in 0..<k where c != excluded {
        if best < 0 || z.scalars[r * k + c] > z.scalars[r * k + best] { best = c }
    }
    return best
}
