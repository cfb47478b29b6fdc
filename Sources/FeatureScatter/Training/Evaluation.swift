// Evaluation.swift — clean accuracy of a model on a data set.

/// The percentage of `dataset` that `model` classifies correctly, in inference mode. With
/// several ranks each classifies its contiguous share of the images and the counts are summed,
/// so every rank returns the one-process figure.
public func accuracy(of model: any Module, on dataset: Dataset, batchSize: Int = 500,
                     communicator: any Communicator = SingleProcess()) throws -> Double {
    guard dataset.count > 0 else { return 0 }
    let share = BatchShard.split(dataset.count, over: communicator).localRows
    var correct = 0
    for start in stride(from: share.lowerBound, to: share.upperBound, by: batchSize) {
        let (images, labels) = dataset.batch(Array(start..<min(start + batchSize, share.upperBound)))
        correct += zip(model.predict(images).argMaxPerRow(), labels).filter { $0 == $1 }.count
    }
    let total = try communicator.allReduceSum([Float(correct)])[0]
    return 100 * Double(total) / Double(dataset.count)
}
