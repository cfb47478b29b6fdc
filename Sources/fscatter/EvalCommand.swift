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

    @Option(help: "Radius ε of the threat model, in [0,1] pixel units.")
    var eps: Float = 0.1

    @Option(help: "Threat model: linf or l2.")
    var norm: String = "linf"

    @Option(help: "Evaluate the first N test images.")
    var n: Int = 1000

    @Option(help: "Comma-separated attacks: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square[<queries>], noise.")
    var attacks: String?

    @Option(help: "A preset list of attacks: paper (FGSM, PGD10/20/40/100, CW10/20/40/100) or autoattack.")
    var suite: String?

    @Option(name: .customLong("worst-case"), help: "Attacks added to the per-example worst case (only on still-robust images), or none.")
    var worstCase: String = AttackCatalog.autoAttackStandard.joined(separator: ",")

    @Option(name: .customLong("transfer-from"), help: "A source checkpoint or .onnx model: adds transfer-pgd20, PGD-20 crafted on it.")
    var transferFrom: String?

    @Option(help: "Seed of every attack's randomness.")
    var seed: UInt64 = 0

    @Option(name: .customLong("batch-size"), help: "Images per attack batch.")
    var batchSize: Int = 250

    @Option(name: .customLong("sweep-eps"), help: "Comma-separated ε values for a PGD-20 accuracy-vs-ε sweep.")
    var sweepEps: String?

    @Option(name: .customLong("sweep-steps"), help: "Comma-separated step counts for a PGD accuracy-vs-steps sweep at --eps.")
    var sweepSteps: String?

    @Option(help: "Write the JSON report here.")
    var out: String?

    func validate() throws {
        if n < 1 { throw ValidationError("--n must be ≥ 1, got \(n)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if attacks != nil && suite != nil { throw ValidationError("give --attacks or --suite, not both") }
        if let suite, AttackCatalog.suites[suite] == nil {
            throw ValidationError("unknown suite '\(suite)'; known: \(AttackCatalog.suites.keys.sorted().joined(separator: ", "))")
        }
        if Norm(rawValue: norm) == nil { throw ValidationError("--norm must be linf or l2, got \(norm)") }
    }

    func run() throws {
        data.applyThreads()
        let test = try data.load(.test, subset: data.testSubset).prefix(n)
        let (model, architecture) = try source.load(imageShape: test.imageShape)
        let threatNorm = Norm(rawValue: norm)!
        var attackList = try names(attacks ?? suite.flatMap { AttackCatalog.suites[$0]?.joined(separator: ",") })
            .map { try AttackCatalog.make($0, epsilon: eps, norm: threatNorm) }
        if let transferFrom {
            let (sourceModel, _) = try loadModel(transferFrom, imageShape: test.imageShape)
            let inner = try AttackCatalog.make("pgd20", epsilon: eps, norm: threatNorm)
            attackList.append(TransferAttack(source: sourceModel, attack: inner, sourceDescription: transferFrom))
        }
        let extras = attackList.isEmpty ? [] : try names(worstCase == "none" ? nil : worstCase)
            .filter { threatNorm == .linf || !$0.hasPrefix("square") }
            .map { try AttackCatalog.make($0, epsilon: eps, norm: threatNorm) }
        var display = ProgressDisplay()
        let evaluation = try RobustnessEvaluation(attacks: attackList, worstCaseAttacks: extras, batchSize: batchSize,
                                                  seed: seed, progress: { display.show($0) })
        var report = try evaluation.run(model, images: test.images, labels: test.labels)
        report.checkpoint = source.path
        report.model = architecture
        report.dataset = data.dataset
        report.epsilon = Double("\(eps)") ?? Double(eps)
        report.norm = threatNorm.rawValue
        if let sweepEps {
            report.sweeps.append(try evaluation.epsilonSweep(model, images: test.images, labels: test.labels,
                                                             epsilons: try floats(sweepEps), norm: threatNorm))
        }
        if let sweepSteps {
            report.sweeps.append(try evaluation.stepsSweep(model, images: test.images, labels: test.labels, epsilon: eps,
                                                           steps: try ints(sweepSteps), norm: threatNorm))
        }
        display.finishEvaluation()
        let ranSomething = !report.attacks.isEmpty || !report.sweeps.isEmpty
        if ranSomething { report.checkGradientMasking(model, images: test.images, labels: test.labels) }
        let json = try report.json()
        if let out { try json.write(to: URL(fileURLWithPath: out)) }
        if ranSomething {
            print(report.markdownTable())
            for flag in report.gradientMasking where flag.status != "flagged" {
                print("- \(flag.check): \(flag.status) (\(flag.detail))")
            }
            for sweep in report.sweeps {
                print("- sweep over \(sweep.parameter): " + sweep.points.map {
                    String(format: "%g → %.1f%%", $0.value, $0.accuracy) }.joined(separator: ", "))
            }
        } else {
            print(String(decoding: json, as: UTF8.self))
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
