// MostConfusingTargetTests.swift — the target of BAT's image attack (§4.2): the best wrong class.

import FeatureScatter
import XCTest

final class MostConfusingTargetTests: XCTestCase {
    func testTheTargetIsTheHighestLogitOtherThanTheLabel() throws {
        let logits = Tensor(shape: [4, 3], scalars: [1, 5, 3,    // label 1 (the top class): next best is 2
                                                     4, 2, 4,    // label 0: class 2 ties it and wins
                                                     0, 0, 9,    // label 2: classes 0 and 1 tie, 0 first
                                                     7, 1, 3])   // label 2 misclassified: the prediction, 0
        XCTAssertEqual(try mostConfusingClasses(logits: logits, labels: [1, 0, 2, 2]), [2, 2, 0, 0])
    }

    func testTwoClassesTargetTheOtherOne() throws {
        XCTAssertEqual(try mostConfusingClasses(logits: Tensor(shape: [2, 2], scalars: [3, 1, 3, 1]), labels: [0, 1]), [1, 0])
    }

    func testBadRowsThrow() {
        XCTAssertThrowsError(try mostConfusingClasses(logits: Tensor(shape: [1, 3], scalars: [1, 2, 3]), labels: [3]))
        XCTAssertThrowsError(try mostConfusingClasses(logits: Tensor(shape: [2, 1], scalars: [1, 2]), labels: [0, 0]))
        XCTAssertThrowsError(try mostConfusingClasses(logits: Tensor(shape: [3], scalars: [1, 2, 3]), labels: [0]))
    }
}
