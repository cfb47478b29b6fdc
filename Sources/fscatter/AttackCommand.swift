// AttackCommand.swift — `fscatter attack`: write adversarial test images as .npy.

import ArgumentParser
import FeatureScatter
import Foundation

struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack", abstract: "Attack the first N test images of a data set and save them as .npy.")

    @OptionGroup var source: ModelOptions

    @OptionGroup var data: DataOptions

    @Option(help: "The attack: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square[<queries>], noise.")
    var attack: String = "pgd20"

    @Option(help: "Radius ε of the threat model, in [0,1] pixel units.")
    var eps: Float = 0.1

    @Option(help: "Threat model: linf or l2.")
    var norm: String = "linf"

    @Option(help: "Attack the first N test images.")
    var n: Int = 100

    @Option(help: "Seed of the attack's randomness.")
    var seed: UInt64 = 0

    @Option(help: "Output .npy file: float32 [N, C, H, W] in [0,1].")
    var out: String

    func validate() throws {
        if n < 1 { throw ValidationError("--n must be ≥ 1, got \(n)") }
        if Norm(rawValue: norm) == nil { throw ValidationError("--norm must be linf or l2, got \(norm)") }
    }

    func run() throws {
        data.applyThreads()
        let test = try data.load(.test, subset: data.testSubset).prefix(n)
        let (model, _) = try source.load(imageShape: test.imageShape)
        let chosen = try AttackCatalog.make(attack, epsilon: eps, norm: Norm(rawValue: norm)!)
        var generator = SeededGenerator(seed: seed)
        let adversarial = try chosen.perturb(model, images: test.images, labels: test.labels, using: &generator)
        try writeNPY(adversarial.scalars, shape: adversarial.shape, to: out)
        let clean = zip(model.predict(test.images).argMaxPerRow(), test.labels).filter { $0 == $1 }.count
        let robust = zip(model.predict(adversarial).argMaxPerRow(), test.labels).filter { $0 == $1 }.count
        let summary: [String: Any] = [
            "attack": chosen.name, "settings": chosen.settings, "images": test.count, "out": out,
            "accuracy": ["clean": 100 * Double(clean) / Double(test.count),
                         chosen.name: 100 * Double(robust) / Double(test.count)],
            "max_distance": Double(chosen.threat.distances(adversarial, test.images).max() ?? 0),
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
