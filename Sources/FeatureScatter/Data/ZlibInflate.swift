// ZlibInflate.swift — bounded inflation of zlib streams whose output grows with the data.

import CZlib

/// The largest ratio of inflated to compressed size that deflate can reach (zlib's FAQ:
/// 1032:1, from 258-byte matches coded in about 2 bits each). A stream claiming more is lying.
let deflateMaximumRatio = 1032

/// Inflates the zlib stream (RFC 1950; with `headerless`, a raw deflate stream, RFC 1951, as in
/// zip members) in `input`, stopping once `limit` bytes are out.
///
/// The output buffer grows (doubling) with the data actually produced, so a stream whose
/// container claims a huge size but holds little costs only what it really inflates to.
///
/// - Parameters:
///   - input: the compressed bytes, zlib header first.
///   - limit: the most bytes to produce; inflation stops there even if the stream goes on.
///   - name: names the stream in error messages.
///   - headerless: the stream is raw deflate, without the zlib header and checksum.
/// - Returns: the bytes produced (at most `limit`) and whether the stream ended.
/// - Throws: `FSCError.io` naming `name` when the data is corrupt.
func inflateZlib(_ input: ArraySlice<UInt8>, limit: Int, name: String,
                 headerless: Bool = false) throws -> (bytes: [UInt8], ended: Bool) {
    var stream = z_stream()
    let windowBits = headerless ? -MAX_WBITS : MAX_WBITS
    guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw FSCError.io("\(name): cannot initialise zlib")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var produced = 0
    var ended = false
    try input.withUnsafeBufferPointer { source in
        var consumed = 0
        while produced < limit {
            if produced == output.count {
                let grown = min(limit, max(2 * output.count, 1 << 16))
                output.reserveCapacity(grown)
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            if stream.avail_in == 0, consumed < source.count, let base = source.baseAddress {
                let chunk = min(source.count - consumed, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
                stream.avail_in = UInt32(chunk)
                consumed += chunk
            }
            let room = min(output.count - produced, Int(UInt32.max))
            let inputBefore = stream.avail_in
            let status = output.withUnsafeMutableBufferPointer { target in
                stream.next_out = target.baseAddress! + produced
                stream.avail_out = UInt32(room)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let made = room - Int(stream.avail_out)
            produced += made
            if status == Z_STREAM_END {
                ended = true
                break
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw FSCError.io("\(name): corrupt compressed data (\(message))")
            }
            if made == 0, stream.avail_in == inputBefore {
                guard stream.avail_in == 0, consumed == source.count else {
                    throw FSCError.io("\(name): corrupt compressed data (inflation made no progress)")
                }
                break
            }
        }
    }
    output.removeLast(output.count - produced)
    return (output, ended)
}
