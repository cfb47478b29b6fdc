// MATFileTests.swift — the MAT-file reader on hand-built bytes: tags, padding, compression, lies.

import XCTest
@testable import FeatureScatter

final class MATFileTests: XCTestCase {
    private typealias B = MATBuilder

    private func read(_ elements: [UInt8]...) throws -> [MATArray] {
        try readMAT(bytes: B.header() + elements.joined(), name: "t.mat")
    }

    private func expectIO(_ bytes: [UInt8], _ phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        assertThrowsFSCError(try readMAT(bytes: bytes, name: "t.mat"), file: file, line: line) {
            $0.isIO && $0.description.contains("t.mat") && $0.description.contains(phrase)
        }
    }

    func testReadsSmallElementsAndSkipsPadding() throws {
        let int16 = B.matrix(name: "s", arrayClass: 10, dims: [1, 2], type: B.miINT16, data: [0xFE, 0xFF, 7, 0])
        let arrays = try read(B.bytes("X", dims: [2, 3], [1, 2, 3, 4, 5, 6]), int16, B.doubles("y", dims: [1, 1], [10]))
        XCTAssertEqual(arrays.map(\.name), ["X", "s", "y"])
        XCTAssertEqual(arrays[0].dimensions, [2, 3])
        XCTAssertEqual(arrays[0].elementType, .uint8)
        XCTAssertEqual(Array(arrays[0].data), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(arrays[1].arrayClass, .int16)
        XCTAssertEqual(arrays[1].doubles(), [-2, 7])
        XCTAssertEqual(arrays[2].doubles(), [10])
    }

    func testReadsNamesAndDataWrittenWithoutSmallElements() throws {
        let contents = B.element(B.miUINT32, B.u32(9) + B.u32(0)) + B.element(B.miINT32, B.u32(1) + B.u32(3))
            + B.element(B.miINT8, Array("X".utf8), small: false) + B.element(B.miUINT8, [4, 5, 6], small: false)
        let array = try read(B.element(B.miMATRIX, contents, small: false))[0]
        XCTAssertEqual(array.name, "X")
        XCTAssertEqual(array.dimensions, [1, 3])
        XCTAssertEqual(Array(array.data), [4, 5, 6])
    }

    func testConvertsEveryNumericStorageType() throws {
        let single = B.matrix(name: "f", arrayClass: 7, dims: [1, 1], type: 7, data: B.u32(Int(Float(2.5).bitPattern)))
        let int32 = B.matrix(name: "i", arrayClass: 12, dims: [2, 1], type: B.miINT32, data: B.u32(-3) + B.u32(9))
        let doubleAsBytes = B.matrix(name: "d", arrayClass: 6, dims: [3, 1], type: B.miUINT8, data: [10, 1, 255])
        let arrays = try read(single, int32, doubleAsBytes)
        XCTAssertEqual(arrays.map { $0.doubles() }, [[2.5], [-3, 9], [10, 1, 255]])
        XCTAssertEqual(arrays[2].arrayClass, .double)
        XCTAssertEqual(arrays[2].elementType, .uint8)
    }

    func testCompressedElementReadsLikeTheUncompressedOne() throws {
        let x = B.bytes("X", dims: [4, 20_000], (0..<80_000).map { UInt8($0 % 251) })
        let plain = try read(x)[0]
        let packed = try read(B.compressed(x), B.compressed(B.doubles("y", dims: [1, 1], [3])))
        XCTAssertEqual(packed.map(\.name), ["X", "y"])
        XCTAssertEqual(packed[0].dimensions, plain.dimensions)
        XCTAssertEqual(packed[0].data, plain.data)
        XCTAssertEqual(packed[1].doubles(), [3])
    }

    func testNonNumericArraysAreListedNotDecoded() throws {
        let text = B.matrix(name: "note", arrayClass: 4, dims: [1, 2], type: 17, data: [0x68, 0, 0x69, 0])
        let arrays = try read(text, B.compressed(text), B.bytes("X", dims: [1, 1], [5]))
        XCTAssertEqual(arrays.map(\.name), ["note", "note", "X"])
        XCTAssertEqual(arrays[0].arrayClass, .char)
        XCTAssertNil(arrays[1].elementType)
        XCTAssertEqual(arrays[1].doubles(), [])
        XCTAssertEqual(Array(arrays[2].data), [5])
    }

    func testRefusesBigEndianHDF5AndNonMATFiles() {
        expectIO(B.header(endian: "MI"), "big-endian")
        expectIO(B.header(version: 0x0200), "7.3 (HDF5)")
        expectIO(Array(repeating: 0, count: 200), "not a MATLAB level-5")
        expectIO([1, 2, 3], "shorter than the 128-byte")
    }

    func testTruncatedFileIsAnError() {
        let whole = B.header() + B.bytes("X", dims: [8, 8], [UInt8](repeating: 7, count: 64))
        expectIO(Array(whole.prefix(whole.count - 20)), "truncated")
        expectIO(Array(whole.prefix(132)), "truncated")
    }

    func testDimensionsClaimingMoreThanTheDataAreRefused() {
        expectIO(B.header() + B.bytes("X", dims: [32, 32, 3, 1 << 30], [1, 2, 3]), "need 3298534883328 elements")
        expectIO(B.header() + B.bytes("X", dims: [Int(Int32.max), Int(Int32.max), Int(Int32.max)], [1]), "overflow")
        expectIO(B.header() + B.bytes("X", dims: [-1, 2], [1]), "negative dimension")
    }

    func testDataElementClaimingMoreBytesThanPresentIsRefused() {
        var lying = B.header() + B.bytes("X", dims: [4, 4], [UInt8](repeating: 1, count: 16))
        lying.replaceSubrange(132..<136, with: B.u32(1 << 31))
        expectIO(lying, "claims 2147483648 bytes")
        let dims = [32, 32, 3, 1 << 20]
        let consistent = B.element(B.miUINT32, B.u32(9) + B.u32(0)) + B.element(B.miINT32, dims.flatMap(B.u32))
            + B.element(B.miINT8, [0x58]) + B.u32(B.miUINT8) + B.u32(3072 << 20) + [1, 2, 3, 0, 0, 0, 0, 0]
        expectIO(B.header() + B.element(B.miMATRIX, consistent, small: false), "claims 3221225472 bytes")
    }

    func testCompressedElementClaimingAnAbsurdSizeIsRefused() {
        var bomb = B.compressed(B.u32(B.miMATRIX) + B.u32(1 << 31) + [UInt8](repeating: 0, count: 8))
        expectIO(B.header() + bomb, "1032:1")
        let contents = B.matrixContents(name: "X", arrayClass: 9, dims: [2, 2], type: B.miUINT8, data: [1, 2, 3, 4])
        bomb = B.compressed(B.u32(B.miMATRIX) + B.u32(contents.count + 4096) + contents + [UInt8](repeating: 0, count: 4096))
        expectIO(B.header() + bomb, "needs at most")
    }

    func testTruncatedOrCorruptCompressedStreamIsAnError() {
        let x = B.compressed(B.bytes("X", dims: [100, 100], [UInt8](repeating: 9, count: 10_000)))
        var cut = Array(x.prefix(x.count / 2))
        cut.replaceSubrange(4..<8, with: B.u32(cut.count - 8))
        expectIO(B.header() + cut, "truncated")
        var corrupt = x
        corrupt[8] = 0xFF
        expectIO(B.header() + corrupt, "corrupt compressed data")
    }

    func testUnexpectedTopLevelElementIsAnError() {
        expectIO(B.header() + B.element(B.miDOUBLE, [UInt8](repeating: 0, count: 8)), "type 9")
        expectIO(B.header() + B.element(B.miINT8, [1]), "small element")
    }
}
