// RecipeOptions.swift — the training method and its settings on the command line.

import ArgumentParser
import FeatureScatter

extension TrainingMethodKind: ExpressibleByArgument {}
extension OTSolver: ExpressibleByArgument {}
extension OTMatching: ExpressibleByArgument {}
extension OTGradientMode: ExpressibleByArgument {}
extension CostFunction: ExpressibleByArgument {}
extension Norm: ExpressibleByArgument {}
extension ScheduleShape: ExpressibleByArgument {}
extension OTScope: ExpressibleByArgument {}

/// Flags that fill a `TrainingRecipe`; unset ones keep the engine's defaults.
struct RecipeOptions: ParsableArguments {
    private static let defaults = TrainingRecipe()

    @Option(help: "Training method.")
    var method = defaults.method

    @Option(name: .customLong("eps"), help: "L∞ budget ε in [0,1] pixel units (perturbation methods).")
    var epsilon = defaults.epsilon

    @Option(name: .customLong("attack-steps"), help: "Perturbation steps (default: the method's).")
    var attackSteps: Int?

    @Option(name: .customLong("attack-step-size"), help: "Perturbation step size (default: the method's).")
    var attackStepSize: Float?

    @Option(name: .customLong("label-smoothing"), help: "Label smoothing δ (default: the method's).")
    var labelSmoothing: Float?

    @Option(help: "Feature-scattering matching.")
    var matching = defaults.scattering.matching

    @Option(help: "OT solver.")
    var solver = defaults.scattering.transport.solver

    @Option(name: .customLong("ot-reg"), help: "Entropic regularisation of the OT solver.")
    var otRegularization = defaults.scattering.transport.regularization

    @Option(name: .customLong("ot-iterations"), help: "Iteration cap of the OT solver.")
    var otIterations = defaults.scattering.transport.maxIterations

    @Option(help: "Ground cost between features.")
    var cost = defaults.scattering.cost

    @Option(name: .customLong("grad-mode"), help: "Gradient through the OT plan (unrolled is the reference's).")
    var gradientMode = defaults.scattering.gradientMode

    @Option(name: .customLong("ot-scope"), help: "Under mpirun: feature scattering's transport problem over the global batch or each rank's rows.")
    var otScope = defaults.scattering.scope

    @Option(name: .customLong("trades-beta"), help: "TRADES β.")
    var tradesBeta = defaults.tradesBeta

    @Option(name: .customLong("bilateral-beta"), help: "Bilateral training's β > 0: the adversarial label keeps the true class β times the largest wrong class (default 9).")
    var bilateralBeta: Float?

    /// The recipe these flags describe.
    var recipe: TrainingRecipe {
        var recipe = TrainingRecipe(method: method, epsilon: epsilon, attackSteps: attackSteps,
                                    attackStepSize: attackStepSize, labelSmoothing: labelSmoothing)
        recipe.scattering.matching = matching
        recipe.scattering.transport.solver = solver
        recipe.scattering.transport.regularization = otRegularization
        recipe.scattering.transport.maxIterations = otIterations
        recipe.scattering.cost = cost
        recipe.scattering.gradientMode = gradientMode
        recipe.scattering.scope = otScope
        recipe.tradesBeta = tradesBeta
        recipe.bilateralBeta = bilateralBeta
        return recipe
    }
}
