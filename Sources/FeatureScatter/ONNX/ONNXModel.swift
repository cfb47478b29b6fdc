// ONNXModel.swift — an ONNX model as plain Swift values: graph inputs/outputs, initializers, nodes.
//
// `ONNXModel.parse` reads a ModelProto through CONNX (libonnx) and copies out everything the
// importer needs, so no protobuf type or borrowed pointer outlives the call.

import CONNX
import Foundation

/// Limits that keep a hostile or corrupt model from exhausting memory.
///
/// No tensor is decoded before its declared size has been checked against the bytes the file
/// actually holds for it (raw data, typed fields or external data), so a tensor that claims more
/// than it carries is refused before anything is allocated, whatever its size. What remains is the
/// machine: the initializers together may not need more memory than it has.
public struct ONNXLimits: Sendable {
    /// The largest total of initializer elements, decoded as float32 or int64 (default: an eighth of
    /// the machine's physical memory in elements, i.e. half of it as float32; 3 GiB on a 24 GiB machine).
    public var maxTotalElements: Int = ONNXLimits.machineElements
    /// The largest rank accepted.
    public var maxRank: Int = 8
    public init() {}

    /// An eighth of the physical memory, in elements.
    public static var machineElements: Int {
        Int(clamping: ProcessInfo.processInfo.physicalMemory / 8)
    }
}

/// ONNX element types (TensorProto.DataType) the engine knows.
public enum ONNXDataType: Int, Sendable {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8, bool = 9
    case float16 = 10, double = 11, uint32 = 12, uint64 = 13

    /// Bytes per element in raw_data, or nil for strings.
    var byteWidth: Int? {
        switch self {
        case .float, .int32, .uint32: return 4
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16, .float16: return 2
        case .int64, .double, .uint64: return 8
        case .string: return nil
        }
    }

    var isFloatingPoint: Bool { self == .float || self == .double || self == .float16 }
}

/// A tensor's values, decoded: floating types as `Float`, integer and boolean types as `Int64`.
public struct ONNXTensor: Sendable {
    public var name: String
    public var dataType: ONNXDataType
    public var shape: [Int]
    /// The values of a floating-point tensor.
    public var floats: [Float]
    /// The values of an integer or boolean tensor.
    public var integers: [Int64]

    public var count: Int { shape.reduce(1, *) }
    public var isFloatingPoint: Bool { dataType.isFloatingPoint }
}

/// A graph input or output: a name, an element type and a shape whose dimensions are nil
/// when symbolic (the batch) or unknown; `shape` is nil when the rank is unknown.
public struct ONNXValueInfo: Sendable {
    public var name: String
    public var elementType: Int
    public var shape: [Int?]?
    /// Names of symbolic dimensions ("" when unnamed or fixed).
    public var dimensionNames: [String]
}

/// A node attribute.
public enum ONNXAttribute: Sendable {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case tensor(ONNXTensor)
    /// A type the importer does not use (graphs, sparse tensors, strings lists…), by AttributeType.
    case unsupported(Int)
}

/// One node of the graph.
public struct ONNXNode: Sendable {
    public var opType: String
    public var name: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]
}

/// A parsed ONNX model.
public struct ONNXModel: Sendable {
    public var irVersion: Int
    /// The default-domain (ai.onnx) opset.
    public var opset: Int
    public var producer: String
    public var metadata: [(key: String, value: String)]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    public var initializers: [ONNXTensor]
    public var nodes: [ONNXNode]

    /// Reads and parses `path`; external data is resolved inside the file's folder only.
    public static func read(from path: String, limits: ONNXLimits = ONNXLimits()) throws -> ONNXModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FSCError.io("\(path): cannot read ONNX model (missing or unreadable)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            return try parse([UInt8](data), folder: folder, limits: limits)
        } catch FSCError.onnx(let message) {
            throw FSCError.onnx("\(path): \(message)")
        }
    }

    /// Parses a serialised ModelProto. `folder` is where external data may live (nil: refused).
    public static func parse(_ bytes: [UInt8], folder: String? = nil, limits: ONNXLimits = ONNXLimits()) throws -> ONNXModel {
        var handle: OpaquePointer?
        var error = [CChar](repeating: 0, count: 1024)
        let status = bytes.withUnsafeBytes { connx_model_parse($0.baseAddress, $0.count, &handle, &error, error.count) }
        guard status == 0, let model = handle else { throw FSCError.onnx(String(cString: error)) }
        defer { connx_model_free(model) }
        var reader = ONNXModelReader(model: model, folder: folder, limits: limits)
        return try reader.read()
    }
}

/// Copies a CONNX model into Swift values, enforcing the limits.
struct ONNXModelReader {
    let model: OpaquePointer
    let folder: String?
    let limits: ONNXLimits
    var total = 0

    init(model: OpaquePointer, folder: String?, limits: ONNXLimits) {
        self.model = model
        self.folder = folder
        self.limits = limits
    }

    mutating func read() throws -> ONNXModel {
        guard connx_model_has_graph(model) != 0 else { throw FSCError.onnx("the model has no graph (not an ONNX model?)") }
        let opset = Int(connx_model_opset(model, ""))
        guard opset > 0 else { throw FSCError.onnx("the model imports no ai.onnx opset") }
        guard connx_graph_sparse_initializer_count(model) == 0 else {
            throw FSCError.onnx("sparse initializers are not supported")
        }
        var metadata: [(key: String, value: String)] = []
        for i in 0..<connx_model_metadata_count(model) {
            metadata.append((String(cString: connx_model_metadata_key(model, i)),
                             String(cString: connx_model_metadata_value(model, i))))
        }
        var initializers: [ONNXTensor] = []
        for i in 0..<connx_graph_initializer_count(model) {
            let tensor = try ONNXTensorDecoder.decode(connx_graph_initializer(model, i), folder: folder, limits: limits)
            total += tensor.count
            guard total <= limits.maxTotalElements else {
                throw FSCError.onnx("the initializers hold more than the \(limits.maxTotalElements) elements in total " +
                                    "that this machine's memory allows (ONNXLimits.maxTotalElements)")
            }
            initializers.append(tensor)
        }
        var nodes: [ONNXNode] = []
        for n in 0..<connx_graph_node_count(model) {
            nodes.append(try node(n))
        }
        return ONNXModel(irVersion: Int(connx_model_ir_version(model)), opset: opset,
                         producer: String(cString: connx_model_producer(model)), metadata: metadata,
                         inputs: try values(0), outputs: try values(1), initializers: initializers, nodes: nodes)
    }

    func values(_ kind: Int32) throws -> [ONNXValueInfo] {
        (0..<connx_graph_value_count(model, kind)).map { i in
            let rank = connx_graph_value_rank(model, kind, i)
            var dims: [Int?]? = nil
            var names: [String] = []
            if rank >= 0 {
                dims = (0..<Int(rank)).map { axis in
                    var param: UnsafePointer<CChar>?
                    let d = connx_graph_value_dim(model, kind, i, axis, &param)
                    names.append(param.map { String(cString: $0) } ?? "")
                    return d >= 0 ? Int(d) : nil
                }
            }
            return ONNXValueInfo(name: String(cString: connx_graph_value_name(model, kind, i)),
                                 elementType: Int(connx_graph_value_elem_type(model, kind, i)),
                                 shape: dims, dimensionNames: names)
        }
    }

    func node(_ n: Int) throws -> ONNXNode {
        var attributes: [String: ONNXAttribute] = [:]
        for a in 0..<connx_node_attribute_count(model, n) {
            let name = String(cString: connx_attribute_name(model, n, a))
            let type = Int(connx_attribute_type(model, n, a))
            switch type {
            case 1: attributes[name] = .float(connx_attribute_float(model, n, a))
            case 2: attributes[name] = .int(connx_attribute_int(model, n, a))
            case 3:
                var length = 0
                let pointer = connx_attribute_string(model, n, a, &length)!
                let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
                attributes[name] = .string(String(decoding: bytes, as: UTF8.self))
            case 4:
                guard let t = connx_attribute_tensor(model, n, a) else { attributes[name] = .unsupported(type); continue }
                attributes[name] = .tensor(try ONNXTensorDecoder.decode(t, folder: folder, limits: limits))
            case 6:
                var count = 0
                let p = connx_attribute_floats(model, n, a, &count)
                attributes[name] = .floats(count == 0 ? [] : Array(UnsafeBufferPointer(start: p, count: count)))
            case 7:
                var count = 0
                let p = connx_attribute_ints(model, n, a, &count)
                attributes[name] = .ints(count == 0 ? [] : Array(UnsafeBufferPointer(start: p, count: count)))
            default:
                attributes[name] = .unsupported(type)
            }
        }
        return ONNXNode(
            opType: String(cString: connx_node_op_type(model, n)), name: String(cString: connx_node_name(model, n)),
            domain: String(cString: connx_node_domain(model, n)),
            inputs: (0..<connx_node_input_count(model, n)).map { String(cString: connx_node_input(model, n, $0)) },
            outputs: (0..<connx_node_output_count(model, n)).map { String(cString: connx_node_output(model, n, $0)) },
            attributes: attributes)
    }
}

/// Reads one TensorProto file (as in the backend test data's `input_0.pb`).
public func readONNXTensor(from path: String, limits: ONNXLimits = ONNXLimits()) throws -> ONNXTensor {
    guard let data = FileManager.default.contents(atPath: path) else { throw FSCError.io("\(path): cannot read") }
    var handle: OpaquePointer?
    var error = [CChar](repeating: 0, count: 1024)
    let status = [UInt8](data).withUnsafeBytes { connx_tensor_parse($0.baseAddress, $0.count, &handle, &error, error.count) }
    guard status == 0, let tensor = handle else { throw FSCError.onnx("\(path): \(String(cString: error))") }
    defer { connx_tensor_free(tensor) }
    return try ONNXTensorDecoder.decode(tensor, folder: nil, limits: limits)
}
