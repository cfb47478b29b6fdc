// ONNXAPI.swift — fsc_model_*_onnx: models in from ONNX files or bytes, and out as checked ONNX.

import CFeatureScatterABI
import FeatureScatter

/// `[C, H, W]` from a caller's optional pointer.
private func optionalImageShape(_ pointer: UnsafePointer<Int64>?) throws -> [Int]? {
    guard let pointer else { return nil }
    let shape = try readShape(pointer, rank: 3, name: "image_shape")
    guard shape.allSatisfy({ $0 <= 4096 }) else { throw BoundaryError.shape("image_shape \(shape) exceeds 4096 per dimension") }
    return shape
}

@_cdecl("fsc_model_load_onnx")
public func fsc_model_load_onnx(_ path: UnsafePointer<CChar>?, _ imageShape: UnsafePointer<Int64>?,
                                _ model: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_model_load_onnx") {
        let out = try required(model, "model")
        let (graph, spec) = try importONNXClassifier(contentsOf: try requiredString(path, "path"),
                                                     imageShape: try optionalImageShape(imageShape))
        store(ModelBox(model: graph, spec: spec), into: out)
    }
}

@_cdecl("fsc_model_from_onnx_bytes")
public func fsc_model_from_onnx_bytes(_ bytes: UnsafePointer<UInt8>?, _ size: Int, _ imageShape: UnsafePointer<Int64>?,
                                      _ model: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_model_from_onnx_bytes") {
        let out = try required(model, "model")
        let source = try required(bytes, "bytes")
        guard size >= 1 && Int64(size) <= maximumElements else { throw BoundaryError.invalid("size = \(size) is not in 1...2^40") }
        let (graph, spec) = try importONNXClassifier(bytes: Array(UnsafeBufferPointer(start: source, count: size)),
                                                     imageShape: try optionalImageShape(imageShape))
        store(ModelBox(model: graph, spec: spec), into: out)
    }
}

/// Export options for a caller's opset (0 = the default).
private func exportOptions(_ opset: Int32, _ box: ModelBox) throws -> ONNXExportOptions {
    var options = ONNXExportOptions()
    if opset != 0 {
        guard supportedExportOpsets.contains(Int(opset)) else {
            throw BoundaryError.invalid("opset = \(opset) is not in \(supportedExportOpsets.lowerBound)...\(supportedExportOpsets.upperBound) (or 0 for the default)")
        }
        options.opset = Int(opset)
    }
    options.metadata = ["architecture": box.spec.architecture]
    return options
}

@_cdecl("fsc_model_save_onnx")
public func fsc_model_save_onnx(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ opset: Int32) -> fsc_status {
    guarded("fsc_model_save_onnx") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let target = try requiredString(path, "path")
        let options = try exportOptions(opset, box)
        try box.exclusive { try exportONNX(box.model, inputShape: box.spec.inputShape, to: target, options: options) }
    }
}

@_cdecl("fsc_model_to_onnx_bytes")
public func fsc_model_to_onnx_bytes(_ model: OpaquePointer?, _ opset: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                                    _ capacity: Int, _ size: UnsafeMutablePointer<Int>?) -> fsc_status {
    guarded("fsc_model_to_onnx_bytes") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let sizeOut = try required(size, "size")
        let options = try exportOptions(opset, box)
        let bytes = try box.exclusive { try exportONNX(box.model, inputShape: box.spec.inputShape, options: options) }
        sizeOut.pointee = bytes.count
        guard let buffer else {
            guard capacity == 0 else { throw BoundaryError.invalid("buffer is NULL but capacity is \(capacity)") }
            return
        }
        guard capacity >= bytes.count else {
            throw BoundaryError.shape("buffer holds \(capacity) bytes, the model needs \(bytes.count)")
        }
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: bytes.count) }
    }
}
