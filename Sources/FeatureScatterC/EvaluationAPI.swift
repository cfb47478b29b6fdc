// EvaluationAPI.swift — fsc_evaluate and fsc_report_*: the robustness evaluation and its report.

import CFeatureScatterABI
import FeatureScatter
import Foundation

/// A finished evaluation: the report and its JSON text.
final class ReportBox {
    let report: EvaluationReport
    let json: [UInt8]
    init(report: EvaluationReport) throws {
        self.report = report
        json = [UInt8](try report.json())
    }
}

@_cdecl("fsc_eval_config_default")
public func fsc_eval_config_default(_ config: UnsafeMutablePointer<fsc_eval_config>?) -> fsc_status {
    guarded("fsc_eval_config_default") {
        try required(config, "config").pointee = fsc_eval_config(
            struct_size: MemoryLayout<fsc_eval_config>.size, norm: FSC_NORM_LINF, epsilon: 0.1,
            attacks: defaultEvaluationAttacks, worst_case: nil, limit: 1000, batch_size: 250, seed: 0)
    }
}

/// The default attack list, a static C string.
private let defaultEvaluationAttacks: UnsafePointer<CChar> = {
    UnsafePointer(strdup("fgsm,pgd20,cw20,apgd-ce")!)
}()

/// The names in a caller's comma-separated list (NULL = none).
private func attackNames(_ list: UnsafePointer<CChar>?) -> [String] {
    guard let list else { return [] }
    return String(cString: list).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

@_cdecl("fsc_evaluate")
public func fsc_evaluate(_ model: OpaquePointer?, _ dataset: OpaquePointer?, _ config: UnsafePointer<fsc_eval_config>?,
                         _ report: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_evaluate") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let data = try HandleRegistry.lookup(dataset, as: DatasetBox.self, "dataset").dataset
        let c = try required(config, "config").pointee
        let out = try required(report, "report")
        guard c.struct_size >= MemoryLayout<fsc_eval_config>.size else {
            throw BoundaryError.invalid("fsc_eval_config.struct_size = \(c.struct_size) is smaller than \(MemoryLayout<fsc_eval_config>.size); fill it with fsc_eval_config_default")
        }
        let threat = try norm(c.norm)
        guard c.epsilon.isFinite, c.epsilon >= 0 else { throw BoundaryError.invalid("epsilon = \(c.epsilon) must be finite and ≥ 0") }
        guard c.limit >= 0 else { throw BoundaryError.invalid("limit = \(c.limit) is negative") }
        guard c.batch_size >= 1, c.batch_size <= 1 << 16 else { throw BoundaryError.invalid("batch_size = \(c.batch_size) is not in 1...65536") }
        guard data.imageShape == box.spec.inputShape, data.classes == box.spec.classes else {
            throw BoundaryError.shape("data \(data.imageShape) with \(data.classes) classes does not fit the model's \(box.spec.inputShape) with \(box.spec.classes)")
        }
        let attacks = try attackNames(c.attacks).map { try AttackCatalog.make($0, epsilon: c.epsilon, norm: threat) }
        let worstCase = try attackNames(c.worst_case).map { try AttackCatalog.make($0, epsilon: c.epsilon, norm: threat) }
        let test = data.prefix(c.limit == 0 ? nil : Int(min(c.limit, Int64(Int32.max))))
        let evaluation = try RobustnessEvaluation(attacks: attacks, worstCaseAttacks: worstCase, batchSize: Int(c.batch_size),
                                                  seed: c.seed)
        var result = try evaluation.run(box.model, images: test.images, labels: test.labels)
        result.model = box.spec.architecture
        result.epsilon = Double("\(c.epsilon)") ?? Double(c.epsilon)
        result.norm = threat.rawValue
        if !result.attacks.isEmpty { result.checkGradientMasking(box.model, images: test.images, labels: test.labels) }
        store(try ReportBox(report: result), into: out)
    }
}

@_cdecl("fsc_report_accuracy")
public func fsc_report_accuracy(_ report: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                _ percent: UnsafeMutablePointer<Double>?) -> fsc_status {
    guarded("fsc_report_accuracy") {
        let box = try HandleRegistry.lookup(report, as: ReportBox.self, "report")
        let key = try requiredString(name, "name")
        let out = try required(percent, "percent")
        guard let value = box.report.accuracy[key] else {
            throw BoundaryError.invalid("the report has no accuracy \"\(key)\"; it has \(box.report.accuracy.keys.sorted().joined(separator: ", "))")
        }
        out.pointee = value
    }
}

@_cdecl("fsc_report_json")
public func fsc_report_json(_ report: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                            _ length: UnsafeMutablePointer<Int>?) -> fsc_status {
    guarded("fsc_report_json") {
        let json = try HandleRegistry.lookup(report, as: ReportBox.self, "report").json
        try required(length, "length").pointee = json.count
        guard let buffer else {
            guard capacity == 0 else { throw BoundaryError.invalid("buffer is NULL but capacity is \(capacity)") }
            return
        }
        guard capacity > json.count else {
            throw BoundaryError.shape("buffer holds \(capacity) bytes, the report needs \(json.count + 1) with its NUL")
        }
        for (i, byte) in json.enumerated() { buffer[i] = CChar(bitPattern: byte) }
        buffer[json.count] = 0
    }
}

@_cdecl("fsc_report_free")
public func fsc_report_free(_ report: OpaquePointer?) {
    HandleRegistry.release(report, as: ReportBox.self)
}
