// FileReading.swift — reading whole files, transparently decompressing gzip.

import CZlib
import Foundation

/// The bytes of `path`, gunzipped when the file is gzip-compressed (zlib detects it from
/// the header, so plain files read as they are).
///
/// - Throws: `FSCError.io` naming the file when it is missing, unreadable or corrupt.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw FSCError.io("\(path): no such file")
    }
    guard let file = gzopen(path, "rb") else {
        throw FSCError.io("\(path): cannot open (\(String(cString: strerror(errno))))")
    }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
        if read < 0 || (code != Z_OK && code != Z_STREAM_END) {
            throw FSCError.io("\(path): corrupt or truncated compressed data (\(message))")
        }
        if read == 0 { break }
        bytes.append(contentsOf: chunk[0..<Int(read)])
    }
    return bytes
}

/// Writes `data` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed over the target, so readers see the old file or the new one, never
/// a partial one.
public func writeFileAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: folder) else {
        throw FSCError.io("\(path): folder \(folder) does not exist")
    }
    let temporary = folder + "/.\(url.lastPathComponent).tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
          let handle = FileHandle(forWritingAtPath: temporary) else {
        throw FSCError.io("\(path): cannot create \(temporary)")
    }
    do {
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw FSCError.io("\(path): write failed (\(error))")
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw FSCError.io("\(path): rename failed (\(reason))")
    }
}
