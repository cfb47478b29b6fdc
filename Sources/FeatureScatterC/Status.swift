// Status.swift — status codes, the thread-local last error, and the guard around every export.

import CFeatureScatterABI
import FeatureScatter
import Foundation

/// The thread-local message of the last failure, as a malloc'd C string.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

/// Records `message` as this thread's last error.
func setLastError(_ message: String) {
    if let previous = pthread_getspecific(lastErrorKey) { free(previous) }
    pthread_setspecific(lastErrorKey, strdup(message))
}

/// This thread's last error, or nil.
func lastErrorPointer() -> UnsafePointer<CChar>? {
    pthread_getspecific(lastErrorKey).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
}

/// A failure detected at the boundary, before the engine is called.
struct BoundaryError: Error {
    let status: fsc_status
    let message: String

    static func invalid(_ message: String) -> BoundaryError { BoundaryError(status: FSC_ERR_INVALID_ARGUMENT, message: message) }
    static func shape(_ message: String) -> BoundaryError { BoundaryError(status: FSC_ERR_SHAPE, message: message) }
    static func notFinite(_ message: String) -> BoundaryError { BoundaryError(status: FSC_ERR_NOT_FINITE, message: message) }
}

/// Runs an export's body, turning every thrown error into a status and a message.
func guarded(_ function: String, _ body: () throws -> Void) -> fsc_status {
    do {
        try body()
        return FSC_OK
    } catch let error as BoundaryError {
        setLastError("\(function): \(error.message)")
        return error.status
    } catch let error as FSCError {
        setLastError("\(function): \(error.description)")
        return status(of: error)
    } catch {
        setLastError("\(function): \(error)")
        return FSC_ERR_INTERNAL
    }
}

/// The status code of an engine error.
func status(of error: FSCError) -> fsc_status {
    switch error {
    case .invalidArgument: return FSC_ERR_INVALID_ARGUMENT
    case .shapeMismatch: return FSC_ERR_SHAPE
    case .notFinite: return FSC_ERR_NOT_FINITE
    case .io: return FSC_ERR_IO
    case .onnx: return FSC_ERR_ONNX
    case .cancelled: return FSC_ERR_CANCELLED
    case .internalError: return FSC_ERR_INTERNAL
    }
}
