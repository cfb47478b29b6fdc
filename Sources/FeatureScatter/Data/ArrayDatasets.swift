// ArrayDatasets.swift — data sets from NumPy arrays (.npy pairs and .npz archives).

extension Dataset {
    /// A data set from an image array and a label array.
    ///
    /// Images: unsigned bytes (0…255, scaled to [0, 1]) or floats already in [0, 1]; shape
    /// `[N, H, W]` (one channel), `[N, C, H, W]`, or `[N, H, W, C]` with C ∈ {1, 3} (moved to
    /// NCHW). Labels: integers (any integer or float dtype holding whole numbers), `[N]` or
    /// `[N, 1]`. `classes` defaults to the largest label + 1.
    ///
    /// - Throws: `FSCError.shapeMismatch` for shapes that do not fit, `.invalidArgument` for
    ///   float images outside [0, 1] or labels that are negative or fractional.
    public static func fromArrays(images: NPYArray, labels: NPYArray, classes: Int? = nil) throws -> Dataset {
        var shape = images.shape
        if shape.count == 3 { shape.insert(1, at: 1) }
        guard shape.count == 4 else {
            throw FSCError.shapeMismatch("images must be [N,H,W], [N,C,H,W] or [N,H,W,C], got \(images.shape)")
        }
        var values = images.floats()
        if case .uint8 = images.payload {
            for i in values.indices { values[i] *= 1 / 255 }
        } else if let bad = values.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw FSCError.invalidArgument("float images must lie in [0, 1] (found \(bad)); store bytes or scale them")
        }
        let channelsLast = ![1, 3].contains(shape[1]) && [1, 3].contains(shape[3])
        if channelsLast {
            let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
            var moved = [Float](repeating: 0, count: values.count)
            for i in 0..<n {
                for y in 0..<h {
                    for x in 0..<w {
                        for ch in 0..<c { moved[((i * c + ch) * h + y) * w + x] = values[((i * h + y) * w + x) * c + ch] }
                    }
                }
            }
            values = moved
            shape = [n, c, h, w]
        }
        let labelValues = labels.floats()
        guard labels.shape == [shape[0]] || labels.shape == [shape[0], 1] else {
            throw FSCError.shapeMismatch("\(shape[0]) images need labels [\(shape[0])], got \(labels.shape)")
        }
        if let bad = labelValues.first(where: { $0 < 0 || $0 != $0.rounded() }) {
            throw FSCError.invalidArgument("labels must be non-negative whole numbers, found \(bad)")
        }
        let integers = labelValues.map { Int($0) }
        return try Dataset(images: Tensor(shape: shape, scalars: values), labels: integers,
                           classes: classes ?? max(2, (integers.max() ?? 0) + 1))
    }

    /// One split of a `.npz` archive: `x_train`/`y_train` and `x_test`/`y_test` (Keras
    /// layout), or `train_images`/`train_labels` and `test_images`/`test_labels`, or a single
    /// `images`/`labels` pair used for either split.
    public static func npz(path: String, split: DatasetSplit, classes: Int? = nil) throws -> Dataset {
        let arrays = try readNPZ(path: path)
        let name = split.rawValue
        let candidates = [("x_\(name)", "y_\(name)"), ("\(name)_images", "\(name)_labels"), ("images", "labels")]
        guard let (imageKey, labelKey) = candidates.first(where: { arrays[$0.0] != nil && arrays[$0.1] != nil }) else {
            throw FSCError.io("\(path): no \(name) arrays (looked for x_\(name)/y_\(name), \(name)_images/\(name)_labels, images/labels; found \(arrays.keys.sorted()))")
        }
        return try fromArrays(images: arrays[imageKey]!, labels: arrays[labelKey]!, classes: classes)
    }
}
