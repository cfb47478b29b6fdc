// Tensor+Layout.swift — N-D permutation, constant padding and its inverse (cropping).

extension Tensor {
    /// The axes reordered: output axis i is input axis `permutation[i]` (NumPy's `transpose`).
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "permutation \(permutation) does not fit rank \(rank)")
        let outShape = permutation.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inStrides[axis] = inStrides[axis + 1] * shape[axis + 1] }
        let strides = permutation.map { inStrides[$0] }
        let total = count
        return Tensor(shape: outShape) { out in
            guard total > 0 else { return }
            scalars.withUnsafeBufferPointer { p in
                var index = [Int](repeating: 0, count: rank)
                var offset = 0
                for i in 0..<total {
                    out[i] = p[offset]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < outShape[axis] { break }
                        offset -= strides[axis] * outShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }

    /// Calls `body(inputOffset, outputOffset, run)` for each innermost row of a tensor of
    /// `inner` shape placed at `before` inside a tensor of `outer` shape.
    static func forEachPlacedRow(inner: [Int], outer: [Int], before: [Int], _ body: (Int, Int, Int) -> Void) {
        let rank = inner.count
        guard rank > 0 else { body(0, 0, 1); return }
        guard inner.allSatisfy({ $0 > 0 }) else { return }
        var outStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { outStrides[axis] = outStrides[axis + 1] * outer[axis + 1] }
        let run = inner[rank - 1]
        let rows = inner.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: rank)
        for row in 0..<rows {
            var outOffset = 0
            for axis in 0..<rank { outOffset += (index[axis] + before[axis]) * outStrides[axis] }
            body(row * run, outOffset, run)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < inner[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Padded with `value`: `before[i]` and `after[i]` elements added on each side of axis i.
    public func padded(before: [Int], after: [Int], value: Float = 0) -> Tensor {
        precondition(before.count == rank && after.count == rank && (before + after).allSatisfy { $0 >= 0 },
                     "padded: pads \(before), \(after) do not fit shape \(shape)")
        let outShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
        var out = Tensor(repeating: value, shape: outShape)
        scalars.withUnsafeBufferPointer { p in
            out.scalars.withUnsafeMutableBufferPointer { o in
                Tensor.forEachPlacedRow(inner: shape, outer: outShape, before: before) { i, j, n in
                    (o.baseAddress! + j).update(from: p.baseAddress! + i, count: n)
                }
            }
        }
        return out
    }

    /// The block of `size` starting at `start` (the inverse of `padded`).
    public func cropped(start: [Int], size: [Int]) -> Tensor {
        precondition(start.count == rank && size.count == rank
                     && (0..<rank).allSatisfy { start[$0] >= 0 && size[$0] >= 0 && start[$0] + size[$0] <= shape[$0] },
                     "cropped: block at \(start) of \(size) does not fit shape \(shape)")
        var out = Tensor.zeros(size)
        scalars.withUnsafeBufferPointer { p in
            out.scalars.withUnsafeMutableBufferPointer { o in
                Tensor.forEachPlacedRow(inner: size, outer: shape, before: start) { i, j, n in
                    (o.baseAddress! + i).update(from: p.baseAddress! + j, count: n)
                }
            }
        }
        return out
    }
}
