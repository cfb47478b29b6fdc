// ExactOT.swift — exact optimal transport for equal uniform weights, as a linear assignment.

/// The exact optimal plan of an `n × n` problem with `a = b = 1/n`.
///
/// With equal uniform weights the linear program
/// ```
/// min_{T ≥ 0, T 1 = 1/n, Tᵀ 1 = 1/n}  ⟨T, C⟩
/// ```
/// has a vertex solution that is a permutation matrix divided by `n` (Birkhoff–von Neumann),
/// so it equals the linear assignment problem `min_σ (1/n) Σ_i C_{i σ(i)}`. This solves it with
/// shortest augmenting paths: for each row, a Dijkstra search on reduced costs
/// `C_ij − u_i − v_j ≥ 0` (dual potentials `u`, `v`) finds the cheapest alternating path to a
/// free column; potentials are then updated so reduced costs stay non-negative, and the
/// path is flipped. `O(n³)` in the worst case, far less on random dense costs.
///
/// Precision: costs, potentials and path lengths are float64, so the optimum is exact for
/// the float32 costs given; the cost is summed in float64.
///
/// Reference: Jonker & Volgenant, *A Shortest Augmenting Path Algorithm for Dense and Sparse
/// Linear Assignment Problems*, Computing 1987; Crouse, *On Implementing 2D Rectangular
/// Assignment Algorithms*, IEEE TAES 2016.
///
/// - Parameters:
///   - cost: `[n, n]` row-major, finite.
///   - n: the number of rows and columns, ≥ 1.
/// - Returns: `columnForRow[i]`, the column assigned to row `i`.
func solveAssignment(cost: [Float], n: Int) -> [Int] {
    var rowPotential = [Double](repeating: 0, count: n)
    var colPotential = [Double](repeating: 0, count: n)
    var shortest = [Double](repeating: .infinity, count: n)
    var pathRow = [Int](repeating: -1, count: n)
    var columnForRow = [Int](repeating: -1, count: n)
    var rowForColumn = [Int](repeating: -1, count: n)
    var remaining = [Int](repeating: 0, count: n)
    var visitedRows = [Int]()
    var visitedColumns = [Int]()
    visitedRows.reserveCapacity(n)
    visitedColumns.reserveCapacity(n)
    cost.withUnsafeBufferPointer { c in
        for startRow in 0..<n {
            for j in 0..<n {
                remaining[j] = n - 1 - j
                shortest[j] = .infinity
            }
            visitedRows.removeAll(keepingCapacity: true)
            visitedColumns.removeAll(keepingCapacity: true)
            var remainingCount = n
            var pathLength = 0.0
            var row = startRow
            var sink = -1
            while sink < 0 {
                visitedRows.append(row)
                var lowest = Double.infinity
                var lowestIndex = -1
                let base = row * n
                let offset = pathLength - rowPotential[row]
                for index in 0..<remainingCount {
                    let j = remaining[index]
                    let reduced = offset + Double(c[base + j]) - colPotential[j]
                    if reduced < shortest[j] {
                        pathRow[j] = row
                        shortest[j] = reduced
                    }
                    if shortest[j] < lowest || (shortest[j] == lowest && rowForColumn[j] < 0) {
                        lowest = shortest[j]
                        lowestIndex = index
                    }
                }
                pathLength = lowest
                let column = remaining[lowestIndex]
                visitedColumns.append(column)
                remainingCount -= 1
                remaining[lowestIndex] = remaining[remainingCount]
                if rowForColumn[column] < 0 {
                    sink = column
                } else {
                    row = rowForColumn[column]
                }
            }
            rowPotential[startRow] += pathLength
            for visited in visitedRows where visited != startRow {
                rowPotential[visited] += pathLength - shortest[columnForRow[visited]]
            }
            for column in visitedColumns {
                colPotential[column] -= pathLength - shortest[column]
            }
            var column = sink
            while true {
                let owner = pathRow[column]
                rowForColumn[column] = owner
                let previous = columnForRow[owner]
                columnForRow[owner] = column
                if owner == startRow { break }
                column = previous
            }
        }
    }
    return columnForRow
}

/// The exact optimal plan of a transportation problem with general marginals.
///
/// Solves the linear program
/// ```
/// min_{T ≥ 0, T 1 = a, Tᵀ 1 = b}  ⟨T, C⟩
/// ```
/// for `C` (`[n, m]`) and positive weights `a` (`[n]`), `b` (`[m]`) summing to 1, by successive
/// shortest paths: the bipartite residual graph has arcs `i → j` (cost `C_ij`) and, where
/// `T_ij > 0`, `j → i` (cost `−C_ij`). Dual potentials `u`, `v` keep every reduced cost
/// `C_ij − u_i − v_j ≥ 0` (and 0 on the support of `T`); each step runs Dijkstra from all rows
/// with mass left to the nearest column with demand left, updates the potentials and pushes the
/// bottleneck mass (remaining supply, demand, or a flow on a backward arc) along the path. At
/// the end `(u, v)` is dual feasible and `Σ a_i u_i + Σ b_j v_j = ⟨T, C⟩`, which certifies
/// optimality. `O((n + m) · n m)` on dense costs: meant for n, m up to a few hundred; equal
/// uniform weights with `n == m` go to the faster ``solveAssignment(cost:n:)``.
///
/// Precision: masses, potentials and distances are float64; masses below `1e-15` count as 0.
///
/// Reference: Ahuja, Magnanti & Orlin, *Network Flows*, Prentice Hall 1993, §9.7 (successive
/// shortest paths).
///
/// - Returns: the plan (`[n, m]`, float32), the potentials `u`, `v` and the augmentations run.
func solveTransportation(_ problem: OTProblem) -> (plan: [Float], u: [Double], v: [Double], augmentations: Int) {
    let n = problem.rows
    let m = problem.cols
    let negligible = 1e-15
    let cost = problem.cost.map { Double($0) }
    var supply = problem.a
    var demand = problem.b
    var u = [Double](repeating: 0, count: n)
    var v = [Double](repeating: 0, count: m)
    for j in 0..<m { v[j] = (0..<n).reduce(Double.infinity) { min($0, cost[$1 * m + j]) } }
    var flow = [Double](repeating: 0, count: n * m)
    var support = [[Int]](repeating: [], count: m)
    var rowDistance = [Double](repeating: 0, count: n)
    var colDistance = [Double](repeating: 0, count: m)
    var rowSettled = [Bool](repeating: false, count: n)
    var rowPredecessor = [Int](repeating: -1, count: n)
    var colPredecessor = [Int](repeating: -1, count: m)
    var augmentations = 0
    var openColumns = [Int]()
    var rowCandidates = [Int]()
    openColumns.reserveCapacity(m)
    while supply.contains(where: { $0 > negligible }) {
        for j in 0..<m { colDistance[j] = .infinity }
        openColumns = Array(0..<m)
        rowCandidates.removeAll(keepingCapacity: true)
        // Every row with mass left is a source at distance 0: settle them all at once.
        for i in 0..<n {
            rowPredecessor[i] = -1
            rowSettled[i] = supply[i] > negligible
            rowDistance[i] = rowSettled[i] ? 0 : .infinity
            guard rowSettled[i] else { continue }
            let base = i * m
            for j in 0..<m {
                let candidate = max(0, cost[base + j] - u[i] - v[j])
                if candidate < colDistance[j] {
                    colDistance[j] = candidate
                    colPredecessor[j] = i
                }
            }
        }
        var sink = -1
        var sinkDistance = 0.0
        while sink < 0 && !openColumns.isEmpty {
            var best = Double.infinity
            var bestIndex = -1
            var bestIsRow = false
            for (index, j) in openColumns.enumerated() where colDistance[j] < best {
                best = colDistance[j]
                bestIndex = index
            }
            for (index, i) in rowCandidates.enumerated() where rowDistance[i] <= best {
                best = rowDistance[i]
                bestIndex = index
                bestIsRow = true
            }
            guard bestIndex >= 0 else { break }
            if bestIsRow {
                let row = rowCandidates.remove(at: bestIndex)
                rowSettled[row] = true
                let base = row * m
                for j in openColumns {
                    let candidate = best + max(0, cost[base + j] - u[row] - v[j])
                    if candidate < colDistance[j] {
                        colDistance[j] = candidate
                        colPredecessor[j] = row
                    }
                }
            } else {
                let column = openColumns[bestIndex]
                openColumns[bestIndex] = openColumns[openColumns.count - 1]
                openColumns.removeLast()
                if demand[column] > negligible {
                    sink = column
                    sinkDistance = best
                    break
                }
                for i in support[column] where !rowSettled[i] && best < rowDistance[i] {
                    if rowDistance[i] == .infinity { rowCandidates.append(i) }
                    rowDistance[i] = best
                    rowPredecessor[i] = column
                }
            }
        }
        guard sink >= 0 else { break }
        for i in 0..<n { u[i] -= min(rowDistance[i], sinkDistance) }
        for j in 0..<m { v[j] += min(colDistance[j], sinkDistance) }
        var amount = demand[sink]
        var column = sink
        while true {
            let row = colPredecessor[column]
            let previous = rowPredecessor[row]
            if previous < 0 {
                amount = min(amount, supply[row])
                break
            }
            amount = min(amount, flow[row * m + previous])
            column = previous
        }
        demand[sink] -= amount
        column = sink
        while true {
            let row = colPredecessor[column]
            if flow[row * m + column] == 0 { support[column].append(row) }
            flow[row * m + column] += amount
            let previous = rowPredecessor[row]
            if previous < 0 {
                supply[row] -= amount
                break
            }
            flow[row * m + previous] -= amount
            if flow[row * m + previous] <= negligible {
                flow[row * m + previous] = 0
                support[previous].removeAll { $0 == row }
            }
            column = previous
        }
        augmentations += 1
    }
    return (flow.map { Float($0) }, u, v, augmentations)
}

/// The exact optimal plan: ``solveAssignment(cost:n:)`` when `n == m` and both marginals are
/// uniform (the plan is then `T_{i σ(i)} = 1/n`), ``solveTransportation(_:)`` otherwise.
///
/// - Returns: the plan and the iterations (rows assigned, or augmenting paths).
func solveExactOT(_ problem: OTProblem) -> (plan: [Float], iterations: Int) {
    let n = problem.rows
    let uniform = 1 / Double(n)
    let isAssignment = n == problem.cols
        && problem.a.allSatisfy { abs($0 - uniform) <= 1e-12 }
        && problem.b.allSatisfy { abs($0 - uniform) <= 1e-12 }
    guard isAssignment else {
        let solution = solveTransportation(problem)
        return (solution.plan, solution.augmentations)
    }
    let assignment = solveAssignment(cost: problem.cost, n: n)
    var plan = [Float](repeating: 0, count: n * n)
    for (i, j) in assignment.enumerated() { plan[i * n + j] = Float(uniform) }
    return (plan, n)
}
