// Parallelism.swift — the engine's worker threads and how work is split across them.

import COpenBLAS
import Dispatch
import Foundation

/// How many threads the engine's kernels use.
///
/// The engine parallelises over the batch itself and calls OpenBLAS single-threaded inside
/// each worker: the GEMMs of small convolutional networks are too small for OpenBLAS's own
/// threads (a SmallCNN step ran 25% slower with 2 OpenBLAS threads than with 1, measured),
/// and two layers of threads would oversubscribe the cores. The default is
/// `OPENBLAS_NUM_THREADS` when set (respecting a user's limit), else the number of cores.
public enum Parallelism {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configuredWorkers: Int?

    /// The number of worker threads kernels split their work across (≥ 1).
    public static var workerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        if let configuredWorkers { return configuredWorkers }
        let environment = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
        let workers = max(1, environment ?? ProcessInfo.processInfo.activeProcessorCount)
        configure(workers)
        return workers
    }

    /// Sets the worker count (at least 1) and makes OpenBLAS single-threaded under it.
    public static func setWorkerCount(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        configure(max(1, count))
    }

    private static func configure(_ workers: Int) {
        configuredWorkers = workers
        _ = singleThreadedBLAS
    }

    /// Makes OpenBLAS single-threaded, once, before the engine's first GEMM.
    static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

    /// Splits `0..<count` into at most `workerCount` contiguous ranges and runs `body` on
    /// each concurrently, passing the range and the worker's index. Runs inline when one
    /// worker suffices.
    public static func forEachRange(_ count: Int, minimumPerWorker: Int = 1,
                                    _ body: (Range<Int>, Int) -> Void) {
        let workers = min(workerCount, max(1, count / max(minimumPerWorker, 1)))
        guard workers > 1 else {
            if count > 0 { body(0..<count, 0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = count * worker / workers, end = count * (worker + 1) / workers
            if start < end { body(start..<end, worker) }
        }
    }
}
