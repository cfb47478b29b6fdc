// InfoCommand.swift — `fscatter info`: versions, BLAS core and threads.

import ArgumentParser
import FeatureScatter
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print versions, the OpenBLAS core in use and the thread count.")

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let facts: [(String, String)] = [
            ("version", FeatureScatterVersion.string),
            ("blas_core", BLASRuntime.coreName),
            ("blas_config", BLASRuntime.configuration),
            ("threads", String(Parallelism.workerCount)),
            ("blas_threads", String(BLASRuntime.threadCount)),
            ("openblas_coretype", environment["OPENBLAS_CORETYPE"] ?? ""),
            ("recommended_core", BLASRuntime.recommendedCore(cpuFlags: BLASRuntime.cpuFlags()) ?? ""),
        ]
        if json {
            var object: [String: Any] = Dictionary(uniqueKeysWithValues: facts)
            object["threads"] = Parallelism.workerCount
            object["blas_threads"] = BLASRuntime.threadCount
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in facts { print("\(key): \(value)") }
        }
    }
}
