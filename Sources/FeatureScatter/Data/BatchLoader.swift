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

    /// Applies the augmentation in place to a batch `[N, C, H, W]`, drawing each image's crop
    /// offset and flip from its row of `random`.
    public func apply(to batch: inout Tensor, using random: inout some BatchRandomness) {
        guard !isIdentity else { return }
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let words = random.words(perRow: n)
        var scratch = [Float](repeating: 0, count: c * h * w)
        batch.scalars.withUnsafeMutableBufferPointer { data in
            for i in 0..<n {
                var generator = SeededGenerator(seed: words[i])
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

/// One batch of a pass: this rank's rows of a global batch.
public struct Batch {
    public var images: Tensor
    public var labels: [Int]
    /// The data set index of each row.
    public var indices: [Int]
    /// Where the rows sit in the global batch.
    public var shard: BatchShard
}

/// The global batches of one pass over a data set in a given order, each split over the ranks
/// of a communicator (rank r takes its slice, see ``BatchShard/split(_:over:)``).
public struct BatchLoader: Sequence, IteratorProtocol {
    private let dataset: Dataset
    private let batchSize: Int
    private let order: [Int]
    private let communicator: any Communicator
    private var position = 0

    /// - Parameters:
    ///   - batchSize: rows of each global batch (the last one may be smaller).
    ///   - order: the data set indices in the order of the pass (default: in order).
    public init(_ dataset: Dataset, batchSize: Int, order: [Int]? = nil,
                communicator: any Communicator = SingleProcess()) {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.order = order ?? Array(0..<dataset.count)
        self.communicator = communicator
    }

    /// The order of `epoch` in a run seeded `seed`: a permutation fixed by those two alone, so
    /// every rank, and a run resumed at any world size, draws the same one.
    public static func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: mixKeys(mixKeys(seed, 0x0DE5_0F0D), UInt64(truncatingIfNeeded: epoch)))
        var indices = Array(0..<count)
        indices.shuffle(using: &generator)
        return indices
    }

    /// The number of global batches in the pass.
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    public mutating func next() -> Batch? {
        guard position < order.count else { return nil }
        let end = Swift.min(position + batchSize, order.count)
        let shard = BatchShard.split(end - position, over: communicator)
        let indices = Array(order[(position + shard.offset)..<(position + shard.offset + shard.localCount)])
        position = end
        let (images, labels) = dataset.batch(indices)
        return Batch(images: images, labels: labels, indices: indices, shard: shard)
    }
}
