// MPICommunicator.swift — the collectives over Open MPI, loaded at run time.

import Dispatch
import Foundation

/// A `Communicator` over an MPI communicator (Open MPI).
///
/// The MPI calls live in `libFeatureScatterMPI.so` (`Sources/FeatureScatterMPI`), which this
/// class loads with `dlopen` on first use; nothing else in FeatureScatter links libmpi, so the
/// library and `fscatter` run where Open MPI is not installed. The shared object is looked for
/// in `$FEATURESCATTER_MPI_LIBRARY`, next to the binary that holds this code, next to the
/// executable, then on the loader's path.
///
/// Every MPI call runs on one serial queue (MPI_THREAD_SERIALIZED is enough), so that an
/// all-reduce started with `startAllReduceSum` makes progress on that thread while the caller
/// computes — the overlap of gradient reduction and backward pass. Each collective polls until
/// `timeout` seconds (default `$FEATURESCATTER_MPI_TIMEOUT`, else 300) and then throws
/// `FSCError.io`, naming the collective and the rank: a dead peer never hangs a run.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may take before it counts as failed.
    public let timeout: Double
    private let comm: UnsafeMutableRawPointer
    private let queue = DispatchQueue(label: "featurescatter.mpi")

    /// MPI_COMM_WORLD (MPI is initialised first when nobody has): what `fscatter` uses under `mpirun`.
    public static func world(timeout: Double? = nil) throws -> MPICommunicator {
        let shim = try MPIShim.loaded()
        var initializedHere: Int32 = 0
        try MPIShim.check(shim.initialize(&initializedHere), "MPI_Init_thread", rank: nil)
        if initializedHere != 0 { MPIShim.initializedHere = true }
        return try MPICommunicator(fortranHandle: shim.world(), timeout: timeout)
    }

    /// A duplicate of the host's communicator given by its Fortran handle (`MPI_Comm_c2f`,
    /// mpi4py's `comm.py2f()`); the host must have initialised MPI.
    public init(fortranHandle: Int64, timeout: Double? = nil) throws {
        let shim = try MPIShim.loaded()
        var comm: UnsafeMutableRawPointer?
        try MPIShim.check(shim.commDup(fortranHandle, &comm), "MPI_Comm_dup", rank: nil)
        guard let comm else { throw FSCError.io("MPI_Comm_dup returned no communicator") }
        var rank: Int32 = 0, size: Int32 = 0
        try MPIShim.check(shim.rankSize(comm, &rank, &size), "MPI_Comm_rank", rank: nil)
        self.comm = comm
        self.rank = Int(rank)
        self.size = Int(size)
        self.timeout = timeout ?? ProcessInfo.processInfo.environment["FEATURESCATTER_MPI_TIMEOUT"].flatMap(Double.init) ?? 300
    }

    deinit {
        let comm = self.comm
        queue.sync { MPIShim.shared?.commFree(comm) }
    }

    /// Ends MPI when `world()` started it (call once, at the end of the process).
    public static func finalize() {
        guard MPIShim.initializedHere, let shim = MPIShim.shared else { return }
        _ = shim.finalize()
        MPIShim.initializedHere = false
    }

    /// Ends every process of the job with `code` (MPI_Abort).
    public func abort(code: Int32) -> Never {
        MPIShim.shared?.abort(comm, code)
        exit(code)
    }

    private func run(_ what: String, _ body: (MPIShim, UnsafeMutableRawPointer) -> Int32) throws {
        let status = queue.sync { body(MPIShim.shared!, comm) }
        try MPIShim.check(status, what, rank: (rank, size))
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try run("all-reduce of \(values.count) floats") {
            $0.allReduce($1, values.baseAddress, Int64(values.count), timeout)
        }
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try run("all-reduce of \(values.count) doubles") {
            $0.allReduceDouble($1, values.baseAddress, Int64(values.count), timeout)
        }
    }

    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> any CollectiveRequest {
        let request = PendingReduction(what: "all-reduce of \(values.count) floats", rank: (rank, size))
        let job = QueuedReduction(comm: comm, values: values, timeout: timeout)
        queue.async {
            let start = DispatchTime.now().uptimeNanoseconds
            let status = MPIShim.shared!.allReduce(job.comm, job.values.baseAddress, Int64(job.values.count), job.timeout)
            request.finish(status, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return request
    }

    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var counts = [Int64](repeating: 0, count: size)
        try run("all-gather of the lengths") { shim, comm in
            counts.withUnsafeMutableBufferPointer { shim.allGatherCounts(comm, Int64(bytes.count), $0.baseAddress, timeout) }
        }
        var received = [UInt8](repeating: 0, count: Int(counts.reduce(0, +)))
        try run("all-gather of \(bytes.count) bytes") { shim, comm in
            bytes.withUnsafeBytes { send in
                received.withUnsafeMutableBytes { receive in
                    counts.withUnsafeBufferPointer {
                        shim.allGatherv(comm, send.baseAddress, Int64(bytes.count), receive.baseAddress, $0.baseAddress, timeout)
                    }
                }
            }
        }
        var parts: [[UInt8]] = []
        var offset = 0
        for count in counts.map(Int.init) {
            parts.append(Array(received[offset..<(offset + count)]))
            offset += count
        }
        return parts
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        try run("broadcast of \(buffer.count) bytes from rank \(root)") {
            $0.broadcast($1, buffer.baseAddress, Int64(buffer.count), Int32(root), timeout)
        }
    }

    public func barrier() throws {
        try run("barrier") { $0.barrier($1, timeout) }
    }
}

/// What a queued all-reduce needs; the caller keeps `values` alive and untouched until it is waited for.
private struct QueuedReduction: @unchecked Sendable {
    let comm: UnsafeMutableRawPointer
    let values: UnsafeMutableBufferPointer<Float>
    let timeout: Double
}

/// An all-reduce running on the MPI queue.
private final class PendingReduction: CollectiveRequest {
    private let done = DispatchSemaphore(value: 0)
    private var status: Int32 = 0
    private(set) var seconds = 0.0
    private let what: String
    private let rank: (Int, Int)

    init(what: String, rank: (Int, Int)) {
        self.what = what
        self.rank = rank
    }

    func finish(_ status: Int32, seconds: Double) {
        self.status = status
        self.seconds = seconds
        done.signal()
    }

    func wait() throws {
        done.wait()
        done.signal()
        try MPIShim.check(status, what, rank: rank)
    }
}

/// The functions of libFeatureScatterMPI.so (see `Sources/FeatureScatterMPI/include/fsc_mpi.h`).
struct MPIShim {
    typealias Comm = UnsafeMutableRawPointer
    let initialize: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalize: @convention(c) () -> Int32
    let world: @convention(c) () -> Int64
    let commDup: @convention(c) (Int64, UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32
    let commFree: @convention(c) (Comm) -> Void
    let rankSize: @convention(c) (Comm, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
    let allReduce: @convention(c) (Comm, UnsafeMutablePointer<Float>?, Int64, Double) -> Int32
    let allReduceDouble: @convention(c) (Comm, UnsafeMutablePointer<Double>?, Int64, Double) -> Int32
    let allGatherCounts: @convention(c) (Comm, Int64, UnsafeMutablePointer<Int64>?, Double) -> Int32
    let allGatherv: @convention(c) (Comm, UnsafeRawPointer?, Int64, UnsafeMutableRawPointer?, UnsafePointer<Int64>?,
                                    Double) -> Int32
    let broadcast: @convention(c) (Comm, UnsafeMutableRawPointer?, Int64, Int32, Double) -> Int32
    let barrier: @convention(c) (Comm, Double) -> Int32
    let abort: @convention(c) (Comm?, Int32) -> Void
    let errorString: @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int32) -> Void

    nonisolated(unsafe) static var shared: MPIShim?
    nonisolated(unsafe) static var initializedHere = false
    private static let lock = NSLock()

    static let libraryName = "libFeatureScatterMPI.so"

    /// The shim, loaded on first use.
    static func loaded() throws -> MPIShim {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        let shim = try load()
        shared = shim
        return shim
    }

    /// Where the shim may be, in search order.
    static var candidatePaths: [String] {
        var paths: [String] = []
        if let path = ProcessInfo.processInfo.environment["FEATURESCATTER_MPI_LIBRARY"] { paths.append(path) }
        if let image = imageContainingThisCode() {
            paths.append((image as NSString).deletingLastPathComponent + "/" + libraryName)
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            paths.append((executable as NSString).deletingLastPathComponent + "/" + libraryName)
        }
        paths.append(libraryName)
        return paths
    }

    /// The file of the binary (library or executable) this code was loaded from, from the
    /// address map of the process.
    private static func imageContainingThisCode() -> String? {
        let anchor: @convention(c) () -> Void = {}
        let address = UInt(bitPattern: unsafeBitCast(anchor, to: UnsafeRawPointer.self))
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = fields.first?.split(separator: "-").compactMap { UInt($0, radix: 16) } ?? []
            guard fields.count >= 6, bounds.count == 2, (bounds[0]..<bounds[1]).contains(address) else { continue }
            return String(fields[5])
        }
        return nil
    }

    private static func load() throws -> MPIShim {
        var errors: [String] = []
        for path in candidatePaths {
            guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
                errors.append(dlerror().map { String(cString: $0) } ?? path)
                continue
            }
            func symbol<T>(_ name: String) throws -> T {
                guard let address = dlsym(handle, name) else { throw FSCError.io("\(path) lacks \(name)") }
                return unsafeBitCast(address, to: T.self)
            }
            return MPIShim(initialize: try symbol("fsc_mpi_init"), finalize: try symbol("fsc_mpi_finalize"),
                           world: try symbol("fsc_mpi_world"), commDup: try symbol("fsc_mpi_comm_dup"),
                           commFree: try symbol("fsc_mpi_comm_free"), rankSize: try symbol("fsc_mpi_rank_size"),
                           allReduce: try symbol("fsc_mpi_allreduce_sum"),
                           allReduceDouble: try symbol("fsc_mpi_allreduce_sum_double"),
                           allGatherCounts: try symbol("fsc_mpi_allgather_counts"),
                           allGatherv: try symbol("fsc_mpi_allgatherv"), broadcast: try symbol("fsc_mpi_broadcast"),
                           barrier: try symbol("fsc_mpi_barrier"), abort: try symbol("fsc_mpi_abort"),
                           errorString: try symbol("fsc_mpi_error_string"))
        }
        throw FSCError.io("MPI is not available: \(libraryName) (built with Open MPI, apt-get install libopenmpi-dev) could not be loaded: \(errors.joined(separator: "; "))")
    }

    /// Throws `FSCError.io` for a non-zero status, naming the operation and the rank.
    static func check(_ status: Int32, _ what: String, rank: (Int, Int)?) throws {
        guard status != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        shared?.errorString(status, &text, Int32(text.count))
        let place = rank.map { "rank \($0.0) of \($0.1): " } ?? ""
        throw FSCError.io("\(place)MPI \(what) failed: \(String(cString: text))")
    }
}
