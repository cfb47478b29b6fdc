// AttackAPI.swift — fsc_attack_*: any attack of the engine on a caller's batch.

import CFeatureScatterABI
import FeatureScatter

@_cdecl("fsc_attack_config_default")
public func fsc_attack_config_default(_ config: UnsafeMutablePointer<fsc_attack_config>?) -> fsc_status {
    guarded("fsc_attack_config_default") {
        try required(config, "config").pointee = defaultAttackConfig()
    }
}

/// The documented defaults.
func defaultAttackConfig() -> fsc_attack_config {
    fsc_attack_config(struct_size: MemoryLayout<fsc_attack_config>.size, kind: FSC_ATTACK_PGD, norm: FSC_NORM_LINF,
                      epsilon: 0.1, steps: 0, step_size: 0, random_start: -1, restarts: 1, queries: 5000, kappa: 50,
                      target: FSC_TARGET_NONE, seed: 0)
}

/// The engine's norm for a caller's enum value.
func norm(_ value: fsc_norm) throws -> Norm {
    switch value {
    case FSC_NORM_LINF: return .linf
    case FSC_NORM_L2: return .l2
    default: throw BoundaryError.invalid("norm = \(value.rawValue) is not an fsc_norm")
    }
}

/// The engine attack a caller's config describes, checked.
func attack(from c: fsc_attack_config) throws -> any Attack {
    guard c.struct_size >= MemoryLayout<fsc_attack_config>.size else {
        throw BoundaryError.invalid("fsc_attack_config.struct_size = \(c.struct_size) is smaller than \(MemoryLayout<fsc_attack_config>.size); fill it with fsc_attack_config_default")
    }
    let threat = try norm(c.norm)
    guard c.epsilon.isFinite, c.epsilon >= 0, c.epsilon <= (threat == .linf ? 1 : 1e4) else {
        throw BoundaryError.invalid("epsilon = \(c.epsilon) is not a finite radius in the threat model's range")
    }
    guard c.step_size.isFinite, c.step_size >= 0 else { throw BoundaryError.invalid("step_size = \(c.step_size) must be finite and ≥ 0") }
    guard c.steps >= 0, c.steps <= 100_000 else { throw BoundaryError.invalid("steps = \(c.steps) is not in 0...100000") }
    guard c.restarts >= 1, c.restarts <= 1000 else { throw BoundaryError.invalid("restarts = \(c.restarts) is not in 1...1000") }
    guard [-1, 0, 1].contains(c.random_start) else { throw BoundaryError.invalid("random_start = \(c.random_start) is not -1, 0 or 1") }
    guard c.kappa.isFinite, c.kappa >= 0 else { throw BoundaryError.invalid("kappa = \(c.kappa) must be finite and ≥ 0") }
    let target: AttackTarget
    switch c.target {
    case FSC_TARGET_NONE: target = .untargeted
    case FSC_TARGET_LEAST_LIKELY: target = .leastLikely
    case FSC_TARGET_RANDOM: target = .random
    default: throw BoundaryError.invalid("target = \(c.target.rawValue) is not an fsc_attack_target")
    }
    let isPGD = c.kind == FSC_ATTACK_PGD || c.kind == FSC_ATTACK_CW
    guard target == .untargeted || isPGD else { throw BoundaryError.invalid("only PGD and CW take a target; use FSC_ATTACK_APGD_T for targeted APGD") }
    let steps = c.steps == 0 ? nil : Int(c.steps)
    let stepSize = c.step_size == 0 ? nil : c.step_size
    switch c.kind {
    case FSC_ATTACK_FGSM:
        return try FGSM(epsilon: c.epsilon, stepSize: stepSize, randomStart: c.random_start == 1, norm: threat)
    case FSC_ATTACK_PGD, FSC_ATTACK_CW:
        let k = steps ?? 20
        var pgd = try PGD(epsilon: c.epsilon, stepSize: stepSize ?? c.epsilon / 4, steps: k, randomStart: c.random_start != 0,
                          norm: threat, loss: c.kind == FSC_ATTACK_CW ? .margin(kappa: c.kappa) : .crossEntropy,
                          restarts: Int(c.restarts), target: target)
        pgd.name = (c.kind == FSC_ATTACK_CW ? "cw" : "pgd") + "\(k)"
        return pgd
    case FSC_ATTACK_APGD_CE, FSC_ATTACK_APGD_DLR, FSC_ATTACK_APGD_T:
        return try APGD(epsilon: c.epsilon, norm: threat, steps: steps ?? 100, loss: c.kind == FSC_ATTACK_APGD_CE ? .crossEntropy : .dlr,
                        targeted: c.kind == FSC_ATTACK_APGD_T, restarts: Int(c.restarts))
    case FSC_ATTACK_SQUARE:
        guard threat == .linf else { throw BoundaryError.invalid("Square is an L∞ attack; norm must be FSC_NORM_LINF") }
        guard c.queries >= 1, c.queries <= 1_000_000 else { throw BoundaryError.invalid("queries = \(c.queries) is not in 1...1000000") }
        return try Square(epsilon: c.epsilon, queries: Int(c.queries), restarts: Int(c.restarts))
    case FSC_ATTACK_NOISE:
        return try RandomNoise(epsilon: c.epsilon, norm: threat, restarts: Int(c.restarts))
    default:
        throw BoundaryError.invalid("kind = \(c.kind.rawValue) is not an fsc_attack_kind")
    }
}

@_cdecl("fsc_attack_run")
public func fsc_attack_run(_ model: OpaquePointer?, _ config: UnsafePointer<fsc_attack_config>?, _ images: UnsafePointer<Float>?,
                           _ shape: UnsafePointer<Int64>?, _ rank: Int, _ labels: UnsafePointer<Int32>?, _ labelCount: Int,
                           _ adversarial: UnsafeMutablePointer<Float>?, _ adversarialCount: Int) -> fsc_status {
    guarded("fsc_attack_run") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let c = try required(config, "config").pointee
        let chosen = try attack(from: c)
        let x = try readImages(images, shape: shape, rank: rank, imageShape: box.spec.inputShape)
        try checkCount(labelCount, expected: x.shape[0], name: "labels")
        let y = try readLabels(labels, count: labelCount, classes: box.spec.classes)
        try checkCount(adversarialCount, expected: x.count, name: "adversarial")
        let out = try required(adversarial, "adversarial")
        var generator = SeededGenerator(seed: c.seed)
        let result = try chosen.perturb(box.model, images: x, labels: y, using: &generator)
        result.scalars.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: result.count) }
    }
}
