// MATArray.swift — one array read from a MATLAB level-5 MAT file.

/// A named array from a MATLAB level-5 MAT file (see `readMAT(path:)`).
///
/// Numeric arrays carry the bytes of their real part as stored: `elementType` says how,
/// which need not match `arrayClass` (MATLAB may store a `double` array as `miUINT8` when its
/// values fit). Elements are in MATLAB's column-major order: element `(i₀, i₁, …)` of an
/// array with dimensions `[d₀, d₁, …]` sits at `i₀ + d₀·(i₁ + d₁·(…))`.
public struct MATArray: Sendable {
    /// The MATLAB class of an array (`mxDOUBLE_CLASS` = 6 and so on).
    public enum ArrayClass: Int, Sendable, CustomStringConvertible {
        case cell = 1, structure, object, char, sparse
        case double, single, int8, uint8, int16, uint16, int32, uint32, int64, uint64

        /// Whether the class is a full numeric array (`double` … `uint64`).
        public var isNumeric: Bool { rawValue >= ArrayClass.double.rawValue }

        public var description: String {
            switch self {
            case .cell: return "cell"
            case .structure: return "struct"
            case .object: return "object"
            case .char: return "char"
            case .sparse: return "sparse"
            case .double: return "double"
            case .single: return "single"
            case .int8: return "int8"
            case .uint8: return "uint8"
            case .int16: return "int16"
            case .uint16: return "uint16"
            case .int32: return "int32"
            case .uint32: return "uint32"
            case .int64: return "int64"
            case .uint64: return "uint64"
            }
        }
    }

    /// The storage type of numeric data (`miINT8` = 1 … `miUINT64` = 13).
    public enum ElementType: Int, Sendable, CustomStringConvertible {
        case int8 = 1, uint8, int16, uint16, int32, uint32, single
        case double = 9
        case int64 = 12, uint64

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .int8, .uint8: return 1
            case .int16, .uint16: return 2
            case .int32, .uint32, .single: return 4
            case .double, .int64, .uint64: return 8
            }
        }

        public var description: String {
            switch self {
            case .int8: return "miINT8"
            case .uint8: return "miUINT8"
            case .int16: return "miINT16"
            case .uint16: return "miUINT16"
            case .int32: return "miINT32"
            case .uint32: return "miUINT32"
            case .single: return "miSINGLE"
            case .double: return "miDOUBLE"
            case .int64: return "miINT64"
            case .uint64: return "miUINT64"
            }
        }
    }

    /// The variable's name in the file.
    public let name: String
    /// The MATLAB class (what the array holds, as opposed to how it is stored).
    public let arrayClass: ArrayClass
    /// The dimensions as stored (MATLAB drops trailing singleton dimensions beyond the second).
    public let dimensions: [Int]
    /// Whether the array has an imaginary part (which is not read).
    public let isComplex: Bool
    /// Whether MATLAB marked the array as logical (a `uint8` array of 0s and 1s).
    public let isLogical: Bool
    /// How the real part is stored; nil for arrays that are not numeric (cell, struct, char,
    /// sparse …), whose contents are not read.
    public let elementType: ElementType?
    /// The real part's little-endian bytes, `count · elementType.size` of them; empty when
    /// `elementType` is nil.
    public let data: ArraySlice<UInt8>

    /// The number of elements, the product of `dimensions` (checked not to overflow when read).
    public var count: Int { dimensions.reduce(1, *) }

    /// The real part converted to `Double`, column-major; empty for non-numeric arrays.
    /// Exact for every storage type except 64-bit integers beyond ±2⁵³, which are rounded.
    public func doubles() -> [Double] {
        guard let elementType else { return [] }
        return data.withUnsafeBytes { raw in
            let n = raw.count / elementType.size
            func integers<T: FixedWidthInteger>(_: T.Type) -> [Double] {
                (0..<n).map { Double(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
            }
            switch elementType {
            case .int8: return integers(Int8.self)
            case .uint8: return integers(UInt8.self)
            case .int16: return integers(Int16.self)
            case .uint16: return integers(UInt16.self)
            case .int32: return integers(Int32.self)
            case .uint32: return integers(UInt32.self)
            case .int64: return integers(Int64.self)
            case .uint64: return integers(UInt64.self)
            case .single:
                return (0..<n).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
            case .double:
                return (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            }
        }
    }
}
