// AttackSpec.swift — attacks by kind and settings, and by the names used on the command line and in reports.

/// An evaluation attack described by its kind and settings: what a name such as `pgd20`
/// and a C `fsc_attack_config` both say. An unset optional means the kind's default.
///
/// | name | attack |
/// |---|---|
/// | `fgsm` | FGSM from x, step ε |
/// | `fgsm-rs` | FGSM from x + U(−ε, ε), step ε (the reference's "FGSM") |
/// | `pgd<k>` | PGD-k, cross-entropy, random start, step ε/4 |
/// | `cw<k>` | PGD-k on the CW margin, κ = 50, random start, step ε/4 |
/// | `apgd-ce`, `apgd-dlr` | APGD, 100 iterations |
/// | `apgd-t` | APGD with targeted DLR over the top 9 other classes, 100 iterations each |
/// | `square` (`square<q>`) | Square, 5,000 (q) queries, L∞ only |
/// | `noise` | uniform noise in the ball |
///
/// Suites stand for several names: `paper` (the paper's Table 1 columns) and `autoattack`
/// (AutoAttack's standard attacks; Square only under L∞).
public struct AttackSpec: Sendable, Equatable {
    /// The attack families.
    public enum Kind: String, CaseIterable, Sendable {
        case fgsm, pgd, cw
        case apgdCE = "apgd-ce", apgdDLR = "apgd-dlr", apgdT = "apgd-t"
        case square, noise
    }

    public var kind: Kind
    public var threat: ThreatModel
    /// Iterations; nil for PGD-20 and CW-20, APGD's 100. FGSM, Square and noise take none.
    public var steps: Int?
    /// α; nil for ε/4 (PGD, CW) or ε (FGSM). APGD adapts its own.
    public var stepSize: Float?
    /// nil for a random start in PGD and CW, none in FGSM.
    public var randomStart: Bool?
    /// Attempts per image (later ones only on images not yet fooled).
    public var restarts = 1
    /// Square's query budget; nil for 5,000.
    public var queries: Int?
    /// CW's κ; nil for 50.
    public var kappa: Float?
    /// PGD and CW only.
    public var target = AttackTarget.untargeted

    public init(kind: Kind, threat: ThreatModel) {
        self.kind = kind
        self.threat = threat
    }

    /// The attack a name stands for (see the table above).
    ///
    /// - Throws: `FSCError.invalidArgument` for an unknown name, listing the known ones.
    public init(name: String, threat: ThreatModel) throws {
        func count(after prefix: String) -> Int? {
            guard name.hasPrefix(prefix), let k = Int(name.dropFirst(prefix.count)), k >= 1 else { return nil }
            return k
        }
        if let kind = Kind(rawValue: name), ![.pgd, .cw].contains(kind) {
            self.init(kind: kind, threat: threat)
        } else if name == "fgsm-rs" {
            self.init(kind: .fgsm, threat: threat)
            randomStart = true
        } else if let k = count(after: "pgd") ?? count(after: "cw") {
            self.init(kind: name.hasPrefix("pgd") ? .pgd : .cw, threat: threat)
            steps = k
        } else if let q = count(after: "square") {
            self.init(kind: .square, threat: threat)
            queries = q
        } else {
            throw FSCError.invalidArgument("unknown attack '\(name)'; known: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square, square<queries>, noise, and the suites \(AttackSpec.suiteNames.joined(separator: ", "))")
        }
    }

    /// The suites a list of names may use.
    public static let suiteNames = ["paper", "autoattack"]

    /// The names a suite stands for under `norm`, or nil if `name` is no suite.
    public static func suite(_ name: String, norm: Norm) -> [String]? {
        switch name {
        case "paper": return ["fgsm-rs", "pgd10", "pgd20", "pgd40", "pgd100", "cw10", "cw20", "cw40", "cw100"]
        case "autoattack": return ["apgd-ce", "apgd-t"] + (norm == .linf ? ["square"] : [])
        default: return nil
        }
    }

    /// The attacks of a list of names and suites, in order, each once.
    public static func list(_ names: [String], threat: ThreatModel) throws -> [AttackSpec] {
        var seen = Set<String>()
        return try names.flatMap { suite($0, norm: threat.norm) ?? [$0] }
            .filter { seen.insert($0).inserted }
            .map { try AttackSpec(name: $0, threat: threat) }
    }

    /// The name in reports: `pgd20`, `cw100`, `fgsm-rs`, `square1000` (`square` at the default budget).
    public var name: String {
        switch kind {
        case .fgsm: return randomStart == true ? "fgsm-rs" : "fgsm"
        case .pgd, .cw: return kind.rawValue + "\(steps ?? PGD.defaultSteps)"
        case .square: return queries.map { $0 == Square.defaultQueries ? "square" : "square\($0)" } ?? "square"
        case .apgdCE, .apgdDLR, .apgdT, .noise: return kind.rawValue
        }
    }

    /// The engine attack, checked.
    ///
    /// - Throws: `FSCError.invalidArgument` for settings out of range, a target on an attack
    ///   that takes none, or Square under L2.
    public func make() throws -> any Attack {
        guard (0...100_000).contains(steps ?? 0) else { throw FSCError.invalidArgument("steps must be in 0...100000, got \(steps!)") }
        guard (1...1000).contains(restarts) else { throw FSCError.invalidArgument("restarts must be in 1...1000, got \(restarts)") }
        guard target == .untargeted || kind == .pgd || kind == .cw else {
            throw FSCError.invalidArgument("only PGD and CW take a target; apgd-t is the targeted APGD")
        }
        let (epsilon, norm) = (threat.epsilon, threat.norm)
        switch kind {
        case .fgsm:
            return try FGSM(epsilon: epsilon, stepSize: stepSize, randomStart: randomStart ?? false, norm: norm)
        case .pgd, .cw:
            let kappa = kappa ?? PGD.defaultKappa
            guard kappa.isFinite, kappa >= 0 else { throw FSCError.invalidArgument("kappa must be finite and ≥ 0, got \(kappa)") }
            var pgd = try PGD(epsilon: epsilon, stepSize: stepSize, steps: steps ?? PGD.defaultSteps,
                              randomStart: randomStart ?? true, norm: norm,
                              loss: kind == .cw ? .margin(kappa: kappa) : .crossEntropy, restarts: restarts, target: target)
            pgd.name = name
            return pgd
        case .apgdCE, .apgdDLR, .apgdT:
            return try APGD(epsilon: epsilon, norm: norm, steps: steps ?? APGD.defaultSteps,
                            loss: kind == .apgdCE ? .crossEntropy : .dlr, targeted: kind == .apgdT, restarts: restarts)
        case .square:
            guard norm == .linf else { throw FSCError.invalidArgument("square is an L∞ attack; got norm \(norm.rawValue)") }
            let queries = queries ?? Square.defaultQueries
            guard (1...1_000_000).contains(queries) else {
                throw FSCError.invalidArgument("queries must be in 1...1000000, got \(queries)")
            }
            var square = try Square(epsilon: epsilon, queries: queries, restarts: restarts)
            square.name = name
            return square
        case .noise:
            return try RandomNoise(epsilon: epsilon, norm: norm, restarts: restarts)
        }
    }

    /// The table heading for an attack name (`pgd20` → `PGD-20`).
    public static func heading(_ name: String) -> String {
        switch name {
        case "clean": return "Clean"
        case "worst_case": return "Worst case"
        case "fgsm": return "FGSM"
        case "fgsm-rs": return "FGSM (rs)"
        case "apgd-ce": return "APGD-CE"
        case "apgd-dlr": return "APGD-DLR"
        case "apgd-t": return "APGD-T"
        case "square": return "Square"
        case "noise": return "Noise"
        default:
            for (prefix, label) in [("pgd", "PGD-"), ("cw", "CW-"), ("square", "Square-")]
            where name.hasPrefix(prefix) && Int(name.dropFirst(prefix.count)) != nil {
                return label + name.dropFirst(prefix.count)
            }
            return name
        }
    }
}
