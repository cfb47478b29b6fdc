// ModelSpec.swift — built-in architectures by name, so checkpoints and the CLI can rebuild them.

/// The per-channel `(x − mean_c) / std_c` a model applies to its [0, 1] input first.
public struct InputNormalizationSpec: Codable, Equatable, Sendable {
    /// One value per channel, or one for all channels.
    public var mean: [Float]
    /// Positive; as many as `mean`.
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The layer for `channels` input channels.
    ///
    /// - Throws: `FSCError.invalidArgument` for a count that is neither 1 nor `channels`, or a
    ///   standard deviation that is not positive and finite, or a mean that is not finite.
    public func makeLayer(channels: Int) throws -> InputNormalization {
        guard mean.count == standardDeviation.count, mean.count == 1 || mean.count == channels else {
            throw FSCError.invalidArgument("input normalisation needs 1 or \(channels) means and as many standard deviations, got \(mean.count) and \(standardDeviation.count)")
        }
        guard mean.allSatisfy(\.isFinite), standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw FSCError.invalidArgument("input normalisation needs finite means and positive standard deviations, got \(mean) and \(standardDeviation)")
        }
        let count = mean.count == 1 ? channels : 1
        return InputNormalization(mean: mean.flatMap { Array(repeating: $0, count: count) },
                                  standardDeviation: standardDeviation.flatMap { Array(repeating: $0, count: count) })
    }
}

/// A built-in architecture and the data shape it is built for.
///
/// Names: `smallcnn`, `mlp`, `preactresnet18`, and `wrn-D-W` (WideResNet of depth D and
/// width W, e.g. `wrn-16-4`, `wrn-28-10`). With `inputNormalization` the network is preceded by
/// that layer (`Sequential([normalization, network])`).
public struct ModelSpec: Codable, Equatable, Sendable {
    public var architecture: String
    /// `[C, H, W]` of one input image.
    public var inputShape: [Int]
    public var classes: Int
    /// Applied to the input before the network (nil: none; checkpoints before 0.4 have none).
    public var inputNormalization: InputNormalizationSpec?

    public init(architecture: String, inputShape: [Int], classes: Int, inputNormalization: InputNormalizationSpec? = nil) {
        self.architecture = architecture
        self.inputShape = inputShape
        self.classes = classes
        self.inputNormalization = inputNormalization
    }

    /// Builds the model with initial weights drawn from `generator`.
    ///
    /// - Throws: `FSCError.invalidArgument` for an unknown name or an input shape the
    ///   architecture cannot take.
    public func build(using generator: inout SeededGenerator) throws -> any Module {
        try precededByInputNormalization(try buildNetwork(using: &generator))
    }

    /// `network` behind this spec's input normalisation (`network` itself without one).
    ///
    /// - Throws: `FSCError.invalidArgument` for statistics that do not fit the input channels.
    public func precededByInputNormalization(_ network: any Module) throws -> any Module {
        guard let inputNormalization else { return network }
        return Sequential([try inputNormalization.makeLayer(channels: inputShape[0]), network])
    }

    /// The network behind the input normalisation of a model this spec built (the model itself without one).
    public func network(of model: any Module) -> any Module {
        guard inputNormalization != nil, let sequential = model as? Sequential, sequential.layers.count == 2,
              sequential.layers[0] is InputNormalization else { return model }
        return sequential.layers[1]
    }

    private func buildNetwork(using generator: inout SeededGenerator) throws -> any Module {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw FSCError.invalidArgument("input shape must be [C,H,W] with positive sizes, got \(inputShape)")
        }
        guard classes >= 2 else { throw FSCError.invalidArgument("a model needs at least 2 classes, got \(classes)") }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        switch architecture {
        case "smallcnn":
            guard h >= 16, w >= 16 else {
                throw FSCError.invalidArgument("smallcnn needs images of at least 16×16, got \(h)×\(w)")
            }
            return SmallCNN(inputShape: inputShape, classes: classes, using: &generator)
        case "mlp":
            return MLP(inputFeatures: c * h * w, classes: classes, using: &generator)
        case "preactresnet18":
            guard h >= 8, w >= 8 else { throw FSCError.invalidArgument("preactresnet18 needs at least 8×8 images") }
            return PreActResNet18(inputChannels: c, classes: classes, using: &generator)
        case onnxArchitecture:
            throw FSCError.invalidArgument("an imported ONNX model is rebuilt from its graph (importONNXClassifier or a checkpoint that embeds it), not from a spec")
        default:
            let parts = architecture.split(separator: "-")
            if parts.count == 3, parts[0] == "wrn", let depth = Int(parts[1]), let width = Int(parts[2]),
               depth >= 10, (depth - 4) % 6 == 0, width >= 1 {
                guard h >= 4, w >= 4 else { throw FSCError.invalidArgument("\(architecture) needs at least 4×4 images") }
                return WideResNet(depth: depth, width: width, inputChannels: c, classes: classes, using: &generator)
            }
            throw FSCError.invalidArgument(
                "unknown model \"\(architecture)\" (known: smallcnn, mlp, preactresnet18, wrn-D-W with D = 6n+4)")
        }
    }
}
