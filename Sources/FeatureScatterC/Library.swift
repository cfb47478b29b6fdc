// Library.swift — version, status names, last error, BLAS core and threads.

import CFeatureScatterABI
import FeatureScatter
import Foundation

/// C strings that live as long as the library.
private enum StaticStrings {
    static let version = strdup(FeatureScatterVersion.string)!
    static let blasCore = strdup(BLASRuntime.coreName)!
    static let empty = strdup("")!
    static let statusNames: [UnsafeMutablePointer<CChar>] = names.map { strdup($0)! }
    private static let names: [String] = [
        "FSC_OK", "FSC_ERR_INVALID_ARGUMENT", "FSC_ERR_SHAPE", "FSC_ERR_NOT_FINITE", "FSC_ERR_IO",
        "FSC_ERR_ONNX", "FSC_ERR_CANCELLED", "FSC_ERR_INTERNAL",
    ]
    static let unknownStatus = strdup("FSC_ERR_UNKNOWN")!
}

@_cdecl("fsc_version")
public func fsc_version() -> UnsafePointer<CChar> {
    UnsafePointer(StaticStrings.version)
}

@_cdecl("fsc_status_string")
public func fsc_status_string(_ status: fsc_status) -> UnsafePointer<CChar> {
    let index = Int(status.rawValue)
    guard index >= 0 && index < StaticStrings.statusNames.count else { return UnsafePointer(StaticStrings.unknownStatus) }
    return UnsafePointer(StaticStrings.statusNames[index])
}

@_cdecl("fsc_last_error")
public func fsc_last_error() -> UnsafePointer<CChar> {
    lastErrorPointer() ?? UnsafePointer(StaticStrings.empty)
}

@_cdecl("fsc_blas_core")
public func fsc_blas_core() -> UnsafePointer<CChar> {
    UnsafePointer(StaticStrings.blasCore)
}

@_cdecl("fsc_get_threads")
public func fsc_get_threads(_ threads: UnsafeMutablePointer<Int32>?) -> fsc_status {
    guarded("fsc_get_threads") {
        try required(threads, "threads").pointee = Int32(Parallelism.workerCount)
    }
}

@_cdecl("fsc_set_threads")
public func fsc_set_threads(_ threads: Int32) -> fsc_status {
    guarded("fsc_set_threads") {
        guard threads >= 1 && threads <= 1024 else { throw BoundaryError.invalid("threads = \(threads) is not in 1...1024") }
        Parallelism.setWorkerCount(Int(threads))
    }
}
