// AttackCatalog.swift — attacks by the names used on the command line and in reports.

/// Builds attacks from short names, so that a report's keys say exactly what ran:
///
/// | name | attack |
/// |---|---|
/// | `fgsm` | FGSM from x, step ε |
/// | `fgsm-rs` | FGSM from x + U(−ε, ε), step ε (the reference's "FGSM") |
/// | `pgd<k>` | PGD-k, cross-entropy, random start, step ε/4 |
/// | `cw<k>` | PGD-k on the CW margin, κ = 50, random start, step ε/4 |
/// | `apgd-ce`, `apgd-dlr` | APGD, 100 iterations |
/// | `apgd-t` | APGD with targeted DLR over the top 9 other classes, 100 iterations each |
/// | `square` (`square<q>`) | Square, 5,000 (q) queries |
/// | `noise` | uniform noise in the ball |
public enum AttackCatalog {
    /// The suites `--suite` accepts.
    public static let suites: [String: [String]] = [
        "paper": ["fgsm-rs", "pgd10", "pgd20", "pgd40", "pgd100", "cw10", "cw20", "cw40", "cw100"],
        "autoattack": ["apgd-ce", "apgd-t", "square"],
    ]

    /// The attacks of AutoAttack's "standard" version, the default worst-case list.
    public static let autoAttackStandard = ["apgd-ce", "apgd-t", "square"]

    /// The attack called `name` at radius ε.
    ///
    /// - Throws: `FSCError.invalidArgument` for an unknown name (listing the known ones) or
    ///   a norm the attack does not support (Square and its budget are L∞ only).
    public static func make(_ name: String, epsilon: Float, norm: Norm = .linf) throws -> any Attack {
        func count(after prefix: String) -> Int? {
            guard name.hasPrefix(prefix), let k = Int(name.dropFirst(prefix.count)), k >= 1 else { return nil }
            return k
        }
        switch name {
        case "fgsm": return try FGSM(epsilon: epsilon, norm: norm)
        case "fgsm-rs": return try FGSM(epsilon: epsilon, randomStart: true, norm: norm)
        case "apgd-ce": return try APGD(epsilon: epsilon, norm: norm)
        case "apgd-dlr": return try APGD(epsilon: epsilon, norm: norm, loss: .dlr)
        case "apgd-t": return try APGD(epsilon: epsilon, norm: norm, targeted: true)
        case "noise": return try RandomNoise(epsilon: epsilon, norm: norm)
        default: break
        }
        if let k = count(after: "pgd") {
            return try PGD(epsilon: epsilon, stepSize: epsilon / 4, steps: k, norm: norm)
        }
        if let k = count(after: "cw") { return try PGD.cw(epsilon: epsilon, steps: k, norm: norm) }
        if name == "square" || count(after: "square") != nil {
            guard norm == .linf else { throw FSCError.invalidArgument("square is an L∞ attack; got norm \(norm.rawValue)") }
            var square = try Square(epsilon: epsilon, queries: count(after: "square") ?? 5000)
            square.name = name
            return square
        }
        throw FSCError.invalidArgument("unknown attack '\(name)'; known: fgsm, fgsm-rs, pgd<k>, cw<k>, apgd-ce, apgd-dlr, apgd-t, square, square<queries>, noise")
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
