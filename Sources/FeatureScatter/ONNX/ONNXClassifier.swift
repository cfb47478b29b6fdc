// ONNXClassifier.swift — an imported ONNX graph as an image classifier: its spec, checked on a zero image.

/// The architecture name of a `ModelSpec` whose model is an imported ONNX graph.
public let onnxArchitecture = "onnx"

/// Imports an ONNX file as an image classifier: `[N, C, H, W]` images in, `[N, K]` logits out.
///
/// - Parameter imageShape: `[C, H, W]`; nil takes it from the graph's first input, which must
///   then have fixed C, H and W.
/// - Returns: the trainable graph and a spec (architecture `"onnx"`, its image shape and K).
/// - Throws: `FSCError.io` or `FSCError.onnx` from the importer; `FSCError.shapeMismatch` when
///   the graph does not map one image to one row of logits.
public func importONNXClassifier(contentsOf path: String, imageShape: [Int]? = nil,
                                 options: ONNXImportOptions = ONNXImportOptions()) throws -> (GraphModule, ModelSpec) {
    let graph = try importONNX(contentsOf: path, options: options)
    return (graph, try classifierSpec(of: graph, imageShape: imageShape, workLimit: options.maxClassifierCheckWork))
}

/// Imports a serialised ONNX model (external data refused) as an image classifier.
public func importONNXClassifier(bytes: [UInt8], imageShape: [Int]? = nil,
                                 options: ONNXImportOptions = ONNXImportOptions()) throws -> (GraphModule, ModelSpec) {
    let graph = try importONNX(ONNXModel.parse(bytes, limits: options.limits), options: options)
    return (graph, try classifierSpec(of: graph, imageShape: imageShape, workLimit: options.maxClassifierCheckWork))
}

/// `graph` behind `(x − mean_c) / std_c`: an ONNX classifier trained on normalised images whose
/// normalisation happened outside the graph (as PyTorch's `transforms.Normalize`) then takes
/// [0, 1] images, so attacks, ε and clipping keep their pixel meaning. The spec records the
/// normalisation, so checkpoints keep it and ONNX export writes it as `Sub`, `Div` first.
///
/// - Throws: `FSCError.invalidArgument` for statistics that do not fit the graph's channels.
public func normalizingInput(of graph: GraphModule, spec: ModelSpec,
                             with normalization: InputNormalizationSpec) throws -> (any Module, ModelSpec) {
    var normalized = spec
    normalized.inputNormalization = normalization
    return (try normalized.precededByInputNormalization(graph), normalized)
}

/// The classifier spec of `graph`, found by running it on one zero image.
func classifierSpec(of graph: GraphModule, imageShape: [Int]?, workLimit: Int? = nil) throws -> ModelSpec {
    guard graph.inputs.count == 1, graph.outputs.count >= 1 else {
        throw FSCError.shapeMismatch("a classifier graph needs one input, this one has \(graph.inputs.count)")
    }
    let shape: [Int]
    if let imageShape {
        shape = imageShape
    } else {
        guard let declared = graph.inputs[0].shape, declared.count == 4,
              let c = declared[1], let h = declared[2], let w = declared[3] else {
            throw FSCError.shapeMismatch("input \(graph.inputs[0].name) has no fixed [N, C, H, W] shape; give the image shape")
        }
        shape = [c, h, w]
    }
    guard shape.count == 3, shape.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
        throw FSCError.shapeMismatch("image shape must be [C, H, W] with sizes in 1...4096, got \(shape)")
    }
    let logits = try graph.run([Variable(constant: Tensor.zeros([1] + shape))], workLimit: workLimit)[0].value
    guard logits.shape.count == 2, logits.shape[0] == 1, logits.shape[1] >= 2 else {
        throw FSCError.shapeMismatch("a classifier maps [1, \(shape.map(String.init).joined(separator: ", "))] to [1, K ≥ 2] logits; this graph gives \(logits.shape)")
    }
    return ModelSpec(architecture: onnxArchitecture, inputShape: shape, classes: logits.shape[1])
}
