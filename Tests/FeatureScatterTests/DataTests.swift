// DataTests.swift — IDX and CIFAR readers, batching and augmentation, and their errors.

import FeatureScatter
import FeatureScatterTestSupport
import Foundation
import XCTest

final class DataTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "fsc-data-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func idx(_ shape: [Int], _ data: [UInt8]) -> Data {
        var bytes: [UInt8] = [0, 0, 8, UInt8(shape.count)]
        for d in shape { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return Data(bytes + data)
    }

    private func writeMNISTStyle(count: Int, labels: [UInt8]? = nil) {
        let pixels = (0..<(count * 4 * 4)).map { UInt8($0 % 256) }
        XCTAssert(FileManager.default.createFile(atPath: folder + "/t10k-images-idx3-ubyte", contents: idx([count, 4, 4], pixels)))
        XCTAssert(FileManager.default.createFile(atPath: folder + "/t10k-labels-idx1-ubyte",
                                                 contents: idx([labels?.count ?? count], labels ?? (0..<count).map { UInt8($0 % 10) })))
    }

    func testMNISTStyleReaderScalesPixelsToUnitRange() throws {
        writeMNISTStyle(count: 3)
        let data = try Dataset.mnistStyle(directory: folder, split: .test)
        XCTAssertEqual(data.images.shape, [3, 1, 4, 4])
        XCTAssertEqual(data.labels, [0, 1, 2])
        XCTAssertEqual(data.images.scalars[255 % 48], Float(255 % 48) / 255, accuracy: 1e-7)
    }

    func testMissingDatasetNamesTheFile() {
        XCTAssertThrowsError(try Dataset.mnistStyle(directory: folder, split: .test)) { error in
            XCTAssert("\(error)".contains("t10k-images-idx3-ubyte"), "\(error)")
        }
    }

    func testLabelCountMismatchIsAnError() {
        writeMNISTStyle(count: 3, labels: [1, 2])
        XCTAssertThrowsError(try Dataset.mnistStyle(directory: folder, split: .test)) { error in
            guard case FSCError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedIDXIsAnIOError() {
        XCTAssertThrowsError(try parseIDX([0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2], name: "x")) { error in
            guard case FSCError.io(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("36 bytes"), message)
        }
    }

    func testCorruptGzipIsAnIOError() {
        var bytes: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        bytes += [UInt8](repeating: 0xAB, count: 100)
        XCTAssert(FileManager.default.createFile(atPath: folder + "/bad.gz", contents: Data(bytes)))
        XCTAssertThrowsError(try readFileBytes(folder + "/bad.gz")) { error in
            guard case FSCError.io(let message) = error else { return XCTFail("\(error)") }
            XCTAssert(message.contains("bad.gz"), message)
        }
    }

    func testCIFAR10ReaderTakesLabelThenPlanes() throws {
        var record = [UInt8](repeating: 0, count: 3073 * 2)
        record[0] = 7
        record[1] = 255
        record[3073] = 2
        XCTAssert(FileManager.default.createFile(atPath: folder + "/test_batch.bin", contents: Data(record)))
        let data = try Dataset.cifar(directory: folder, split: .test)
        XCTAssertEqual(data.labels, [7, 2])
        XCTAssertEqual(data.images.shape, [2, 3, 32, 32])
        XCTAssertEqual(data.images.scalars[0], 1)
    }

    func testCIFARWithPartialRecordIsAnError() {
        XCTAssert(FileManager.default.createFile(atPath: folder + "/test_batch.bin", contents: Data(count: 3000)))
        XCTAssertThrowsError(try Dataset.cifar(directory: folder, split: .test))
    }

    func testEpochOrderIsFixedBySeedAndEpochAlone() {
        let order = BatchLoader.shuffledOrder(count: 50, seed: 5, epoch: 2)
        XCTAssertEqual(order, BatchLoader.shuffledOrder(count: 50, seed: 5, epoch: 2))
        XCTAssertNotEqual(order, BatchLoader.shuffledOrder(count: 50, seed: 5, epoch: 3))
        XCTAssertNotEqual(order, BatchLoader.shuffledOrder(count: 50, seed: 6, epoch: 2))
        XCTAssertEqual(order.sorted(), Array(0..<50))
    }

    func testRanksSlicesOfEachGlobalBatchMakeUpTheOneProcessBatch() throws {
        writeMNISTStyle(count: 10)
        let data = try Dataset.mnistStyle(directory: folder, split: .test)
        let order = BatchLoader.shuffledOrder(count: 10, seed: 1, epoch: 0)
        let whole = BatchLoader(data, batchSize: 4, order: order).map(\.indices)
        XCTAssertEqual(whole.map(\.count), [4, 4, 2])
        let ranks = (0..<3).map { BatchLoader(data, batchSize: 4, order: order, communicator: RankLayout(rank: $0, size: 3)) }
        let sliced = ranks.map { $0.map(\.indices) }
        for b in whole.indices {
            XCTAssertEqual(sliced.flatMap { $0[b] }, whole[b])
        }
        XCTAssertEqual(sliced.map { $0[0].count }, [1, 1, 2])
        XCTAssertEqual(Array(ranks[2].map(\.shard.offset)), [2, 2, 1])
    }

    func testFlipReversesEachRow() {
        let batch = Tensor(shape: [1, 1, 1, 3], scalars: [1, 2, 3])
        var flips = 0
        for seed in 0..<16 {
            var copy = batch
            var g = SeededGenerator(seed: UInt64(seed))
            Augmentation(horizontalFlip: true).apply(to: &copy, using: &g)
            if copy.scalars == [3, 2, 1] { flips += 1 } else { XCTAssertEqual(copy, batch) }
        }
        XCTAssert(flips > 0 && flips < 16)
    }

    func testDatasetRejectsLabelsOutOfRangeAndNaN() {
        XCTAssertThrowsError(try Dataset(images: .zeros([1, 1, 2, 2]), labels: [10], classes: 10))
        XCTAssertThrowsError(try Dataset(images: Tensor(repeating: .nan, shape: [1, 1, 2, 2]), labels: [1], classes: 10))
        XCTAssertThrowsError(try Dataset(images: .zeros([2, 4]), labels: [1, 1], classes: 10)) { error in
            guard case FSCError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testChannelsLastArraysBecomeNCHW() throws {
        let images = NPYArray(shape: [1, 2, 2, 3], payload: .uint8([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))
        let data = try Dataset.fromArrays(images: images, labels: NPYArray(shape: [1], payload: .int64([4])))
        XCTAssertEqual(data.images.shape, [1, 3, 2, 2])
        XCTAssertEqual(data.images.scalars.map { ($0 * 255).rounded() }, [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11])
        XCTAssertEqual(data.classes, 5)
    }

    func testFloatImagesOutsideUnitRangeAreRejected() {
        let images = NPYArray(shape: [1, 1, 2, 2], payload: .float32([0, 0.5, 1, 255]))
        XCTAssertThrowsError(try Dataset.fromArrays(images: images, labels: NPYArray(shape: [1], payload: .int32([0])))) {
            XCTAssert("\($0)".contains("255"), "\($0)")
        }
    }
}

/// A communicator that only states a rank and a size (for the batch layout; no collectives).
final class RankLayout: Communicator {
    let rank: Int
    let size: Int
    init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws { throw FSCError.internalError("layout only") }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws { throw FSCError.internalError("layout only") }
    func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> any CollectiveRequest {
        throw FSCError.internalError("layout only")
    }
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] { throw FSCError.internalError("layout only") }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws { throw FSCError.internalError("layout only") }
    func barrier() throws { throw FSCError.internalError("layout only") }
}
