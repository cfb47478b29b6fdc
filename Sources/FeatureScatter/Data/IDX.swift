// IDX.swift — the IDX format of MNIST and Fashion-MNIST (optionally gzipped).

/// An array read from an IDX file: unsigned bytes with a shape.
public struct IDXArray {
    public var shape: [Int]
    public var bytes: [UInt8]
}

/// Reads an IDX file of unsigned bytes (type code 0x08), e.g. `train-images-idx3-ubyte.gz`.
///
/// The format: two zero bytes, the type code, the rank, one big-endian UInt32 per
/// dimension, then the data. Gzipped files are decompressed.
///
/// - Throws: `FSCError.io` naming the file and the problem (bad magic, unsupported type,
///   truncated data).
public func readIDX(_ path: String) throws -> IDXArray {
    try parseIDX(readFileBytes(path), name: path)
}

/// Parses IDX bytes; `name` appears in error messages.
public func parseIDX(_ bytes: [UInt8], name: String) throws -> IDXArray {
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
        throw FSCError.io("\(name): not an IDX file (bad magic number)")
    }
    guard bytes[2] == 0x08 else {
        throw FSCError.io("\(name): IDX element type 0x\(String(bytes[2], radix: 16)) is not unsigned byte (0x08)")
    }
    let rank = Int(bytes[3])
    let headerSize = 4 + 4 * rank
    guard rank > 0, bytes.count >= headerSize else {
        throw FSCError.io("\(name): truncated IDX header")
    }
    var shape: [Int] = []
    for d in 0..<rank {
        let o = 4 + 4 * d
        shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
    }
    guard let count = elementCount(shape), bytes.count - headerSize == count else {
        throw FSCError.io("\(name): IDX shape \(shape) needs \(elementCount(shape).map { "\($0)" } ?? "more than 2^63") bytes of data, found \(bytes.count - headerSize)")
    }
    return IDXArray(shape: shape, bytes: Array(bytes[headerSize...]))
}
