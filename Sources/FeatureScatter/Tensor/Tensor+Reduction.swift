// Tensor+Reduction.swift — sums, means and maxima over all or some axes.

extension Tensor {
    /// The sum of all elements, accumulated in double precision.
    public func sum() -> Float {
        scalars.withUnsafeBufferPointer { p in
            var total: Double = 0
            for value in p { total += Double(value) }
            return Float(total)
        }
    }

    /// The mean of all elements.
    public func mean() -> Float {
        count == 0 ? .nan : sum() / Float(count)
    }

    /// Sums this tensor down to `target`, a shape it was broadcast from (the rank may be
    /// smaller; missing leading dimensions and dimensions of extent 1 are summed over).
    /// This is the adjoint of broadcasting, used for gradients.
    ///
    /// A sum over the leading (batch) axis alone is split across the workers like the batch
    /// (see `matmul`): each sums its rows, and the partial sums are added in worker order.
    public func summed(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(broadcastShape(target, shape) == shape,
                     "cannot sum shape \(shape) down to \(target)")
        let rest = Array(shape.dropFirst())
        if rank >= 2, target == rest || target == [1] + rest { return summedOverRows(to: target) }
        let sourceStrides = Tensor.contiguousStrides(shape)
        let targetStrides = broadcastStrides(of: target, to: shape)
        var out = [Float](repeating: 0, count: target.reduce(1, *))
        scalars.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { o in
                forEachRow(shape: shape, stridesA: sourceStrides, stridesB: targetStrides) { os, ot, _, st, n in
                    if st == 0 {
                        var total: Float = 0
                        for j in 0..<n { total += source[os + j] }
                        o[ot] += total
                    } else {
                        for j in 0..<n { o[ot + j * st] += source[os + j] }
                    }
                }
            }
        }
        return Tensor(shape: target, scalars: out)
    }

    /// The sum of the rows (the leading axis), reshaped to `target`, by worker partitions.
    private func summedOverRows(to target: [Int]) -> Tensor {
        let rows = shape[0], width = count / max(shape[0], 1)
        let workers = min(Parallelism.workerCount, max(rows, 1))
        var partials = [Float](repeating: 0, count: width * workers)
        scalars.withUnsafeBufferPointer { source in
            partials.withUnsafeMutableBufferPointer { p in
                let (s, out) = (source.baseAddress!, p.baseAddress!)
                Parallelism.forEachRange(rows) { range, worker in
                    let sum = out + worker * width
                    for r in range {
                        for j in 0..<width { sum[j] += s[r * width + j] }
                    }
                }
            }
        }
        var total = [Float](repeating: 0, count: width)
        for worker in 0..<workers {
            for j in 0..<width { total[j] += partials[worker * width + j] }
        }
        return Tensor(shape: target, scalars: total)
    }

    /// Sums over `axis`; the result drops that dimension unless `keepingDimension`.
    public func summed(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let axis = axis < 0 ? axis + rank : axis
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        var kept = shape
        kept[axis] = 1
        let result = summed(toShape: kept)
        if keepingDimension { return result }
        var dropped = shape
        dropped.remove(at: axis)
        return result.reshaped(dropped)
    }

    /// The maximum of each row of a rank-2 tensor, as shape [rows, 1].
    public func rowMaxima() -> Tensor {
        precondition(rank == 2, "rowMaxima needs a rank-2 tensor, got \(shape)")
        let rows = shape[0], cols = shape[1]
        var out = [Float](repeating: -.infinity, count: rows)
        scalars.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                var best = -Float.infinity
                for c in 0..<cols where p[r * cols + c] > best { best = p[r * cols + c] }
                out[r] = best
            }
        }
        return Tensor(shape: [rows, 1], scalars: out)
    }

    /// The index of the largest element in each row of a rank-2 tensor.
    public func argMaxPerRow() -> [Int] {
        precondition(rank == 2, "argMaxPerRow needs a rank-2 tensor, got \(shape)")
        let rows = shape[0], cols = shape[1]
        return scalars.withUnsafeBufferPointer { p in
            (0..<rows).map { r in
                var best = 0
                for c in 1..<max(cols, 1) where p[r * cols + c] > p[r * cols + best] { best = c }
                return best
            }
        }
    }

    /// Row-major strides of a contiguous tensor of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = step
            step *= shape[i]
        }
        return strides
    }
}
