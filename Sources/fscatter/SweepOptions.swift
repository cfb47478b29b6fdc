// SweepOptions.swift — the accuracy-vs-ε and accuracy-vs-steps sweeps of `fscatter eval`.

import ArgumentParser

struct SweepOptions: ParsableArguments {
    @Option(name: .customLong("sweep-eps"), help: "Comma-separated ε values for a PGD-20 accuracy-vs-ε sweep.")
    var epsilons: String?

    @Option(name: .customLong("sweep-steps"), help: "Comma-separated step counts for a PGD accuracy-vs-steps sweep at --eps.")
    var steps: String?

    /// The ε values asked for (none without --sweep-eps).
    func epsilonValues() throws -> [Float] { try epsilons.map(floats) ?? [] }

    /// The step counts asked for (none without --sweep-steps).
    func stepCounts() throws -> [Int] { try steps.map(ints) ?? [] }
}
