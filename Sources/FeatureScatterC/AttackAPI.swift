// AttackAPI.swift — fsc_attack_*: any attack of the engine on a caller's batch.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_attack_config_default")
public func fsc_attack_config_default(_ config: UnsafeMutablePointer<fsc_attack_config>?) -> fsc_status {
    guarded("fsc_attack_config_default") {
        try required(config, "config").pointee = defaultAttackConfig()
    }
}

/// The documented defaults: the engine's PGD-20 at the default radius.
func defaultAttackConfig() -> fsc_attack_config {
    let spec = AttackSpec(kind: .pgd, threat: ThreatModel.default)
    return fsc_attack_config(struct_size: MemoryLayout<fsc_attack_config>.size, kind: attackKindTable.c(spec.kind),
                             norm: normTable.c(spec.threat.norm), epsilon: spec.threat.epsilon, steps: 0, step_size: 0,
                             random_start: -1, restarts: Int32(spec.restarts), queries: Int32(Square.defaultQueries),
                             kappa: PGD.defaultKappa, target: targetTable.c(spec.target), seed: 0)
}

/// The engine's attack description of a caller's config (0 or -1 = the kind's default).
func attackSpec(from c: fsc_attack_config) throws -> AttackSpec {
    guard c.struct_size >= MemoryLayout<fsc_attack_config>.size else {
        throw BoundaryError.invalid("fsc_attack_config.struct_size = \(c.struct_size) is smaller than \(MemoryLayout<fsc_attack_config>.size); fill it with fsc_attack_config_default")
    }
    guard [-1, 0, 1].contains(c.random_start) else { throw BoundaryError.invalid("random_start = \(c.random_start) is not -1, 0 or 1") }
    let threat = try ThreatModel(norm: try normTable.engine(c.norm, "norm"), epsilon: c.epsilon)
    var spec = AttackSpec(kind: try attackKindTable.engine(c.kind, "kind"), threat: threat)
    spec.steps = c.steps == 0 ? nil : Int(c.steps)
    spec.stepSize = c.step_size == 0 ? nil : c.step_size
    spec.randomStart = c.random_start < 0 ? nil : c.random_start == 1
    spec.restarts = Int(c.restarts)
    spec.queries = Int(c.queries)
    spec.kappa = c.kappa
    spec.target = try targetTable.engine(c.target, "target")
    return spec
}

@_cdecl("fsc_attack_run")
public func fsc_attack_run(_ model: OpaquePointer?, _ config: UnsafePointer<fsc_attack_config>?, _ images: UnsafePointer<Float>?,
                           _ shape: UnsafePointer<Int64>?, _ rank: Int, _ labels: UnsafePointer<Int32>?, _ labelCount: Int,
                           _ adversarial: UnsafeMutablePointer<Float>?, _ adversarialCount: Int) -> fsc_status {
    guarded("fsc_attack_run") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let c = try required(config, "config").pointee
        let chosen = try attackSpec(from: c).make()
        let x = try readImages(images, shape: shape, rank: rank, imageShape: box.spec.inputShape)
        try checkCount(labelCount, expected: x.shape[0], name: "labels")
        let y = try readLabels(labels, count: labelCount, classes: box.spec.classes)
        try checkCount(adversarialCount, expected: x.count, name: "adversarial")
        let out = try required(adversarial, "adversarial")
        var generator = SeededGenerator(seed: c.seed)
        let result = try box.exclusive { try chosen.perturb(box.model, images: x, labels: y, using: &generator) }
        result.scalars.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: result.count) }
    }
}
