// Profiler.swift — per-op timings of forward passes, backward passes and updates, off unless started.

import Foundation

/// The part of a training step an op's time belongs to.
public enum ProfilePhase: String, Sendable, CaseIterable {
    case forward, backward, update
}

/// Wall-clock time per op kind and phase, and the time spent inside SGEMM.
///
/// Disabled (the default) it costs one load and branch per op. Enabled, each differentiable
/// primitive's forward kernel and pullback is timed, with *exclusive* times (an op composed of
/// other ops is charged only for its own work). SGEMM calls are timed on the worker thread that
/// makes them and summed over workers, so with `Parallelism.workerCount == 1` the GEMM share
/// is exact; with more workers it is a share of the workers' combined time.
///
/// Ops must be issued from one thread at a time (as the trainer, attacks and evaluation do);
/// the kernels' worker threads only report GEMM time.
///
/// ```swift
/// Profiler.start()
/// _ = try trainer.trainEpoch(on: data, test: nil)
/// print(Profiler.stop().table(steps: batches))
/// ```
public enum Profiler {
    /// True between `start()` and `stop()`.
    public static var isEnabled: Bool { enabled }

    nonisolated(unsafe) private static var enabled = false
    private static let lock = NSLock()
    nonisolated(unsafe) private static var state = State()

    private struct Key: Hashable {
        var op: String
        var phase: ProfilePhase
    }

    private struct State {
        var totals: [Key: (calls: Int, seconds: Double)] = [:]
        /// Time of children already charged, per open measurement (innermost last).
        var childSeconds: [Double] = []
        var started = 0.0
        var gemmSeconds = 0.0
        var gemmFlops = 0.0
        var gemmCalls = 0
        var directFlops = 0.0
    }

    /// Clears all timings and starts recording.
    public static func start() {
        lock.lock()
        defer { lock.unlock() }
        state = State()
        state.started = now()
        enabled = true
    }

    /// Stops recording and returns what was recorded since `start()`.
    public static func stop() -> ProfileReport {
        lock.lock()
        defer { lock.unlock() }
        enabled = false
        let entries = state.totals.map { OpTiming(op: $0.key.op, phase: $0.key.phase, calls: $0.value.calls,
                                                  seconds: $0.value.seconds) }
        return ProfileReport(entries: entries, wallSeconds: now() - state.started, gemmSeconds: state.gemmSeconds,
                             gemmFlops: state.gemmFlops, gemmCalls: state.gemmCalls,
                             directFlops: state.directFlops, workers: Parallelism.workerCount)
    }

    /// Runs `body`, charging its exclusive time to `op` in `phase` when profiling.
    @inline(__always)
    public static func measure<T>(_ op: StaticString, _ phase: ProfilePhase, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        return try measured(op, phase, body)
    }

    private static func measured<T>(_ op: StaticString, _ phase: ProfilePhase, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        state.childSeconds.append(0)
        lock.unlock()
        let begin = now()
        defer {
            let elapsed = now() - begin
            lock.lock()
            let children = state.childSeconds.removeLast()
            if !state.childSeconds.isEmpty { state.childSeconds[state.childSeconds.count - 1] += elapsed }
            let key = Key(op: op.description, phase: phase)
            let old = state.totals[key] ?? (0, 0)
            state.totals[key] = (old.calls + 1, old.seconds + elapsed - children)
            lock.unlock()
        }
        return try body()
    }

    /// Runs one matrix product (an OpenBLAS SGEMM call or a `WinogradGEMM` product), adding its
    /// time and `2·m·n·k` flops to the GEMM totals when profiling.
    @inline(__always)
    static func measureGEMM(m: Int, n: Int, k: Int, _ body: () -> Void) {
        guard enabled else { return body() }
        let begin = now()
        body()
        let elapsed = now() - begin
        lock.lock()
        state.gemmSeconds += elapsed
        state.gemmFlops += 2 * Double(m) * Double(n) * Double(k)
        state.gemmCalls += 1
        lock.unlock()
    }

    /// Adds the flops a `conv2d` or `matmul` call stands for, counted as a direct product
    /// (`2·N·C_out·(C_in/g)·kh·kw·H_out·W_out`, `2·m·n·k`) whatever algorithm computes it.
    @inline(__always)
    static func countDirectFlops(_ flops: Double) {
        guard enabled else { return }
        lock.lock()
        state.directFlops += flops
        lock.unlock()
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// The time one op kind took in one phase.
public struct OpTiming: Sendable {
    public var op: String
    public var phase: ProfilePhase
    public var calls: Int
    /// Exclusive wall-clock seconds (children excluded).
    public var seconds: Double
}

/// What `Profiler.stop()` returns: per-op timings, the profiled wall time and the GEMM totals.
public struct ProfileReport: Sendable {
    public var entries: [OpTiming]
    /// Wall-clock seconds between `start()` and `stop()`.
    public var wallSeconds: Double
    /// Seconds inside SGEMM, summed over worker threads.
    public var gemmSeconds: Double
    public var gemmFlops: Double
    public var gemmCalls: Int
    /// The flops of the `conv2d` and `matmul` calls as direct products (a Winograd layer is
    /// credited with more than its GEMMs do): for a forward pass, the model's nominal flops.
    public var directFlops: Double
    /// Worker threads the kernels used.
    public var workers: Int

    /// Seconds charged to ops (all phases).
    public var attributedSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

    /// A table with one row per op (milliseconds per step in each phase, share of the wall
    /// time), the unattributed rest, and the GEMM summary; `steps` divides the totals.
    public func table(steps: Int) -> String {
        let perStep = 1000 / Double(max(steps, 1))
        var byOp: [String: [ProfilePhase: OpTiming]] = [:]
        for entry in entries { byOp[entry.op, default: [:]][entry.phase] = entry }
        let rows = byOp.map { op, phases in
            (op: op, seconds: phases.values.reduce(0) { $0 + $1.seconds },
             calls: phases.values.map(\.calls).max() ?? 0, phases: phases)
        }.sorted { $0.seconds > $1.seconds }
        func ms(_ seconds: Double?) -> String {
            guard let seconds else { return "-" }
            return String(format: "%.2f", seconds * perStep)
        }
        func share(_ seconds: Double) -> String {
            String(format: "%.1f%%", 100 * seconds / max(wallSeconds, 1e-12))
        }
        func line(_ cells: [String]) -> String {
            let widths = [16, 11, 11, 11, 11, 8, 11]
            return zip(cells, widths).enumerated().map { index, pair in
                index == 0 ? pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: max(0, pair.1 - pair.0.count)) + pair.0
            }.joined(separator: " ")
        }
        var lines = [line(["op", "forward ms", "backward ms", "update ms", "total ms", "share", "calls/step"])]
        for row in rows {
            lines.append(line([row.op, ms(row.phases[.forward]?.seconds), ms(row.phases[.backward]?.seconds),
                               ms(row.phases[.update]?.seconds), ms(row.seconds), share(row.seconds),
                               String(format: "%.1f", Double(row.calls) / Double(max(steps, 1)))]))
        }
        let phaseTotals = ProfilePhase.allCases.map { phase in
            entries.filter { $0.phase == phase }.reduce(0) { $0 + $1.seconds }
        }
        let rest = wallSeconds - attributedSeconds
        lines.append(line(["(unattributed)", "", "", "", ms(rest), share(rest), ""]))
        lines.append(line(["total", ms(phaseTotals[0]), ms(phaseTotals[1]), ms(phaseTotals[2]), ms(wallSeconds),
                           "100.0%", ""]))
        let gemmShare = 100 * gemmSeconds / max(wallSeconds * Double(workers), 1e-12)
        let rate = gemmFlops / max(gemmSeconds, 1e-12) / 1e9
        lines.append(String(format: "GEMM (SGEMM and Winograd products): %.2f ms/step over %d worker(s), %.1f%% of their time, %.1f GFLOP/s per worker, %.0f calls/step",
                            gemmSeconds * perStep, workers, gemmShare, rate, Double(gemmCalls) / Double(max(steps, 1))))
        return lines.joined(separator: "\n")
    }
}
