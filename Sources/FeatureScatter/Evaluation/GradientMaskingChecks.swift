// GradientMaskingChecks.swift — the automatic warning signs of Carlini et al. (2019).

import Foundation

/// The checks of Carlini et al., *On Evaluating Adversarial Robustness* (2019,
/// https://arxiv.org/abs/1902.06705, §5.2 and the checklist), applied to a report:
///
/// | check | flagged when |
/// |---|---|
/// | iterative weaker than single-step | FGSM accuracy < best iterative accuracy − tol, or PGD-1 < PGD-max in the steps sweep |
/// | black-box stronger than white-box | a black-box or noise attack's accuracy < best white-box − tol |
/// | accuracy not → 0 at large ε | the ε sweep's largest ε ≥ 0.3 (L∞) leaves > 5% accuracy |
/// | more steps raise accuracy | a later point of the steps sweep exceeds the best earlier one + tol |
/// | zero gradients | > 1% of correctly classified images have a zero cross-entropy gradient |
///
/// `tol = 2·100·√(p(1−p)/n) + 0.5` points, twice the binomial standard error of an accuracy p
/// on n images plus half a point, so noise alone rarely fires a flag.
public enum GradientMaskingChecks {
    public static func tolerance(accuracy: Double, images n: Int) -> Double {
        let p = min(max(accuracy / 100, 0), 1)
        return 200 * (p * (1 - p) / Double(max(n, 1))).squareRoot() + 0.5
    }

    /// The flags for `report` (its attacks, sweeps and zero-gradient fraction).
    public static func run(on report: EvaluationReport) -> [MaskingFlag] {
        let n = report.images
        let independent = report.attacks.filter { $0.mode == "independent" }
        let white = independent.filter { $0.kind == "white-box" }
        let singleStep = white.filter { $0.settings["attack"] == "FGSM" }
        let iterative = white.filter { $0.settings["attack"] != "FGSM" }
        let blackBox = independent.filter { $0.kind != "white-box" }
        let epsilonSweep = report.sweeps.first { $0.parameter == "epsilon" }
        let stepsSweep = report.sweeps.first { $0.parameter == "steps" }
        var flags: [MaskingFlag] = []

        // 1. Iterative attacks must beat single-step ones.
        var evidence: [String] = [], checked = false
        if let fgsm = singleStep.map(\.accuracy).min(), let best = iterative.min(by: { $0.accuracy < $1.accuracy }) {
            checked = true
            if fgsm < best.accuracy - tolerance(accuracy: best.accuracy, images: n) {
                evidence.append(String(format: "FGSM %.1f%% < %@ %.1f%%", fgsm, best.name, best.accuracy))
            }
        }
        if let points = stepsSweep?.points, let one = points.first(where: { $0.value == 1 }),
           let most = points.max(by: { $0.value < $1.value }), most.value > 1 {
            checked = true
            if one.accuracy < most.accuracy - tolerance(accuracy: most.accuracy, images: n) {
                evidence.append(String(format: "PGD-1 %.1f%% < PGD-%d %.1f%%", one.accuracy, Int(most.value), most.accuracy))
            }
        }
        flags.append(flag("iterative weaker than single-step", checked, evidence,
                          ok: "iterative attacks are at least as strong as single-step ones",
                          missing: "needs fgsm and an iterative attack, or a steps sweep with 1 step"))

        // 2. White-box must beat black-box.
        evidence = []
        if let best = white.min(by: { $0.accuracy < $1.accuracy }) {
            for attack in blackBox where attack.accuracy < best.accuracy - tolerance(accuracy: best.accuracy, images: n) {
                evidence.append(String(format: "%@ %.1f%% < best white-box %@ %.1f%%", attack.name, attack.accuracy,
                                       best.name, best.accuracy))
            }
        }
        flags.append(flag("black-box or transfer stronger than white-box", !white.isEmpty && !blackBox.isEmpty, evidence,
                          ok: "white-box attacks are at least as strong as black-box, transfer and noise",
                          missing: "needs a white-box and a black-box (square, transfer, noise) attack"))

        // 3. Unbounded attacks must succeed.
        evidence = []
        let large = epsilonSweep?.points.max(by: { $0.value < $1.value })
        let largeEnough = large.map { report.norm != "linf" || $0.value >= 0.3 } ?? false
        if let large, largeEnough, large.accuracy > 5 {
            evidence.append(String(format: "%.1f%% accuracy left at ε = %.2f", large.accuracy, large.value))
        }
        flags.append(flag("accuracy does not reach 0 at large epsilon", largeEnough, evidence,
                          ok: large.map { String(format: "%.1f%% at ε = %.2f", $0.accuracy, $0.value) } ?? "",
                          missing: "needs an epsilon sweep up to ≥ 0.3 (L∞)"))

        // 4. More steps must not help the defence.
        evidence = []
        if let points = stepsSweep?.points.sorted(by: { $0.value < $1.value }), points.count > 1 {
            var lowest = points[0]
            for point in points.dropFirst() {
                if point.accuracy > lowest.accuracy + tolerance(accuracy: lowest.accuracy, images: n) {
                    evidence.append(String(format: "PGD-%d %.1f%% > PGD-%d %.1f%%", Int(point.value), point.accuracy,
                                           Int(lowest.value), lowest.accuracy))
                }
                if point.accuracy < lowest.accuracy { lowest = point }
            }
        }
        flags.append(flag("more steps raise accuracy", (stepsSweep?.points.count ?? 0) > 1, evidence,
                          ok: "accuracy does not rise with more PGD steps",
                          missing: "needs a steps sweep with ≥ 2 points"))

        // 5. Gradients must exist.
        evidence = []
        if let zero = report.zeroGradientFraction, zero > 0.01 {
            evidence.append(String(format: "%.1f%% of correctly classified images have a zero gradient", 100 * zero))
        }
        flags.append(flag("zero gradients", report.zeroGradientFraction != nil, evidence,
                          ok: String(format: "%.1f%% zero gradients", 100 * (report.zeroGradientFraction ?? 0)),
                          missing: "not measured"))
        return flags
    }

    private static func flag(_ check: String, _ checked: Bool, _ evidence: [String], ok: String, missing: String) -> MaskingFlag {
        guard checked else { return MaskingFlag(check: check, status: "not-checked", detail: missing) }
        if evidence.isEmpty { return MaskingFlag(check: check, status: "ok", detail: ok) }
        return MaskingFlag(check: check, status: "flagged", detail: evidence.joined(separator: "; "))
    }

    /// The fraction of correctly classified images (among the first `limit`) whose
    /// cross-entropy input gradient is zero (‖g‖∞ ≤ 1e-20) at the clean image.
    public static func zeroGradientFraction(_ model: any Module, images: Tensor, labels: [Int], limit: Int = 500) -> Double {
        let n = min(limit, labels.count)
        guard n > 0 else { return 0 }
        let x = images.slice(0..<n), y = Array(labels.prefix(n))
        let (gradient, _, logits) = inputGradient(of: model, at: x) { crossEntropyPerExample($0, labels: y) }
        let correct = zip(logits.argMaxPerRow(), y).map { $0 == $1 }
        let width = x.count / n
        var zero = 0
        for r in 0..<n where correct[r] {
            if gradient.scalars[(r * width)..<((r + 1) * width)].allSatisfy({ abs($0) <= 1e-20 }) { zero += 1 }
        }
        let total = correct.filter { $0 }.count
        return total == 0 ? 0 : Double(zero) / Double(total)
    }
}

extension EvaluationReport {
    /// Measures the zero-gradient fraction of `model` on the evaluated images and sets the
    /// gradient-masking flags from this report's results.
    public mutating func checkGradientMasking(_ model: any Module, images: Tensor, labels: [Int]) {
        zeroGradientFraction = GradientMaskingChecks.zeroGradientFraction(model, images: images, labels: labels)
        gradientMasking = GradientMaskingChecks.run(on: self)
    }
}
