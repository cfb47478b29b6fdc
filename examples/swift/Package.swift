// swift-tools-version:6.0
// The FeatureScatter Swift API used from another package: train, attack, export.

import PackageDescription

let package = Package(
    name: "TrainFashion",
    dependencies: [
        .package(name: "FeatureScatter", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "TrainFashion",
            dependencies: [.product(name: "FeatureScatter", package: "FeatureScatter")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
