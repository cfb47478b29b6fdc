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
        let request = EvaluationRequest(threat: .default)
        try required(config, "config").pointee = fsc_eval_config(
            struct_size: MemoryLayout<fsc_eval_config>.size, norm: normTable.c(request.threat.norm),
            epsilon: request.threat.epsilon, attacks: defaultEvaluationAttacks, worst_case: nil,
            limit: Int64(EvaluationRequest.defaultLimit), batch_size: Int32(request.batchSize), seed: request.seed,
            communicator: nil)
    }
}

/// The default attack list, a static C string.
private let defaultEvaluationAttacks: UnsafePointer<CChar> = {
    UnsafePointer(strdup(EvaluationRequest.quickAttacks.joined(separator: ","))!)
}()

/// The names in a caller's comma-separated list (NULL = none).
private func attackNames(_ list: UnsafePointer<CChar>?) -> [String] {
    guard let list else { return [] }
    return String(cString: list).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The engine's request of a caller's config (limit 0 = every image).
private func evaluationRequest(_ c: fsc_eval_config) throws -> EvaluationRequest {
    guard c.limit >= 0 else { throw BoundaryError.invalid("limit = \(c.limit) is negative") }
    var request = EvaluationRequest(threat: try ThreatModel(norm: try normTable.engine(c.norm, "norm"), epsilon: c.epsilon))
    request.attacks = attackNames(c.attacks)
    request.worstCase = attackNames(c.worst_case)
    request.limit = c.limit == 0 ? nil : Int(min(c.limit, Int64(Int32.max)))
    request.batchSize = Int(c.batch_size)
    request.seed = c.seed
    return request
}

@_cdecl("fsc_evaluate")
public func fsc_evaluate(_ model: OpaquePointer?, _ dataset: OpaquePointer?, _ config: UnsafePointer<fsc_eval_config>?,
                         _ report: UnsafeMutablePointer<OpaquePointer?>?) -> fsc_status {
    guarded("fsc_evaluate") {
        let box = try HandleRegistry.lookup(model, as: ModelBox.self, "model")
        let data = try HandleRegistry.lookup(dataset, as: DatasetBox.self, "dataset").dataset
        var defaults = fsc_eval_config()
        _ = fsc_eval_config_default(&defaults)
        let c = try versionedConfig(config, "fsc_eval_config", defaults: defaults,
                                    minimumSize: MemoryLayout<fsc_eval_config>.offset(of: \.communicator) ?? 0)
        let request = try evaluationRequest(c)
        let out = try required(report, "report")
        let ranks = try communicator(c.communicator)
        let result = try box.exclusive {
            try evaluate(box.model, spec: box.spec, on: data, request: request, communicator: ranks)
        }
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
