// TrainingPreset.swift — the paper's recipes (and the quick Fashion-MNIST ones) by name.

/// A whole training recipe by name: data set, model, method and optimiser settings, as the paper
/// ran them. Every value is a starting point that an explicit setting overrides.
///
/// The `paper-*` presets follow Zhang & Wang (NeurIPS 2019, §4 "Implementation details") and the
/// authors' public code: WRN-28-10 behind an input normalisation `(x − 0.5)/0.5` (the reference
/// feeds the network [−1, 1]; ε stays in [0, 1] pixel units here, so 8/255 is the paper's budget),
/// SGD with momentum 0.9 and weight decay 2e-4, learning rate ×0.1 at epochs 60 and 90, batch 60,
/// random crops with 4-pixel padding and horizontal flips (not for SVHN, whose digits flip into
/// other digits).
///
/// | preset | method | epochs | lr |
/// |---|---|---|---|
/// | `paper-{cifar10,cifar100,svhn}-fs` | feature scattering: one step of size ε, Sinkhorn ε 0.01 ≤ 100 iterations, label smoothing 0.5 | 200 | 0.1 (SVHN 0.01) |
/// | `paper-*-madry` | PGD-7, step 2/255 | 100 | same |
/// | `paper-*-standard` | clean cross-entropy | 100 | same |
/// | `fmnist-smallcnn-{fs,madry,standard}` | as above at ε = 0.1 on Fashion-MNIST, SmallCNN, batch 128 | 5 | 0.05 |
public struct TrainingPreset: Sendable, Equatable {
    public var name: String
    /// A name ``Dataset/named(_:directory:split:)`` knows.
    public var dataset: String
    /// A ``ModelSpec`` architecture.
    public var architecture: String
    /// Per-channel `(mean, std)` the model normalises its [0, 1] input with, first thing (nil: none).
    public var inputNormalization: InputNormalizationSpec?
    public var recipe: TrainingRecipe
    public var configuration: TrainingConfiguration

    /// Every preset, in the order `fscatter train --help` lists them.
    public static let all: [TrainingPreset] = ["cifar10", "cifar100", "svhn"].flatMap { dataset in
        [TrainingMethodKind.featureScattering, .madry, .standard].map { paper(dataset, $0) }
    } + [TrainingMethodKind.featureScattering, .madry, .standard].map(fashionMNIST)

    /// The preset called `name`.
    ///
    /// - Throws: `FSCError.invalidArgument` listing the known names.
    public static func named(_ name: String) throws -> TrainingPreset {
        guard let preset = all.first(where: { $0.name == name }) else {
            throw FSCError.invalidArgument("unknown preset \"\(name)\" (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return preset
    }

    /// The model spec the preset trains for images of `inputShape` in `classes` classes.
    public func modelSpec(inputShape: [Int], classes: Int) -> ModelSpec {
        ModelSpec(architecture: architecture, inputShape: inputShape, classes: classes,
                  inputNormalization: inputNormalization)
    }

    private static func suffix(_ method: TrainingMethodKind) -> String {
        switch method {
        case .featureScattering: return "fs"
        default: return method.rawValue
        }
    }

    private static func paper(_ dataset: String, _ method: TrainingMethodKind) -> TrainingPreset {
        // The methods' own defaults are the paper's: feature scattering one step of size ε with
        // label smoothing 0.5 and Sinkhorn at 0.01 for 100 iterations, Madry PGD-7 with step ε/4.
        // Left unset, a step size follows an overridden ε as the method's does.
        var recipe = TrainingRecipe(method: method, epsilon: 8.0 / 255)
        recipe.scattering.transport = OTOptions(solver: .sinkhorn, regularization: 0.01, maxIterations: 100)
        var configuration = TrainingConfiguration()
        configuration.epochs = method == .featureScattering ? 200 : 100
        configuration.batchSize = 60
        configuration.learningRate = dataset == "svhn" ? 0.01 : 0.1
        configuration.momentum = 0.9
        configuration.weightDecay = 2e-4
        configuration.scheduleShape = .piecewise
        configuration.decayEpochs = [60, 90]
        configuration.decayFactor = 0.1
        configuration.cropPadding = dataset == "svhn" ? 0 : 4
        configuration.horizontalFlip = dataset != "svhn"
        return TrainingPreset(name: "paper-\(dataset)-\(suffix(method))", dataset: dataset, architecture: "wrn-28-10",
                              inputNormalization: InputNormalizationSpec(mean: [0.5], standardDeviation: [0.5]),
                              recipe: recipe, configuration: configuration)
    }

    private static func fashionMNIST(_ method: TrainingMethodKind) -> TrainingPreset {
        var configuration = TrainingConfiguration()
        configuration.epochs = 5
        configuration.batchSize = 128
        configuration.learningRate = 0.05
        return TrainingPreset(name: "fmnist-smallcnn-\(suffix(method))", dataset: "fashion-mnist", architecture: "smallcnn",
                              inputNormalization: nil, recipe: TrainingRecipe(method: method, epsilon: 0.1),
                              configuration: configuration)
    }
}
