// GraphWork.swift — a bound on what one graph run may cost, checked by each node before it computes.
//
// A graph's cost is not its size: one MaxPool with a 34×2 window over a 4-million-value input, or an
// Add that broadcasts [n, 1] against [1, n], is a few bytes of ONNX. Runs the importer makes on its own
// (the validation run, constant folding) and runs on untrusted graphs charge each node's work first.

/// A graph run stopped by its work limit.
struct GraphWorkLimitExceeded: Error, CustomStringConvertible {
    let node: ONNXNode
    let work: Int
    let limit: Int

    var description: String {
        "node \"\(node.name)\" (\(node.opType)) needs \(work) operations, beyond the run's limit of \(limit)"
    }
}

extension GraphContext {
    /// Takes `work` (multiply-adds, comparisons or output elements) from the run's limit, or throws
    /// `GraphWorkLimitExceeded` when what is left does not cover it.
    mutating func charge(_ work: Int, for node: ONNXNode) throws {
        guard let limit = workLimit else { return }
        let (total, overflow) = workSpent.addingReportingOverflow(work)
        guard !overflow, total <= limit else { throw GraphWorkLimitExceeded(node: node, work: work, limit: limit) }
        workSpent = total
    }

    /// `charge` for the product of `factors`, which saturates rather than overflows.
    mutating func charge(product factors: [Int], for node: ONNXNode) throws {
        try charge(saturatingProduct(factors), for: node)
    }
}

/// The product of non-negative `factors`, `Int.max` when it does not fit.
func saturatingProduct(_ factors: [Int]) -> Int {
    factors.reduce(1) { total, factor in
        let (product, overflow) = total.multipliedReportingOverflow(by: factor)
        return overflow ? Int.max : product
    }
}
