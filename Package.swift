// swift-tools-version:6.0
// Package.swift — FeatureScatter: feature-scattering adversarial training in Swift.

import PackageDescription

let package = Package(
    name: "FeatureScatter",
    products: [
        .library(name: "FeatureScatter", targets: ["FeatureScatter"]),
        .library(name: "featurescatter", type: .dynamic, targets: ["FeatureScatterC"]),
        // Loaded at run time (dlopen) only when a run asks for MPI: the one part linked with libmpi.
        .library(name: "FeatureScatterMPI", type: .dynamic, targets: ["FeatureScatterMPI"]),
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
        .systemLibrary(name: "CFuzzDriver", path: "Sources/CFuzzDriver"),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),

        // MARK: - Implementation details

        // ONNX through the system's libonnx/libprotobuf, behind the flat C header include/connx.h.
        // Debian built libonnx with ONNX_ML=1 and ONNX_NAMESPACE=onnx; the headers need the same.
        .target(
            name: "CONNX",
            path: "Sources/CONNX",
            cxxSettings: [.define("ONNX_ML", to: "1"), .define("ONNX_NAMESPACE", to: "onnx")],
            linkerSettings: [.linkedLibrary("onnx"), .linkedLibrary("onnx_proto"), .linkedLibrary("protobuf")]
        ),

        // Open MPI behind plain C types (include/fsc_mpi.h), for MPICommunicator.
        .target(name: "FeatureScatterMPI", dependencies: ["CMPI"], path: "Sources/FeatureScatterMPI"),

        // MARK: - Public API

        .target(
            name: "FeatureScatter",
            dependencies: ["COpenBLAS", "CZlib", "CMalloc", "CONNX"]
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

        // MARK: - Fuzzing (make fuzz: libFuzzer with -DFUZZING; otherwise a replay of files)

        .executableTarget(name: "fscatter-fuzz", dependencies: ["FeatureScatter", "CFuzzDriver"],
                          path: "Sources/fscatter-fuzz"),

        // MARK: - Unit test bundles

        .target(
            name: "FeatureScatterTestSupport",
            dependencies: ["FeatureScatter"],
            path: "Tests/FeatureScatterTestSupport"
        ),
        .testTarget(name: "FeatureScatterTests", dependencies: ["FeatureScatter", "FeatureScatterTestSupport"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
