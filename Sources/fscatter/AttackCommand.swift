// AttackCommand.swift — `fscatter attack`: write adversarial test images as .npy.

import ArgumentParser
import FeatureScatter
import Foundation

struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack", abstract: "Attack the first N test images of a data set and save them as .npy.")

    @OptionGroup var source: ModelOptions

    @OptionGroup var data: DataOptions

    @OptionGroup var threat: ThreatOptions

    @Option(help: "The attack: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square[<queries>], noise.")
    var attack = AttackSpec(kind: .pgd, threat: .default).name

    @Option(help: "Seed of the attack's randomness.")
    var seed: UInt64 = 0

    @Option(help: "Output .npy file: float32 [N, C, H, W] in [0,1].")
    var out: String

    func run() throws {
        data.applyThreads()
        let test = try data.load(.test, subset: data.testSubset).prefix(threat.n)
        let (model, _) = try source.load(imageShape: test.imageShape)
        let chosen = try AttackSpec(name: attack, threat: try threat.threat()).make()
        var generator = SeededGenerator(seed: seed)
        let adversarial = try chosen.perturb(model, images: test.images, labels: test.labels, using: &generator)
        try writeNPY(adversarial.scalars, shape: adversarial.shape, to: out)
        let attacked = try Dataset(images: adversarial, labels: test.labels, classes: test.classes)
        let summary: [String: Any] = [
            "attack": chosen.name, "settings": chosen.settings, "images": test.count, "out": out,
            "accuracy": ["clean": try accuracy(of: model, on: test), chosen.name: try accuracy(of: model, on: attacked)],
            "max_distance": Double(chosen.threat.distances(adversarial, test.images).max() ?? 0),
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
