// ONNXTensorDecoder.swift — TensorProto values to Swift arrays: sizes checked against the bytes
// present before anything is allocated, and safe external data (only files inside the model's folder).

import CONNX
import Foundation

enum ONNXTensorDecoder {
    static func decode(_ handle: OpaquePointer?, folder: String?, limits: ONNXLimits) throws -> ONNXTensor {
        guard let handle else { throw FSCError.onnx("missing tensor") }
        let name = String(cString: connx_tensor_name(handle))
        let label = name.isEmpty ? "a tensor" : "tensor \"\(name)\""
        let code = Int(connx_tensor_data_type(handle))
        guard let type = ONNXDataType(rawValue: code), type != .string else {
            throw FSCError.onnx("\(label) has unsupported data type \(code)")
        }
        let rank = connx_tensor_rank(handle)
        guard rank <= limits.maxRank else { throw FSCError.onnx("\(label) has rank \(rank) > \(limits.maxRank)") }
        var shape: [Int] = []
        var count = 1
        for axis in 0..<rank {
            let d = connx_tensor_dim(handle, axis)
            guard d >= 0 else { throw FSCError.onnx("\(label) has negative dimension \(d)") }
            shape.append(Int(d))
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= Int.max / 8 else {
                throw FSCError.onnx("\(label) declares shape \(shape.map(String.init).joined(separator: "×"))…, " +
                                    "whose element count overflows")
            }
            count = product
        }
        var result = ONNXTensor(name: name, dataType: type, shape: shape, floats: [], integers: [])
        var pointer: UnsafeRawPointer?
        var stored = 0
        let storage = connx_tensor_storage(handle, &pointer, &stored)
        func check(_ n: Int) throws {
            guard n == count else { throw FSCError.onnx("\(label) holds \(n) values, its shape \(shape) needs \(count)") }
            try admit(count, label: label, limits: limits)
        }
        func store<T>(_ values: UnsafeBufferPointer<T>, _ toFloat: (T) -> Float, _ toInt: (T) -> Int64) {
            if type.isFloatingPoint { result.floats = values.map(toFloat) } else { result.integers = values.map(toInt) }
        }
        switch Int(storage) {
        case 0: // raw
            try decodeRaw(UnsafeRawBufferPointer(start: pointer, count: stored), type: type, count: count,
                          label: label, limits: limits, into: &result)
        case 1:
            try check(stored)
            store(UnsafeBufferPointer(start: pointer!.assumingMemoryBound(to: Float.self), count: stored),
                  { $0 }, { Int64(exactly: $0.rounded(.towardZero)) ?? 0 })
        case 2:
            try check(stored)
            let p = UnsafeBufferPointer(start: pointer!.assumingMemoryBound(to: Int32.self), count: stored)
            if type == .float16 {
                result.floats = p.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) }
            } else {
                store(p, { Float($0) }, { Int64($0) })
            }
        case 3:
            try check(stored)
            store(UnsafeBufferPointer(start: pointer!.assumingMemoryBound(to: Int64.self), count: stored),
                  { Float($0) }, { $0 })
        case 4:
            try check(stored)
            store(UnsafeBufferPointer(start: pointer!.assumingMemoryBound(to: Double.self), count: stored),
                  { Float($0) }, { Int64(exactly: $0.rounded(.towardZero)) ?? 0 })
        case 5:
            try check(stored)
            store(UnsafeBufferPointer(start: pointer!.assumingMemoryBound(to: UInt64.self), count: stored),
                  { Float($0) }, { Int64(truncatingIfNeeded: $0) })
        case 6:
            let bytes = try externalBytes(handle, type: type, count: count, label: label, folder: folder, limits: limits)
            try bytes.withUnsafeBytes {
                try decodeRaw($0, type: type, count: count, label: label, limits: limits, into: &result)
            }
        default:
            throw FSCError.onnx("\(label): string tensors are not supported")
        }
        return result
    }

    /// Refuses a tensor whose values, present in the file, are more than the machine may decode.
    static func admit(_ count: Int, label: String, limits: ONNXLimits) throws {
        guard count <= limits.maxTotalElements else {
            throw FSCError.onnx("\(label) holds \(count) elements, more than the \(limits.maxTotalElements) this " +
                                "machine's memory allows (ONNXLimits.maxTotalElements)")
        }
    }

    /// Little-endian raw_data of `count` elements.
    static func decodeRaw(_ raw: UnsafeRawBufferPointer, type: ONNXDataType, count: Int, label: String,
                          limits: ONNXLimits, into result: inout ONNXTensor) throws {
        let width = type.byteWidth!
        guard raw.count == count * width else {
            throw FSCError.onnx("\(label) has \(raw.count) bytes of data, its shape needs \(count * width)")
        }
        try admit(count, label: label, limits: limits)
        func load<T>(_: T.Type, _ i: Int) -> T { raw.loadUnaligned(fromByteOffset: i * width, as: T.self) }
        switch type {
        case .float: result.floats = (0..<count).map { load(Float.self, $0) }
        case .double: result.floats = (0..<count).map { Float(load(Double.self, $0)) }
        case .float16: result.floats = (0..<count).map { Float(load(Float16.self, $0)) }
        case .int8: result.integers = (0..<count).map { Int64(load(Int8.self, $0)) }
        case .uint8, .bool: result.integers = (0..<count).map { Int64(load(UInt8.self, $0)) }
        case .int16: result.integers = (0..<count).map { Int64(load(Int16.self, $0)) }
        case .uint16: result.integers = (0..<count).map { Int64(load(UInt16.self, $0)) }
        case .int32: result.integers = (0..<count).map { Int64(load(Int32.self, $0)) }
        case .uint32: result.integers = (0..<count).map { Int64(load(UInt32.self, $0)) }
        case .int64: result.integers = (0..<count).map { load(Int64.self, $0) }
        case .uint64: result.integers = (0..<count).map { Int64(truncatingIfNeeded: load(UInt64.self, $0)) }
        case .string: throw FSCError.onnx("\(label): string tensors are not supported")
        }
    }

    /// The bytes of an external-data tensor, read only from a regular file inside `folder`.
    static func externalBytes(_ handle: OpaquePointer, type: ONNXDataType, count: Int, label: String,
                              folder: String?, limits: ONNXLimits) throws -> [UInt8] {
        var entries: [String: String] = [:]
        for i in 0..<connx_tensor_external_count(handle) {
            entries[String(cString: connx_tensor_external_key(handle, i))] =
                String(cString: connx_tensor_external_value(handle, i))
        }
        guard let location = entries["location"], !location.isEmpty else {
            throw FSCError.onnx("\(label): external data without a location")
        }
        guard let folder else {
            throw FSCError.onnx("\(label): external data \"\(location)\" needs the model's folder (load from a file)")
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !location.contains("\\"), !components.contains(".."),
              !location.contains("\0") else {
            throw FSCError.onnx("\(label): external data location \"\(location)\" points outside the model's folder")
        }
        let base = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        let file = URL(fileURLWithPath: base + "/" + location).resolvingSymlinksInPath().path
        guard file.hasPrefix(base + "/") else {
            throw FSCError.onnx("\(label): external data location \"\(location)\" resolves outside the model's folder")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handleFile = FileHandle(forReadingAtPath: file) else {
            throw FSCError.onnx("\(label): external data file \"\(location)\" is missing")
        }
        defer { try? handleFile.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let needed = count * type.byteWidth!
        let length = Int(entries["length"] ?? String(needed)) ?? -1
        guard offset >= 0, length == needed, offset <= size, length <= size - offset else {
            throw FSCError.onnx("\(label): external data (offset \(offset), length \(length)) does not fit " +
                                "\"\(location)\" (\(size) bytes) or the shape (\(needed) bytes)")
        }
        try admit(count, label: label, limits: limits)
        try handleFile.seek(toOffset: UInt64(offset))
        let data = try handleFile.read(upToCount: length) ?? Data()
        guard data.count == length else { throw FSCError.onnx("\(label): external data file \"\(location)\" is truncated") }
        return [UInt8](data)
    }
}
