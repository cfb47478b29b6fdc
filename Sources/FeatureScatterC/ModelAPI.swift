// ModelAPI.swift — fsc_model_*: built-in models, checkpoints, inference.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_model_create")
public func fsc_model_create(_ architecture: UnsafePointer<CChar>?, _ inputShape: UnsafePointer<Int64>?, _ classes: Int32,
                             _ seed: UInt64, _ model: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_model_create") {
        let out = try required(model, "model")
        let name = try requiredString(architecture, "architecture")
        let shape = try readShape(inputShape, rank: 3, name: "input_shape")
        guard shape.allSatisfy({ $0 <= 4096 }) else { throw BoundaryError.shape("input_shape \(shape) exceeds 4096 per dimension") }
        guard classes >= 2 && classes <= 1 << 20 else { throw BoundaryError.invalid("classes = \(classes) is not in 2...2^20") }
        let spec = ModelSpec(architecture: name, inputShape: shape, classes: Int(classes))
        var generator = SeededGenerator(seed: seed)
        store(ModelBox(model: try spec.build(using: &generator), spec: spec), into: out)
    }
}

@_cdecl("fsc_model_create_preset")
public func fsc_model_create_preset(_ preset: UnsafePointer<CChar>?, _ inputShape: UnsafePointer<Int64>?, _ classes: Int32,
                                    _ seed: UInt64, _ model: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_model_create_preset") {
        let out = try required(model, "model")
        let recipe = try TrainingPreset.named(try requiredString(preset, "preset"))
        let shape = try readShape(inputShape, rank: 3, name: "input_shape")
        guard shape.allSatisfy({ $0 <= 4096 }) else { throw BoundaryError.shape("input_shape \(shape) exceeds 4096 per dimension") }
        guard classes >= 2 && classes <= 1 << 20 else { throw BoundaryError.invalid("classes = \(classes) is not in 2...2^20") }
        let spec = recipe.modelSpec(inputShape: shape, classes: Int(classes))
        var generator = SeededGenerator(seed: seed)
        store(ModelBox(model: try spec.build(using: &generator), spec: spec), into: out)
    }
}

@_cdecl("fsc_model_load_checkpoint")
public func fsc_model_load_checkpoint(_ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_model_load_checkpoint") {
        let out = try required(model, "model")
        let checkpoint = try Checkpoint.read(from: try requiredString(path, "path"))
        store(ModelBox(model: try checkpoint.makeModel(), spec: checkpoint.header.model), into: out)
    }
}

@_cdecl("fsc_model_save_checkpoint")
public func fsc_model_save_checkpoint(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> fsc_status {
    guarded("fsc_model_save_checkpoint") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let target = try requiredString(path, "path")
        try box.exclusive { try Checkpoint(model: box.model, spec: box.spec, optimizer: nil, epoch: 0) }.write(to: target)
    }
}

@_cdecl("fsc_model_parameter_count")
public func fsc_model_parameter_count(_ model: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?) -> fsc_status {
    guarded("fsc_model_parameter_count") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        try required(count, "count").pointee = Int64(box.model.parameterCount)
    }
}

@_cdecl("fsc_model_info")
public func fsc_model_info(_ model: OpaquePointer?, _ inputShape: UnsafeMutablePointer<Int64>?,
                           _ classes: UnsafeMutablePointer<Int32>?) -> fsc_status {
    guarded("fsc_model_info") {
        let spec = try HandleRegistry.lookup(model, as: ModelBox.self, "model").spec
        if let inputShape { for (i, d) in spec.inputShape.enumerated() { inputShape[i] = Int64(d) } }
        classes?.pointee = Int32(spec.classes)
    }
}

/// Logits of a checked caller batch.
private func logits(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?,
                    _ rank: Int) throws -> (Tensor, ModelSpec) {
    let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
    let images = try readImages(x, shape: shape, rank: rank, imageShape: box.spec.inputShape)
    return (box.exclusive { box.model.predict(images) }, box.spec)
}

@_cdecl("fsc_model_forward")
public func fsc_model_forward(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?,
                              _ rank: Int, _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int) -> fsc_status {
    guarded("fsc_model_forward") {
        let (z, _) = try logits(model, x, shape, rank)
        try checkCount(outputCount, expected: z.count, name: "logits")
        let out = try required(output, "logits")
        z.scalars.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: z.count) }
    }
}

@_cdecl("fsc_model_predict")
public func fsc_model_predict(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?,
                              _ rank: Int, _ labels: UnsafeMutablePointer<Int32>?, _ labelCount: Int) -> fsc_status {
    guarded("fsc_model_predict") {
        let (z, _) = try logits(model, x, shape, rank)
        try checkCount(labelCount, expected: z.shape[0], name: "labels")
        let out = try required(labels, "labels")
        for (i, label) in z.argMaxPerRow().enumerated() { out[i] = Int32(label) }
    }
}

@_cdecl("fsc_model_accuracy")
public func fsc_model_accuracy(_ model: OpaquePointer?, _ dataset: OpaquePointer?,
                               _ percent: UnsafeMutablePointer<Double>?) -> fsc_status {
    guarded("fsc_model_accuracy") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let data = try HandleRegistry.lookup(dataset, as: DatasetBox.self, "dataset").dataset
        let out = try required(percent, "percent")
        guard data.imageShape == box.spec.inputShape, data.classes == box.spec.classes else {
            throw BoundaryError.shape("data \(data.imageShape) with \(data.classes) classes does not fit the model's \(box.spec.inputShape) with \(box.spec.classes)")
        }
        out.pointee = try box.exclusive { try accuracy(of: box.model, on: data) }
    }
}

@_cdecl("fsc_model_free")
public func fsc_model_free(_ model: OpaquePointer?) {
    HandleRegistry.release(model, as: ModelBox.self)
}
