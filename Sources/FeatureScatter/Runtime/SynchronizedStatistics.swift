// SynchronizedStatistics.swift — batch statistics summed over the ranks of a data-parallel run.

/// The ranks whose rows a synchronised batch norm normalises together (SyncBN): per-channel sums
/// are all-reduced in double precision, so every rank normalises with the global batch's moments.
///
/// Kernels run inside a forward or backward pass and cannot throw: a failed collective is recorded
/// in `failure` (the pass then goes on with this rank's own statistics) and the trainer throws it
/// once the pass is over.
public final class SynchronizedStatistics {
    public let communicator: any Communicator
    /// The first collective that failed, if any.
    public private(set) var failure: Error?

    public init(communicator: any Communicator) {
        self.communicator = communicator
    }

    /// `values` summed over the ranks (unchanged after a failure).
    func summed(_ values: [Double]) -> [Double] {
        guard failure == nil else { return values }
        do {
            return try communicator.allReduceSum(values)
        } catch {
            failure = error
            return values
        }
    }
}
