// LossSurfaceAPI.swift — fsc_loss_surface: the loss around one image (paper, Figure 4) into caller buffers.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_loss_surface_config_default")
public func fsc_loss_surface_config_default(_ config: UnsafeMutablePointer<fsc_loss_surface_config>?) -> fsc_status {
    guarded("fsc_loss_surface_config_default") {
        try required(config, "config").pointee = defaultLossSurfaceConfig()
    }
}

/// The documented defaults: the engine's `LossSurfaceRequest()`.
private func defaultLossSurfaceConfig() -> fsc_loss_surface_config {
    let request = LossSurfaceRequest()
    return fsc_loss_surface_config(struct_size: MemoryLayout<fsc_loss_surface_config>.size, epsilon: request.epsilon,
                                   points: Int32(request.points), extent: request.extent,
                                   batch_size: Int32(request.batchSize), seed: request.seed, clip: request.clip ? 1 : 0)
}

/// The engine's request of a caller's config, checked.
private func lossSurfaceRequest(_ c: fsc_loss_surface_config) throws -> LossSurfaceRequest {
    guard c.clip == 0 || c.clip == 1 else { throw BoundaryError.invalid("clip = \(c.clip) is not 0 or 1") }
    let request = LossSurfaceRequest(epsilon: c.epsilon, points: Int(c.points), extent: c.extent, seed: c.seed,
                                     clip: c.clip == 1, batchSize: Int(c.batch_size))
    try request.validate()
    return request
}

/// A caller's optional output: NULL with count 0, or a buffer of exactly `expected` floats.
private func optionalOutput(_ pointer: UnsafeMutablePointer<Float>?, count: Int, expected: Int, name: String,
                            countName: String) throws -> UnsafeMutablePointer<Float>? {
    guard let pointer else {
        guard count == 0 else { throw BoundaryError.invalid("\(name) is NULL but \(countName) is \(count)") }
        return nil
    }
    try checkCount(count, expected: expected, name: name)
    return pointer
}

@_cdecl("fsc_loss_surface")
public func fsc_loss_surface(_ model: OpaquePointer?, _ config: UnsafePointer<fsc_loss_surface_config>?,
                             _ image: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?, _ rank: Int, _ label: Int32,
                             _ losses: UnsafeMutablePointer<Float>?, _ lossCount: Int,
                             _ axis: UnsafeMutablePointer<Float>?, _ axisCount: Int,
                             _ directions: UnsafeMutablePointer<Float>?, _ directionCount: Int) -> fsc_status {
    guarded("fsc_loss_surface") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let c = try versionedConfig(config, "fsc_loss_surface_config", defaults: defaultLossSurfaceConfig(),
                                    minimumSize: MemoryLayout<fsc_loss_surface_config>.size)
        let request = try lossSurfaceRequest(c)
        let dims = try readShape(shape, rank: rank)
        guard dims[0] == 1 else { throw BoundaryError.shape("a loss surface takes one image, shape {1, C, H, W}; got \(dims)") }
        let x = try readImages(image, shape: shape, rank: rank, imageShape: box.spec.inputShape)
        guard label >= 0 && Int(label) < box.spec.classes else {
            throw BoundaryError.invalid("label = \(label) is outside 0..<\(box.spec.classes)")
        }
        let points = request.points
        try checkCount(lossCount, expected: points * points, name: "losses")
        let lossOut = try required(losses, "losses")
        let axisOut = try optionalOutput(axis, count: axisCount, expected: points, name: "axis", countName: "axis_count")
        let directionOut = try optionalOutput(directions, count: directionCount, expected: 2 * x.count, name: "directions",
                                             countName: "direction_count")
        let surface = try lossSurface(box.model, image: x, label: Int(label), request: request)
        for (i, row) in surface.losses.enumerated() {
            for (j, value) in row.enumerated() { lossOut[i * points + j] = value }
        }
        if let axisOut { for (k, value) in surface.axis.enumerated() { axisOut[k] = value } }
        if let directionOut {
            for (e, value) in (surface.adversarialDirection + surface.rademacherDirection).enumerated() { directionOut[e] = value }
        }
    }
}
