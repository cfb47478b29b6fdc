// EvalCommand.swift — `fscatter eval`: accuracy of a checkpoint on a data set.

import ArgumentParser
import FeatureScatter
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint's clean test accuracy.")

    @Option(help: "Checkpoint file written by `fscatter train`.")
    var checkpoint: String

    @OptionGroup var data: DataOptions

    func run() throws {
        data.applyThreads()
        let saved = try Checkpoint.read(from: checkpoint)
        var generator = SeededGenerator(seed: 0)
        let model = try saved.header.model.build(using: &generator)
        try saved.restore(into: model)
        let test = try data.load(.test, subset: data.testSubset)
        guard test.imageShape == saved.header.model.inputShape else {
            throw FSCError.shapeMismatch("checkpoint expects images \(saved.header.model.inputShape), \(data.dataset) has \(test.imageShape)")
        }
        let result: [String: Any] = [
            "checkpoint": checkpoint, "dataset": data.dataset, "images": test.count,
            "accuracy": ["clean": accuracy(of: model, on: test)],
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
