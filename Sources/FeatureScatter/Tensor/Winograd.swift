// Winograd.swift — F(2×2, 3×3) Winograd convolution for 3×3 stride-1 layers.

/// How `conv2d` and `conv2dBackward` compute a convolution.
public enum ConvolutionAlgorithm: Sendable {
    /// Winograd where it applies and pays (F(4×4, 3×3) by ``Winograd4x4/applies(to:)``, else
    /// F(2×2, 3×3) by ``Winograd/applies(to:)``), else shifted planes where they apply
    /// (``ShiftedPlanes/applies(to:)``), else im2col.
    case automatic
    /// im2col + SGEMM, one image per GEMM.
    case im2col
    /// Winograd F(2×2, 3×3); only for 3×3, stride 1, dilation 1, padding ≤ 2, one group.
    case winograd
    /// Winograd F(4×4, 3×3) (`Winograd4x4.swift`); where F(2×2, 3×3) applies.
    case winograd4x4
    /// `kh` GEMMs over shifted copies of the input planes; only for stride 1, dilation 1, one group.
    case shiftedPlanes

    /// `im2col`, `winograd`, `winograd-4x4`, `shifted-planes` or `automatic`.
    public var name: String {
        switch self {
        case .automatic: return "automatic"
        case .im2col: return "im2col"
        case .winograd: return "winograd"
        case .winograd4x4: return "winograd-4x4"
        case .shiftedPlanes: return "shifted-planes"
        }
    }

    /// The algorithm `automatic` runs for input `[N, C, H, W]` and weights `[O, C/g, kh, kw]`.
    public static func chosen(input: [Int], weight: [Int], groups: Int = 1, geometry: Conv2dGeometry)
        -> ConvolutionAlgorithm {
        let plan = ConvolutionPlan(input: input, weight: weight, groups: groups, geometry: geometry)
        return plan.resolved(.automatic)
    }
}

/// Winograd F(2×2, 3×3) (Lavin & Gray, 2016): each 2×2 output tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`
/// for the 4×4 input tile `d` and 3×3 filter `g`. Summed over input channels, the elementwise
/// product becomes 16 independent GEMMs `M_ξ = U_ξ V_ξ` (`[O, C] × [C, tiles]`), with 16
/// multiplications per tile instead of 36: 2.25× fewer GEMM flops than im2col. The result equals
/// the direct convolution up to float32 rounding of the transforms (relative error ~1e-6).
enum Winograd {
    /// Tiles per GEMM (images are grouped until a batch of tiles reaches this): the 8×8 layers of
    /// WRN have 16 tiles per image, too few for one SGEMM each. Larger batches lose the transformed
    /// tiles from L2 before the GEMMs read them: on a Sapphire Rapids core (2 MiB L2), WRN-16-4's
    /// three Winograd shapes at batch 64, alternated in one process, ran 5–25% faster with 64 tiles
    /// than with 256, and no slower than with 96 or 128.
    static let tileTarget = 64

    /// Tiles per batch of a weight gradient, whose GEMMs `[O, tiles] × [tiles, C]` sum over the
    /// tiles: as many as keep both sets of transformed tiles (`positions · rows` floats per tile,
    /// `rows = C + O`) within 2 MiB, and at least ``tileTarget``. At 64 tiles the products of
    /// SmallCNN's 32- and 64-channel layers were 32×32 and 64×64 matrices summed over 64 tiles,
    /// where OpenBLAS's small-matrix kernel took 11% of a standard step (Intel Xeon, one thread);
    /// with this rule's 216, 144 and 112 tiles the step went 1682–1710 → 1806–1910 images/s
    /// (alternated), WRN-16-4's within noise (its layers keep 64 or 128 tiles).
    static func weightGradientTileTarget(positions: Int, rows: Int) -> Int {
        max(tileTarget, (2 << 20) / (positions * rows * MemoryLayout<Float>.size))
    }

    /// Whether `automatic` chooses F(2×2, 3×3) where it does not take F(4×4, 3×3): 3×3, stride 1,
    /// dilation 1, one group, padding ≤ 2, and at least 32 channels in and out, so that the GEMMs
    /// (inner dimension C) are not tiny. The bound was 64 until SmallCNN's 32-channel layers
    /// measured faster on Winograd (batch 128, one thread, Intel Xeon, forward / full backward /
    /// input-only backward in ms, shifted planes against F(4×4, 3×3), which takes them): 32→32 at
    /// 26×26 19.8/51.6/24.8 against 12.7/38.0/18.4; 32→64 at 12×12 8.9/20.6/11.0 against 6.0/14.5/7.3.
    static func applies(to plan: ConvolutionPlan) -> Bool {
        isSupported(plan) && plan.inChannels >= 32 && plan.outChannels >= 32
    }

    /// Whether Winograd can compute this convolution at all.
    static func isSupported(_ plan: ConvolutionPlan) -> Bool {
        let g = plan.geometry
        return g.kernel == (3, 3) && g.stride == (1, 1) && g.dilation == (1, 1) && plan.groups == 1
            && (0...2).contains(g.padding.height) && (0...2).contains(g.padding.width)
    }

    /// `U_ξ[o][c]`, the 16 transformed filters `G g Gᵀ`, from OIHW weights `[O, C, 3, 3]`.
    /// With `adjoint`, the filters of the input gradient: `g'[c][o] = rot180(g[o][c])`, so `U` is
    /// `[16, C, O]`. Each `U_ξ` is packed for ``WinogradGEMM``, written there directly.
    static func transformedWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                   adjoint: Bool) -> [Float] {
        let (rows, cols) = adjoint ? (inChannels, outChannels) : (outChannels, inChannels)
        let perPosition = WinogradGEMM.positionStride(rows: rows, depth: cols)
        var u = [Float](repeating: 0, count: 16 * perPosition)
        u.withUnsafeMutableBufferPointer { u in
            let base = u.baseAddress!
            Parallelism.forEachRange(WinogradGEMM.panelCount(rows: rows)) { panels, _ in
                WinogradGEMM.forEachPackedEntry(rows: rows, depth: cols, panels: panels) { row, col, offset in
                    let (o, c) = adjoint ? (col, row) : (row, col)
                    let g = weight + (o * inChannels + c) * 9
                    let tap = { (index: Int) in adjoint ? g[8 - index] : g[index] }
                    let target = base + offset
                    // Z = G g (rows of g combined), then U = Z Gᵀ (each row of Z transformed).
                    let columns = (filterTransform(tap(0), tap(3), tap(6)), filterTransform(tap(1), tap(4), tap(7)),
                                   filterTransform(tap(2), tap(5), tap(8)))
                    func emit(_ k: Int, _ a: Float, _ b: Float, _ c: Float) {
                        let t = filterTransform(a, b, c)
                        target[(4 * k) * perPosition] = t.0
                        target[(4 * k + 1) * perPosition] = t.1
                        target[(4 * k + 2) * perPosition] = t.2
                        target[(4 * k + 3) * perPosition] = t.3
                    }
                    emit(0, columns.0.0, columns.1.0, columns.2.0)
                    emit(1, columns.0.1, columns.1.1, columns.2.1)
                    emit(2, columns.0.2, columns.1.2, columns.2.2)
                    emit(3, columns.0.3, columns.1.3, columns.2.3)
                }
            }
        }
        return u
    }

    /// `y = conv(x, g)` of NCHW input with padding `padding`, given the transformed filters `u`
    /// (`[16, O, C]`, packed, from ``transformedWeights(_:outChannels:inChannels:adjoint:)``), optionally
    /// adding `bias` and applying ReLU; `y` is `[N, O, OH, OW]`.
    static func convolve(input: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
                         padding: (height: Int, width: Int), filters u: UnsafePointer<Float>, outChannels: Int,
                         bias: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>) {
        let layout = TileLayout(channels: channels, height: height, width: width, padding: padding,
                                outChannels: outChannels)
        forEachTileBatch(batch: batch, tilesPerImage: layout.tilesPerImage, positions: 16, firstRows: channels,
                         secondRows: outChannels, scratchPerImage: layout.paddedHeight * layout.paddedWidth) {
            start, count, inputs, outputs, scratch, _ in
            for local in 0..<count {
                layout.transformInput(input + (start + local) * channels * height * width, into: inputs,
                                      firstTile: local * layout.tilesPerImage, scratch: scratch)
            }
            let packed = WinogradGEMM.positionStride(rows: outChannels, depth: channels)
            for xi in 0..<16 {
                WinogradGEMM.multiply(packed: u + xi * packed, rows: outChannels, depth: channels,
                                      inputs.base + xi * inputs.stride, rowLength: inputs.columns,
                                      into: outputs.base + xi * outputs.stride)
            }
            for local in 0..<count {
                layout.transformOutput(outputs, firstTile: local * layout.tilesPerImage, bias: bias, relu: relu,
                                       into: output + (start + local) * outChannels * layout.outPlane)
            }
        }
    }

    /// `dW` (`[O, C, 3, 3]`) of `y = conv(x, W)` from `x` and the output gradient `dy`, by the
    /// transposed algorithm F(3×3, 2×2): each tile contributes `Gᵀ [(A dy Aᵀ) ⊙ (Bᵀ d B)] G`, and
    /// the sum over tiles is 16 GEMMs `[O, tiles] × [tiles, C]` per batch of tiles, accumulated
    /// per worker.
    static func weightGradient(input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, batch: Int,
                               channels: Int, height: Int, width: Int, padding: (height: Int, width: Int),
                               outChannels: Int) -> [Float] {
        let layout = TileLayout(channels: channels, height: height, width: width, padding: padding,
                                outChannels: outChannels)
        // Positions spaced by `matrixStride`, as in F(4×4, 3×3)'s weight gradient.
        let plane = matrixStride(outChannels * channels)
        let products = 16 * plane
        let workers = Parallelism.workerCount
        var sums = [Float](repeating: 0, count: workers * products)
        sums.withUnsafeMutableBufferPointer { sums in
            let sumsBase = sums.baseAddress!
            forEachTileBatch(batch: batch, tilesPerImage: layout.tilesPerImage, positions: 16, firstRows: channels,
                             secondRows: outChannels, scratchPerImage: layout.paddedHeight * layout.paddedWidth) {
                start, count, inputs, gradients, scratch, worker in
                for local in 0..<count {
                    let image = start + local
                    layout.transformInput(input + image * channels * height * width, into: inputs,
                                          firstTile: local * layout.tilesPerImage, scratch: scratch)
                    layout.transformGradient(gradient + image * outChannels * layout.outPlane, into: gradients,
                                             firstTile: local * layout.tilesPerImage, scratch: scratch)
                }
                let total = sumsBase + worker * products
                for xi in 0..<16 {
                    sgemm(transposeA: false, transposeB: true, m: outChannels, n: channels, k: inputs.tiles,
                          a: gradients.base + xi * gradients.stride, lda: gradients.columns,
                          b: inputs.base + xi * inputs.stride, ldb: inputs.columns,
                          beta: 1, c: total + xi * plane, ldc: channels)
                }
            }
        }
        return filtersFromWorkerSums(sums, perWorker: products, outChannels: outChannels, inChannels: channels) {
            addFilters(fromProducts: $0, plane: plane, outChannels: $1, inChannels: channels, to: $2)
        }
    }

    /// OIHW filters `[O, C, 3, 3]` from each worker's block of `perWorker` floats of products in
    /// `sums`: `add(products, outChannels, filters)` adds the filters of one block's output
    /// channels `outChannels`. The blocks are added in worker order, so a data-parallel rank of
    /// one worker contributes exactly what the same images contribute here; the output channels
    /// are shared among the workers.
    static func filtersFromWorkerSums(_ sums: [Float], perWorker: Int, outChannels: Int, inChannels: Int,
                                      add: (UnsafePointer<Float>, Range<Int>, UnsafeMutablePointer<Float>) -> Void)
        -> [Float] {
        var filters = [Float](repeating: 0, count: outChannels * inChannels * 9)
        filters.withUnsafeMutableBufferPointer { filters in
            sums.withUnsafeBufferPointer { sums in
                let (target, source) = (filters.baseAddress!, sums.baseAddress!)
                Parallelism.forEachRange(outChannels) { rows, _ in
                    for worker in 0..<sums.count / perWorker {
                        add(source + worker * perWorker, rows, target)
                    }
                }
            }
        }
        return filters
    }

    /// Adds `Gᵀ M G` (4×4 → 3×3) of each `M[ξ][o][c]` in `products` (16 matrices `[O, C]`, `plane`
    /// floats apart), for the output channels `outChannels`, to the OIHW filters `filters`.
    private static func addFilters(fromProducts products: UnsafePointer<Float>, plane: Int, outChannels: Range<Int>,
                                   inChannels: Int, to filters: UnsafeMutablePointer<Float>) {
        for o in outChannels {
            for c in 0..<inChannels {
                let m = { (xi: Int) in products[xi * plane + o * inChannels + c] }
                // Z = Gᵀ M combines the rows of M; each row of Z then gives a row of Z G.
                let columns = (gradientFilterTransform(m(0), m(4), m(8), m(12)),
                               gradientFilterTransform(m(1), m(5), m(9), m(13)),
                               gradientFilterTransform(m(2), m(6), m(10), m(14)),
                               gradientFilterTransform(m(3), m(7), m(11), m(15)))
                let target = filters + (o * inChannels + c) * 9
                let rows = (gradientFilterTransform(columns.0.0, columns.1.0, columns.2.0, columns.3.0),
                            gradientFilterTransform(columns.0.1, columns.1.1, columns.2.1, columns.3.1),
                            gradientFilterTransform(columns.0.2, columns.1.2, columns.2.2, columns.3.2))
                target[0] += rows.0.0; target[1] += rows.0.1; target[2] += rows.0.2
                target[3] += rows.1.0; target[4] += rows.1.1; target[5] += rows.1.2
                target[6] += rows.2.0; target[7] += rows.2.1; target[8] += rows.2.2
            }
        }
    }

    /// `(a + b/2 + c/2, b/2 − c/2, b/2 + c/2 + d)`: one column or row of `Gᵀ M G`.
    @inline(__always)
    private static func gradientFilterTransform(_ a: Float, _ b: Float, _ c: Float, _ d: Float)
        -> (Float, Float, Float) {
        (a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + d)
    }

    /// The distance between consecutive ones of the 16 (or 36) matrices: `floats` rounded up to a
    /// multiple of 16, plus 16. The 16 values of one tile go to (or come from) one place in each
    /// matrix; were the matrices a power of two apart (16 KiB for 64 channels × 64 tiles), all
    /// 16 would fall in the same cache set and evict each other.
    static func matrixStride(_ floats: Int) -> Int {
        (floats + 15) / 16 * 16 + 16
    }

    /// Zeroed floats past the last image's scratch, so that a vector load of a window's last row
    /// may run past the plane.
    static let scratchSlack = 16

    /// Runs `body` on each batch of consecutive images of about `tileTarget` tiles (``tileTarget``
    /// unless given), the batches of one worker in order, with that worker's buffers: `positions`
    /// matrices of `firstRows` rows and `positions` of `secondRows` rows (one column per tile of the
    /// batch), and a scratch of `scratchPerImage` floats per image and ``scratchSlack`` past them.
    /// `body` gets the batch's first image, its image count, both sets of matrices, the scratch and
    /// the worker.
    static func forEachTileBatch(batch: Int, tilesPerImage: Int, positions: Int, firstRows: Int, secondRows: Int,
                                 scratchPerImage: Int, tileTarget: Int = tileTarget,
                                 _ body: (_ start: Int, _ images: Int, _ first: WinogradMatrices,
                                          _ second: WinogradMatrices, _ scratch: UnsafeMutablePointer<Float>,
                                          _ worker: Int) -> Void) {
        let chunk = max(1, min(batch, tileTarget / tilesPerImage))
        Parallelism.forEachRange(batch) { images, worker in
            let capacity = WinogradGEMM.rowLength(tiles: min(chunk, images.count) * tilesPerImage)
            let firstStride = matrixStride(firstRows * capacity)
            let secondStride = matrixStride(secondRows * capacity)
            // Zeroed once, so the columns past a batch's tiles, which no transform writes, hold
            // finite values for the GEMM that reads them.
            let first = UnsafeMutablePointer<Float>.allocate(capacity: positions * firstStride)
            let second = UnsafeMutablePointer<Float>.allocate(capacity: positions * secondStride)
            first.initialize(repeating: 0, count: positions * firstStride)
            second.initialize(repeating: 0, count: positions * secondStride)
            let scratchCount = min(chunk, images.count) * scratchPerImage
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount + scratchSlack)
            (scratch + scratchCount).initialize(repeating: 0, count: scratchSlack)
            defer { first.deallocate(); second.deallocate(); scratch.deallocate() }
            for start in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                let tiles = min(chunk, images.upperBound - start) * tilesPerImage
                let columns = WinogradGEMM.rowLength(tiles: tiles)
                body(start, tiles / tilesPerImage,
                     WinogradMatrices(base: first, stride: firstStride, columns: columns, tiles: tiles),
                     WinogradMatrices(base: second, stride: secondStride, columns: columns, tiles: tiles),
                     scratch, worker)
            }
        }
    }

    /// `(a, (a+b+c)/2, (a−b+c)/2, c)`: one column or row of `G g Gᵀ`.
    @inline(__always)
    private static func filterTransform(_ a: Float, _ b: Float, _ c: Float) -> (Float, Float, Float, Float) {
        (a, 0.5 * (a + b + c), 0.5 * (a - b + c), c)
    }
}

/// The 16 (or 36) matrices of one Winograd GEMM batch: matrix `ξ` starts at `base + ξ · stride`,
/// its rows are `columns` long, of which the first `tiles` are the batch's tiles (`columns` is
/// ``WinogradGEMM/rowLength(tiles:)``).
struct WinogradMatrices {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
    let columns: Int
    let tiles: Int
}

/// The tiling of one image: input and output geometry, tile counts, and the input and output
/// transforms between NCHW planes and the 16 `[C or O, tiles]` matrices of the GEMMs.
private struct TileLayout {
    let channels, height, width, outChannels: Int
    let padding: (height: Int, width: Int)
    let outHeight, outWidth, tileRows, tileCols: Int
    var tilesPerImage: Int { tileRows * tileCols }
    var outPlane: Int { outHeight * outWidth }

    init(channels: Int, height: Int, width: Int, padding: (height: Int, width: Int), outChannels: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.padding = padding
        self.outChannels = outChannels
        outHeight = height + 2 * padding.height - 2
        outWidth = width + 2 * padding.width - 2
        tileRows = (outHeight + 1) / 2
        tileCols = (outWidth + 1) / 2
    }

    /// Groups of eight horizontally adjacent tiles per tile row: the transforms run on eight
    /// tiles at once, one `SIMD8` lane each.
    var groups: Int { (tileCols + 7) / 8 }
    /// Width and height of the zero-padded copy of one input plane that every group reads
    /// without bounds checks (`2 · tiles + 2`, the last group's lanes rounded up to eight).
    var paddedWidth: Int { 16 * groups + 2 }
    var paddedHeight: Int { 2 * tileRows + 2 }

    /// Writes `Bᵀ d B` of every 4×4 input tile of `image` into `v` (`[16][C, tiles]`), at
    /// columns `firstTile ..< firstTile + tilesPerImage`; `scratch` holds `paddedHeight ·
    /// paddedWidth` floats.
    func transformInput(_ image: UnsafePointer<Float>, into v: WinogradMatrices, firstTile: Int,
                        scratch: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            pad(image + c * height * width, into: scratch)
            let target = v.base + c * v.columns + firstTile
            for ty in 0..<tileRows {
                for group in 0..<groups {
                    // Lane k of row i, column j is pixel (2ty + i, 2(8·group + k) + j) of the padded plane.
                    let corner = scratch + 2 * ty * paddedWidth + 16 * group
                    let t = target + ty * tileCols + 8 * group
                    let lanes = min(8, tileCols - 8 * group)
                    // X = Bᵀ d combines the rows; each row of X then gives four matrices of V = X B.
                    let d0 = tileRow(corner), d1 = tileRow(corner + paddedWidth)
                    let d2 = tileRow(corner + 2 * paddedWidth), d3 = tileRow(corner + 3 * paddedWidth)
                    storeInputRow(d0 - d2, t, v.stride, lanes)
                    storeInputRow(d1 + d2, t + 4 * v.stride, v.stride, lanes)
                    storeInputRow(d2 - d1, t + 8 * v.stride, v.stride, lanes)
                    storeInputRow(d1 - d3, t + 12 * v.stride, v.stride, lanes)
                }
            }
        }
    }

    /// Copies `plane` into `scratch` (`paddedHeight × paddedWidth`) at the padding offset,
    /// zero elsewhere.
    private func pad(_ plane: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>) {
        scratch.initialize(repeating: 0, count: paddedHeight * paddedWidth)
        let rows = min(height, paddedHeight - padding.height)
        let columns = min(width, paddedWidth - padding.width)
        for y in 0..<rows {
            (scratch + (y + padding.height) * paddedWidth + padding.width)
                .update(from: plane + y * width, count: columns)
        }
    }

    /// Row `i` of eight tiles: column `j` holds the pixels `row[j + 2k]`, `k = 0 ..< 8`, split
    /// from two 16-float loads (`row[0 ..< 18]` must be readable).
    @inline(__always)
    private func tileRow(_ row: UnsafePointer<Float>) -> TileRow {
        let (first, second) = (sixteen(row), sixteen(row + 2))
        return TileRow(first.evenHalf, first.oddHalf, second.evenHalf, second.oddHalf)
    }

    /// `p[0 ..< 16]` in one vector load.
    @inline(__always)
    private func sixteen(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// `(r₀ − r₂, r₁ + r₂, r₂ − r₁, r₁ − r₃)` of one row of `Bᵀ d` for eight tiles, to four
    /// consecutive matrices `stride` apart (the first `lanes` tiles only).
    @inline(__always)
    private func storeInputRow(_ row: TileRow, _ target: UnsafeMutablePointer<Float>, _ stride: Int,
                               _ lanes: Int) {
        store(row.c0 - row.c2, target, lanes)
        store(row.c1 + row.c2, target + stride, lanes)
        store(row.c2 - row.c1, target + 2 * stride, lanes)
        store(row.c1 - row.c3, target + 3 * stride, lanes)
    }

    /// Stores the first `lanes` values: one vector store for eight, a half-vector store for four
    /// or more (the 4-tile rows of 8×8 planes), the rest one by one.
    @inline(__always)
    private func store(_ values: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 {
            target.storeVector(values)
            return
        }
        var stored = 0
        if lanes >= 4 {
            target.storeVector(values.lowHalf)
            stored = 4
        }
        for lane in stored..<lanes { target[lane] = values[lane] }
    }

    /// Writes `A dy Aᵀ` of every 2×2 tile of one image's output gradient `gradient`
    /// (`[O, outHeight, outWidth]`) into `g` (`[16][O, tiles]`), at columns `firstTile …`;
    /// `scratch` holds `paddedHeight · paddedWidth` floats. Pixels past the output are zero.
    func transformGradient(_ gradient: UnsafePointer<Float>, into g: WinogradMatrices, firstTile: Int,
                           scratch: UnsafeMutablePointer<Float>) {
        for o in 0..<outChannels {
            scratch.initialize(repeating: 0, count: 2 * tileRows * paddedWidth)
            for y in 0..<outHeight {
                (scratch + y * paddedWidth).update(from: gradient + o * outPlane + y * outWidth, count: outWidth)
            }
            let target = g.base + o * g.columns + firstTile
            for ty in 0..<tileRows {
                for group in 0..<groups {
                    let corner = scratch + 2 * ty * paddedWidth + 16 * group
                    let t = target + ty * tileCols + 8 * group
                    let lanes = min(8, tileCols - 8 * group)
                    // Rows of A dy: (r₀, r₀ + r₁, r₀ − r₁, −r₁); each row then gives four matrices.
                    let (upper, lower) = (sixteen(corner), sixteen(corner + paddedWidth))
                    let top = (upper.evenHalf, upper.oddHalf), bottom = (lower.evenHalf, lower.oddHalf)
                    storeGradientRow(top.0, top.1, t, g.stride, lanes)
                    storeGradientRow(top.0 + bottom.0, top.1 + bottom.1, t + 4 * g.stride, g.stride, lanes)
                    storeGradientRow(top.0 - bottom.0, top.1 - bottom.1, t + 8 * g.stride, g.stride, lanes)
                    storeGradientRow(-bottom.0, -bottom.1, t + 12 * g.stride, g.stride, lanes)
                }
            }
        }
    }

    /// `(l, l + r, l − r, −r)` of one row `(l, r)` of `A dy` for eight tiles, to four consecutive
    /// matrices `stride` apart.
    @inline(__always)
    private func storeGradientRow(_ left: SIMD8<Float>, _ right: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>,
                                  _ stride: Int, _ lanes: Int) {
        store(left, target, lanes)
        store(left + right, target + stride, lanes)
        store(left - right, target + 2 * stride, lanes)
        store(-right, target + 3 * stride, lanes)
    }

    /// Writes `Aᵀ M A` of every tile of one image (columns `firstTile …` of `m`, `[16][O, tiles]`)
    /// into its NCHW output planes, adding the bias and applying ReLU when asked. Reads up to
    /// seven floats past the last tile of a matrix row (inside `m`'s slack).
    func transformOutput(_ m: WinogradMatrices, firstTile: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         into output: UnsafeMutablePointer<Float>) {
        for o in 0..<outChannels {
            let source = m.base + o * m.columns + firstTile
            let plane = output + o * outPlane
            let shift = SIMD8<Float>(repeating: bias?[o] ?? 0)
            for ty in 0..<tileRows {
                for group in 0..<groups {
                    let t = source + ty * tileCols + 8 * group
                    let load = { (xi: Int) in UnsafeRawPointer(t + xi * m.stride).loadUnaligned(as: SIMD8<Float>.self) }
                    // S = Aᵀ M combines the rows of M; Y = S A combines the columns of S.
                    let top = TileRow(load(0) + load(4) + load(8), load(1) + load(5) + load(9),
                                      load(2) + load(6) + load(10), load(3) + load(7) + load(11))
                    let bottom = TileRow(load(4) - load(8) - load(12), load(5) - load(9) - load(13),
                                         load(6) - load(10) - load(14), load(7) - load(11) - load(15))
                    var y00 = top.c0 + top.c1 + top.c2 + shift, y01 = top.c1 - top.c2 - top.c3 + shift
                    var y10 = bottom.c0 + bottom.c1 + bottom.c2 + shift
                    var y11 = bottom.c1 - bottom.c2 - bottom.c3 + shift
                    if relu {
                        let zero = SIMD8<Float>()
                        y00.replace(with: zero, where: y00 .< zero)
                        y01.replace(with: zero, where: y01 .< zero)
                        y10.replace(with: zero, where: y10 .< zero)
                        y11.replace(with: zero, where: y11 .< zero)
                    }
                    let (y, lanes) = (2 * ty, min(8, tileCols - 8 * group))
                    writeTileRow(y00, y01, plane + y * outWidth, firstColumn: 16 * group, lanes: lanes)
                    if y + 1 < outHeight {
                        writeTileRow(y10, y11, plane + (y + 1) * outWidth, firstColumn: 16 * group, lanes: lanes)
                    }
                }
            }
        }
    }

    /// Writes output pixels `2k` (`left`) and `2k + 1` (`right`) of eight tiles into `row`,
    /// from `firstColumn`, clipping at `outWidth`: interleaved in shuffles and stored eight
    /// pixels (four tiles) at a time where they fit, the rest pixel by pixel.
    @inline(__always)
    private func writeTileRow(_ left: SIMD8<Float>, _ right: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>,
                              firstColumn: Int, lanes: Int) {
        let available = outWidth - firstColumn
        var written = 0
        if lanes >= 4 && available >= 8 {
            (row + firstColumn).storeVector(SIMD8(left[0], right[0], left[1], right[1], left[2], right[2],
                                                  left[3], right[3]))
            written = 4
            if lanes == 8 && available >= 16 {
                (row + firstColumn + 8).storeVector(SIMD8(left[4], right[4], left[5], right[5], left[6], right[6],
                                                          left[7], right[7]))
                written = 8
            }
        }
        for lane in written..<lanes {
            let x = firstColumn + 2 * lane
            row[x] = left[lane]
            if x + 1 < outWidth { row[x + 1] = right[lane] }
        }
    }
}

/// One row of eight 4×4 tiles: `c0 … c3` are its four columns, one tile per lane.
private struct TileRow {
    var c0, c1, c2, c3: SIMD8<Float>

    init(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>) {
        (self.c0, self.c1, self.c2, self.c3) = (c0, c1, c2, c3)
    }

    @inline(__always)
    static func + (a: TileRow, b: TileRow) -> TileRow { TileRow(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2, a.c3 + b.c3) }
    @inline(__always)
    static func - (a: TileRow, b: TileRow) -> TileRow { TileRow(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2, a.c3 - b.c3) }
}

extension UnsafeMutablePointer<Float> {
    /// Stores `values` here, at any alignment, as one vector store. `storeBytes(of:as:)` does the
    /// same, but the optimiser left it as a call (with a `vzeroupper` before each) inside
    /// `Winograd4x4.convolve`.
    @inline(__always)
    func storeVector<Vector: SIMD>(_ values: Vector) where Vector.Scalar == Float {
        withUnsafeBytes(of: values) { UnsafeMutableRawPointer(self).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}
