// ElementCount.swift — the product of a declared shape, without trapping on a lying one.

/// The number of elements of `shape`, or nil when a dimension is negative or the product overflows
/// `Int`: what a reader checks a file's declared shape with before comparing it with the bytes present.
public func elementCount(_ shape: some Sequence<Int>) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}
