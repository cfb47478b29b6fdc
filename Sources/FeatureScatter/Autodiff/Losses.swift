// Losses.swift — softmax, cross-entropy and label smoothing, composed from primitives.

/// softmax over the last axis of `[N, K]`.
public func softmax(_ logits: Variable) -> Variable {
    exp(logSoftmax(logits))
}

/// Cross-entropy with soft targets: `−(1/N) Σ_i Σ_k t_ik · log softmax(z_i)_k`.
///
/// - Parameters:
///   - logits: `[N, K]` unnormalised scores.
///   - targets: `[N, K]` probability rows (each sums to 1).
public func crossEntropy(_ logits: Variable, targets: Tensor) -> Variable {
    precondition(logits.shape == targets.shape,
                 "crossEntropy: logits \(logits.shape) and targets \(targets.shape) differ")
    return -mean(sum(logSoftmax(logits) * targets, axis: 1))
}

/// Cross-entropy with hard labels (class indices in `0..<K`).
public func crossEntropy(_ logits: Variable, labels: [Int]) -> Variable {
    crossEntropy(logits, targets: oneHot(labels, classes: logits.shape[1]))
}

/// Rows with 1 at each label and 0 elsewhere, `[N, classes]`.
public func oneHot(_ labels: [Int], classes: Int) -> Tensor {
    var values = [Float](repeating: 0, count: labels.count * classes)
    for (i, label) in labels.enumerated() {
        precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
        values[i * classes + label] = 1
    }
    return Tensor(shape: [labels.count, classes], scalars: values)
}

/// Label-smoothed targets as in the feature-scattering paper: the true class gets
/// `1 − δ`, every other class `δ/(K−1)`, i.e. `(1 − δ − δ/(K−1))·onehot + δ/(K−1)`.
///
/// - Parameters:
///   - labels: class indices.
///   - classes: K ≥ 2.
///   - smoothing: δ in [0, 1); the paper uses 0.5.
public func smoothedTargets(_ labels: [Int], classes: Int, smoothing: Float) -> Tensor {
    let off = smoothing / Float(classes - 1)
    return oneHot(labels, classes: classes) * (1 - smoothing - off) + off
}
