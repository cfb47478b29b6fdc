// Dataset.swift — labelled image sets held in memory.

/// A labelled image set: images `[N, C, H, W]` in [0, 1] and integer labels.
public struct Dataset {
    /// `[N, C, H, W]`, values in [0, 1].
    public var images: Tensor
    /// One label per image, in `0..<classes`.
    public var labels: [Int]
    /// The number of classes.
    public var classes: Int

    /// Checks that shapes, labels and values agree.
    public init(images: Tensor, labels: [Int], classes: Int) throws {
        guard images.rank == 4 else {
            throw FSCError.shapeMismatch("dataset images must be [N,C,H,W], got \(images.shape)")
        }
        guard images.shape[0] == labels.count else {
            throw FSCError.shapeMismatch("\(images.shape[0]) images but \(labels.count) labels")
        }
        guard classes >= 2 else { throw FSCError.invalidArgument("a dataset needs at least 2 classes, got \(classes)") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw FSCError.invalidArgument("label \(bad) outside 0..<\(classes)")
        }
        guard images.isFinite else { throw FSCError.notFinite("dataset images contain NaN or infinity") }
        self.images = images
        self.labels = labels
        self.classes = classes
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// A 64-bit FNV-1a hash of the shape, every pixel's bits and every label: equal data sets have
    /// equal fingerprints (used to check that the ranks of a run train on the same data).
    public var fingerprint: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt64) { hash = (hash ^ word) &* 0x100_0000_01B3 }
        images.shape.forEach { mix(UInt64($0)) }
        images.scalars.withUnsafeBufferPointer { pixels in
            for value in pixels { mix(UInt64(value.bitPattern)) }
        }
        labels.forEach { mix(UInt64(truncatingIfNeeded: $0)) }
        return hash
    }

    /// `[C, H, W]` of one image.
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// The first `n` examples (all of them if `n` is nil or larger than the set).
    public func prefix(_ n: Int?) -> Dataset {
        guard let n, n < count else { return self }
        var copy = self
        copy.images = images.slice(0..<max(n, 0))
        copy.labels = Array(labels.prefix(max(n, 0)))
        return copy
    }

    /// The examples at `indices`, as a batch.
    public func batch(_ indices: [Int]) -> (images: Tensor, labels: [Int]) {
        (images.gathering(rows: indices), indices.map { labels[$0] })
    }

    /// Images from unsigned bytes `[N, C, H, W]` (0…255 → 0…1).
    static func imagesFromBytes<C: Collection>(_ bytes: C, shape: [Int]) -> Tensor where C.Element == UInt8 {
        var values = [Float](repeating: 0, count: bytes.count)
        var i = 0
        for byte in bytes {
            values[i] = Float(byte) * (1 / 255)
            i += 1
        }
        return Tensor(shape: shape, scalars: values)
    }
}
