// OTAPI.swift — fsc_ot_*: optimal transport from a cost matrix or two feature sets.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_ot_config_default")
public func fsc_ot_config_default(_ config: UnsafeMutablePointer<fsc_ot_config>?) -> fsc_status {
    guarded("fsc_ot_config_default") {
        try required(config, "config").pointee = defaultOTConfig()
    }
}

/// The documented defaults.
func defaultOTConfig() -> fsc_ot_config {
    otConfig(OTOptions(), matching: ScatteringObjective().matching)
}

/// `options` and `matching` as the C struct.
func otConfig(_ options: OTOptions, matching: OTMatching) -> fsc_ot_config {
    fsc_ot_config(struct_size: MemoryLayout<fsc_ot_config>.size, solver: solverTable.c(options.solver),
                  matching: matchingTable.c(matching),
                  regularization: options.regularization, max_iterations: Int32(options.maxIterations),
                  tolerance: options.tolerance, ipot_beta: options.proximalBeta,
                  ipot_inner: Int32(options.innerIterations), epsilon_scaling: options.epsilonScaling ? 1 : 0)
}

/// Engine options and matching from a caller's config (NULL = defaults), checked.
func otOptions(_ config: UnsafePointer<fsc_ot_config>?) throws -> (OTOptions, OTMatching) {
    let c = config?.pointee ?? defaultOTConfig()
    guard c.struct_size >= MemoryLayout<fsc_ot_config>.size else {
        throw BoundaryError.invalid("fsc_ot_config.struct_size = \(c.struct_size) is smaller than \(MemoryLayout<fsc_ot_config>.size); fill it with fsc_ot_config_default")
    }
    let options = OTOptions(solver: try solverTable.engine(c.solver, "solver"), regularization: c.regularization,
                            maxIterations: Int(c.max_iterations), tolerance: c.tolerance, proximalBeta: c.ipot_beta,
                            innerIterations: Int(c.ipot_inner), epsilonScaling: c.epsilon_scaling != 0)
    try options.validate()
    return (options, try matchingTable.engine(c.matching, "matching"))
}

/// Writes a solver result into a caller's report (if given).
private func fill(_ report: UnsafeMutablePointer<fsc_ot_report>?, _ result: OTResult) throws {
    guard let report else { return }
    guard report.pointee.struct_size >= MemoryLayout<fsc_ot_report>.size else {
        throw BoundaryError.invalid("fsc_ot_report.struct_size = \(report.pointee.struct_size) must be set to sizeof(fsc_ot_report)")
    }
    report.pointee.transport_cost = result.transportCost
    report.pointee.entropic_objective = result.entropicObjective
    report.pointee.marginal_error = result.marginalError
    report.pointee.iterations = Int32(result.iterations)
    report.pointee.converged = result.converged ? 1 : 0
}

@_cdecl("fsc_ot_solve")
public func fsc_ot_solve(_ cost: UnsafePointer<Float>?, _ n: Int64, _ m: Int64, _ a: UnsafePointer<Float>?,
                         _ b: UnsafePointer<Float>?, _ config: UnsafePointer<fsc_ot_config>?,
                         _ plan: UnsafeMutablePointer<Float>?, _ report: UnsafeMutablePointer<fsc_ot_report>?) -> fsc_status {
    guarded("fsc_ot_solve") {
        let rows = try checkedSize(n, "n"), cols = try checkedSize(m, "m")
        guard Int64(rows) * Int64(cols) <= 1 << 28 else { throw BoundaryError.shape("n*m = \(rows * cols) exceeds 2^28") }
        let costs = try readFiniteFloats(cost, count: rows * cols, name: "cost")
        let sourceWeights = try a.map { try readFiniteFloats($0, count: rows, name: "a") }
        let targetWeights = try b.map { try readFiniteFloats($0, count: cols, name: "b") }
        let (options, matching) = try otOptions(config)
        let solved = try transportDistance(cost: costs, rows: rows, cols: cols, a: sourceWeights, b: targetWeights,
                                           matching: matching, options: options)
        try fill(report, solved.result)
        if let plan { solved.result.plan.withUnsafeBufferPointer { plan.update(from: $0.baseAddress!, count: rows * cols) } }
    }
}

@_cdecl("fsc_ot_distance")
public func fsc_ot_distance(_ x: UnsafePointer<Float>?, _ n: Int64, _ y: UnsafePointer<Float>?, _ m: Int64, _ d: Int64,
                            _ cost: fsc_cost, _ config: UnsafePointer<fsc_ot_config>?, _ gradMode: fsc_grad_mode,
                            _ distance: UnsafeMutablePointer<Double>?, _ gradX: UnsafeMutablePointer<Float>?,
                            _ gradY: UnsafeMutablePointer<Float>?, _ report: UnsafeMutablePointer<fsc_ot_report>?) -> fsc_status {
    guarded("fsc_ot_distance") {
        let rows = try checkedSize(n, "n"), cols = try checkedSize(m, "m"), dims = try checkedSize(d, "d")
        guard Int64(rows) * Int64(cols) <= 1 << 28, Int64(max(rows, cols)) * Int64(dims) <= 1 << 30 else {
            throw BoundaryError.shape("problem of \(rows)x\(cols) points in \(dims) dimensions is too large")
        }
        let out = try required(distance, "distance")
        let groundCost = try costTable.engine(cost, "cost"), mode = try gradientModeTable.engine(gradMode, "grad_mode")
        let (options, matching) = try otOptions(config)
        let xs = Tensor(shape: [rows, dims], scalars: try readFiniteFloats(x, count: rows * dims, name: "x"))
        let ys = Tensor(shape: [cols, dims], scalars: try readFiniteFloats(y, count: cols * dims, name: "y"))
        let tape = Tape(mode: .inference, parameterGradients: false)
        let xv = tape.input(xs, requiresGradient: gradX != nil), yv = tape.input(ys, requiresGradient: gradY != nil)
        let (value, result) = try transportDistance(xv, yv, cost: groundCost, matching: matching, options: options,
                                                    gradient: mode)
        out.pointee = Double(value.value.scalar)
        try fill(report, result)
        if gradX != nil || gradY != nil {
            tape.backward(value)
            if let gradX { tape.gradient(of: xv).scalars.withUnsafeBufferPointer { gradX.update(from: $0.baseAddress!, count: rows * dims) } }
            if let gradY { tape.gradient(of: yv).scalars.withUnsafeBufferPointer { gradY.update(from: $0.baseAddress!, count: cols * dims) } }
        }
    }
}
