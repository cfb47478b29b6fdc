// SVHN.swift — the Street View House Numbers digits from their official MATLAB files.

import Foundation

extension Dataset {
    /// The files of each SVHN split, as distributed (format 2, cropped 32×32 digits).
    private static func svhnFiles(split: DatasetSplit, includeExtra: Bool) -> [String] {
        switch split {
        case .test: return ["test_32x32.mat"]
        case .train: return includeExtra ? ["train_32x32.mat", "extra_32x32.mat"] : ["train_32x32.mat"]
        }
    }

    /// SVHN (Netzer et al., *Reading Digits in Natural Images with Unsupervised Feature
    /// Learning*, 2011) from the official MATLAB files in `directory`: `train_32x32.mat`
    /// (73,257 digits), `test_32x32.mat` (26,032) and, with `includeExtra`, `extra_32x32.mat`
    /// (531,131) appended to the train split.
    ///
    /// Each file holds `X`, uint8 `32×32×3×N` in MATLAB's column-major order (element
    /// `(h, w, c, n)` at `h + 32·(w + 32·(c + 3·n))`), and `y`, N labels of any numeric class in
    /// 1…10 where 10 stands for the digit 0 (0…9 are accepted as they are).
    ///
    /// - Returns: images `[N, 3, 32, 32]` in [0, 1] (byte / 255), labels 0…9, 10 classes.
    /// - Throws: `FSCError.io` naming the file when it is missing or unreadable, when `X` or `y`
    ///   is missing or has the wrong class or shape, or when a label is outside 0…10.
    public static func svhn(directory: String, split: DatasetSplit, includeExtra: Bool = false) throws -> Dataset {
        var pixels: [ArraySlice<UInt8>] = []
        var labels: [Int] = []
        for file in svhnFiles(split: split, includeExtra: includeExtra) {
            let path = directory + "/" + file
            guard FileManager.default.fileExists(atPath: path) else {
                throw FSCError.io("\(path): no such file (SVHN needs train_32x32.mat and test_32x32.mat, and "
                                  + "extra_32x32.mat for svhn-extra, from http://ufldl.stanford.edu/housenumbers/)")
            }
            let part = try readSVHNFile(path)
            pixels.append(part.pixels)
            labels += part.labels
        }
        return try Dataset(images: svhnImages(pixels, count: labels.count), labels: labels, classes: 10)
    }

    /// The pixels (column-major bytes of `X`) and the labels (0…9) of one SVHN file.
    private static func readSVHNFile(_ path: String) throws -> (pixels: ArraySlice<UInt8>, labels: [Int]) {
        let arrays = try readMAT(path: path)
        let found = arrays.map(\.name).joined(separator: ", ")
        guard let x = arrays.first(where: { $0.name == "X" }) else {
            throw FSCError.io("\(path): no array X (found: \(found.isEmpty ? "none" : found))")
        }
        guard x.arrayClass == .uint8, x.elementType == .uint8, !x.isComplex else {
            let stored = x.elementType.map { " stored as \($0)" } ?? ""
            throw FSCError.io("\(path): X must be a real uint8 array, found \(x.isComplex ? "complex " : "")\(x.arrayClass)\(stored)")
        }
        let dims = x.dimensions
        guard dims.count <= 4, dims.count >= 3, Array(dims.prefix(3)) == [32, 32, 3] else {
            throw FSCError.io("\(path): X must be 32×32×3×N, found \(dims.map(String.init).joined(separator: "×"))")
        }
        let count = dims.count == 4 ? dims[3] : 1
        guard count > 0 else { throw FSCError.io("\(path): X holds no images") }
        guard let y = arrays.first(where: { $0.name == "y" }) else {
            throw FSCError.io("\(path): no array y (found: \(found))")
        }
        guard y.elementType != nil, !y.isComplex else {
            throw FSCError.io("\(path): y must be a real numeric array, found \(y.isComplex ? "complex " : "")\(y.arrayClass)")
        }
        guard y.count == count, y.dimensions.filter({ $0 != 1 }).count <= 1 else {
            throw FSCError.io("\(path): y must hold one label per image of X (\(count)), found "
                              + y.dimensions.map(String.init).joined(separator: "×"))
        }
        var labels: [Int] = []
        labels.reserveCapacity(count)
        for (i, value) in y.doubles().enumerated() {
            guard value >= 0, value <= 10, value == value.rounded() else {
                throw FSCError.io("\(path): label \(i) is \(value); SVHN labels are 1…10, with 10 for the digit 0")
            }
            labels.append(Int(value) % 10)
        }
        return (x.data, labels)
    }

    /// Images `[count, 3, 32, 32]` in [0, 1] from column-major `X` bytes: each of the file's
    /// 32×32 planes (`c + 3·n`, the same order as NCHW's `n·3 + c`) holds `[w][h]`, so it is
    /// transposed to `[h][w]` on the way.
    private static func svhnImages(_ parts: [ArraySlice<UInt8>], count: Int) -> Tensor {
        let scale = (0..<256).map { Float($0) * (1 / 255) }
        return Tensor(shape: [count, 3, 32, 32]) { out in
            var plane = 0
            for part in parts {
                part.withUnsafeBufferPointer { source in
                    for p in 0..<(source.count / 1024) {
                        let from = p * 1024, to = (plane + p) * 1024
                        for w in 0..<32 {
                            for h in 0..<32 { out[to + 32 * h + w] = scale[Int(source[from + 32 * w + h])] }
                        }
                    }
                    plane += source.count / 1024
                }
            }
        }
    }
}
