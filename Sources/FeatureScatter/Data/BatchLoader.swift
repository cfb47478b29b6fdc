// BatchLoader.swift — seeded shuffling, batching and augmentation for one epoch.

/// Data augmentation applied per image when batches are drawn.
public struct Augmentation: Sendable {
    /// Pad by this many zero pixels on each side, then crop back at a random offset (0 = off).
    public var cropPadding: Int
    /// Flip left–right with probability 1/2.
    public var horizontalFlip: Bool

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// No augmentation.
    public static let none = Augmentation()

    /// True when this augmentation changes nothing.
    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// Applies the augmentation in place to a batch `[N, C, H, W]`.
    public func apply(to batch: inout Tensor, using generator: inout SeededGenerator) {
        guard !isIdentity else { return }
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        var scratch = [Float](repeating: 0, count: c * h * w)
        batch.scalars.withUnsafeMutableBufferPointer { data in
            for i in 0..<n {
                let dy = cropPadding > 0 ? Int(generator.next() % UInt64(2 * cropPadding + 1)) - cropPadding : 0
                let dx = cropPadding > 0 ? Int(generator.next() % UInt64(2 * cropPadding + 1)) - cropPadding : 0
                let flip = horizontalFlip && generator.next() & 1 == 1
                let image = data.baseAddress! + i * c * h * w
                for p in 0..<(c * h * w) { scratch[p] = image[p] }
                for ch in 0..<c {
                    for y in 0..<h {
                        for x in 0..<w {
                            let sy = y + dy, sx0 = x + dx
                            let sx = flip ? w - 1 - sx0 : sx0
                            let inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w
                            image[(ch * h + y) * w + x] = inside ? scratch[(ch * h + sy) * w + sx] : 0
                        }
                    }
                }
            }
        }
    }
}

/// The batches of one pass over a data set, in a seeded random order (or in order).
public struct BatchLoader: Sequence, IteratorProtocol {
    private let dataset: Dataset
    private let batchSize: Int
    private let order: [Int]
    private var position = 0
    private var generator: SeededGenerator
    private let augmentation: Augmentation

    /// - Parameters:
    ///   - shuffle: draw the examples in a random order fixed by `generator`.
    ///   - dropLast: skip a final batch smaller than `batchSize`.
    public init(_ dataset: Dataset, batchSize: Int, shuffle: Bool, dropLast: Bool = false,
                augmentation: Augmentation = .none, generator: SeededGenerator) {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        var generator = generator
        var indices = Array(0..<dataset.count)
        if shuffle { indices.shuffle(using: &generator) }
        if dropLast { indices = Array(indices.prefix(dataset.count / batchSize * batchSize)) }
        order = indices
        self.generator = generator
        self.augmentation = augmentation
    }

    /// The number of batches in the pass.
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    public mutating func next() -> (images: Tensor, labels: [Int])? {
        guard position < order.count else { return nil }
        let end = Swift.min(position + batchSize, order.count)
        var batch = dataset.batch(Array(order[position..<end]))
        position = end
        augmentation.apply(to: &batch.images, using: &generator)
        return batch
    }
}
