// FSCError.swift — the one error type the engine throws.

/// An error from the FeatureScatter engine. Each case carries a message that names the
/// offending values (shapes, file names, numbers), so it can be shown to a user as is.
public enum FSCError: Error, Equatable, CustomStringConvertible {
    /// An argument is out of its documented range or inconsistent with another one.
    case invalidArgument(String)
    /// A tensor or buffer has the wrong shape, e.g. "expected [N,1,28,28], got [64,784]".
    case shapeMismatch(String)
    /// A value that must be finite is NaN or infinite.
    case notFinite(String)
    /// A file is missing, unreadable, truncated or corrupt.
    case io(String)
    /// An ONNX model could not be parsed, checked or converted.
    case onnx(String)
    /// The caller asked to stop (for example through a progress callback).
    case cancelled
    /// An internal invariant failed; a bug in FeatureScatter.
    case internalError(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .shapeMismatch(let message): return "shape mismatch: \(message)"
        case .notFinite(let message): return "not finite: \(message)"
        case .io(let message): return "I/O error: \(message)"
        case .onnx(let message): return "ONNX error: \(message)"
        case .cancelled: return "cancelled"
        case .internalError(let message): return "internal error: \(message)"
        }
    }
}

extension FSCError {
    /// The message without the kind's prefix.
    public var message: String {
        switch self {
        case .invalidArgument(let m), .shapeMismatch(let m), .notFinite(let m), .io(let m), .onnx(let m),
             .internalError(let m):
            return m
        case .cancelled:
            return "cancelled"
        }
    }

    /// A small number naming the kind (1…7), for sending an error between processes.
    var kindCode: UInt8 {
        switch self {
        case .invalidArgument: return 1
        case .shapeMismatch: return 2
        case .notFinite: return 3
        case .io: return 4
        case .onnx: return 5
        case .cancelled: return 6
        case .internalError: return 7
        }
    }

    /// The error of kind `code` with `message` (an unknown code is an internal error).
    init(kindCode code: UInt8, message: String) {
        switch code {
        case 1: self = .invalidArgument(message)
        case 2: self = .shapeMismatch(message)
        case 3: self = .notFinite(message)
        case 4: self = .io(message)
        case 5: self = .onnx(message)
        case 6: self = .cancelled
        default: self = .internalError(message)
        }
    }
}
