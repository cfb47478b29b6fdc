// Broadcasting.swift — NumPy broadcasting rules and strided iteration over broadcast shapes.

/// The shape two operands broadcast to under NumPy rules, or nil if they are incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 {
            result[i] = da
        } else if da == 1 {
            result[i] = db
        } else {
            return nil
        }
    }
    return result
}

/// Element strides of `shape` when read as `target` (rank padded on the left); 0 where
/// `shape` is broadcast along a dimension.
func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
    let offset = target.count - shape.count
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i + offset] = shape[i] == 1 && target[i + offset] != 1 ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// Calls `body(offsetA, offsetB, strideA, strideB, length)` once per innermost row of
/// `shape`, with element offsets into two operands read with the given strides.
@inline(__always)
func forEachRow(shape: [Int], stridesA: [Int], stridesB: [Int],
                _ body: (Int, Int, Int, Int, Int) -> Void) {
    let rank = shape.count
    guard rank > 0 else { body(0, 0, 0, 0, 1); return }
    guard shape.allSatisfy({ $0 > 0 }) else { return }
    let length = shape[rank - 1]
    let innerA = stridesA[rank - 1], innerB = stridesB[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    var offsetA = 0, offsetB = 0
    while true {
        body(offsetA, offsetB, innerA, innerB, length)
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            offsetA += stridesA[axis]
            offsetB += stridesB[axis]
            if index[axis] < shape[axis] { break }
            offsetA -= stridesA[axis] * shape[axis]
            offsetB -= stridesB[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}
