// LossSurface.swift — the loss on a plane through one image (paper, Figure 4), as a Codable value.

import Foundation

/// The cross-entropy loss of one image on a square grid of the plane spanned by the
/// adversarial direction and a Rademacher direction (Zhang & Wang 2019, Figure 4, after
/// Tramèr et al., *Ensemble Adversarial Training*, ICLR 2018, Figure 1):
/// ```
/// L(a, b) = CE(f(clamp(x + a·d_adv + b·d_rad, 0, 1)), y)
/// d_adv   = sign(∇_x CE(f(x), y))
/// d_rad   ∈ {−1, +1}^D, each entry ±1 with probability ½ (seeded)
/// ```
/// where x is the image (D pixels in [0, 1]), y its true label, f the model in inference mode
/// and CE the natural-log cross-entropy `−log softmax(f(·))_y`. Both directions have unit L∞
/// norm (d_adv is 0 where the gradient is exactly 0), so a and b are L∞ step sizes in pixel
/// units: (a, 0) with a = ε is the FGSM point of budget ε. The clamp keeps every point an image
/// (the model's domain, where every attack stays); `clip: false` drops it.
///
/// The grid takes the same `points` coordinates on both axes, `axis[k] = extent·ε·(2k/(points−1) − 1)`,
/// so `axis[(points−1)/2] = 0` is the clean image and the threat model's ball edge ±ε lies at
/// ±1/extent of the half-width. `losses[i][j]` is `L(axis[i], axis[j])`: rows move along d_adv,
/// columns along d_rad.
///
/// ```swift
/// let surface = try lossSurface(model, image: x, label: 3, request: LossSurfaceRequest(epsilon: 0.1))
/// surface.adversarialSlice  // L(a, 0) for every a of surface.axis
/// ```
public struct LossSurface: Codable, Sendable, Equatable {
    public var version = FeatureScatterVersion.string
    /// Recorded by callers: the model's file, its architecture, the data set and the image's index.
    public var checkpoint: String?
    public var model: String?
    public var dataset: String?
    public var imageIndex: Int?
    /// `[C, H, W]` of the image (and of each direction).
    public var imageShape: [Int]
    /// The true label y, and the model's class for the clean image.
    public var label: Int
    public var prediction: Int
    /// ε in [0, 1] pixel units (as a decimal), the unit of the grid.
    public var epsilon: Double
    /// The grid's half-width in units of ε.
    public var extent: Double
    public var points: Int
    /// The seed of the Rademacher direction.
    public var seed: UInt64
    /// Whether every grid point was clamped to [0, 1].
    public var clip: Bool
    /// CE at x, from the pass that computed the gradient.
    public var cleanLoss: Float
    /// The grid coordinates on both axes, in pixel units (`points` values, increasing, 0 in the middle).
    public var axis: [Float]
    /// `losses[i][j] = L(axis[i], axis[j])`: row i along d_adv, column j along d_rad.
    public var losses: [[Float]]
    /// `L(a, 0)` for each a of `axis`: the middle column.
    public var adversarialSlice: [Float]
    /// `L(0, b)` for each b of `axis`: the middle row.
    public var rademacherSlice: [Float]
    /// d_adv and d_rad, flattened `[C·H·W]` in NCHW order.
    public var adversarialDirection: [Float]
    public var rademacherDirection: [Float]
    /// cos(d_adv, d_rad); near 0 (about ±1/√D) in high dimension, so the plane is not degenerate.
    public var directionCosine: Double

    enum CodingKeys: String, CodingKey {
        case version, checkpoint, model, dataset, label, prediction, epsilon, extent, points, seed, clip, axis, losses
        case imageIndex = "image_index"
        case imageShape = "image_shape"
        case cleanLoss = "clean_loss"
        case adversarialSlice = "adversarial_slice"
        case rademacherSlice = "rademacher_slice"
        case adversarialDirection = "adversarial_direction"
        case rademacherDirection = "rademacher_direction"
        case directionCosine = "direction_cosine"
    }

    /// Key-sorted JSON on one line (the grid is too long to read pretty-printed anyway).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// The index of the clean image on `axis`.
    public var centre: Int { (points - 1) / 2 }
}
