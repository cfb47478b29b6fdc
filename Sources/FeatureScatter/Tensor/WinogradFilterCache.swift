// WinogradFilterCache.swift — a convolution layer's transformed Winograd filters, kept while its weights stay the same.

import Foundation

/// The transformed filters of one convolution's weights (forward and input-gradient ones, for
/// either tile size), reused for as long as the weights do not change. A feature-scattering step
/// convolves with the same weights in five passes (clean, perturbed and training forward; the
/// attack's and the training step's input gradients): with a cache, each layer transforms its
/// weights twice per step instead of five times.
///
/// An entry is reused only for bitwise-equal weights. It keeps the array it was made from, so an
/// array with the same storage holds the same values (a write through any other copy would have
/// copied it first), and any other array is compared byte for byte. Safe to share between threads.
final class WinogradFilterCache: @unchecked Sendable {
    private struct Key: Hashable {
        let adjoint: Bool
        let tiles4x4: Bool
    }

    private struct Entry {
        let weights: [Float]
        let filters: [Float]
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    /// The filters `transform` makes from `weights`, from the cache when they were made from the
    /// same weights before.
    func filters(of weights: [Float], adjoint: Bool, tiles4x4: Bool, transform: () -> [Float]) -> [Float] {
        let key = Key(adjoint: adjoint, tiles4x4: tiles4x4)
        if let entry = lock.withLock({ entries[key] }), entry.weights.hasSameBits(as: weights) {
            return entry.filters
        }
        let filters = transform()
        lock.withLock { entries[key] = Entry(weights: weights, filters: filters) }
        return filters
    }
}

private extension Array where Element == Float {
    /// Whether both arrays hold the same bit patterns (so `-0` differs from `0`, and a NaN can equal itself).
    func hasSameBits(as other: [Float]) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in
                mine.baseAddress == theirs.baseAddress || mine.elementsEqual(theirs)
            }
        }
    }
}
