// IntegerLayout.swift — layout operations on integer tensors and constant gathers.
//
// Layout ops only move elements, so they are computed on element indices with the float
// kernels (exact below 2^24 elements) and then applied to the integer values.

enum IntegerLayout {
    static func indices(_ shape: [Int], offset: Int = 0) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { Float($0 + offset) })
    }

    static func permuted(_ t: IntegerTensor, _ permutation: [Int]) -> IntegerTensor {
        let moved = indices(t.shape).permuted(permutation)
        return IntegerTensor(shape: moved.shape, values: moved.scalars.map { t.values[Int($0)] })
    }

    static func concatenated(_ parts: [IntegerTensor], axis: Int) -> IntegerTensor {
        var offset = 0
        var indexParts: [Tensor] = []
        for p in parts {
            indexParts.append(indices(p.shape, offset: offset))
            offset += p.values.count
        }
        let all = parts.flatMap(\.values)
        let joined = Tensor(concatenating: indexParts, axis: axis)
        return IntegerTensor(shape: joined.shape, values: joined.scalars.map { all[Int($0)] })
    }

    /// NumPy `take(data, indices, axis)`: shape `data[:axis] + indices + data[axis+1:]`.
    static func gatherOffsets(shape: [Int], indices: IntegerTensor, axis: Int) -> (shape: [Int], offsets: [Int]) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let extent = shape[axis]
        var offsets: [Int] = []
        offsets.reserveCapacity(outer * indices.values.count * inner)
        for o in 0..<outer {
            for i in indices.values {
                let base = (o * extent + Int(i)) * inner
                for k in 0..<inner { offsets.append(base + k) }
            }
        }
        return (Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...]), offsets)
    }

    static func gathered(_ t: IntegerTensor, _ indices: IntegerTensor, axis: Int) -> IntegerTensor {
        let (shape, offsets) = gatherOffsets(shape: t.shape, indices: indices, axis: axis)
        return IntegerTensor(shape: shape, values: offsets.map { t.values[$0] })
    }

    static func gathered(_ t: Tensor, _ indices: IntegerTensor, axis: Int) -> Tensor {
        let (shape, offsets) = gatherOffsets(shape: t.shape, indices: indices, axis: axis)
        return Tensor(shape: shape, scalars: offsets.map { t.scalars[$0] })
    }
}
