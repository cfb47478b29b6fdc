// TransferAttack.swift — craft on a source model, evaluate on another (black-box transfer).

/// A transfer attack: adversarial examples crafted by `attack` on a `source` model
/// (a surrogate), then used against the model under evaluation, whose gradients are never
/// read (Papernot et al., *Transferability in Machine Learning*, 2016,
/// https://arxiv.org/abs/1605.07277).
///
/// If a transfer attack beats white-box attacks on the target, the target's gradients are
/// masked (Athalye et al. 2018, https://arxiv.org/abs/1802.00420; Carlini et al. 2019).
/// Threat model: that of the inner attack.
public struct TransferAttack: Attack {
    public var source: any Module
    public var attack: any Attack
    /// A description of the source model for reports (e.g. its checkpoint path).
    public var sourceDescription: String
    public var name: String

    public init(source: any Module, attack: any Attack, sourceDescription: String = "source model") {
        self.source = source
        self.attack = attack
        self.sourceDescription = sourceDescription
        name = "transfer-\(attack.name)"
    }

    public var threat: ThreatModel { attack.threat }

    public var settings: [String: String] {
        var s = attack.settings
        s["attack"] = "Transfer(\(attack.settings["attack"] ?? attack.name))"
        s["source"] = sourceDescription
        return s
    }

    /// Checks `model` like any attack, then crafts on the source model only.
    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        _ = try validateAttack(model, images: images, labels: labels)
        return try attack.perturb(source, images: images, labels: labels, using: &generator)
    }
}
