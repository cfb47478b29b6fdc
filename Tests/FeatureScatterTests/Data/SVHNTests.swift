// SVHNTests.swift — SVHN from hand-built MAT files: pixel order, labels, splits and refusals.

import Foundation
import XCTest
@testable import FeatureScatter

final class SVHNTests: XCTestCase {
    private typealias B = MATBuilder
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "svhn-tests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: folder)
    }

    /// The byte of pixel (h, w, c) of image n in the files these tests write.
    private func pixel(_ h: Int, _ w: Int, _ c: Int, _ n: Int) -> UInt8 { UInt8((h + 2 * w + 3 * c + 5 * n) % 256) }

    /// `X` of `count` images in MATLAB's column-major order: (h, w, c, n) at h + 32·(w + 32·(c + 3·n)).
    private func columnMajorX(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 3072 * count)
        for n in 0..<count {
            for c in 0..<3 {
                for w in 0..<32 {
                    for h in 0..<32 { bytes[h + 32 * (w + 32 * (c + 3 * n))] = pixel(h, w, c, n) }
                }
            }
        }
        return bytes
    }

    private func write(_ name: String, _ elements: [UInt8]...) throws {
        let bytes = B.header() + elements.joined()
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes)))
    }

    private func writeSplit(_ name: String, labels: [Double], compressed: Bool = false) throws {
        let x = B.bytes("X", dims: [32, 32, 3, labels.count], columnMajorX(labels.count))
        let y = B.doubles("y", dims: [labels.count, 1], labels)
        try compressed ? write(name, B.compressed(x), B.compressed(y)) : write(name, x, y)
    }

    func testImagesAreTransposedToNCHWAndLabelTenIsZero() throws {
        try writeSplit("train_32x32.mat", labels: [10, 3, 1])
        let data = try Dataset.svhn(directory: folder, split: .train)
        XCTAssertEqual(data.images.shape, [3, 3, 32, 32])
        XCTAssertEqual(data.labels, [0, 3, 1])
        XCTAssertEqual(data.classes, 10)
        for (n, c, h, w) in [(0, 0, 0, 1), (1, 2, 5, 30), (2, 1, 31, 0), (2, 2, 31, 31)] {
            XCTAssertEqual(data.images.scalars[((n * 3 + c) * 32 + h) * 32 + w], Float(pixel(h, w, c, n)) / 255,
                           accuracy: 1e-7, "pixel (n \(n), c \(c), h \(h), w \(w))")
        }
    }

    func testNamedSplitsReadTheirFilesAndExtraJoinsTrain() throws {
        try writeSplit("train_32x32.mat", labels: [1, 2])
        try writeSplit("test_32x32.mat", labels: [4], compressed: true)
        try writeSplit("extra_32x32.mat", labels: [5, 6, 7], compressed: true)
        XCTAssertEqual(try Dataset.named("svhn", directory: folder, split: .train).labels, [1, 2])
        XCTAssertEqual(try Dataset.named("svhn", directory: folder, split: .test).labels, [4])
        let joined = try Dataset.named("svhn-extra", directory: folder, split: .train)
        XCTAssertEqual(joined.labels, [1, 2, 5, 6, 7])
        XCTAssertEqual(joined.images.scalars[2 * 3072 + 1], Float(pixel(0, 1, 0, 0)) / 255, accuracy: 1e-7)
        XCTAssertEqual(try Dataset.named("svhn-extra", directory: folder, split: .test).labels, [4])
    }

    func testMissingFileOrDirectoryIsNamed() {
        assertThrowsFSCError(try Dataset.svhn(directory: folder, split: .test)) {
            $0.isIO && $0.description.contains("test_32x32.mat")
        }
        assertThrowsFSCError(try Dataset.named("svhn", directory: nil, split: .train)) { $0.isInvalidArgument }
        assertThrowsFSCError(try Dataset.named("svhm", directory: folder, split: .train)) {
            $0.description.contains("svhn-extra")
        }
    }

    func testWrongClassShapeCountOrLabelIsRefused() throws {
        let cases: [([UInt8], String)] = [
            (B.doubles("X", dims: [32, 32, 3, 1], [Double](repeating: 0, count: 3072)) + B.doubles("y", dims: [1, 1], [1]),
             "X must be a real uint8 array"),
            (B.bytes("X", dims: [32, 32, 1, 3], columnMajorX(1)) + B.doubles("y", dims: [3, 1], [1, 1, 1]), "32×32×3×N"),
            (B.bytes("X", dims: [32, 32, 3, 2], columnMajorX(2)) + B.doubles("y", dims: [3, 1], [1, 1, 1]), "one label per image"),
            (B.bytes("X", dims: [32, 32, 3, 1], columnMajorX(1)) + B.doubles("y", dims: [1, 1], [11]), "label 0 is 11"),
            (B.bytes("X", dims: [32, 32, 3, 1], columnMajorX(1)) + B.doubles("y", dims: [1, 1], [2.5]), "label 0 is 2.5"),
            (B.bytes("X", dims: [32, 32, 3, 1], columnMajorX(1)), "no array y"),
            (B.doubles("y", dims: [1, 1], [1]), "no array X (found: y)"),
        ]
        for (elements, phrase) in cases {
            try write("test_32x32.mat", elements)
            assertThrowsFSCError(try Dataset.svhn(directory: folder, split: .test)) {
                $0.isIO && $0.description.contains("test_32x32.mat") && $0.description.contains(phrase)
            }
        }
    }
}
