// InfoCommand.swift — `fscatter info`: versions, BLAS core and threads.

import ArgumentParser
import FeatureScatter
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print versions, the OpenBLAS core, the thread count and, under mpirun, the ranks (after an all-reduce check).")

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let communicator = Ranks.communicator
        let hosts = try communicator.allGather(text: ProcessInfo.processInfo.hostName)
        let rankSum = try communicator.allReduceSum([Float(communicator.rank)])[0]
        guard Int(rankSum) == communicator.size * (communicator.size - 1) / 2 else {
            throw FSCError.internalError("the all-reduce of the ranks gave \(rankSum)")
        }
        let facts: [(String, String)] = [
            ("version", FeatureScatterVersion.string),
            ("cpu", BLASRuntime.cpuModel()),
            ("build_target", BuildTarget.cpu),
            ("blas_core", BLASRuntime.coreName),
            ("blas_config", BLASRuntime.configuration),
            ("threads", String(Parallelism.workerCount)),
            ("blas_threads", String(BLASRuntime.threadCount)),
            ("openblas_coretype", environment["OPENBLAS_CORETYPE"] ?? ""),
            ("recommended_core", BLASRuntime.recommendedCore(cpuFlags: BLASRuntime.cpuFlags()) ?? ""),
            ("ranks", String(communicator.size)),
            ("hosts", hosts.joined(separator: ",")),
        ]
        if json {
            var object: [String: Any] = Dictionary(uniqueKeysWithValues: facts)
            object["threads"] = Parallelism.workerCount
            object["blas_threads"] = BLASRuntime.threadCount
            object["ranks"] = communicator.size
            object["hosts"] = hosts
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in facts { print("\(key): \(value)") }
        }
    }
}
