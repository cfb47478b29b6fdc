// Communicator.swift — the collective operations a run spread over processes needs.

/// The processes of one run and the collectives between them (MPI's model).
///
/// Every rank must call the same collectives in the same order with matching sizes.
/// `SingleProcess` is the default and needs no MPI; `MPICommunicator` runs over Open MPI.
/// A collective that does not finish within the communicator's timeout throws
/// `FSCError.internalError` naming it, so a dead rank never leaves the others waiting forever.
public protocol Communicator: AnyObject {
    /// This process's index, in `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `values` on every rank by their sum over ranks (in place).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// The same in double precision (statistics that must not lose digits).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Starts `allReduceSum` and returns at once; `values` must stay valid and untouched
    /// until the request's `wait()` returns.
    func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> any CollectiveRequest
    /// Every rank's bytes, in rank order (ranks may send different lengths).
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]]
    /// Copies `root`'s bytes into `buffer` on every other rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Returns when every rank has reached it.
    func barrier() throws
}

/// A collective started by `startAllReduceSum`.
public protocol CollectiveRequest: AnyObject {
    /// Returns when the collective has finished (throws when it failed or timed out).
    func wait() throws
    /// Seconds the collective itself ran (known after `wait`).
    var seconds: Double { get }
}

/// One process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> any CollectiveRequest {
        FinishedRequest()
    }
    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] { [bytes] }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func barrier() throws {}
}

/// A request that finished when it was made.
final class FinishedRequest: CollectiveRequest {
    func wait() throws {}
    var seconds: Double { 0 }
}

extension Communicator {
    /// True on rank 0, the rank that writes files and prints.
    public var isRoot: Bool { rank == 0 }

    /// `values` summed over ranks.
    public func allReduceSum(_ values: [Float]) throws -> [Float] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return result
    }

    /// `values` summed over ranks, in double precision.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return result
    }

    /// Every rank's floats, in rank order.
    public func allGather(floats: [Float]) throws -> [[Float]] {
        let bytes = floats.withUnsafeBytes { [UInt8]($0) }
        return try allGather(bytes).map { part in
            part.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    /// Every rank's text, in rank order.
    public func allGather(text: String) throws -> [String] {
        try allGather(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `root`'s values of `tensor` on every rank.
    public func broadcast(_ tensor: inout Tensor, root: Int = 0) throws {
        guard size > 1 else { return }
        try tensor.scalars.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Throws on every rank the same error when any rank's `body` threw — the error of the
    /// lowest such rank, of its kind, naming the rank — so that a failure on one rank (a
    /// missing file, a bad value) stops every rank with one message instead of a deadlock.
    public func agree<T>(_ what: String, _ body: () throws -> T) throws -> T {
        let outcome: Result<T, FSCError>
        do {
            outcome = .success(try body())
        } catch let error as FSCError {
            outcome = .failure(error)
        } catch {
            outcome = .failure(.internalError("\(error)"))
        }
        guard size > 1 else { return try outcome.get() }
        var report: [UInt8] = [0]
        if case .failure(let error) = outcome { report = [error.kindCode] + Array(error.message.utf8) }
        let reports = try allGather(report)
        if let failed = reports.firstIndex(where: { $0.first != 0 }) {
            let message = String(decoding: reports[failed].dropFirst(), as: UTF8.self)
            throw FSCError(kindCode: reports[failed][0], message: "rank \(failed) of \(size), \(what): \(message)")
        }
        return try outcome.get()
    }
}
