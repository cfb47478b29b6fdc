// OTCommand.swift — `fscatter ot`: solve an optimal-transport problem from .npy files.

import ArgumentParser
import FeatureScatter
import Foundation

/// `fscatter ot`: reads `C` (or `X`, `Y`), solves, prints one JSON object, writes outputs.
///
/// Exit status: 0 on success; 2 on bad input (the `FSCError` description goes to stderr).
struct OTCommand: ParsableCommand {
    private static let defaults = OTOptions()

    static let configuration = CommandConfiguration(
        commandName: "ot", abstract: "Solve an optimal-transport problem")

    @Option(help: "Cost matrix C.npy, [n, m].") var cost: String?
    @Option(help: "Source features X.npy, [n, d] (with --y).") var x: String?
    @Option(help: "Target features Y.npy, [m, d] (with --x).") var y: String?
    @Option(help: "Ground cost for --x/--y.") var costFunction = ScatteringObjective().cost
    @Option(help: "Source weights a.npy, [n] (default uniform).") var a: String?
    @Option(help: "Target weights b.npy, [m] (default uniform).") var b: String?
    @Option(help: "The solver.") var solver = defaults.solver
    @Option(help: "The matching.") var matching = ScatteringObjective().matching
    @Option(help: "Entropic regularisation ε.") var reg = defaults.regularization
    @Option(help: "Iteration cap (IPOT: outer iterations).") var maxIter = defaults.maxIterations
    @Option(help: "Marginal-violation tolerance (0 = run all iterations).") var tol = defaults.tolerance
    @Option(help: "IPOT proximal parameter β.") var ipotBeta = defaults.proximalBeta
    @Option(help: "IPOT inner iterations.") var ipotInner = defaults.innerIterations
    @Flag(help: "Warm-start Sinkhorn by ε-scaling.") var epsilonScaling = false
    @Option(help: "Gradient of D = <T, C>: envelope or unrolled.") var grad: OTGradientMode?
    @Option(help: "Write the plan to this .npy file.") var outPlan: String?
    @Option(help: "Write dD/dC to this .npy file (needs --grad).") var outGrad: String?
    @Option(help: "Write dD/dX to this .npy file (needs --grad and --x/--y).") var outGradX: String?
    @Option(help: "Write dD/dY to this .npy file (needs --grad and --x/--y).") var outGradY: String?
    @Option(help: "Solve this many times and report median timings.") var `repeat`: Int = 1

    func run() throws {
        do {
            try solve()
        } catch let error as FSCError {
            FileHandle.standardError.write(Data("fscatter ot: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func solve() throws {
        guard `repeat` >= 1 else { throw FSCError.invalidArgument("--repeat must be >= 1, got \(`repeat`)") }
        let options = OTOptions(
            solver: solver, regularization: reg, maxIterations: maxIter, tolerance: tol,
            proximalBeta: ipotBeta, innerIterations: ipotInner, epsilonScaling: epsilonScaling)
        var features: (x: [Float], y: [Float], n: Int, m: Int, d: Int)?
        let costValues: [Float]
        let rows: Int
        let cols: Int
        if let cost {
            guard x == nil, y == nil else { throw FSCError.invalidArgument("give either --cost or --x/--y, not both") }
            let array = try readNPY(path: cost)
            guard array.shape.count == 2 else {
                throw FSCError.shapeMismatch("\(cost): expected a 2-D cost matrix, got shape \(array.shape)")
            }
            (costValues, rows, cols) = (array.floats(), array.shape[0], array.shape[1])
        } else if let x, let y {
            let xArray = try readNPY(path: x)
            let yArray = try readNPY(path: y)
            guard xArray.shape.count == 2, yArray.shape.count == 2, xArray.shape[1] == yArray.shape[1] else {
                throw FSCError.shapeMismatch("--x and --y must be [n, d] and [m, d], got \(xArray.shape) and \(yArray.shape)")
            }
            let set = (x: xArray.floats(), y: yArray.floats(), n: xArray.shape[0], m: yArray.shape[0], d: xArray.shape[1])
            features = set
            costValues = try costMatrix(set.x, set.y, n: set.n, m: set.m, d: set.d, kind: costFunction)
            (rows, cols) = (set.n, set.m)
        } else {
            throw FSCError.invalidArgument("give --cost C.npy or both --x X.npy and --y Y.npy")
        }
        let sourceWeights = try a.map { try readNPY(path: $0).floats() }
        let targetWeights = try b.map { try readNPY(path: $0).floats() }

        var times: [Double] = []
        var output: (result: OTResult, costGradient: [Float]?)?
        for _ in 0..<`repeat` {
            let start = DispatchTime.now().uptimeNanoseconds
            output = try transportDistance(
                cost: costValues, rows: rows, cols: cols, a: sourceWeights, b: targetWeights,
                matching: matching, options: options, gradient: grad)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        let (result, costGradient) = output!
        let seconds = times.sorted()[times.count / 2]

        if let outPlan { try writeNPY(result.plan, shape: [rows, cols], to: outPlan) }
        if outGrad != nil || outGradX != nil || outGradY != nil {
            guard let costGradient else { throw FSCError.invalidArgument("--out-grad* needs --grad envelope|unrolled") }
            if let outGrad { try writeNPY(costGradient, shape: [rows, cols], to: outGrad) }
            if outGradX != nil || outGradY != nil {
                guard let set = features else { throw FSCError.invalidArgument("--out-grad-x/--out-grad-y need --x and --y") }
                let (dX, dY) = try costMatrixPullback(
                    set.x, set.y, n: set.n, m: set.m, d: set.d, kind: costFunction, upstream: costGradient)
                if let outGradX { try writeNPY(dX, shape: [set.n, set.d], to: outGradX) }
                if let outGradY { try writeNPY(dY, shape: [set.m, set.d], to: outGradY) }
            }
        }
        let fields: [(String, String)] = [
            ("transport_cost", json(result.transportCost)),
            ("entropic_objective", json(result.entropicObjective)),
            ("iterations", String(result.iterations)),
            ("marginal_error", json(result.marginalError)),
            ("converged", result.converged ? "true" : "false"),
            ("solver", result.solver.map { "\"\($0.rawValue)\"" } ?? "\"\(matching.rawValue)\""),
            ("seconds", json(seconds)),
            ("seconds_per_iteration", json(seconds / Double(max(result.iterations, 1)))),
        ]
        print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    }

    private func json(_ value: Double) -> String {
        value.isFinite ? String(value) : "null"
    }
}
