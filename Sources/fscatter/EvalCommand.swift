// EvalCommand.swift — `fscatter eval`: clean and robust accuracy of a checkpoint, with a report.

import ArgumentParser
import FeatureScatter
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint or ONNX model: clean accuracy, accuracy under attacks, worst case, sweeps.",
        discussion: """
            Without --attacks, --suite or a sweep it prints {"accuracy": {"clean": …}} as JSON. Otherwise it prints \
            a markdown table (Clean, each attack, worst case) and writes the full JSON report to --out. \
            Progress goes to standard error.
            """)

    @OptionGroup var source: ModelOptions

    @OptionGroup var data: DataOptions

    @OptionGroup var threat: ThreatOptions

    @Option(help: "Comma-separated attacks: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square[<queries>], noise, or a suite.")
    var attacks: String?

    @Option(help: "A suite of attacks: paper (FGSM, PGD10/20/40/100, CW10/20/40/100) or autoattack.")
    var suite: String?

    @Option(name: .customLong("worst-case"), help: "Attacks added to the per-example worst case (only on still-robust images), or none.")
    var worstCase = "autoattack"

    @Option(name: .customLong("transfer-from"), help: "A source checkpoint or .onnx model: adds transfer-NAME for each --transfer-attacks attack, crafted on it.")
    var transferFrom: String?

    @Option(name: .customLong("transfer-attacks"), help: "Comma-separated attacks crafted on the --transfer-from model.")
    var transferAttacks = "pgd20"

    @Option(help: "Seed of every attack's randomness.")
    var seed = defaults.seed

    @Option(name: .customLong("batch-size"), help: "Images per attack batch.")
    var batchSize = defaults.batchSize

    @OptionGroup var sweeps: SweepOptions

    @Option(help: "Write the JSON report here.")
    var out: String?

    private static let defaults = EvaluationRequest(threat: .default)

    func validate() throws {
        if attacks != nil && suite != nil { throw ValidationError("give --attacks or --suite, not both") }
    }

    func run() throws {
        data.applyThreads()
        let (test, (model, spec)) = try Ranks.communicator.agree("loading the data and the model") {
            let test = try data.load(.test, subset: data.testSubset)
            return (test, try source.load(imageShape: test.imageShape))
        }
        var request = EvaluationRequest(threat: try threat.threat())
        request.attacks = try names(attacks ?? suite)
        request.worstCase = worstCase == "none" ? [] : try names(worstCase)
        request.transferSources = try transferFrom.map { path in
            [TransferSource(model: try loadModel(path, imageShape: test.imageShape).0, description: path)]
        } ?? []
        request.transferAttacks = try names(transferAttacks)
        request.limit = threat.n
        request.batchSize = batchSize
        request.seed = seed
        request.epsilonSweep = try sweeps.epsilonValues()
        request.stepsSweep = try sweeps.stepCounts()
        request.checkpoint = source.path
        request.datasetName = data.dataset
        var display = ProgressDisplay()
        let report = try evaluate(model, spec: spec, on: test, request: request, communicator: Ranks.communicator,
                                  progress: { display.show($0) })
        display.finishEvaluation()
        let json = try report.json()
        try Ranks.communicator.agree("writing the report") {
            if let out, Ranks.communicator.isRoot { try json.write(to: URL(fileURLWithPath: out)) }
        }
        guard !report.attacks.isEmpty || !report.sweeps.isEmpty else {
            print(String(decoding: json, as: UTF8.self))
            return
        }
        print(report.markdownTable())
        for flag in report.gradientMasking where flag.status != "flagged" {
            print("- \(flag.check): \(flag.status) (\(flag.detail))")
        }
        for sweep in report.sweeps {
            print("- sweep over \(sweep.parameter): " + sweep.points.map {
                String(format: "%g → %.1f%%", $0.value, $0.accuracy) }.joined(separator: ", "))
        }
    }
}

/// The non-empty items of a comma-separated list.
func names(_ list: String?) throws -> [String] {
    (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func floats(_ list: String) throws -> [Float] {
    try names(list).map { item in
        guard let value = Float(item) else { throw ValidationError("not a number: '\(item)'") }
        return value
    }
}

func ints(_ list: String) throws -> [Int] {
    try names(list).map { item in
        guard let value = Int(item), value >= 0 else { throw ValidationError("not a count ≥ 0: '\(item)'") }
        return value
    }
}
