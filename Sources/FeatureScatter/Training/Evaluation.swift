// Evaluation.swift — clean accuracy of a model on a data set.

/// The percentage of `dataset` that `model` classifies correctly, in inference mode.
public func accuracy(of model: any Module, on dataset: Dataset, batchSize: Int = 500) -> Double {
    guard dataset.count > 0 else { return 0 }
    var correct = 0
    var loader = BatchLoader(dataset, batchSize: batchSize, shuffle: false, generator: SeededGenerator(seed: 0))
    while let (images, labels) = loader.next() {
        let predictions = model.predict(images).argMaxPerRow()
        correct += zip(predictions, labels).filter { $0 == $1 }.count
    }
    return 100 * Double(correct) / Double(dataset.count)
}
