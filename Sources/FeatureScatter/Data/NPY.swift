// NPY.swift — reading and writing NumPy .npy arrays (C order, little-endian).

import Foundation

/// An array read from a NumPy `.npy` file.
///
/// Supported: format versions 1.0, 2.0 and 3.0; C order; the dtypes `<f4`, `<f8`, `|u1`,
/// `<i4`, `<i8`. Fortran order, big-endian data and other dtypes are rejected.
public struct NPYArray: Sendable, Equatable {
    /// The element values, in C (row-major) order, with their stored type.
    public enum Payload: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case uint8([UInt8])
        case int32([Int32])
        case int64([Int64])
    }

    /// The dimensions; `[]` for a scalar.
    public var shape: [Int]
    public var payload: Payload

    public init(shape: [Int], payload: Payload) {
        self.shape = shape
        self.payload = payload
    }

    /// The number of elements, `shape.reduce(1, *)`.
    public var count: Int { shape.reduce(1, *) }

    /// The values converted to `Float` (float64 and 64-bit integers are rounded).
    public func floats() -> [Float] {
        switch payload {
        case .float32(let values): return values
        case .float64(let values): return values.map { Float($0) }
        case .uint8(let values): return values.map { Float($0) }
        case .int32(let values): return values.map { Float($0) }
        case .int64(let values): return values.map { Float($0) }
        }
    }
}

/// Reads a `.npy` file. Throws `FSCError.io` naming the file and the problem (missing,
/// truncated, bad magic, Fortran order, big-endian, unsupported dtype).
public func readNPY(path: String) throws -> NPYArray {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw FSCError.io("\(path): cannot read file")
    }
    return try readNPY(bytes: [UInt8](data), name: path)
}

/// Parses `.npy` bytes held in memory (for example a member of an `.npz` archive); `name`
/// appears in error messages.
public func readNPY(bytes: [UInt8], name: String = "<memory>") throws -> NPYArray {
    func fail(_ problem: String) -> FSCError { FSCError.io("\(name): \(problem)") }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
        headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        headerStart = 10
    case 2, 3:
        guard bytes.count >= 12 else { throw fail("truncated header") }
        headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        headerStart = 12
    default:
        throw fail("unsupported format version \(major).\(bytes[7])")
    }
    guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
    guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
        throw fail("header is not text")
    }
    let descr = try headerValue(header, key: "descr", name: name).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    let fortran = try headerValue(header, key: "fortran_order", name: name)
    guard fortran == "False" else { throw fail("Fortran order is not supported") }
    let shapeText = try headerValue(header, key: "shape", name: name)
    let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        .map { part -> Int in
            guard let value = Int(part), value >= 0 else { throw fail("bad shape \(shapeText)") }
            return value
        }
    if descr.hasPrefix(">") { throw fail("big-endian dtype \(descr) is not supported") }
    guard let count = elementCount(shape) else { throw fail("shape \(shapeText) overflows") }
    let body = headerStart + headerLength
    let itemSize: Int
    switch descr {
    case "<f4", "<i4": itemSize = 4
    case "<f8", "<i8": itemSize = 8
    case "|u1", "<u1": itemSize = 1
    default: throw fail("unsupported dtype \(descr)")
    }
    guard body <= bytes.count, count <= (bytes.count - body) / itemSize else {
        throw fail("truncated data: shape \(shape) of \(itemSize)-byte items needs more than the \(max(0, bytes.count - body)) bytes present")
    }
    let payload: NPYArray.Payload = bytes.withUnsafeBytes { raw in
        let start = raw.baseAddress! + body
        func values<T>(_ type: T.Type) -> [T] {
            (0..<count).map { start.loadUnaligned(fromByteOffset: $0 * itemSize, as: T.self) }
        }
        switch descr {
        case "<f4": return .float32(values(UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) })
        case "<f8": return .float64(values(UInt64.self).map { Double(bitPattern: UInt64(littleEndian: $0)) })
        case "<i4": return .int32(values(Int32.self).map { Int32(littleEndian: $0) })
        case "<i8": return .int64(values(Int64.self).map { Int64(littleEndian: $0) })
        default: return .uint8(Array(raw[body..<(body + count)]))
        }
    }
    return NPYArray(shape: shape, payload: payload)
}

/// The `.npy` (version 1.0, `<f4`, C order) encoding of `values` with `shape`.
/// Throws `FSCError.shapeMismatch` when `shape` does not hold `values.count` elements.
public func encodeNPY(_ values: [Float], shape: [Int]) throws -> [UInt8] {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
        throw FSCError.shapeMismatch("shape \(shape) does not hold \(values.count) values")
    }
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
    let length = header.utf8.count
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    bytes.reserveCapacity(bytes.count + 4 * values.count)
    for value in values {
        let bits = value.bitPattern.littleEndian
        bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
    }
    return bytes
}

/// Writes `values` as a `<f4` `.npy` file atomically: a temporary file in the same folder,
/// then a rename. Throws `FSCError.shapeMismatch` or `FSCError.io` (naming the path).
public func writeNPY(_ values: [Float], shape: [Int], to path: String) throws {
    let bytes = try encodeNPY(values, shape: shape)
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try Data(bytes).write(to: temporary)
    } catch {
        throw FSCError.io("\(path): cannot write (\(error.localizedDescription))")
    }
    guard rename(temporary.path, url.path) == 0 else {
        try? FileManager.default.removeItem(at: temporary)
        throw FSCError.io("\(path): cannot rename temporary file into place")
    }
}

private func headerValue(_ header: String, key: String, name: String) throws -> String {
    guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else {
        throw FSCError.io("\(name): header lacks '\(key)'")
    }
    var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
    if rest.first == "(" {
        guard let close = rest.firstIndex(of: ")") else { throw FSCError.io("\(name): bad shape in header") }
        return String(rest[...close])
    }
    if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
    return rest.trimmingCharacters(in: .whitespaces)
}
