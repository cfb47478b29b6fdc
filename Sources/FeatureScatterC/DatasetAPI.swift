// DatasetAPI.swift — fsc_dataset_*: data sets from files or caller memory.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_dataset_load")
public func fsc_dataset_load(_ name: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?, _ split: fsc_split,
                             _ limit: Int64, _ dataset: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_dataset_load") {
        let out = try required(dataset, "dataset")
        let datasetName = try requiredString(name, "name")
        guard split == FSC_SPLIT_TRAIN || split == FSC_SPLIT_TEST else {
            throw BoundaryError.invalid("split = \(split.rawValue) is not FSC_SPLIT_TRAIN or FSC_SPLIT_TEST")
        }
        guard limit >= 0 else { throw BoundaryError.invalid("limit = \(limit) is negative") }
        let loaded = try Dataset.named(datasetName, directory: path.map { String(cString: $0) },
                                       split: split == FSC_SPLIT_TRAIN ? .train : .test)
        store(DatasetBox(loaded.prefix(limit == 0 ? nil : Int(min(limit, Int64(Int32.max))))), into: out)
    }
}

@_cdecl("fsc_dataset_from_memory")
public func fsc_dataset_from_memory(_ images: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?, _ rank: Int,
                                    _ labels: UnsafePointer<Int32>?, _ labelCount: Int, _ classes: Int32,
                                    _ dataset: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_dataset_from_memory") {
        let out = try required(dataset, "dataset")
        guard classes >= 2 && classes <= 1 << 20 else { throw BoundaryError.invalid("classes = \(classes) is not in 2...2^20") }
        let tensor = try readImages(images, shape: shape, rank: rank, imageShape: nil)
        try checkCount(labelCount, expected: tensor.shape[0], name: "labels")
        let values = try readLabels(labels, count: labelCount, classes: Int(classes))
        store(DatasetBox(try Dataset(images: tensor, labels: values, classes: Int(classes))), into: out)
    }
}

@_cdecl("fsc_dataset_info")
public func fsc_dataset_info(_ dataset: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?,
                             _ imageShape: UnsafeMutablePointer<Int64>?, _ classes: UnsafeMutablePointer<Int32>?) -> fsc_status {
    guarded("fsc_dataset_info") {
        let data = try HandleRegistry.lookup(dataset, as: DatasetBox.self, "dataset").dataset
        count?.pointee = Int64(data.count)
        if let imageShape { for (i, d) in data.imageShape.enumerated() { imageShape[i] = Int64(d) } }
        classes?.pointee = Int32(data.classes)
    }
}

@_cdecl("fsc_dataset_copy")
public func fsc_dataset_copy(_ dataset: OpaquePointer?, _ first: Int64, _ n: Int64, _ images: UnsafeMutablePointer<Float>?,
                             _ imageCount: Int, _ labels: UnsafeMutablePointer<Int32>?, _ labelCount: Int) -> fsc_status {
    guarded("fsc_dataset_copy") {
        let data = try HandleRegistry.lookup(dataset, as: DatasetBox.self, "dataset").dataset
        guard first >= 0, n >= 1, first + n <= Int64(data.count) else {
            throw BoundaryError.invalid("examples [\(first), \(first + n)) are not inside 0..<\(data.count)")
        }
        let perImage = data.imageShape.reduce(1, *)
        try checkCount(imageCount, expected: Int(n) * perImage, name: "images")
        try checkCount(labelCount, expected: Int(n), name: "labels")
        let imageOut = try required(images, "images"), labelOut = try required(labels, "labels")
        let start = Int(first) * perImage
        data.images.scalars.withUnsafeBufferPointer { source in
            imageOut.update(from: source.baseAddress! + start, count: imageCount)
        }
        for i in 0..<Int(n) { labelOut[i] = Int32(data.labels[Int(first) + i]) }
    }
}

@_cdecl("fsc_dataset_free")
public func fsc_dataset_free(_ dataset: OpaquePointer?) {
    HandleRegistry.release(dataset, as: DatasetBox.self)
}
