// GradientReducer.swift — summing gradients over ranks in buckets, started during the backward pass.

import Foundation

/// Sums every parameter's gradient over the ranks of a communicator, DDP's way (Li et al.,
/// *PyTorch Distributed*, VLDB 2020): parameters are grouped into buckets of about
/// `bucketBytes` (the first of 1 MiB) in reverse order of registration (roughly the order the backward pass
/// finishes them); a bucket's all-reduce starts as soon as all its gradients are final —
/// while the backward pass goes on — and `finish` waits for all of them before the step.
/// Buckets start in index order on every rank, as collectives must.
///
/// The caller weights each rank's loss by its share of the global batch, so the sum is the
/// gradient of the global mean loss. A parameter without a gradient on this pass keeps none.
final class GradientReducer {
    private struct Bucket {
        var parameters: [Int]
        var offsets: [Int]
        var buffer: UnsafeMutableBufferPointer<Float>
        var pending = 0
        var request: (any CollectiveRequest)?
    }

    private let communicator: any Communicator
    private let parameters: [Parameter]
    private var buckets: [Bucket] = []
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    private var nextToStart = 0
    /// Seconds the buckets' all-reduces ran on the communication thread, summed over passes.
    private(set) var reduceSeconds = 0.0
    /// Seconds `finish` spent waiting: the communication the backward pass did not hide.
    private(set) var exposedSeconds = 0.0

    /// The first bucket (the last layers, whose gradients are final first) is small, so that
    /// communication starts early in the backward pass (DDP's 1 MiB).
    static let firstBucketBytes = 1 << 20

    init(parameters: [Parameter], communicator: any Communicator, bucketBytes: Int) {
        self.communicator = communicator
        self.parameters = parameters
        var current: [Int] = []
        var floats = 0
        func close() {
            guard !current.isEmpty else { return }
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: floats)
            var offsets: [Int] = [], offset = 0
            for i in current {
                offsets.append(offset)
                offset += parameters[i].value.count
            }
            buckets.append(Bucket(parameters: current, offsets: offsets, buffer: buffer))
            current = []
            floats = 0
        }
        for i in parameters.indices.reversed() {
            current.append(i)
            floats += parameters[i].value.count
            if floats * 4 >= (buckets.isEmpty ? min(bucketBytes, GradientReducer.firstBucketBytes) : bucketBytes) { close() }
        }
        close()
        for (b, bucket) in buckets.enumerated() {
            for i in bucket.parameters { bucketOf[ObjectIdentifier(parameters[i])] = b }
        }
        reset()
    }

    deinit {
        for bucket in buckets { bucket.buffer.deallocate() }
    }

    /// The number of buckets.
    var bucketCount: Int { buckets.count }

    /// Prepares for the next backward pass.
    private func reset() {
        for b in buckets.indices {
            buckets[b].pending = buckets[b].parameters.count
            buckets[b].request = nil
        }
        nextToStart = 0
    }

    /// Called by the tape when `parameter`'s gradient is final.
    func parameterReady(_ parameter: Parameter) throws {
        guard let b = bucketOf[ObjectIdentifier(parameter)] else { return }
        buckets[b].pending -= 1
        while nextToStart < buckets.count, buckets[nextToStart].pending <= 0 { try start(nextToStart) }
    }

    /// Starts the buckets still waiting (parameters that got no gradient count as zeros), waits
    /// for every bucket, and writes the sums back into the gradients.
    func finish() throws {
        while nextToStart < buckets.count { try start(nextToStart) }
        let waitStart = Date()
        for b in buckets.indices {
            try buckets[b].request?.wait()
            reduceSeconds += buckets[b].request?.seconds ?? 0
        }
        exposedSeconds += Date().timeIntervalSince(waitStart)
        for bucket in buckets {
            for (i, offset) in zip(bucket.parameters, bucket.offsets) where parameters[i].gradient != nil {
                let count = parameters[i].value.count
                let summed = Array(UnsafeBufferPointer(rebasing: bucket.buffer[offset..<(offset + count)]))
                parameters[i].gradient = Tensor(shape: parameters[i].value.shape, scalars: summed)
            }
        }
        reset()
    }

    /// Copies bucket `b`'s gradients into its buffer and starts its all-reduce.
    private func start(_ b: Int) throws {
        let bucket = buckets[b]
        for (i, offset) in zip(bucket.parameters, bucket.offsets) {
            let count = parameters[i].value.count
            let target = bucket.buffer.baseAddress! + offset
            if let gradient = parameters[i].gradient {
                gradient.scalars.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: count) }
            } else {
                target.update(repeating: 0, count: count)
            }
        }
        buckets[b].request = try communicator.startAllReduceSum(bucket.buffer)
        nextToStart = b + 1
    }
}
