// main.swift — train SmallCNN on Fashion-MNIST with feature scattering through the Swift API,
// measure it under PGD-20 and export it as ONNX.
//
// Run: swift run -c release --package-path examples/swift TrainFashion [train_images] [epochs] [output.onnx]

import FeatureScatter
import Foundation

let arguments = CommandLine.arguments.dropFirst().map { $0 }
let trainImages = arguments.count > 0 ? Int(arguments[0]) ?? 2000 : 2000
let epochs = arguments.count > 1 ? Int(arguments[1]) ?? 1 : 1
let onnxPath = arguments.count > 2 ? arguments[2] : "smallcnn.onnx"

do {
    print("FeatureScatter \(FeatureScatterVersion.string), OpenBLAS core \(BLASRuntime.coreName)")
    let train = try Dataset.named("fashion-mnist", directory: nil, split: .train).prefix(trainImages)
    let test = try Dataset.named("fashion-mnist", directory: nil, split: .test).prefix(1000)

    let spec = ModelSpec(architecture: "smallcnn", inputShape: train.imageShape, classes: train.classes)
    var configuration = TrainingConfiguration()
    configuration.epochs = epochs
    let trainer = try Trainer(spec: spec, recipe: TrainingRecipe(method: .featureScattering), configuration: configuration)
    _ = try runTraining(trainer, train: train, test: test, datasetName: "fashion-mnist", directory: nil,
                        epochEnded: { print("epoch \($0.epoch): clean test accuracy \($0.testAccuracy ?? .nan)%") })

    var request = EvaluationRequest(threat: .default)
    request.attacks = ["pgd20"]
    let report = try evaluate(trainer.model, spec: spec, on: test, request: request)
    print(report.markdownTable())

    try exportONNX(trainer.model, inputShape: spec.inputShape, to: onnxPath)
    print("ONNX: \(onnxPath)")
} catch {
    print("error: \(error)")
    exit(1)
}
