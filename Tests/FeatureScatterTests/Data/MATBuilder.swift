// MATBuilder.swift — MAT-file bytes built by hand for the reader's tests.

/// Builds MATLAB level-5 files element by element, so tests control every tag and pad byte.
enum MATBuilder {
    static let miINT8 = 1, miUINT8 = 2, miINT16 = 3, miINT32 = 5, miUINT32 = 6, miDOUBLE = 9
    static let miMATRIX = 14, miCOMPRESSED = 15

    static func u32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// The 128-byte header: text, subsystem offset, version and endian indicator.
    static func header(version: Int = 0x0100, endian: String = "IM") -> [UInt8] {
        let text = Array("MATLAB 5.0 MAT-file, written by MATBuilder".utf8)
        return text + [UInt8](repeating: 0x20, count: 116 - text.count) + [UInt8](repeating: 0, count: 8)
            + [UInt8(version & 0xFF), UInt8(version >> 8)] + Array(endian.utf8)
    }

    /// A data element: a small one (4-byte tag) when `small` and the data fit, else an 8-byte
    /// tag, the data and zero padding to 8 bytes (none when `padded` is false).
    static func element(_ type: Int, _ data: [UInt8], small: Bool = true, padded: Bool = true) -> [UInt8] {
        if small, data.count <= 4 {
            return u32(type | data.count << 16) + data + [UInt8](repeating: 0, count: 4 - data.count)
        }
        let padding = padded ? (8 - data.count % 8) % 8 : 0
        return u32(type) + u32(data.count) + data + [UInt8](repeating: 0, count: padding)
    }

    /// The contents of an `miMATRIX` element: flags, dimensions, name, real part.
    static func matrixContents(name: String, arrayClass: Int, dims: [Int], type: Int, data: [UInt8],
                               flags: Int = 0) -> [UInt8] {
        element(miUINT32, u32(arrayClass | flags) + u32(0)) + element(miINT32, dims.flatMap(u32))
            + element(miINT8, Array(name.utf8)) + element(type, data)
    }

    /// A whole `miMATRIX` element.
    static func matrix(name: String, arrayClass: Int, dims: [Int], type: Int, data: [UInt8], flags: Int = 0) -> [UInt8] {
        element(miMATRIX, matrixContents(name: name, arrayClass: arrayClass, dims: dims, type: type, data: data, flags: flags),
                small: false)
    }

    /// A uint8 array (class 9) stored as miUINT8.
    static func bytes(_ name: String, dims: [Int], _ data: [UInt8]) -> [UInt8] {
        matrix(name: name, arrayClass: 9, dims: dims, type: miUINT8, data: data)
    }

    /// A double array (class 6) stored as miDOUBLE.
    static func doubles(_ name: String, dims: [Int], _ values: [Double]) -> [UInt8] {
        matrix(name: name, arrayClass: 6, dims: dims, type: miDOUBLE,
               data: values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } })
    }

    /// `element` as an `miCOMPRESSED` element: a zlib stream of stored (uncompressed) deflate
    /// blocks, which needs no compressor, with its Adler-32 checksum; not padded, as MATLAB writes it.
    static func compressed(_ element: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let end = min(start + 65_535, element.count)
            let length = end - start
            stream += [end == element.count ? 1 : 0, UInt8(length & 0xFF), UInt8(length >> 8),
                       UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            stream += element[start..<end]
            start = end
        } while start < element.count
        var (a, b) = (1, 0)
        for byte in element {
            a = (a + Int(byte)) % 65_521
            b = (b + a) % 65_521
        }
        stream += u32(b << 16 | a).reversed()
        return self.element(miCOMPRESSED, stream, small: false, padded: false)
    }
}
