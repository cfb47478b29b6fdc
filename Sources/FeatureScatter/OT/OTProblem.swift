// OTProblem.swift — a validated optimal-transport instance and the plan summaries every solver reports.

/// A validated instance `(C, a, b)`: finite costs, non-negative normalised marginals.
///
/// Marginals are held in float64 and renormalised to sum to exactly 1 after validation.
struct OTProblem {
    /// The cost matrix `C`, row-major `[rows, cols]`.
    let cost: [Float]
    let rows: Int
    let cols: Int
    /// Source weights `a`, `[rows]`, all > 0 (zero-mass points are removed by the caller).
    let a: [Double]
    /// Target weights `b`, `[cols]`, all > 0.
    let b: [Double]
    /// `min C` and `max C`.
    let minCost: Double
    let maxCost: Double

    /// How far a marginal's sum may be from 1 before it is rejected as not normalised.
    static let normalisationTolerance = 1e-4

    init(cost: [Float], rows: Int, cols: Int, a: [Double], b: [Double]) {
        self.cost = cost
        self.rows = rows
        self.cols = cols
        self.a = a
        self.b = b
        var low = Float.infinity
        var high = -Float.infinity
        for value in cost {
            low = min(low, value)
            high = max(high, value)
        }
        minCost = Double(low)
        maxCost = Double(high)
    }

    /// Checks the cost matrix: non-empty, `rows * cols` values, all finite.
    static func validateCost(_ cost: [Float], rows: Int, cols: Int) throws {
        guard rows > 0, cols > 0 else {
            throw FSCError.invalidArgument("empty transport problem: rows = \(rows), cols = \(cols)")
        }
        guard cost.count == rows * cols else {
            throw FSCError.shapeMismatch(
                "cost has \(cost.count) values, expected rows * cols = \(rows) * \(cols) = \(rows * cols)")
        }
        if let index = cost.firstIndex(where: { !$0.isFinite }) {
            throw FSCError.notFinite(
                "cost[\(index / cols), \(index % cols)] = \(cost[index]); costs must be finite")
        }
    }

    /// Validates a marginal (nil = uniform) and returns it in float64, renormalised to sum 1.
    static func validatedMarginal(_ weights: [Float]?, count: Int, name: String) throws -> [Double] {
        guard let weights else { return [Double](repeating: 1 / Double(count), count: count) }
        guard weights.count == count else {
            throw FSCError.shapeMismatch("marginal \(name) has \(weights.count) values, expected \(count)")
        }
        var total = 0.0
        for (index, weight) in weights.enumerated() {
            guard weight.isFinite else {
                throw FSCError.notFinite("marginal \(name)[\(index)] = \(weight)")
            }
            guard weight >= 0 else {
                throw FSCError.invalidArgument("marginal \(name)[\(index)] = \(weight) is negative")
            }
            total += Double(weight)
        }
        guard abs(total - 1) <= normalisationTolerance else {
            throw FSCError.invalidArgument(
                "marginal \(name) sums to \(total), expected 1 (within \(normalisationTolerance))")
        }
        return weights.map { Double($0) / total }
    }
}

/// Summaries of a plan, accumulated as float64: `⟨T, C⟩`, the row and column sums and the marginal violation.
struct PlanSummary {
    var transportCost = 0.0
    var rowSums: [Double]
    var colSums: [Double]
    var total = 0.0

    /// Sums `T` and `T ⊙ C` in one pass over the plan: each row in eight float32 lanes reduced
    /// in float64, column sums in float32 over blocks of 64 rows added to float64 totals.
    init(plan: [Float], cost: [Float], rows: Int, cols: Int) {
        rowSums = [Double](repeating: 0, count: rows)
        colSums = [Double](repeating: 0, count: cols)
        var blockSums = [Float](repeating: 0, count: cols)
        var transport = 0.0
        let vectorEnd = cols & ~7
        plan.withUnsafeBufferPointer { t in
            cost.withUnsafeBufferPointer { c in
                blockSums.withUnsafeMutableBufferPointer { block in
                    for i in 0..<rows {
                        if i % 64 == 0 {
                            for j in 0..<cols {
                                colSums[j] += Double(block[j])
                                block[j] = 0
                            }
                        }
                        let tRow = t.baseAddress! + i * cols
                        let cRow = c.baseAddress! + i * cols
                        var mass = SIMD8<Float>()
                        var weighted = SIMD8<Float>()
                        var j = 0
                        while j < vectorEnd {
                            let value = OTKernels.load(tRow + j)
                            mass += value
                            weighted += value * OTKernels.load(cRow + j)
                            OTKernels.store(OTKernels.load(block.baseAddress! + j) + value, block.baseAddress! + j)
                            j += 8
                        }
                        var rowTotal = 0.0
                        var rowCost = 0.0
                        for lane in 0..<8 {
                            rowTotal += Double(mass[lane])
                            rowCost += Double(weighted[lane])
                        }
                        while j < cols {
                            rowTotal += Double(tRow[j])
                            rowCost += Double(tRow[j]) * Double(cRow[j])
                            block[j] += tRow[j]
                            j += 1
                        }
                        rowSums[i] = rowTotal
                        transport += rowCost
                    }
                    for j in 0..<cols { colSums[j] += Double(block[j]) }
                }
            }
        }
        transportCost = transport
        total = rowSums.reduce(0, +)
    }

    /// `‖T 1 − a‖₂ + ‖Tᵀ 1 − b‖₂`.
    func marginalError(a: [Double], b: [Double]) -> Double {
        var rowError = 0.0
        for (sum, weight) in zip(rowSums, a) { rowError += (sum - weight) * (sum - weight) }
        var colError = 0.0
        for (sum, weight) in zip(colSums, b) { colError += (sum - weight) * (sum - weight) }
        return rowError.squareRoot() + colError.squareRoot()
    }
}
