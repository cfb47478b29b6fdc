// LossSurfaceCommand.swift — `fscatter loss-surface`: the loss around one test image (paper, Figure 4).

import ArgumentParser
import FeatureScatter
import Foundation

struct LossSurfaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss-surface",
        abstract: "The cross-entropy loss around one test image along the adversarial and a Rademacher direction.",
        discussion: """
            Writes L(a, b) = CE(f(clamp(x + a·sign(∇x CE) + b·r, 0, 1)), y) on a --grid × --grid square of \
            half-width --extent·ε (r: ±1 entries from --seed) to --out as JSON, and prints a summary. Plot \
            one or more with bindings/python/featurescatter/plot_surface.py. See docs/loss-surface.md.
            """)

    @OptionGroup var source: ModelOptions

    @OptionGroup var data: DataOptions

    @Option(help: "Index of the test image.")
    var image: Int

    @Option(help: "ε in [0,1] pixel units: the grid's unit.")
    var eps = defaults.epsilon

    @Option(help: "Grid points per axis (odd: the clean image is the middle one).")
    var grid = defaults.points

    @Option(help: "Half-width of the grid in units of ε.")
    var extent = defaults.extent

    @Option(help: "Seed of the Rademacher direction.")
    var seed = defaults.seed

    @Flag(name: .customLong("no-clip"), help: "Do not clamp the grid points to [0,1].")
    var noClip = false

    @Option(name: .customLong("batch-size"), help: "Grid points per forward pass.")
    var batchSize = defaults.batchSize

    @Option(help: "Write the surface here (JSON).")
    var out: String

    private static let defaults = LossSurfaceRequest()

    func validate() throws {
        if image < 0 { throw ValidationError("--image must be ≥ 0, got \(image)") }
    }

    func run() throws {
        data.applyThreads()
        let test = try data.load(.test, subset: data.testSubset)
        guard image < test.count else {
            throw ValidationError("--image \(image) is past the \(test.count) test images of \(data.dataset)")
        }
        let (model, spec) = try source.load(imageShape: test.imageShape)
        let request = LossSurfaceRequest(epsilon: eps, points: grid, extent: extent, seed: seed, clip: !noClip,
                                         batchSize: batchSize)
        let one = test.batch([image])
        var surface = try lossSurface(model, image: one.images, label: one.labels[0], request: request)
        surface.checkpoint = source.path
        surface.model = spec.architecture
        surface.dataset = data.dataset
        surface.imageIndex = image
        try surface.json().write(to: URL(fileURLWithPath: out))
        let summary: [String: Any] = [
            "out": out, "image": image, "label": surface.label, "prediction": surface.prediction,
            "clean_loss": Double(surface.cleanLoss), "max_loss": Double(surface.losses.joined().max() ?? 0),
            "max_adversarial_slice": Double(surface.adversarialSlice.max() ?? 0),
            "max_rademacher_slice": Double(surface.rademacherSlice.max() ?? 0),
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
