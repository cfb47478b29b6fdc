// GraphWorkTests.swift — the work limit of graph runs: what each operator is charged, what the importer
// does when its own runs would exceed it, and the window and pad bounds that keep the arithmetic exact.

@testable import FeatureScatter
import XCTest

final class GraphWorkTests: XCTestCase {
    private func model(inputs: [ONNXValueInfo], initializers: [ONNXTensor] = [], nodes: [ONNXNode]) -> ONNXModel {
        ONNXModel(irVersion: 8, opset: 13, producer: "test", metadata: [], inputs: inputs,
                  outputs: [ONNXValueInfo(name: "y", elementType: 1, shape: nil, dimensionNames: [])],
                  initializers: initializers, nodes: nodes)
    }

    private func input(_ shape: [Int?]) -> ONNXValueInfo {
        ONNXValueInfo(name: "x", elementType: 1, shape: shape, dimensionNames: shape.map { _ in "" })
    }

    private func node(_ op: String, _ inputs: [String], _ attributes: [String: ONNXAttribute] = [:],
                      output: String = "y") -> ONNXNode {
        ONNXNode(opType: op, name: "\(op) \(output)", domain: "", inputs: inputs, outputs: [output], attributes: attributes)
    }

    private func floats(_ name: String, _ shape: [Int], _ values: [Float]? = nil) -> ONNXTensor {
        let count = shape.reduce(1, *)
        return ONNXTensor(name: name, dataType: .float, shape: shape,
                          floats: values ?? (0..<count).map { Float($0 % 7) - 3 }, integers: [])
    }

    private func options(work: Int) -> ONNXImportOptions {
        var options = ONNXImportOptions()
        options.maxImportWork = work
        return options
    }

    /// The fuzzer's timeout: a 34×2 MaxPool over [88, 9, 114, 46], 196,305,120 comparisons.
    func testAMaxPoolBeyondTheImportWorkIsNotValidatedAndALimitedRunRefusesIt() throws {
        let pool = model(inputs: [input([88, 9, 114, 46])],
                         nodes: [node("MaxPool", ["x"], ["kernel_shape": .ints([34, 2])])])
        let graph = try importONNX(pool, options: options(work: 1 << 24))
        let x = Variable(constant: Tensor.zeros([88, 9, 114, 46]))
        XCTAssertThrowsError(try graph.run([x], workLimit: 1 << 24)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("(MaxPool) needs 196305120 operations"), message)
            XCTAssertTrue(message.contains("limit of 16777216"), message)
        }
        // The padded copy (88·9·114·46 = 4,153,248) is charged first: one less is refused.
        XCTAssertThrowsError(try graph.run([x], workLimit: 4_153_247))
        XCTAssertEqual(try graph.run([x], workLimit: 4_153_248 + 196_305_120)[0].shape, [88, 9, 81, 45])
    }

    func testConvIsChargedItsMultiplyAdds() throws {
        // [2, 4, 10, 10] ⊛ [6, 2, 3, 3], group 2, pads 1: 2·6·10·10 outputs of 2·3·3 multiply-adds,
        // after a padded copy of 2·4·12·12 values.
        let conv = model(inputs: [input([2, 4, 10, 10])], initializers: [floats("w", [6, 2, 3, 3])],
                         nodes: [node("Conv", ["x", "w"], ["group": .int(2), "pads": .ints([1, 1, 1, 1])])])
        let graph = try importONNX(conv)
        let x = Variable(constant: Tensor.zeros([2, 4, 10, 10]))
        let work = 2 * 6 * 10 * 10 * 2 * 3 * 3 + 2 * 4 * 12 * 12
        XCTAssertEqual(try graph.run([x], workLimit: work)[0].shape, [2, 6, 10, 10])
        XCTAssertThrowsError(try graph.run([x], workLimit: work - 1))
    }

    func testMatMulIsChargedItsBroadcastBatchTimesMNK() throws {
        let product = model(inputs: [input([3, 1, 4, 5])], initializers: [floats("w", [2, 5, 6])],
                            nodes: [node("MatMul", ["x", "w"])])
        let graph = try importONNX(product)
        let x = Variable(constant: Tensor.zeros([3, 1, 4, 5]))
        XCTAssertEqual(try graph.run([x], workLimit: 3 * 2 * 4 * 5 * 6)[0].shape, [3, 2, 4, 6])
        XCTAssertThrowsError(try graph.run([x], workLimit: 3 * 2 * 4 * 5 * 6 - 1))
    }

    /// [2^20, 1] + [1, 2^20] is 2^40 values from 8 MiB of ONNX: folding leaves it to the run, whose limit refuses it.
    func testABroadcastBombIsNotFoldedAndALimitedRunRefusesItBeforeAllocating() throws {
        let n = 1 << 20
        let bomb = model(inputs: [], initializers: [floats("a", [n, 1]), floats("b", [1, n])],
                         nodes: [node("Add", ["a", "b"])])
        let graph = try importONNX(bomb)
        XCTAssertEqual(graph.nodes.map(\.opType), ["Add"])
        XCTAssertThrowsError(try graph.run([], workLimit: 1 << 34)) { error in
            XCTAssertTrue("\(error)".contains("needs 1099511627776 operations"), "\(error)")
        }
    }

    /// A constant node within the limit folds at import; beyond it the same node runs with the graph, same result.
    func testFoldingBeyondTheLimitLeavesTheNodeWithTheSameResult() throws {
        let values = (0..<64).map { Float($0 % 9) - 4 }
        let conv = model(inputs: [], nodes: [
            node("Constant", [], ["value": .tensor(floats("c", [1, 1, 8, 8], values))], output: "c"),
            node("Constant", [], ["value": .tensor(floats("w", [1, 1, 3, 3]))], output: "w"),
            node("Conv", ["c", "w"]),
        ])
        let folded = try importONNX(conv)
        let unfolded = try importONNX(conv, options: options(work: 100))
        XCTAssertEqual(folded.nodes.count, 0)
        XCTAssertEqual(unfolded.nodes.map(\.opType), ["Conv"])
        XCTAssertEqual(try unfolded.run([])[0].value.scalars, try folded.run([])[0].value.scalars)
    }

    func testWindowsAndPadsBeyondTwoToTheThirtyAreRefused() throws {
        let huge = Int64(1) << 31
        let pool = model(inputs: [input([1, 1, 4, 4])],
                         nodes: [node("MaxPool", ["x"], ["kernel_shape": .ints([2, 2]), "pads": .ints([0, 0, huge, 0])])])
        XCTAssertThrowsError(try importONNX(pool)) { error in
            XCTAssertTrue("\(error)".contains("beyond 1073741824"), "\(error)")
        }
        let padded = model(inputs: [input([1, 4])],
                           initializers: [ONNXTensor(name: "p", dataType: .int64, shape: [4], floats: [], integers: [0, 0, 0, .max])],
                           nodes: [node("Pad", ["x", "p"])])
        XCTAssertThrowsError(try importONNX(padded)) { error in
            XCTAssertTrue("\(error)".contains("beyond 1073741824"), "\(error)")
        }
    }
}
