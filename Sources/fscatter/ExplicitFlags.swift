// ExplicitFlags.swift — which settings this command line gives explicitly, and settings as JSON leaves.

import FeatureScatter
import Foundation

/// The flags on this process's command line, and the flag of each recorded setting: what lets a
/// preset or a resumed run yield only to settings the user actually gave.
enum ExplicitFlags {
    /// The flag of each `TrainingConfiguration` and `TrainingRecipe` setting, by its dotted JSON path.
    static let flagNames = [
        "epochs": "--epochs", "batchSize": "--batch-size", "learningRate": "--lr", "momentum": "--momentum",
        "weightDecay": "--weight-decay", "nesterov": "--nesterov", "scheduleShape": "--schedule",
        "decayEpochs": "--decay-epochs", "bucketMegabytes": "--bucket-mb", "synchronizeBatchNorm": "--sync-batchnorm",
        "learningRateReferenceBatch": "--lr-reference-batch", "warmupEpochs": "--warmup-epochs",
        "cropPadding": "--crop-padding", "horizontalFlip": "--flip", "seed": "--seed",
        "method": "--method", "epsilon": "--eps", "attackSteps": "--attack-steps", "attackStepSize": "--attack-step-size",
        "labelSmoothing": "--label-smoothing", "tradesBeta": "--trades-beta", "bilateralBeta": "--bilateral-beta",
        "scattering.matching": "--matching",
        "scattering.transport.solver": "--solver", "scattering.transport.regularization": "--ot-reg",
        "scattering.transport.maxIterations": "--ot-iterations", "scattering.cost": "--cost",
        "scattering.gradientMode": "--grad-mode", "scattering.scope": "--ot-scope",
    ]

    /// The `--flags` on this process's command line.
    static let given = Set(CommandLine.arguments.filter { $0.hasPrefix("--") }.map {
        String($0.split(separator: "=", maxSplits: 1)[0])
    })

    /// Whether `flag` is on the command line.
    static func isGiven(_ flag: String) -> Bool { given.contains(flag) }

    /// `base` with every setting whose flag is on the command line taken from `parsed`.
    static func overlay<T: Codable>(_ parsed: T, on base: T) throws -> T {
        let parsedLeaves = try leaves(of: parsed)
        var object = try jsonObject(base)
        for (path, flag) in flagNames where isGiven(flag) {
            set(&object, path: path.split(separator: ".").map(String.init), to: parsedLeaves[path])
        }
        return try JSONDecoder().decode(T.self, from: try JSONSerialization.data(withJSONObject: object))
    }

    /// `value` as JSON leaves (arrays count as leaves) keyed by their dotted paths.
    static func leaves<T: Encodable>(of value: T) throws -> [String: Any] {
        var leaves: [String: Any] = [:]
        func walk(_ node: Any, _ path: String) {
            if let dictionary = node as? [String: Any] {
                for (key, child) in dictionary { walk(child, path.isEmpty ? key : path + "." + key) }
            } else {
                leaves[path] = node
            }
        }
        walk(try jsonObject(value), "")
        return leaves
    }

    /// `value`'s leaves printed, for comparing settings.
    static func flattened<T: Encodable>(_ value: T) throws -> [String: String] {
        try leaves(of: value).mapValues { "\($0)" }
    }

    private static func jsonObject<T: Encodable>(_ value: T) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    }

    private static func set(_ object: inout [String: Any], path: [String], to leaf: Any?) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = leaf
            return
        }
        var child = object[key] as? [String: Any] ?? [:]
        set(&child, path: Array(path.dropFirst()), to: leaf)
        object[key] = child
    }
}
