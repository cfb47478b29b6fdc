// MostConfusingTarget.swift — the target of BAT's image attack: the wrong class the model likes best.

/// The most confusing class of each image: the class other than its label with the highest
/// clean logit (Wang & Zhang, *Bilateral Adversarial Training*, ICCV 2019,
/// https://arxiv.org/abs/1811.10716, §4.2 "Generating adversarial images"):
/// ```
/// t_i = argmax_{k ≠ y_i} z_ik        (ties: the lower class index)
/// ```
/// BAT's one-step attack descends on the cross-entropy of `t_i` (its "MC" target); the
/// paper credits the random start and this target with preventing label leaking and gradient
/// masking in one-step training. When the model misclassifies an image, `t_i` is the class
/// it predicts.
///
/// - Parameters:
///   - logits: `[N, K]` logits of the clean images, K ≥ 2.
///   - labels: N labels in `0..<K`.
/// - Returns: N target classes, each different from its label.
/// - Throws: `FSCError.shapeMismatch` unless the logits are `[N, K]` with K ≥ 2;
///   `FSCError.invalidArgument` for a label outside `0..<K`.
public func mostConfusingClasses(logits: Tensor, labels: [Int]) throws -> [Int] {
    try checkClassRows(logits, labels: labels)
    return labels.indices.map { bestOtherClass(logits, row: $0, excluding: labels[$0]) }
}

/// Checks `[N, K]` logits against N labels: K ≥ 2 (a wrong class exists) and every label in
/// `0..<K`. Returns K.
@discardableResult
func checkClassRows(_ logits: Tensor, labels: [Int]) throws -> Int {
    guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[1] >= 2 else {
        throw FSCError.shapeMismatch("expected [\(labels.count), K] logits with K ≥ 2 for \(labels.count) labels, got \(logits.shape)")
    }
    let k = logits.shape[1]
    if let bad = labels.first(where: { $0 < 0 || $0 >= k }) {
        throw FSCError.invalidArgument("label \(bad) outside 0..<\(k)")
    }
    return k
}
