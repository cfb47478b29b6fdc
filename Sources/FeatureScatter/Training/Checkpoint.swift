// Checkpoint.swift — saving and restoring a training run, atomically.

import Foundation

/// A snapshot of a training run: the model's parameters and buffers, the optimiser's
/// momentum buffers and the epoch reached. Nothing else is needed to resume: the data order
/// and every random draw follow from the seed, the epoch and the examples.
///
/// File format (little-endian), documented in docs/checkpoint.md:
/// ```
/// "FSCKPT01"          8 bytes, magic and format version
/// header length       UInt64
/// header              UTF-8 JSON (CheckpointHeader)
/// tensor data         float32 values of each entry, in header order
/// ```
/// A model imported from ONNX also carries its graph (`onnxGraph`, the exported model in
/// base64), so that the checkpoint alone rebuilds it.
public struct Checkpoint {
    /// The JSON header.
    public struct Header: Codable, Equatable {
        public struct Entry: Codable, Equatable {
            /// "parameter", "buffer" or "momentum".
            public var kind: String
            public var name: String
            public var shape: [Int]
        }
        public var formatVersion: Int
        public var model: ModelSpec
        /// Epochs completed.
        public var epoch: Int
        public var learningRate: Float
        /// Free-form facts about the run (method, ε, data set…).
        public var metadata: [String: String]
        public var entries: [Entry]
        /// The ONNX export of an imported graph (base64), absent for built-in architectures.
        public var onnxGraph: String?
    }

    public static let magic = Array("FSCKPT01".utf8)

    public var header: Header
    public var tensors: [Tensor]

    /// Captures `model` (and optionally `optimizer`) after `epoch` epochs.
    ///
    /// - Throws: `FSCError.onnx` when an imported graph cannot be exported to embed it.
    public init(model: any Module, spec: ModelSpec, optimizer: SGD?, epoch: Int,
                metadata: [String: String] = [:]) throws {
        var entries: [Header.Entry] = []
        var tensors: [Tensor] = []
        for (name, parameter) in model.namedParameters() {
            entries.append(.init(kind: "parameter", name: name, shape: parameter.value.shape))
            tensors.append(parameter.value)
        }
        for (name, buffer) in model.namedBuffers() {
            entries.append(.init(kind: "buffer", name: name, shape: buffer.value.shape))
            tensors.append(buffer.value)
        }
        if let optimizer {
            for ((name, _), momentum) in zip(model.namedParameters(), optimizer.momentumBuffers) {
                guard let momentum else { continue }
                entries.append(.init(kind: "momentum", name: name, shape: momentum.shape))
                tensors.append(momentum)
            }
        }
        header = Header(formatVersion: 2, model: spec, epoch: epoch, learningRate: optimizer?.learningRate ?? 0,
                        metadata: metadata, entries: entries)
        if let graph = spec.network(of: model) as? GraphModule {
            header.onnxGraph = Data(try exportONNX(graph, inputShape: spec.inputShape)).base64EncodedString()
        }
        self.tensors = tensors
    }

    /// Writes the checkpoint atomically (temporary file, fsync, rename).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var data = Data(Checkpoint.magic)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for tensor in tensors {
            tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try writeFileAtomically(data, to: path)
    }

    /// Reads and checks a checkpoint file.
    ///
    /// - Throws: `FSCError.io` naming the file when it is missing, truncated or not a checkpoint.
    public static func read(from path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FSCError.io("\(path): cannot read checkpoint (missing or unreadable)")
        }
        return try parse([UInt8](data), name: path)
    }

    /// Checks and decodes checkpoint bytes; `name` appears in error messages.
    ///
    /// - Throws: `FSCError.io` for bytes that are truncated or not a checkpoint, before any tensor
    ///   larger than the bytes present is allocated.
    public static func parse(_ bytes: [UInt8], name path: String) throws -> Checkpoint {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw FSCError.io("\(path): not a FeatureScatter checkpoint (bad magic)")
        }
        let length = bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(bytes.count - 16) else { throw FSCError.io("\(path): truncated checkpoint header") }
        let headerEnd = 16 + Int(length)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<headerEnd]))
        } catch {
            throw FSCError.io("\(path): corrupt checkpoint header (\(error))")
        }
        var offset = headerEnd
        var tensors: [Tensor] = []
        for entry in header.entries {
            let available = (bytes.count - offset) / 4
            var count = 1
            for dimension in entry.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: max(dimension, 1))
                guard dimension >= 0, !overflow, product <= available else {
                    throw FSCError.io("\(path): \(entry.kind) \(entry.name) of shape \(entry.shape) does not fit the \(4 * available) bytes left (truncated or corrupt)")
                }
                count = dimension == 0 ? 0 : product
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { raw in
                bytes.withUnsafeBytes { source in
                    raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + 4 * count)]))
                }
            }
            offset += 4 * count
            tensors.append(Tensor(shape: entry.shape, scalars: values))
        }
        guard offset == bytes.count else { throw FSCError.io("\(path): \(bytes.count - offset) unexpected trailing bytes") }
        return Checkpoint(header: header, tensors: tensors)
    }

    private init(header: Header, tensors: [Tensor]) {
        self.header = header
        self.tensors = tensors
    }

    /// The saved model: its architecture built (or its embedded ONNX graph imported) and
    /// the saved parameters and buffers restored.
    ///
    /// - Throws: `FSCError.invalidArgument` for an unknown architecture, `FSCError.onnx` for
    ///   a bad embedded graph, `FSCError.shapeMismatch` when the tensors do not fit.
    public func makeModel() throws -> any Module {
        let model: any Module
        if let graph = header.onnxGraph {
            guard let bytes = Data(base64Encoded: graph) else { throw FSCError.io("checkpoint's embedded ONNX graph is not base64") }
            let graph = try importONNXClassifier(bytes: [UInt8](bytes), imageShape: header.model.inputShape).0
            model = try header.model.precededByInputNormalization(graph)
        } else {
            var generator = SeededGenerator(seed: 0)
            model = try header.model.build(using: &generator)
        }
        try restore(into: model)
        return model
    }

    /// Copies the saved parameters and buffers into `model` (and momentum into `optimizer`).
    ///
    /// - Throws: `FSCError.shapeMismatch` when a name is missing or a shape differs.
    public func restore(into model: any Module, optimizer: SGD? = nil) throws {
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
        let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers())
        let order = model.namedParameters().map(\.0)
        var restored = Set<String>()
        for (entry, tensor) in zip(header.entries, tensors) {
            switch entry.kind {
            case "parameter", "buffer":
                let target = entry.kind == "parameter" ? parameters[entry.name]?.value : buffers[entry.name]?.value
                guard let target else { throw FSCError.shapeMismatch("checkpoint has \(entry.kind) \(entry.name) the model lacks") }
                guard target.shape == tensor.shape else {
                    throw FSCError.shapeMismatch("\(entry.name): checkpoint shape \(tensor.shape), model \(target.shape)")
                }
                if entry.kind == "parameter" { parameters[entry.name]!.value = tensor } else { buffers[entry.name]!.value = tensor }
                restored.insert(entry.name)
            case "momentum":
                guard let optimizer, let index = order.firstIndex(of: entry.name) else { continue }
                optimizer.momentumBuffers[index] = tensor
            default:
                throw FSCError.io("checkpoint entry \(entry.name) has unknown kind \(entry.kind)")
            }
        }
        if let missing = (parameters.keys.map { $0 } + buffers.keys.map { $0 }).first(where: { !restored.contains($0) }) {
            throw FSCError.shapeMismatch("checkpoint lacks \(missing)")
        }
    }
}
