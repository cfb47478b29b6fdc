// swift-tools-version:6.0
// Package.swift — FeatureScatter: feature-scattering adversarial training in Swift.

import PackageDescription

let package = Package(
    name: "FeatureScatter",
    products: [
        .library(name: "FeatureScatter", targets: ["FeatureScatter"]),
        .library(name: "featurescatter", type: .dynamic, targets: ["FeatureScatterC"]),
        .executable(name: "fscatter", targets: ["fscatter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries

        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        // MARK: - Public API

        .target(
            name: "FeatureScatter",
            dependencies: ["COpenBLAS", "CZlib", "CMalloc"]
        ),

        // MARK: - C ABI (include/featurescatter.h)

        .systemLibrary(name: "CFeatureScatterABI", path: "Sources/CFeatureScatterABI"),
        .target(name: "FeatureScatterC", dependencies: ["FeatureScatter", "CFeatureScatterABI"]),

        // MARK: - Command-line tool

        .executableTarget(
            name: "fscatter",
            dependencies: [
                "FeatureScatter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Unit test bundles

        .target(
            name: "FeatureScatterTestSupport",
            dependencies: ["FeatureScatter"],
            path: "Tests/FeatureScatterTestSupport"
        ),
        .testTarget(name: "FeatureScatterTests", dependencies: ["FeatureScatter", "FeatureScatterTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
