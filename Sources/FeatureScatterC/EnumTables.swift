// EnumTables.swift — the C enums of featurescatter.h and the engine values they name.

import CFeatureScatterABI
import FeatureScatter

/// A one-to-one table between a C enum and an engine enum.
struct EnumTable<CValue: RawRepresentable & Equatable, EngineValue: Equatable> where CValue.RawValue: BinaryInteger {
    let typeName: String
    let pairs: [(CValue, EngineValue)]

    /// The engine value of a caller's enum, or an error naming the bad value.
    func engine(_ value: CValue, _ field: String) throws -> EngineValue {
        guard let pair = pairs.first(where: { $0.0 == value }) else {
            throw BoundaryError.invalid("\(field) = \(value.rawValue) is not an \(typeName)")
        }
        return pair.1
    }

    /// The C value of an engine value (every engine case is in the table).
    func c(_ value: EngineValue) -> CValue {
        pairs.first(where: { $0.1 == value })?.0 ?? pairs[0].0
    }
}

let methodTable = EnumTable<fsc_method, TrainingMethodKind>(typeName: "fsc_method", pairs: [
    (FSC_METHOD_STANDARD, .standard), (FSC_METHOD_MADRY, .madry), (FSC_METHOD_FEATURE_SCATTERING, .featureScattering),
    (FSC_METHOD_RANDOM, .random), (FSC_METHOD_SUPERVISED, .supervised), (FSC_METHOD_TRADES, .trades),
    (FSC_METHOD_BILATERAL, .bilateral),
])

let costTable = EnumTable<fsc_cost, CostFunction>(typeName: "fsc_cost", pairs: [
    (FSC_COST_COSINE, .cosine), (FSC_COST_SQEUCLIDEAN, .squaredEuclidean), (FSC_COST_EUCLIDEAN, .euclidean),
])

let gradientModeTable = EnumTable<fsc_grad_mode, OTGradientMode>(typeName: "fsc_grad_mode", pairs: [
    (FSC_GRAD_UNROLLED, .unrolled), (FSC_GRAD_ENVELOPE, .envelope),
])

let solverTable = EnumTable<fsc_ot_solver, OTSolver>(typeName: "fsc_ot_solver", pairs: [
    (FSC_OT_SINKHORN, .sinkhorn), (FSC_OT_SINKHORN_LOG, .sinkhornLog), (FSC_OT_SINKHORN_SCALING, .sinkhornScaling),
    (FSC_OT_IPOT, .ipot), (FSC_OT_EXACT, .exact), (FSC_OT_SINKHORN_REFERENCE, .sinkhornReference),
])

let matchingTable = EnumTable<fsc_ot_matching, OTMatching>(typeName: "fsc_ot_matching", pairs: [
    (FSC_MATCHING_OT, .ot), (FSC_MATCHING_UNIFORM, .uniform), (FSC_MATCHING_IDENTITY, .identity),
])

let normTable = EnumTable<fsc_norm, Norm>(typeName: "fsc_norm", pairs: [(FSC_NORM_LINF, .linf), (FSC_NORM_L2, .l2)])

let attackKindTable = EnumTable<fsc_attack_kind, AttackSpec.Kind>(typeName: "fsc_attack_kind", pairs: [
    (FSC_ATTACK_FGSM, .fgsm), (FSC_ATTACK_PGD, .pgd), (FSC_ATTACK_CW, .cw), (FSC_ATTACK_APGD_CE, .apgdCE),
    (FSC_ATTACK_APGD_DLR, .apgdDLR), (FSC_ATTACK_APGD_T, .apgdT), (FSC_ATTACK_SQUARE, .square), (FSC_ATTACK_NOISE, .noise),
])

let targetTable = EnumTable<fsc_attack_target, AttackTarget>(typeName: "fsc_attack_target", pairs: [
    (FSC_TARGET_NONE, .untargeted), (FSC_TARGET_LEAST_LIKELY, .leastLikely), (FSC_TARGET_RANDOM, .random),
])

let otScopeTable = EnumTable<fsc_ot_scope, OTScope>(typeName: "fsc_ot_scope", pairs: [
    (FSC_OT_SCOPE_GLOBAL, .global), (FSC_OT_SCOPE_LOCAL, .local),
])
