// WinogradGEMMTests.swift — the packed-filter Winograd products against products summed in double precision.

@testable import FeatureScatter
import FeatureScatterTestSupport
import XCTest

final class WinogradGEMMTests: XCTestCase {
    /// Rows below, at and past whole panels (6 or 12 rows), depths of 1 to 70, one to three
    /// blocks of 16 columns.
    private let shapes: [(rows: Int, depth: Int, tiles: Int)] = [
        (1, 1, 1), (5, 3, 16), (6, 7, 17), (7, 1, 9), (12, 64, 32), (13, 70, 40), (25, 9, 48), (64, 33, 36),
    ]

    func testProductsOfEveryPositionMatchDoublePrecisionSums() {
        for (index, shape) in shapes.enumerated() {
            let positions = 3
            let rowLength = WinogradGEMM.rowLength(tiles: shape.tiles)
            XCTAssertEqual(rowLength % WinogradGEMM.blockColumns, 0)
            XCTAssertGreaterThanOrEqual(rowLength, shape.tiles)
            let filters = randomTensor([positions, shape.rows, shape.depth], seed: UInt64(10 * index + 1)).scalars
            let tiles = randomTensor([positions, shape.depth, rowLength], seed: UInt64(10 * index + 2)).scalars
            let packed = pack(filters, positions: positions, rows: shape.rows, depth: shape.depth)
            let perPosition = WinogradGEMM.positionStride(rows: shape.rows, depth: shape.depth)
            XCTAssertEqual(packed.count, positions * perPosition)
            let sentinel: Float = 12345
            var product = [Float](repeating: sentinel, count: positions * (shape.rows + 1) * rowLength)
            packed.withUnsafeBufferPointer { u in
                tiles.withUnsafeBufferPointer { v in
                    product.withUnsafeMutableBufferPointer { m in
                        for xi in 0..<positions {
                            WinogradGEMM.multiply(packed: u.baseAddress! + xi * perPosition, rows: shape.rows,
                                                  depth: shape.depth, v.baseAddress! + xi * shape.depth * rowLength,
                                                  rowLength: rowLength,
                                                  into: m.baseAddress! + xi * (shape.rows + 1) * rowLength)
                        }
                    }
                }
            }
            for xi in 0..<positions {
                let base = xi * (shape.rows + 1) * rowLength
                for row in 0..<shape.rows {
                    for column in 0..<rowLength {
                        var sum = 0.0
                        for c in 0..<shape.depth {
                            sum += Double(filters[(xi * shape.rows + row) * shape.depth + c])
                                * Double(tiles[(xi * shape.depth + c) * rowLength + column])
                        }
                        let actual = product[base + row * rowLength + column]
                        XCTAssertEqual(Double(actual), sum, accuracy: 1e-5 * Double(shape.depth),
                                       "shape \(shape), position \(xi), row \(row), column \(column)")
                    }
                }
                // The row past the product is never written, also when the last panel is partial.
                let past = product[(base + shape.rows * rowLength)..<(base + (shape.rows + 1) * rowLength)]
                XCTAssertTrue(past.allSatisfy { $0 == sentinel }, "shape \(shape): wrote past the last row")
            }
        }
    }

    func testPackedFiltersHoldEachPanelColumnByColumnAndZeroRowsPastTheLast() {
        let (rows, depth) = (WinogradGEMM.panelRows + 1, 2)
        let filters = (0..<(rows * depth)).map { Float($0 + 1) }
        let packed = pack(filters, positions: 1, rows: rows, depth: depth)
        let panel = WinogradGEMM.panelRows
        XCTAssertEqual(packed.count, WinogradGEMM.positionStride(rows: rows, depth: depth))
        XCTAssertGreaterThanOrEqual(packed.count, 2 * panel * depth)
        for row in 0..<rows {
            for c in 0..<depth {
                let offset = row / panel * panel * depth + c * panel + row % panel
                XCTAssertEqual(packed[offset], filters[row * depth + c], "row \(row), column \(c)")
            }
        }
        let padding = packed[(panel * depth)..<(2 * panel * depth)].enumerated().filter { $0.offset % panel != 0 }
        XCTAssertEqual(padding.map(\.element), [Float](repeating: 0, count: 2 * (panel - 1)))
        XCTAssertTrue(packed[(2 * panel * depth)...].allSatisfy { $0 == 0 }, "the spacing past the panels is zero")
    }

    /// `positions` row-major matrices `[rows, depth]` packed as the filter transforms pack theirs.
    private func pack(_ filters: [Float], positions: Int, rows: Int, depth: Int) -> [Float] {
        let perPosition = WinogradGEMM.positionStride(rows: rows, depth: depth)
        var packed = [Float](repeating: 0, count: positions * perPosition)
        for xi in 0..<positions {
            WinogradGEMM.forEachPackedEntry(rows: rows, depth: depth,
                                            panels: 0..<WinogradGEMM.panelCount(rows: rows)) { row, column, at in
                packed[xi * perPosition + at] = filters[(xi * rows + row) * depth + column]
            }
        }
        return packed
    }
}
