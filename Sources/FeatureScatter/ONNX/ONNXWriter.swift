// ONNXWriter.swift — a graph under construction, checked by libonnx and serialised through CONNX.

import CONNX
import Foundation

/// A graph being written: nodes, initializers, inputs and outputs, with unique names.
public struct ONNXGraphBuilder {
    public var opset: Int
    var nodes: [ONNXNode] = []
    var floatInitializers: [(name: String, shape: [Int], values: [Float])] = []
    var integerInitializers: [(name: String, shape: [Int], values: [Int64])] = []
    var inputs: [ONNXValueInfo] = []
    var outputs: [ONNXValueInfo] = []
    var metadata: [(String, String)] = []
    private var used = Set<String>()

    public init(opset: Int) { self.opset = opset }

    /// A fresh name starting with `prefix`.
    public mutating func name(_ prefix: String) -> String {
        var candidate = prefix
        var k = 1
        while used.contains(candidate) { candidate = "\(prefix)_\(k)"; k += 1 }
        used.insert(candidate)
        return candidate
    }

    /// Adds a float initializer and returns its name.
    public mutating func initializer(_ prefix: String, _ tensor: Tensor) -> String {
        let n = name(prefix)
        floatInitializers.append((n, tensor.shape, tensor.scalars))
        return n
    }

    /// Adds a node with one output and returns the output's name.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], attributes: [String: ONNXAttribute] = [:]) -> String {
        let output = name(op.lowercased())
        nodes.append(ONNXNode(opType: op, name: name("\(op)_node"), domain: "", inputs: inputs, outputs: [output],
                              attributes: attributes))
        return output
    }

    mutating func reserve(_ names: [String]) { used.formUnion(names) }

    /// Serialises the graph after `onnx::checker::check_model` and strict shape inference pass.
    public func serialized(producer: String = "FeatureScatter") throws -> [UInt8] {
        var handle: OpaquePointer?
        var error = [CChar](repeating: 0, count: 2048)
        guard connx_model_create(8, Int64(opset), &handle, &error, error.count) == 0, let model = handle else {
            throw FSCError.onnx(String(cString: error))
        }
        defer { connx_model_free(model) }
        func check(_ status: Int32) throws { if status != 0 { throw FSCError.onnx(String(cString: error)) } }
        try check(connx_model_set_producer(model, producer, FeatureScatterVersion.string, &error, error.count))
        for (key, value) in metadata { try check(connx_model_add_metadata(model, key, value, &error, error.count)) }
        for (kind, list) in [(Int32(0), inputs), (Int32(1), outputs)] {
            for info in list {
                let shape = info.shape ?? []
                let dims = shape.map { Int64($0 ?? -1) }
                let names = shape.indices.map { i in i < info.dimensionNames.count ? info.dimensionNames[i] : "" }
                try withCStrings(names) { params in
                    try check(connx_model_add_value(model, kind, info.name, Int32(info.elementType), dims, params,
                                                    dims.count, &error, error.count))
                }
            }
        }
        for t in floatInitializers {
            try check(connx_model_add_initializer(model, t.name, t.shape.map { Int64($0) }, t.shape.count,
                                                  t.values, t.values.count, &error, error.count))
        }
        for t in integerInitializers {
            try check(connx_model_add_initializer_int64(model, t.name, t.shape.map { Int64($0) }, t.shape.count,
                                                        t.values, t.values.count, &error, error.count))
        }
        for node in nodes {
            try withCStrings(node.inputs) { ins in
                try withCStrings(node.outputs) { outs in
                    try check(connx_model_add_node(model, node.opType, node.name, ins, node.inputs.count, outs,
                                                   node.outputs.count, &error, error.count))
                }
            }
            for (key, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .int(let v): try check(connx_node_add_int(model, key, v, &error, error.count))
                case .float(let v): try check(connx_node_add_float(model, key, v, &error, error.count))
                case .string(let v): try check(connx_node_add_string(model, key, v, &error, error.count))
                case .ints(let v): try check(connx_node_add_ints(model, key, v, v.count, &error, error.count))
                case .floats(let v): try check(connx_node_add_floats(model, key, v, v.count, &error, error.count))
                case .tensor, .unsupported:
                    throw FSCError.onnx("cannot export attribute \(key) of node \(node.name) (\(node.opType))")
                }
            }
        }
        guard connx_model_check(model, 1, &error, error.count) == 0 else {
            throw FSCError.onnx("the exported model fails the ONNX checker: \(String(cString: error))")
        }
        var bytes: UnsafeMutableRawPointer?
        var length = 0
        try check(connx_model_serialize(model, &bytes, &length, &error, error.count))
        defer { connx_free(bytes) }
        return Array(UnsafeRawBufferPointer(start: bytes, count: length))
    }
}

/// Calls `body` with a C array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> R) throws -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
}
