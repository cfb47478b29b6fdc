// BatchRandomnessTests.swift — per-example draws do not depend on the batch they are drawn in.

import FeatureScatter
import XCTest

final class BatchRandomnessTests: XCTestCase {
    private let keys = (0..<6).map { ExampleRandomness.key(seed: 3, epoch: 1, example: $0) }

    func testAnExamplesRowIsTheSameInAnyBatch() {
        var whole = ExampleRandomness(keys: keys, purpose: 2)
        var firstHalf = ExampleRandomness(keys: Array(keys[0..<3]), purpose: 2)
        var secondHalf = ExampleRandomness(keys: Array(keys[3...]), purpose: 2)
        let all = whole.uniform([6, 5], low: -1, high: 1)
        XCTAssertEqual(all.slice(0..<3), firstHalf.uniform([3, 5], low: -1, high: 1))
        XCTAssertEqual(all.slice(3..<6), secondHalf.uniform([3, 5], low: -1, high: 1))
        XCTAssertEqual(whole.words(perRow: 6).suffix(3), secondHalf.words(perRow: 3)[...])
    }

    func testDrawsPurposesEpochsAndExamplesAreIndependent() {
        var a = ExampleRandomness(keys: keys, purpose: 1)
        var b = ExampleRandomness(keys: keys, purpose: 2)
        let first = a.uniform([6, 4], low: 0, high: 1)
        XCTAssertNotEqual(first, a.uniform([6, 4], low: 0, high: 1), "a second draw repeats the first")
        XCTAssertNotEqual(first, b.uniform([6, 4], low: 0, high: 1), "two purposes share a stream")
        XCTAssertNotEqual(ExampleRandomness.key(seed: 3, epoch: 1, example: 0), ExampleRandomness.key(seed: 3, epoch: 2, example: 0))
        XCTAssertEqual(Set(keys).count, keys.count)
        let values = first.scalars
        XCTAssert(values.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(values.reduce(0, +)) / Double(values.count), 0.5, accuracy: 0.2)
    }

    func testTheGlobalBatchSplitsLikeTheWorkers() {
        let shard = BatchShard.split(10, over: SingleProcess())
        XCTAssertEqual(shard.counts, [10])
        XCTAssertEqual(shard.localRows, 0..<10)
        XCTAssertEqual(shard.weight, 1)
    }
}
