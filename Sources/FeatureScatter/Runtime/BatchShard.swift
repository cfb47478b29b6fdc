// BatchShard.swift — a rank's rows of a global batch, and gathering the rows of all ranks.

/// The rows of a global batch this rank holds: rank r holds rows `offset..<offset + counts[r]`,
/// the ranks' rows in rank order make up the global batch.
public struct BatchShard {
    public let communicator: any Communicator
    /// The rows on each rank, in rank order.
    public let counts: [Int]

    public init(communicator: any Communicator, counts: [Int]) {
        precondition(counts.count == communicator.size, "\(counts.count) row counts for \(communicator.size) ranks")
        self.communicator = communicator
        self.counts = counts
    }

    /// A whole batch of `rows` in one process.
    public static func whole(_ rows: Int) -> BatchShard {
        BatchShard(communicator: SingleProcess(), counts: [rows])
    }

    /// The split of a global batch of `rows` over `communicator`'s ranks: ⌊r·n/N⌋ ..< ⌊(r+1)·n/N⌋.
    public static func split(_ rows: Int, over communicator: any Communicator) -> BatchShard {
        let n = communicator.size
        return BatchShard(communicator: communicator, counts: (0..<n).map { r in (r + 1) * rows / n - r * rows / n })
    }

    /// The rows of the global batch.
    public var globalCount: Int { counts.reduce(0, +) }
    /// The first global row on this rank.
    public var offset: Int { counts.prefix(communicator.rank).reduce(0, +) }
    /// The rows on this rank.
    public var localCount: Int { counts[communicator.rank] }
    /// The global rows on this rank.
    public var localRows: Range<Int> { offset..<(offset + localCount) }
    /// This rank's share of the global batch, n_r / n.
    public var weight: Float { Float(localCount) / Float(max(globalCount, 1)) }

    /// The global `[n, ...]` tensor from each rank's `[n_r, ...]` rows.
    public func gatherRows(_ local: Tensor) throws -> Tensor {
        guard communicator.size > 1 else { return local }
        let rowShape = Array(local.shape.dropFirst())
        let parts = try communicator.allGather(floats: local.scalars)
        return Tensor(shape: [globalCount] + rowShape, scalars: parts.flatMap { $0 })
    }

    /// The global `[n, ...]` batch as a variable whose own rows are `local` (differentiable) and
    /// whose other ranks' rows are constants, so a loss of the global batch back-propagates into
    /// this rank's rows only.
    public func gatherRows(_ local: Variable) throws -> Variable {
        guard communicator.size > 1 else { return local }
        let rowShape = Array(local.shape.dropFirst())
        let width = rowShape.reduce(1, *)
        let all = try communicator.allGather(floats: local.value.scalars).flatMap { $0 }
        func constant(_ rows: Range<Int>) -> Variable {
            Variable(constant: Tensor(shape: [rows.count] + rowShape,
                                      scalars: Array(all[(rows.lowerBound * width)..<(rows.upperBound * width)])))
        }
        let before = 0..<offset, after = localRows.upperBound..<globalCount
        let parts = (before.isEmpty ? [] : [constant(before)]) + [local] + (after.isEmpty ? [] : [constant(after)])
        return concatenate(parts, axis: 0)
    }
}
