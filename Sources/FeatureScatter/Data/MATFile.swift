// MATFile.swift — reading MATLAB level-5 MAT files (uncompressed and miCOMPRESSED elements).

/// Reads the arrays of a MATLAB level-5 MAT file (`save -v6`/`-v7`, `scipy.io.savemat`), in
/// file order.
///
/// The format: a 128-byte header (text, subsystem offset, version `0x0100`, endian indicator
/// `IM`), then data elements. Each element is an 8-byte tag (type, byte count) and its data
/// padded to 8 bytes, or, when the data fit in 4 bytes, a *small data element* whose 4-byte tag
/// packs the count into its upper half. The top level holds `miMATRIX` (14) elements or
/// `miCOMPRESSED` (15) ones, a zlib stream of one `miMATRIX`. A matrix holds its array flags
/// (class, complex, logical), dimensions (`miINT32`), name (`miINT8`), then the real part.
///
/// Numeric arrays are decoded; cell, struct, char, sparse and object arrays are listed with
/// `elementType == nil` and their contents skipped (compressed ones are not inflated past
/// their header). Little-endian files only.
///
/// Every declared size is checked before anything is allocated for it: an element against the
/// bytes present, an array's data against its dimensions (whose product must not overflow), a
/// compressed element against the most its array can need and deflate's 1032:1 ratio; the
/// output of inflation grows only with the data actually produced.
///
/// - Throws: `FSCError.io` naming the file and the problem: missing, truncated, big-endian,
///   MATLAB 7.3 (HDF5), corrupt compressed data, sizes that disagree.
public func readMAT(path: String) throws -> [MATArray] {
    try readMAT(bytes: readFileBytes(path), name: path)
}

/// Parses MAT-file bytes held in memory; `name` appears in error messages.
public func readMAT(bytes: [UInt8], name: String) throws -> [MATArray] {
    let reader = MATReader(file: name)
    try reader.checkHeader(bytes)
    var arrays: [MATArray] = []
    var offset = MATReader.headerSize
    while offset < bytes.count {
        let element = try reader.tag(bytes, at: offset, end: bytes.count, context: name)
        guard !element.isSmall else {
            throw FSCError.io("\(name): the data element at byte \(offset) is a small element, which cannot hold an array")
        }
        switch element.type {
        case MATReader.miMATRIX:
            if element.count > 0 {
                arrays.append(try reader.matrix(bytes, element.start..<element.end, context: "\(name): array at byte \(offset)"))
            }
        case MATReader.miCOMPRESSED:
            if let array = try reader.compressed(bytes[element.start..<element.end],
                                                 context: "\(name): compressed array at byte \(offset)") {
                arrays.append(array)
            }
        default:
            throw FSCError.io("\(name): data element at byte \(offset) has type \(element.type); the top level of a MAT "
                              + "file holds only miMATRIX (14) and miCOMPRESSED (15) elements")
        }
        offset = element.end
    }
    return arrays
}

/// A data element's tag and where its data lie.
private struct MATElement {
    let offset: Int
    let type: Int
    let count: Int
    let isSmall: Bool
    /// The first byte of the data: after the 4-byte tag of a small element, else the 8-byte one.
    var start: Int { offset + (isSmall ? 4 : 8) }
    var end: Int { start + count }
    /// Bytes from the tag to the next element: 8 for a small element, else tag and padded data.
    var span: Int { isSmall ? 8 : 8 + ((count + 7) & ~7) }
}

/// The parts of a matrix before its data.
private struct MATHeader {
    let name: String
    let arrayClass: MATArray.ArrayClass
    let dimensions: [Int]
    let count: Int
    let isComplex: Bool
    let isLogical: Bool
    /// The real part's tag and storage type, for numeric classes.
    let real: (element: MATElement, type: MATArray.ElementType)?
    /// The most bytes the matrix can need: header, real part and an imaginary part of 8-byte elements.
    let maximumSize: Int

    func array(data: ArraySlice<UInt8>) -> MATArray {
        MATArray(name: name, arrayClass: arrayClass, dimensions: dimensions, isComplex: isComplex,
                 isLogical: isLogical, elementType: real?.type, data: data)
    }
}

/// The element parser: bounds-checked little-endian reads, with messages naming the file.
private struct MATReader {
    static let headerSize = 128
    static let miINT8 = 1, miUINT8 = 2, miINT32 = 5, miUINT32 = 6, miMATRIX = 14, miCOMPRESSED = 15, miUTF8 = 16
    /// How much of a compressed element is inflated to read its array's header.
    static let probeSize = 1 << 16

    let file: String

    private func u16(_ bytes: [UInt8], _ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
    private func u32(_ bytes: [UInt8], _ o: Int) -> Int { u16(bytes, o) | u16(bytes, o + 2) << 16 }

    func checkHeader(_ bytes: [UInt8]) throws {
        guard bytes.count >= Self.headerSize else {
            throw FSCError.io("\(file): not a MAT file: \(bytes.count) bytes, shorter than the 128-byte level-5 header")
        }
        switch (bytes[126], bytes[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): break
        case (UInt8(ascii: "M"), UInt8(ascii: "I")):
            throw FSCError.io("\(file): a big-endian MAT file (endian indicator 'MI'); only little-endian ('IM') files "
                              + "are supported: load and save it again on a little-endian machine")
        default:
            throw FSCError.io("\(file): not a MATLAB level-5 MAT file (no 'IM' endian indicator at byte 126)")
        }
        switch u16(bytes, 124) {
        case 0x0100: break
        case 0x0200:
            throw FSCError.io("\(file): a MATLAB 7.3 (HDF5) MAT file, which is not supported: save it with -v7 or -v6")
        case let version:
            throw FSCError.io("\(file): unsupported MAT-file version 0x\(String(version, radix: 16))")
        }
    }

    /// The tag at `offset` of an element that must end by `end`.
    func tag(_ bytes: [UInt8], at offset: Int, end: Int, context: String) throws -> MATElement {
        guard end - offset >= 8 else {
            throw FSCError.io("\(context): truncated: a data element tag at offset \(offset) needs 8 bytes, \(max(0, end - offset)) remain")
        }
        try need(offset + 8, in: bytes, context: context)
        let word = u32(bytes, offset)
        if word >> 16 != 0 {
            let element = MATElement(offset: offset, type: word & 0xFFFF, count: word >> 16, isSmall: true)
            guard element.count <= 4 else {
                throw FSCError.io("\(context): the small data element at offset \(offset) claims \(element.count) bytes; at most 4 fit")
            }
            return element
        }
        let element = MATElement(offset: offset, type: word, count: u32(bytes, offset + 4), isSmall: false)
        guard element.count <= end - element.start else {
            throw FSCError.io("\(context): truncated: the data element at offset \(offset) claims \(element.count) bytes, "
                              + "only \(end - element.start) remain")
        }
        return element
    }

    /// Checks that `bytes` reaches `end`: always so for a whole file, which `tag` checked; for the
    /// probe of a compressed element, false when the array header is longer than the probe.
    private func need(_ end: Int, in bytes: [UInt8], context: String) throws {
        guard end <= bytes.count else {
            throw FSCError.io("\(context): the array header does not fit in its first \(bytes.count) inflated bytes")
        }
    }

    /// The next sub-element of a matrix ending at `end`, after `element` (padding may be cut at the end).
    private func tag(after element: MATElement, _ bytes: [UInt8], end: Int, context: String) throws -> MATElement {
        try tag(bytes, at: min(element.offset + element.span, end), end: end, context: context)
    }

    /// The flags, dimensions, name and real-part tag of the matrix whose contents are `range`.
    func header(_ bytes: [UInt8], _ range: Range<Int>, context: String) throws -> MATHeader {
        let end = range.upperBound
        let flags = try tag(bytes, at: range.lowerBound, end: end, context: context)
        guard flags.type == Self.miUINT32, flags.count == 8 else {
            throw FSCError.io("\(context): array flags must be 8 bytes of miUINT32, found type \(flags.type) of \(flags.count) bytes")
        }
        try need(flags.end, in: bytes, context: context)
        let word = u32(bytes, flags.start)
        guard let arrayClass = MATArray.ArrayClass(rawValue: word & 0xFF) else {
            throw FSCError.io("\(context): unknown array class \(word & 0xFF)")
        }
        let dims = try tag(after: flags, bytes, end: end, context: context)
        guard dims.type == Self.miINT32, dims.count >= 4, dims.count % 4 == 0 else {
            throw FSCError.io("\(context): dimensions must be miINT32 values, found type \(dims.type) of \(dims.count) bytes")
        }
        try need(dims.end, in: bytes, context: context)
        var dimensions: [Int] = []
        var count = 1
        for i in 0..<(dims.count / 4) {
            let value = Int(Int32(truncatingIfNeeded: u32(bytes, dims.start + 4 * i)))
            dimensions.append(value)
            guard value >= 0 else { throw FSCError.io("\(context): negative dimension in \(dimensions)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: value)
            guard !overflow else { throw FSCError.io("\(context): the dimensions \(dimensions)… overflow an element count") }
            count = product
        }
        let nameTag = try tag(after: dims, bytes, end: end, context: context)
        guard [Self.miINT8, Self.miUINT8, Self.miUTF8].contains(nameTag.type) else {
            throw FSCError.io("\(context): the array name must be miINT8 text, found type \(nameTag.type)")
        }
        try need(nameTag.end, in: bytes, context: context)
        let name = String(decoding: bytes[nameTag.start..<nameTag.end].prefix { $0 != 0 }, as: UTF8.self)
        let named = "\(context) (\"\(name)\")"
        var real: (element: MATElement, type: MATArray.ElementType)?
        var maximumSize = range.count
        if arrayClass.isNumeric {
            let part = try tag(after: nameTag, bytes, end: end, context: named)
            guard let type = MATArray.ElementType(rawValue: part.type) else {
                throw FSCError.io("\(named): the \(arrayClass) data have type \(part.type), which is not a numeric MAT type")
            }
            guard part.count % type.size == 0, part.count / type.size == count else {
                throw FSCError.io("\(named): dimensions \(dimensions) need \(count) elements, but its data element holds "
                                  + "\(part.count) bytes of \(type) (\(part.count / type.size) elements)")
            }
            real = (part, type)
            let imaginary = word & 0x800 != 0 ? 8 + ((8 * count + 7) & ~7) : 0
            maximumSize = part.offset + part.span + imaginary - range.lowerBound
        }
        return MATHeader(name: name, arrayClass: arrayClass, dimensions: dimensions, count: count,
                         isComplex: word & 0x800 != 0, isLogical: word & 0x200 != 0, real: real, maximumSize: maximumSize)
    }

    /// The matrix whose contents are `range` of `bytes`, which holds all of them.
    func matrix(_ bytes: [UInt8], _ range: Range<Int>, context: String) throws -> MATArray {
        let header = try header(bytes, range, context: context)
        guard let real = header.real?.element else { return header.array(data: []) }
        return header.array(data: bytes[real.start..<real.end])
    }

    /// The matrix in the zlib stream of an `miCOMPRESSED` element; nil for an empty one.
    func compressed(_ stream: ArraySlice<UInt8>, context: String) throws -> MATArray? {
        let probe = try inflateZlib(stream, limit: Self.probeSize, name: context)
        guard probe.bytes.count >= 8 else {
            throw FSCError.io("\(context): truncated: the stream inflates to \(probe.bytes.count) bytes, less than a data element tag")
        }
        let type = u32(probe.bytes, 0), count = u32(probe.bytes, 4)
        guard type == Self.miMATRIX else {
            throw FSCError.io("\(context): the stream holds a data element of type \(type), not miMATRIX (14)")
        }
        let total = 8 + count
        guard total <= deflateMaximumRatio * stream.count else {
            throw FSCError.io("\(context): claims \(count) bytes inflated from \(stream.count) compressed ones, "
                              + "more than deflate's \(deflateMaximumRatio):1 maximum")
        }
        guard !probe.ended || probe.bytes.count >= total else {
            throw FSCError.io("\(context): truncated: the stream inflates to \(probe.bytes.count) bytes, its array claims \(total)")
        }
        guard count > 0 else { return nil }
        let header = try header(probe.bytes, 8..<total, context: context)
        guard header.real != nil else { return header.array(data: []) }
        guard count <= header.maximumSize else {
            throw FSCError.io("\(context) (\"\(header.name)\"): claims \(count) bytes, but a \(header.dimensions) "
                              + "\(header.arrayClass) array needs at most \(header.maximumSize)")
        }
        let full = probe.bytes.count >= total ? probe : try inflateZlib(stream, limit: total, name: context)
        guard full.bytes.count >= total else {
            throw FSCError.io("\(context) (\"\(header.name)\"): truncated: the stream inflates to \(full.bytes.count) "
                              + "of the \(total) bytes its array claims")
        }
        return try matrix(full.bytes, 8..<total, context: context)
    }
}
