// Validation.swift — checks on pointers, counts, shapes and values from C callers.

import CFeatureScatterABI
import FeatureScatter

/// The pointee of a required pointer, or an error naming the parameter.
func required<T>(_ pointer: UnsafePointer<T>?, _ name: String) throws -> UnsafePointer<T> {
    guard let pointer else { throw BoundaryError.invalid("\(name) is NULL") }
    return pointer
}

func required<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String) throws -> UnsafeMutablePointer<T> {
    guard let pointer else { throw BoundaryError.invalid("\(name) is NULL") }
    return pointer
}

/// A NUL-terminated string argument.
func requiredString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
    String(cString: try required(pointer, name))
}

/// The largest element count a single buffer may claim (2^40 floats, 4 TiB): anything
/// larger is a corrupted size, refused before multiplication can overflow.
let maximumElements: Int64 = 1 << 40

/// Reads a shape of `rank` dimensions, each in 1…2^31, whose product stays bounded.
func readShape(_ shape: UnsafePointer<Int64>?, rank: Int, name: String = "shape") throws -> [Int] {
    let pointer = try required(shape, name)
    guard rank >= 1 && rank <= 8 else { throw BoundaryError.shape("\(name) rank \(rank) is not in 1...8") }
    var dims: [Int] = []
    var product: Int64 = 1
    for i in 0..<rank {
        let d = pointer[i]
        guard d >= 1 && d <= Int64(Int32.max) else { throw BoundaryError.shape("\(name)[\(i)] = \(d) is not in 1...2^31") }
        product = product.multipliedReportingOverflow(by: d).partialValue
        guard product <= maximumElements else { throw BoundaryError.shape("\(name) holds more than 2^40 elements") }
        dims.append(Int(d))
    }
    return dims
}

/// Copies `count` floats, checking each is finite.
func readFiniteFloats(_ pointer: UnsafePointer<Float>?, count: Int, name: String) throws -> [Float] {
    let source = try required(pointer, name)
    let values = Array(UnsafeBufferPointer(start: source, count: count))
    if let index = values.firstIndex(where: { !$0.isFinite }) {
        throw BoundaryError.notFinite("\(name)[\(index)] is \(values[index])")
    }
    return values
}

/// Copies `count` labels, checking each lies in `0..<classes`.
func readLabels(_ pointer: UnsafePointer<Int32>?, count: Int, classes: Int) throws -> [Int] {
    let source = try required(pointer, "labels")
    var labels: [Int] = []
    labels.reserveCapacity(count)
    for i in 0..<count {
        let label = Int(source[i])
        guard label >= 0 && label < classes else {
            throw BoundaryError.invalid("labels[\(i)] = \(label) is outside 0..<\(classes)")
        }
        labels.append(label)
    }
    return labels
}

/// Images in [0, 1] with a shape `[N, C, H, W]` that must match `imageShape` when given.
func readImages(_ pointer: UnsafePointer<Float>?, shape: UnsafePointer<Int64>?, rank: Int,
                imageShape: [Int]?) throws -> Tensor {
    let dims = try readShape(shape, rank: rank)
    guard dims.count == 4 else { throw BoundaryError.shape("images must be rank 4 (N, C, H, W), got rank \(rank)") }
    if let imageShape, Array(dims.dropFirst()) != imageShape {
        throw BoundaryError.shape("images are \(dims) but the model takes [N, \(imageShape.map(String.init).joined(separator: ", "))]")
    }
    let values = try readFiniteFloats(pointer, count: dims.reduce(1, *), name: "images")
    if let index = values.firstIndex(where: { $0 < 0 || $0 > 1 }) {
        throw BoundaryError.invalid("images[\(index)] = \(values[index]) is outside [0, 1]")
    }
    return Tensor(shape: dims, scalars: values)
}

/// Checks that a caller's output buffer holds exactly `expected` elements.
func checkCount(_ given: Int, expected: Int, name: String) throws {
    guard given == expected else { throw BoundaryError.shape("\(name) holds \(given) elements, expected \(expected)") }
}

/// A checked conversion of a caller's size to Int.
func checkedSize(_ value: Int64, _ name: String, minimum: Int64 = 1) throws -> Int {
    guard value >= minimum && value <= Int64(Int32.max) else {
        throw BoundaryError.invalid("\(name) = \(value) is not in \(minimum)...2^31")
    }
    return Int(value)
}

/// A caller's config struct: `defaults` overlaid with the first `struct_size` bytes the caller
/// filled. A caller built against an older header passes a smaller struct, whose missing fields
/// keep their defaults; `minimumSize` is the size of the oldest layout accepted.
func versionedConfig<T>(_ pointer: UnsafePointer<T>?, _ name: String, defaults: T, minimumSize: Int) throws -> T {
    let config = try required(pointer, "config")
    let size = UnsafeRawPointer(config).load(as: Int.self)
    guard size >= minimumSize else {
        throw BoundaryError.invalid("\(name).struct_size = \(size) is smaller than \(minimumSize); fill it with \(name)_default")
    }
    var result = defaults
    withUnsafeMutableBytes(of: &result) { target in
        target.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(config), count: min(size, target.count)))
        target.storeBytes(of: MemoryLayout<T>.size, as: Int.self)
    }
    return result
}
