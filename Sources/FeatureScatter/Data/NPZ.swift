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
    // Members may point at the same bytes: together they can still not hold more than the file could inflate to.
    var claimed = 0
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
        let stored = bytes[dataStart..<(dataStart + compressedSize)]
        let content: [UInt8]
        switch method {
        case 0:
            claimed += size
            guard size == compressedSize, claimed <= bytes.count * deflateMaximumRatio else { throw fail("stored member \(memberName) claims \(size) bytes, holds \(compressedSize)") }
            content = Array(stored)
        case 8:
            claimed += size
            guard size <= compressedSize * deflateMaximumRatio + 64, claimed <= bytes.count * deflateMaximumRatio else {
                throw fail("member \(memberName) claims \(size) bytes from \(compressedSize) compressed: more than deflate can produce")
            }
            let inflated = try inflateZlib(stored, limit: size, name: "\(name)/\(memberName)", headerless: true)
            guard inflated.ended, inflated.bytes.count == size else {
                throw fail("member \(memberName): corrupt compressed data (\(inflated.bytes.count) of \(size) bytes)")
            }
            content = inflated.bytes
        default: throw fail("member \(memberName) uses unsupported compression method \(method)")
        }
        let key = memberName.hasSuffix(".npy") ? String(memberName.dropLast(4)) : memberName
        arrays[key] = try readNPY(bytes: content, name: "\(name)/\(memberName)")
    }
    return arrays
}
