// NPYTests.swift — .npy round trips, header versions and rejected files.

import Foundation
import XCTest
@testable import FeatureScatter

final class NPYTests: XCTestCase {
    private func header(_ text: String, version: UInt8) -> [UInt8] {
        var padded = text
        let prefix = version == 1 ? 10 : 12
        while (prefix + padded.utf8.count + 1) % 64 != 0 { padded += " " }
        padded += "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        let length = padded.utf8.count
        if version == 1 {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0]
        }
        return bytes + Array(padded.utf8)
    }

    func testWriteThenReadRoundTripsFloatsAndShape() throws {
        let path = NSTemporaryDirectory() + "npy-roundtrip-\(getpid()).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = [1, -2.5, 3e-8, .pi, 0, 7]
        try writeNPY(values, shape: [2, 3], to: path)
        let array = try readNPY(path: path)
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertEqual(array.payload, .float32(values))
        XCTAssertEqual(try encodeNPY(values, shape: [6]).count % 64, (10 + 6 * 4 + 54) % 64)
    }

    func testReadsVersion2And3HeadersAndOtherDtypes() throws {
        var float64 = header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", version: 2)
        for value in [1.5, -2.0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { float64 += $0 } }
        let doubles = try readNPY(bytes: float64)
        XCTAssertEqual(doubles.floats(), [1.5, -2])
        var int64 = header("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", version: 3)
        for value: Int64 in [5, -6] { withUnsafeBytes(of: value.littleEndian) { int64 += $0 } }
        XCTAssertEqual(try readNPY(bytes: int64).payload, .int64([5, -6]))
        let bytes = header("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", version: 1) + [0, 128, 255]
        XCTAssertEqual(try readNPY(bytes: bytes).floats(), [0, 128, 255])
        var int32 = header("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", version: 1)
        withUnsafeBytes(of: Int32(-9).littleEndian) { int32 += $0 }
        let scalar = try readNPY(bytes: int32)
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.floats(), [-9])
    }

    func testRejectsFortranOrderBigEndianTruncatedAndGarbage() {
        let fortran = header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", version: 1) + [0, 0, 0, 0]
        assertThrowsFSCError(try readNPY(bytes: fortran, name: "f.npy")) { error in
            error.isIO && error.description.contains("f.npy") && error.description.contains("Fortran")
        }
        let bigEndian = header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", version: 1) + [0, 0, 0, 0]
        assertThrowsFSCError(try readNPY(bytes: bigEndian)) { $0.isIO && $0.description.contains("big-endian") }
        let truncated = header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", version: 1) + [0, 0, 0]
        assertThrowsFSCError(try readNPY(bytes: truncated)) { $0.isIO && $0.description.contains("truncated") }
        assertThrowsFSCError(try readNPY(bytes: [1, 2, 3])) { $0.isIO }
        assertThrowsFSCError(try readNPY(path: "/nonexistent/x.npy")) { $0.isIO && $0.description.contains("/nonexistent/x.npy") }
    }

    func testWriteRejectsShapeThatDoesNotHoldTheValues() {
        assertThrowsFSCError(try writeNPY([1, 2, 3], shape: [2, 2], to: NSTemporaryDirectory() + "never.npy")) {
            $0.isShapeMismatch
        }
    }
}
