// StepFlops.swift — the nominal flops of a benchmarked step and the SGEMM rate they are compared with.

import FeatureScatter
import Foundation

/// Forward-pass equivalents of one training step: a forward pass counts 1, an input-only
/// backward 1 (no weight gradients), a backward with weight gradients 2. Nil for TRADES,
/// whose KL objective makes the count depend on more than the step count.
func forwardPassesPerStep(_ recipe: TrainingRecipe) -> Double? {
    let attackSteps = Double(recipe.steps)
    switch recipe.method {
    case .standard, .random: return 3
    case .madry, .supervised: return 2 * attackSteps + 3
    case .featureScattering, .bilateral: return 1 + 2 * attackSteps + 3
    case .trades: return nil
    }
}

/// Forward-pass equivalents of evaluating one batch with `attack` (the attack, then one
/// prediction); nil where the count depends on the data (Square's queries stop early).
func forwardPassesPerBatch(_ attack: AttackSpec) -> Double? {
    let restarts = Double(attack.restarts)
    switch attack.kind {
    case .fgsm: return 2 * restarts + 1
    case .pgd, .cw: return 2 * Double(attack.steps ?? PGD.defaultSteps) * restarts + 1
    case .apgdCE, .apgdDLR: return 2 * Double(attack.steps ?? APGD.defaultSteps) * restarts + 1
    case .apgdT: return 2 * 9 * Double(attack.steps ?? APGD.defaultSteps) * restarts + 1
    case .noise: return 1
    case .square: return nil
    }
}

/// The flops of one forward pass of `model` on one image, convolutions counted as direct products.
func forwardFlopsPerImage(_ model: any Module, inputShape: [Int]) -> Double {
    var generator = SeededGenerator(seed: 3)
    let image = Tensor.uniform([1] + inputShape, low: 0, high: 1, using: &generator)
    Profiler.start()
    _ = model.predict(image)
    return Profiler.stop().directFlops
}

/// GFLOP/s of a large square SGEMM (`matmul`, rows split over the engine's workers), best of five.
func referenceSGEMMGFLOPS(size: Int = 1024) -> Double {
    var generator = SeededGenerator(seed: 4)
    let a = Tensor.uniform([size, size], low: -1, high: 1, using: &generator)
    let b = Tensor.uniform([size, size], low: -1, high: 1, using: &generator)
    var best = Double.infinity
    for _ in 0..<5 {
        let start = Date()
        _ = matmul(a, b)
        best = min(best, Date().timeIntervalSince(start))
    }
    return 2 * pow(Double(size), 3) / best / 1e9
}
