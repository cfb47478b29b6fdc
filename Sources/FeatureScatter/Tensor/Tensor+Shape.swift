// Tensor+Shape.swift — transposes, concatenation, splitting and row-wise softmax.

import Foundation

extension Tensor {
    /// The transpose of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed needs a rank-2 tensor, got \(shape)")
        let (rows, cols) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    for c in 0..<cols { o[c * rows + r] = p[r * cols + c] }
                }
            }
        }
        return Tensor(shape: [cols, rows], scalars: out)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public init(concatenating parts: [Tensor], axis: Int) {
        precondition(!parts.isEmpty, "concatenating needs at least one tensor")
        var shape = parts[0].shape
        precondition(axis >= 0 && axis < shape.count, "axis \(axis) out of range for \(shape)")
        for part in parts {
            var a = part.shape, b = shape
            precondition(a.count == b.count, "concatenating: ranks differ, \(part.shape) and \(shape)")
            a[axis] = 0; b[axis] = 0
            precondition(a == b, "concatenating along \(axis): shapes \(part.shape) and \(parts[0].shape) differ")
        }
        shape[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float]()
        out.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for part in parts {
                let run = part.shape[axis] * inner
                out.append(contentsOf: part.scalars[(o * run)..<((o + 1) * run)])
            }
        }
        self.init(shape: shape, scalars: out)
    }

    /// Splits along `axis` into pieces of the given extents (the inverse of concatenation).
    public func split(alongAxis axis: Int, extents: [Int]) -> [Tensor] {
        precondition(extents.reduce(0, +) == shape[axis], "split: extents \(extents) do not sum to \(shape[axis])")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let total = shape[axis] * inner
        var start = 0
        return extents.map { extent in
            var pieceShape = shape
            pieceShape[axis] = extent
            var values = [Float]()
            values.reserveCapacity(outer * extent * inner)
            for o in 0..<outer {
                let from = o * total + start * inner
                values.append(contentsOf: scalars[from..<(from + extent * inner)])
            }
            start += extent
            return Tensor(shape: pieceShape, scalars: values)
        }
    }

    /// Rows `range` of the outermost dimension.
    public func slice(_ range: Range<Int>) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// Rows at `indices` of the outermost dimension, in that order.
    public func gathering(rows indices: [Int]) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var values = [Float](repeating: 0, count: indices.count * inner)
        scalars.withUnsafeBufferPointer { p in
            values.withUnsafeMutableBufferPointer { o in
                for (i, row) in indices.enumerated() {
                    (o.baseAddress! + i * inner).update(from: p.baseAddress! + row * inner, count: inner)
                }
            }
        }
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(shape: newShape, scalars: values)
    }

    /// log(softmax) of each row of a rank-2 tensor, with the row maximum subtracted first.
    public func logSoftmaxRows() -> Tensor {
        precondition(rank == 2, "logSoftmax needs [N,K], got \(shape)")
        let (rows, cols) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    let row = p.baseAddress! + r * cols
                    var top = -Float.infinity
                    for c in 0..<cols { top = Swift.max(top, row[c]) }
                    var total: Float = 0
                    for c in 0..<cols { total += Foundation.exp(row[c] - top) }
                    let logTotal = top + Foundation.log(total)
                    for c in 0..<cols { o[r * cols + c] = row[c] - logTotal }
                }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }
}
