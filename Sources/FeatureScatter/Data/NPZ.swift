// NPZ.swift — reading NumPy .npz archives (zip files of .npy members, stored or deflated).

import CZlib

/// Reads every array of a `.npz` archive (`np.savez` or `np.savez_compressed`), keyed by
/// member name without the `.npy` suffix.
///
/// The zip central directory is parsed; members must be stored (method 0) or deflated
/// (method 8). ZIP64 archives, encryption and other methods are rejected.
///
/// - Throws: `FSCError.io` naming the file and the problem (missing, not a zip, truncated,
///   corrupt compressed data, unsupported member).
public func readNPZ(path: String) throws -> [String: NPYArray] {
    try readNPZ(bytes: readFileBytes(path), name: path)
}

/// Parses `.npz` bytes held in memory; `name` appears in error messages.
public func readNPZ(bytes: [UInt8], name: String) throws -> [String: NPYArray] {
    func fail(_ problem: String) -> FSCError { FSCError.io("\(name): \(problem)") }
    func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
    func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }

    let endSignature = 0x0605_4B50
    guard bytes.count >= 22,
          let end = stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1)
            .first(where: { u32($0) == endSignature }) else {
        throw fail("not a zip archive (no end-of-central-directory record)")
    }
    let entries = u16(end + 10)
    var offset = u32(end + 16)
    guard entries != 0xFFFF, offset != 0xFFFF_FFFF else { throw fail("ZIP64 archives are not supported") }
    var arrays: [String: NPYArray] = [:]
    for _ in 0..<entries {
        guard offset + 46 <= bytes.count, u32(offset) == 0x0201_4B50 else { throw fail("corrupt central directory") }
        let (flags, method) = (u16(offset + 8), u16(offset + 10))
        let (compressedSize, size) = (u32(offset + 20), u32(offset + 24))
        let (nameLength, extraLength, commentLength) = (u16(offset + 28), u16(offset + 30), u16(offset + 32))
        let localOffset = u32(offset + 42)
        guard offset + 46 + nameLength <= bytes.count else { throw fail("truncated central directory") }
        let memberName = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
        offset += 46 + nameLength + extraLength + commentLength
        guard flags & 1 == 0 else { throw fail("member \(memberName) is encrypted") }
        guard localOffset + 30 <= bytes.count, u32(localOffset) == 0x0403_4B50 else {
            throw fail("member \(memberName): bad local header")
        }
        let dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
        guard dataStart + compressedSize <= bytes.count else { throw fail("member \(memberName) is truncated") }
        let stored = Array(bytes[dataStart..<(dataStart + compressedSize)])
        let content: [UInt8]
        switch method {
        case 0: content = stored
        case 8: content = try inflateRaw(stored, expectedSize: size, name: "\(name)/\(memberName)")
        default: throw fail("member \(memberName) uses unsupported compression method \(method)")
        }
        let key = memberName.hasSuffix(".npy") ? String(memberName.dropLast(4)) : memberName
        arrays[key] = try readNPY(bytes: content, name: "\(name)/\(memberName)")
    }
    return arrays
}

/// Inflates a raw deflate stream (no zlib or gzip header) of known size.
private func inflateRaw(_ input: [UInt8], expectedSize: Int, name: String) throws -> [UInt8] {
    var output = [UInt8](repeating: 0, count: expectedSize)
    var stream = z_stream()
    guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw FSCError.io("\(name): cannot initialise zlib")
    }
    defer { inflateEnd(&stream) }
    var input = input
    let status = input.withUnsafeMutableBufferPointer { source in
        output.withUnsafeMutableBufferPointer { target in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            stream.next_out = target.baseAddress
            stream.avail_out = UInt32(target.count)
            return inflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END, Int(stream.total_out) == expectedSize else {
        throw FSCError.io("\(name): corrupt compressed data (zlib status \(status))")
    }
    return output
}
