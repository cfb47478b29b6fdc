// Rules+Layout.swift — differentiable N-D permutation, constant padding, cropping, batched
// matrix products and softmax over any axis (the extra primitives ONNX graphs need).

/// The axes reordered (NumPy `transpose(x, axes)`); the gradient applies the inverse permutation.
public func permute(_ x: Variable, _ permutation: [Int]) -> Variable {
    var inverse = permutation
    for (i, p) in permutation.enumerated() { inverse[p] = i }
    return record("permute", [x]) { x.value.permuted(permutation) } pullback: { g in [g.permuted(inverse)] }
}

/// Constant padding: `before[i]`/`after[i]` elements of `value` on each side of axis i.
public func pad(_ x: Variable, before: [Int], after: [Int], value: Float = 0) -> Variable {
    let shape = x.shape
    return record("pad", [x]) { x.value.padded(before: before, after: after, value: value) } pullback: { g in
        [g.cropped(start: before, size: shape)]
    }
}

/// The block of `size` at `start`; the gradient is zero-padded back.
public func crop(_ x: Variable, start: [Int], size: [Int]) -> Variable {
    let shape = x.shape
    return record("crop", [x]) { x.value.cropped(start: start, size: size) } pullback: { g in
        [g.padded(before: start, after: (0..<shape.count).map { shape[$0] - start[$0] - size[$0] })]
    }
}

/// NumPy `matmul` of `[..., M, K]` and `[..., K, N]` with broadcast batch dimensions
/// (rank-1 operands are not accepted here; reshape them first).
public func batchedMatmul(_ a: Variable, _ b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    precondition(sa.count >= 2 && sb.count >= 2 && sa[sa.count - 1] == sb[sb.count - 2],
                 "matmul: shapes \(sa) and \(sb) do not chain")
    if sa.count == 2 && sb.count == 2 { return matmul(a, b) }
    if sb.count == 2 {
        // [..., M, K]·[K, N]: one GEMM over the flattened rows.
        let y = matmul(a.reshaped([-1, sa[sa.count - 1]]), b)
        return y.reshaped(Array(sa.dropLast()) + [sb[1]])
    }
    let batchA = Array(sa.dropLast(2)), batchB = Array(sb.dropLast(2))
    guard let batch = broadcastShape(batchA, batchB) else {
        preconditionFailure("matmul: batch shapes \(batchA) and \(batchB) do not broadcast")
    }
    let (m, k, n) = (sa[sa.count - 2], sa[sa.count - 1], sb[sb.count - 1])
    // Broadcast both to the full batch (a differentiable multiply by ones), then loop.
    let fullA = batchA == batch ? a : a * Tensor.ones(batch + [m, k])
    let fullB = batchB == batch ? b : b * Tensor.ones(batch + [k, n])
    let count = batch.reduce(1, *)
    let av = fullA.value.reshaped([count, m, k]), bv = fullB.value.reshaped([count, k, n])
    func products(_ x: Tensor, _ y: Tensor, _ rows: Int, _ inner: Int, _ cols: Int,
                  transposeX: Bool, transposeY: Bool) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count * rows * cols)
        let xs = x.count / max(count, 1), ys = y.count / max(count, 1)
        for i in 0..<count {
            let xi = Tensor(shape: transposeX ? [inner, rows] : [rows, inner],
                            scalars: Array(x.scalars[(i * xs)..<((i + 1) * xs)]))
            let yi = Tensor(shape: transposeY ? [cols, inner] : [inner, cols],
                            scalars: Array(y.scalars[(i * ys)..<((i + 1) * ys)]))
            out += matmul(xi, yi, transposeA: transposeX, transposeB: transposeY).scalars
        }
        return out
    }
    let (shapeA, shapeB) = (fullA.shape, fullB.shape)
    return record("batchedMatmul", [fullA, fullB]) {
        Tensor(shape: batch + [m, n], scalars: products(av, bv, m, k, n, transposeX: false, transposeY: false))
    } pullback: { g in
        let gv = g.reshaped([count, m, n])
        let da = fullA.requiresGradient
            ? Tensor(shape: shapeA, scalars: products(gv, bv, m, n, k, transposeX: false, transposeY: true)) : nil
        let db = fullB.requiresGradient
            ? Tensor(shape: shapeB, scalars: products(av, gv, k, m, n, transposeX: true, transposeY: false)) : nil
        return [da, db]
    }
}

/// log(softmax(x)) along `axis` of any rank, composed from permute, reshape and `logSoftmax`.
public func logSoftmax(_ x: Variable, axis: Int) -> Variable {
    let rank = x.shape.count
    var order = Array(0..<rank)
    order.remove(at: axis)
    order.append(axis)
    let moved = axis == rank - 1 ? x : permute(x, order)
    let rows = logSoftmax(moved.reshaped([-1, x.shape[axis]]))
    let back = rows.reshaped(moved.shape)
    guard axis != rank - 1 else { return back }
    var inverse = order
    for (i, p) in order.enumerated() { inverse[p] = i }
    return permute(back, inverse)
}

/// softmax along `axis`.
public func softmax(_ x: Variable, axis: Int) -> Variable {
    exp(logSoftmax(x, axis: axis))
}

/// The mean over `axes`, keeping them as size-1 dimensions.
public func mean(_ x: Variable, axes: [Int]) -> Variable {
    var y = x
    for axis in axes { y = sum(y, axis: axis, keepingDimension: true) }
    let count = axes.map { x.shape[$0] }.reduce(1, *)
    return y * (1 / Float(max(count, 1)))
}
