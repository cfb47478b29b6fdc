// EvaluationReport.swift — the Codable result of a robustness evaluation, and its table.

import Foundation

/// One attack's outcome.
public struct AttackResult: Codable, Sendable, Equatable {
    /// The name as given (`"pgd20"`); the key in `EvaluationReport.accuracy`.
    public var name: String
    /// `"white-box"`, `"black-box"` or `"baseline"` (random noise).
    public var kind: String
    /// Everything needed to rerun it.
    public var settings: [String: String]
    /// Robust accuracy in percent of all evaluated images.
    public var accuracy: Double
    /// `"independent"` (run on every correctly classified image) or `"worst-case"` (run only
    /// on the images every earlier attack failed on; its accuracy is then cumulative).
    public var mode: String
    public var seconds: Double

    public init(name: String, kind: String, settings: [String: String], accuracy: Double, mode: String, seconds: Double) {
        self.name = name
        self.kind = kind
        self.settings = settings
        self.accuracy = accuracy
        self.mode = mode
        self.seconds = seconds
    }
}

/// A sweep of PGD over ε or over the number of steps.
public struct Sweep: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        public var value: Double
        public var accuracy: Double

        public init(value: Double, accuracy: Double) {
            self.value = value
            self.accuracy = accuracy
        }
    }
    /// `"epsilon"` or `"steps"`.
    public var parameter: String
    public var settings: [String: String]
    public var points: [Point]

    public init(parameter: String, settings: [String: String], points: [Point]) {
        self.parameter = parameter
        self.settings = settings
        self.points = points
    }
}

/// The result of one gradient-masking check (Carlini et al. 2019, §5 and Appendix).
public struct MaskingFlag: Codable, Sendable, Equatable {
    public var check: String
    /// `"ok"`, `"flagged"` or `"not-checked"`.
    public var status: String
    public var detail: String

    public init(check: String, status: String, detail: String) {
        self.check = check
        self.status = status
        self.detail = detail
    }
}

/// Everything an evaluation measured, with the settings that reproduce it.
public struct EvaluationReport: Codable, Sendable {
    public var version = FeatureScatterVersion.string
    public var checkpoint: String?
    public var model: String?
    public var dataset: String?
    public var images: Int
    public var norm: String
    public var epsilon: Double
    public var seed: UInt64
    public var batchSize: Int
    /// Percentages keyed by attack name, plus `"clean"` and `"worst_case"`.
    public var accuracy: [String: Double]
    public var attacks: [AttackResult]
    /// The attacks the per-example worst case was taken over, in order.
    public var worstCaseAttacks: [String]
    public var sweeps: [Sweep] = []
    public var gradientMasking: [MaskingFlag] = []
    /// The fraction of correctly classified images whose cross-entropy input gradient is zero.
    public var zeroGradientFraction: Double?
    public var seconds: Double = 0

    public init(images: Int, threat: ThreatModel, seed: UInt64, batchSize: Int, accuracy: [String: Double],
                attacks: [AttackResult], worstCaseAttacks: [String]) {
        self.images = images
        self.norm = threat.norm.rawValue
        self.epsilon = threat.epsilonDecimal
        self.seed = seed
        self.batchSize = batchSize
        self.accuracy = accuracy
        self.attacks = attacks
        self.worstCaseAttacks = worstCaseAttacks
    }

    enum CodingKeys: String, CodingKey {
        case version, checkpoint, model, dataset, images, norm, epsilon, seed, accuracy, attacks, sweeps, seconds
        case batchSize = "batch_size"
        case worstCaseAttacks = "worst_case_attacks"
        case gradientMasking = "gradient_masking"
        case zeroGradientFraction = "zero_gradient_fraction"
    }

    /// Pretty, key-sorted JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// A Table-1 style markdown table: Clean, each attack in order, Worst case; then the
    /// flags that fired. An attack run only for the worst case (on the images still robust)
    /// is headed "+ name" and shows the worst case reached after it.
    public func markdownTable() -> String {
        var cells = [("Clean", accuracy["clean"] ?? .nan)]
        for attack in attacks {
            let heading = AttackSpec.heading(attack.name)
            cells.append(attack.mode == "worst-case" ? ("+ " + heading, attack.accuracy) : (heading, accuracy[attack.name] ?? .nan))
        }
        if let worst = accuracy["worst_case"] { cells.append(("Worst case", worst)) }
        var lines = [
            "| " + cells.map(\.0).joined(separator: " | ") + " |",
            "|" + String(repeating: "---:|", count: cells.count),
            "| " + cells.map { String(format: "%.1f", $0.1) }.joined(separator: " | ") + " |",
        ]
        lines.append("")
        lines.append("\(images) images, \(norm) ε = \(epsilon), seed \(seed); accuracy in %.")
        if !worstCaseAttacks.isEmpty { lines.append("Worst case per image over: \(worstCaseAttacks.joined(separator: ", ")).") }
        for flag in gradientMasking where flag.status == "flagged" {
            lines.append("⚠ gradient masking? \(flag.check): \(flag.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
