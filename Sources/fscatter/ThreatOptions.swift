// ThreatOptions.swift — the threat model and the number of test images, shared by eval and attack.

import ArgumentParser
import FeatureScatter

struct ThreatOptions: ParsableArguments {
    @Option(help: "Radius ε of the threat model, in [0,1] pixel units.")
    var eps = ThreatModel.default.epsilon

    @Option(help: "Threat model.")
    var norm = ThreatModel.default.norm

    @Option(help: "Use the first N test images.")
    var n = EvaluationRequest.defaultLimit

    func validate() throws {
        if n < 1 { throw ValidationError("--n must be ≥ 1, got \(n)") }
    }

    /// The threat model, checked by the engine.
    func threat() throws -> ThreatModel {
        try ThreatModel(norm: norm, epsilon: eps)
    }
}
