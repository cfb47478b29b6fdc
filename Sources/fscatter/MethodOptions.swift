// MethodOptions.swift — choosing a training method and its settings on the command line.

import ArgumentParser
import FeatureScatter

struct MethodOptions: ParsableArguments {
    static let names = ["standard", "madry", "feature-scattering", "random", "supervised", "trades"]

    @Option(help: "Training method: \(MethodOptions.names.joined(separator: ", ")).")
    var method = "standard"

    @Option(name: .customLong("eps"), help: "L∞ budget ε in [0,1] pixel units (perturbation methods).")
    var epsilon: Float = 0.1

    @Option(name: .customLong("attack-steps"), help: "Perturbation steps (default: madry 7, trades 10, others 1).")
    var attackSteps: Int?

    @Option(name: .customLong("attack-step-size"), help: "Perturbation step size (default: madry and trades ε/4, others ε).")
    var attackStepSize: Float?

    @Option(name: .customLong("label-smoothing"), help: "Label smoothing δ (default: 0.5 for feature-scattering, random, supervised; else 0).")
    var labelSmoothing: Float?

    @Option(help: "Feature-scattering matching: ot, uniform or identity.")
    var matching = "ot"

    @Option(help: "OT solver: sinkhorn, sinkhorn-log, sinkhorn-scaling, ipot or exact.")
    var solver = "sinkhorn"

    @Option(name: .customLong("ot-reg"), help: "Entropic regularisation of the OT solver.")
    var otRegularization: Double = 0.01

    @Option(name: .customLong("ot-iterations"), help: "Iteration cap of the OT solver.")
    var otIterations = 100

    @Option(help: "Ground cost between features: cosine, sqeuclidean or euclidean.")
    var cost = "cosine"

    @Option(name: .customLong("grad-mode"), help: "Gradient through the OT plan: unrolled (reference) or envelope.")
    var gradientMode = "unrolled"

    @Option(name: .customLong("trades-beta"), help: "TRADES β.")
    var tradesBeta: Float = 6

    func validate() throws {
        guard MethodOptions.names.contains(method) else {
            throw ValidationError("unknown --method \(method) (known: \(MethodOptions.names.joined(separator: ", ")))")
        }
        guard OTMatching(rawValue: matching) != nil else { throw ValidationError("unknown --matching \(matching)") }
        guard OTSolver(rawValue: solver) != nil else { throw ValidationError("unknown --solver \(solver)") }
        guard CostFunction(rawValue: cost) != nil else { throw ValidationError("unknown --cost \(cost)") }
        guard OTGradientMode(rawValue: gradientMode) != nil else { throw ValidationError("unknown --grad-mode \(gradientMode)") }
    }

    /// The method these options describe.
    func make() throws -> any TrainingMethod {
        switch method {
        case "standard":
            return try PerturbationTraining.standard(labelSmoothing: labelSmoothing ?? 0)
        case "madry":
            return try PerturbationTraining.madry(epsilon: epsilon, stepSize: attackStepSize, steps: attackSteps ?? 7,
                                                  labelSmoothing: labelSmoothing ?? 0)
        case "feature-scattering":
            var transport = OTOptions()
            transport.solver = OTSolver(rawValue: solver)!
            transport.regularization = otRegularization
            transport.maxIterations = otIterations
            let attack = try FeatureScatteringAttack(
                epsilon: epsilon, stepSize: attackStepSize, steps: attackSteps ?? 1,
                cost: CostFunction(rawValue: cost)!, matching: OTMatching(rawValue: matching)!,
                transport: transport, gradientMode: OTGradientMode(rawValue: gradientMode)!)
            return try PerturbationTraining.featureScattering(attack, labelSmoothing: labelSmoothing ?? 0.5)
        case "random":
            return try PerturbationTraining.random(epsilon: epsilon, labelSmoothing: labelSmoothing ?? 0.5)
        case "supervised":
            return try PerturbationTraining.supervised(epsilon: epsilon, stepSize: attackStepSize,
                                                       steps: attackSteps ?? 1, labelSmoothing: labelSmoothing ?? 0.5)
        default:
            return try TRADESTraining(epsilon: epsilon, stepSize: attackStepSize, steps: attackSteps ?? 10, beta: tradesBeta)
        }
    }

    /// Facts about the method for checkpoints and summaries.
    var metadata: [String: String] {
        var facts = ["method": method]
        if method != "standard" { facts["epsilon"] = String(epsilon) }
        if method == "feature-scattering" {
            facts["matching"] = matching
            facts["solver"] = solver
            facts["ot_reg"] = String(otRegularization)
            facts["grad_mode"] = gradientMode
        }
        return facts
    }
}
