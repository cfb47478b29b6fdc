// Square.swift — the Square Attack: score-based random search in the L∞ ball.

/// The Square Attack (Andriushchenko, Croce, Flammarion & Hein, *Square Attack: a
/// query-efficient black-box adversarial attack via random search*, ECCV 2020,
/// https://arxiv.org/abs/1912.00049, Alg. 1 and 2), L∞, untargeted, as in AutoAttack.
///
/// Reads only the model's scores (never a gradient), so it is immune to gradient masking.
/// It minimises the margin `L(x') = z_y − max_{j≠y} z_j` (an image is fooled when L < 0):
/// 1. Initialise with vertical stripes: `x' = clamp(x + ε·s)`, s ∈ {−1, 1} drawn once per
///    column and channel (`[N, C, 1, W]`), constant along the height.
/// 2. At query i, the square's side is `s = max(round(√(p_i · H·W)), 1)` capped at H − 1, with
///    `p_i` = p_init halved at i = 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 (the
///    iteration counts rescaled to a 10,000-query budget).
/// 3. Draw a window position uniformly; in it, set every channel c of image n to
///    `x_c ± ε` (one random sign per image and channel), project, clamp to [0, 1]; redraw
///    the signs when that leaves the window unchanged.
/// 4. Keep the candidate where the margin decreased; stop for images already fooled.
///
/// Defaults (AutoAttack "standard"): 5,000 queries, p_init = 0.8, 1 restart.
/// Needs `[N, C, H, W]` images with H, W ≥ 2.
public struct Square: Attack {
    /// AutoAttack's query budget per image.
    public static let defaultQueries = 5000

    public var threat: ThreatModel
    /// The query budget per image (including the initial query).
    public var queries: Int
    public var pInit: Float
    public var restarts: Int
    public var name = "square"

    public init(epsilon: Float, queries: Int = defaultQueries, pInit: Float = 0.8, restarts: Int = 1) throws {
        threat = try ThreatModel(norm: .linf, epsilon: epsilon)
        guard queries >= 1 else { throw FSCError.invalidArgument("Square needs ≥ 1 query, got \(queries)") }
        guard pInit > 0, pInit <= 1 else { throw FSCError.invalidArgument("p_init must be in (0, 1], got \(pInit)") }
        guard restarts >= 1 else { throw FSCError.invalidArgument("restarts must be ≥ 1, got \(restarts)") }
        self.queries = queries
        self.pInit = pInit
        self.restarts = restarts
    }

    public var settings: [String: String] {
        attackSettings("Square", threat, ["queries": queries, "p_init": pInit, "restarts": restarts, "loss": "margin"])
    }

    /// The fraction of pixels p_i changed at query `i` of a `budget` (AutoAttack's schedule).
    public static func fraction(pInit: Float, iteration i: Int, budget: Int) -> Float {
        let t = Int(Double(i) / Double(budget) * 10000)
        let halvings: Int
        switch t {
        case ...10: halvings = 0
        case ...50: halvings = 1
        case ...200: halvings = 2
        case ...500: halvings = 3
        case ...1000: halvings = 4
        case ...2000: halvings = 5
        case ...4000: halvings = 6
        case ...6000: halvings = 7
        case ...8000: halvings = 8
        default: halvings = 9
        }
        return pInit / Float(1 << halvings)
    }

    public func perturb(_ model: any Module, images: Tensor, labels: [Int],
                        using generator: inout some BatchRandomness) throws -> Tensor {
        _ = try validateAttack(model, images: images, labels: labels)
        guard !labels.isEmpty else { return images }
        guard images.rank == 4, images.shape[2] >= 2, images.shape[3] >= 2 else {
            throw FSCError.shapeMismatch("Square needs [N, C, H, W] images with H, W ≥ 2, got \(images.shape)")
        }
        return try withRestarts(restarts, model: model, images: images, labels: labels, targets: nil) { x, y, _ in
            run(model, images: x, labels: y, using: &generator)
        }
    }

    /// z_y − max_{j≠y} z_j per row.
    private func margins(_ logits: Tensor, _ labels: [Int]) -> [Float] {
        let k = logits.shape[1]
        return labels.enumerated().map { r, y in
            logits.scalars[r * k + y] - logits.scalars[r * k + bestOtherClass(logits, row: r, excluding: y)]
        }
    }

    private func run(_ model: any Module, images x: Tensor, labels: [Int], using generator: inout some BatchRandomness) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let eps = threat.epsilon
        let plane = h * w, width = c * plane
        // 1. Vertical stripes.
        var best = x
        for i in 0..<n {
            for ch in 0..<c {
                for col in 0..<w {
                    let sign: Float = generator.next() & 1 == 0 ? -1 : 1
                    for row in 0..<h {
                        let at = i * width + ch * plane + row * w + col
                        best.scalars[at] = min(max(x.scalars[at] + sign * eps, 0), 1)
                    }
                }
            }
        }
        var margin = margins(model.predict(best), labels)
        for query in 1..<max(queries, 1) {
            let open = margin.indices.filter { margin[$0] > 0 }
            guard !open.isEmpty else { break }
            // 2. The square's side from the schedule.
            let p = Square.fraction(pInit: pInit, iteration: query, budget: queries)
            let side = min(max(Int((Float(plane) * p).squareRoot().rounded()), 1), h - 1)
            let top = Int(generator.next() % UInt64(h - side + 1))
            let left = Int(generator.next() % UInt64(w - side + 1))
            // 3. A new vertex of the ball in the window.
            var candidate = best.gathering(rows: open)
            for (j, i) in open.enumerated() {
                for _ in 0..<10 {
                    var changed = false
                    for ch in 0..<c {
                        let sign: Float = generator.next() & 1 == 0 ? -1 : 1
                        for row in top..<(top + side) {
                            for col in left..<(left + side) {
                                let source = i * width + ch * plane + row * w + col
                                let value = min(max(x.scalars[source] + sign * eps, 0), 1)
                                let at = j * width + ch * plane + row * w + col
                                if value != best.scalars[source] { changed = true }
                                candidate.scalars[at] = value
                            }
                        }
                    }
                    if changed { break }
                }
            }
            // 4. Keep improvements.
            let newMargins = margins(model.predict(candidate), open.map { labels[$0] })
            for (j, i) in open.enumerated() where newMargins[j] < margin[i] {
                margin[i] = newMargins[j]
                for e in 0..<width { best.scalars[i * width + e] = candidate.scalars[j * width + e] }
            }
        }
        return best
    }
}
