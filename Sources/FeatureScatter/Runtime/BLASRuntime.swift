// BLASRuntime.swift — which OpenBLAS core runs, how many threads, and choosing a core.

import COpenBLAS
import Foundation

/// Facts about, and settings of, the BLAS library the engine runs on.
public enum BLASRuntime {
    /// The name of the OpenBLAS kernel set in use ("Haswell", "SkylakeX", "Prescott", …).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// The number of threads OpenBLAS itself uses per call (1 under the engine's own
    /// parallelism; see `Parallelism`).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS core this CPU should use, from its feature flags, or nil when OpenBLAS's
    /// own detection is fine. Debian's OpenBLAS 0.3.21 does not recognise some recent CPUs
    /// and falls back to its slowest kernels; AVX-512 CPUs get "SkylakeX", AVX2+FMA CPUs
    /// "Haswell" (measured faster than "Zen" on AMD EPYC here).
    public static func recommendedCore(cpuFlags: Set<String>) -> String? {
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The feature flags of the first CPU in /proc/cpuinfo (empty if unreadable).
    public static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The model name of the first CPU in /proc/cpuinfo ("unknown" if unreadable).
    public static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// The `OPENBLAS_CORETYPE` an entry point should set before OpenBLAS loads: nil when the
    /// user already set one (never overridden) or when no better core is known.
    public static func coreToSelect(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String? {
        if let chosen = environment["OPENBLAS_CORETYPE"], !chosen.isEmpty { return nil }
        return recommendedCore(cpuFlags: cpuFlags())
    }
}
