// Winograd4x4.swift — F(4×4, 3×3) Winograd convolution for the wide 3×3 stride-1 layers.

/// Winograd F(4×4, 3×3) (Lavin & Gray, 2016, interpolation points 0, ±1, ±2, ∞): each 4×4 output
/// tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for the 6×6 input tile `d`, so the sum over input channels
/// becomes 36 GEMMs `[O, C] × [C, tiles]` with 36 multiplications per 16 outputs instead of 144:
/// 4× fewer GEMM flops than im2col, 1.78× fewer than F(2×2, 3×3). The transforms' larger
/// coefficients (up to 8 in `A`, 5 in `B`) cost precision: `WinogradTests` holds it to 5e-4 of
/// im2col (relative and absolute), F(2×2, 3×3) to 1e-4.
enum Winograd4x4 {
    /// Whether `automatic` takes F(4×4, 3×3): a Winograd-shaped layer with at least 32 output
    /// channels whose output is at least 16×16 (from 16 input channels), or at least 8×8 (from 32
    /// input channels). One thread, Intel Xeon (AVX-512), on OpenBLAS products, the ratio to SGEMM
    /// of the same shapes forward/backward, WRN-16-4 at batch 64: 64→64 at 32×32 2.64/2.58
    /// (F(2×2, 3×3): 1.80/2.55), 128→128 at 16×16 1.86/1.79 (1.58/1.45). Forward / full backward /
    /// input-only backward in ms: WRN's 16→64 at 32×32 13.6/41.6/22.2 against shifted planes'
    /// 22.3/52.8/27.7 (F(2×2, 3×3): 15.1/62.0/29.5); SmallCNN's 64→64 at 8×8, batch 128: 4.0/13.0/8.1
    /// against F(2×2, 3×3)'s 5.1/16.1/8.7. The 8×8 planes of more than 64 channels, on
    /// ``WinogradGEMM``: on AMD EPYC Zen 1 (AVX2), 256→256 at batch 64 52.8/106.6/50.6 against
    /// 62.9/131.0/62.4, 128→128 12.4/24.5/12.0 against 17.4/36.0/17.0; on Zen 4 (AVX-512), 256→256
    /// forward/full backward 186/196 and 179/180 GFLOP/s against 183/174 and 181/170 (the Xeon, on
    /// OpenBLAS products, had measured F(4×4, 3×3) slower there: 84/92 against 94/85).
    static func applies(to plan: ConvolutionPlan) -> Bool {
        guard Winograd.isSupported(plan), plan.outChannels >= 32 else { return false }
        if plan.outHeight >= 16 && plan.outWidth >= 16 { return plan.inChannels >= 16 }
        return plan.outHeight >= 8 && plan.outWidth >= 8 && plan.inChannels >= 32
    }

    /// `U_ξ[o][c]`, the 36 transformed filters `G g Gᵀ`, from OIHW weights `[O, C, 3, 3]`; with
    /// `adjoint`, those of the input gradient (`g'[c][o] = rot180(g[o][c])`), as `[36, C, O]`.
    /// Each `U_ξ` is packed for ``WinogradGEMM``, written there directly.
    static func transformedWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                   adjoint: Bool) -> [Float] {
        let (rows, cols) = adjoint ? (inChannels, outChannels) : (outChannels, inChannels)
        let perPosition = WinogradGEMM.positionStride(rows: rows, depth: cols)
        var u = [Float](repeating: 0, count: 36 * perPosition)
        u.withUnsafeMutableBufferPointer { u in
            let base = u.baseAddress!
            Parallelism.forEachRange(WinogradGEMM.panelCount(rows: rows)) { panels, _ in
                WinogradGEMM.forEachPackedEntry(rows: rows, depth: cols, panels: panels) { row, col, offset in
                    let (o, c) = adjoint ? (col, row) : (row, col)
                    let g = weight + (o * inChannels + c) * 9
                    let tap = { (index: Int) in adjoint ? g[8 - index] : g[index] }
                    let target = base + offset
                    // The columns of Z = G g, then those of U = Z Gᵀ, six rows in the lanes.
                    let z = { (j: Int) in tap(j) * gColumns.0 + tap(3 + j) * gColumns.1 + tap(6 + j) * gColumns.2 }
                    let (z0, z1, z2) = (z(0), z(1), z(2))
                    for l in 0..<6 {
                        let column = z0 * gColumns.0[l] + z1 * gColumns.1[l] + z2 * gColumns.2[l]
                        for k in 0..<6 { target[(6 * k + l) * perPosition] = column[k] }
                    }
                }
            }
        }
        return u
    }

    /// `y = conv(x, g)` of NCHW input with padding `padding`, given the transformed filters `u`
    /// (`[36, O, C]`, packed, from ``transformedWeights(_:outChannels:inChannels:adjoint:)``), optionally
    /// adding `bias` and applying ReLU; `y` is `[N, O, OH, OW]`.
    static func convolve(input: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
                         padding: (height: Int, width: Int), filters u: UnsafePointer<Float>, outChannels: Int,
                         bias: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>) {
        let layout = Tiles4x4(channels: channels, height: height, width: width, padding: padding,
                              outChannels: outChannels)
        Winograd.forEachTileBatch(batch: batch, tilesPerImage: layout.tilesPerImage, positions: 36,
                                  firstRows: channels, secondRows: outChannels, scratchPerImage: layout.paddedPlane) {
            start, count, inputs, outputs, scratch, _ in
            let tiles = TileChunk(layout, images: count)
            tiles.transformInput(input + start * channels * height * width, into: inputs, scratch: scratch)
            let packed = WinogradGEMM.positionStride(rows: outChannels, depth: channels)
            for xi in 0..<36 {
                WinogradGEMM.multiply(packed: u + xi * packed, rows: outChannels, depth: channels,
                                      inputs.base + xi * inputs.stride, rowLength: inputs.columns,
                                      into: outputs.base + xi * outputs.stride)
            }
            tiles.transformOutput(outputs, bias: bias, relu: relu, into: output + start * outChannels * layout.outPlane)
        }
    }

    /// `dW` (`[O, C, 3, 3]`) of `y = conv(x, W)` from `x` and the output gradient `dy`, by the
    /// transposed algorithm F(3×3, 4×4): each tile contributes `Gᵀ [(A dy Aᵀ) ⊙ (Bᵀ d B)] G`,
    /// summed over tiles by 36 GEMMs `[O, tiles] × [tiles, C]` per batch of tiles, per worker.
    static func weightGradient(input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, batch: Int,
                               channels: Int, height: Int, width: Int, padding: (height: Int, width: Int),
                               outChannels: Int) -> [Float] {
        let layout = Tiles4x4(channels: channels, height: height, width: width, padding: padding,
                              outChannels: outChannels)
        // Positions spaced by `matrixStride`: the filter transform below reads all 36 of an (o, c) at
        // once, and `O · C` floats apart (a power of two for WRN's and SmallCNN's layers) they
        // would share one set of the L1 cache.
        let plane = Winograd.matrixStride(outChannels * channels)
        let products = 36 * plane
        let workers = Parallelism.workerCount
        var sums = [Float](repeating: 0, count: workers * products)
        sums.withUnsafeMutableBufferPointer { sums in
            let sumsBase = sums.baseAddress!
            Winograd.forEachTileBatch(batch: batch, tilesPerImage: layout.tilesPerImage, positions: 36,
                                      firstRows: channels, secondRows: outChannels,
                                      scratchPerImage: layout.paddedPlane,
                                      tileTarget: Winograd.weightGradientTileTarget(positions: 36,
                                                                                    rows: channels + outChannels)) {
                start, count, inputs, gradients, scratch, worker in
                let tiles = TileChunk(layout, images: count)
                tiles.transformInput(input + start * channels * height * width, into: inputs, scratch: scratch)
                tiles.transformGradient(gradient + start * outChannels * layout.outPlane, into: gradients,
                                        scratch: scratch)
                let total = sumsBase + worker * products
                for xi in 0..<36 {
                    sgemm(transposeA: false, transposeB: true, m: outChannels, n: channels, k: tiles.count,
                          a: gradients.base + xi * gradients.stride, lda: gradients.columns,
                          b: inputs.base + xi * inputs.stride, ldb: inputs.columns, beta: 1,
                          c: total + xi * plane, ldc: channels)
                }
            }
        }
        return Winograd.filtersFromWorkerSums(sums, perWorker: products, outChannels: outChannels,
                                              inChannels: channels) {
            addFilters(fromProducts: $0, plane: plane, outChannels: $1, inChannels: channels, to: $2)
        }
    }

    /// Adds `Gᵀ M G` (6×6 → 3×3) of each `M[ξ][o][c]` in `products` (36 matrices `[O, C]`, `plane`
    /// floats apart), for the output channels `outChannels`, to the OIHW filters `filters`.
    private static func addFilters(fromProducts products: UnsafePointer<Float>, plane: Int, outChannels: Range<Int>,
                                   inChannels: Int, to filters: UnsafeMutablePointer<Float>) {
        for o in outChannels {
            for c in 0..<inChannels {
                let m = products + o * inChannels + c
                // The columns of W = M G, six rows in the lanes; then Gᵀ W, one dot product each.
                var w = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                for l in 0..<6 {
                    var column = SIMD8<Float>()
                    for k in 0..<6 { column[k] = m[(6 * k + l) * plane] }
                    w.0 += column * gColumns.0[l]
                    w.1 += column * gColumns.1[l]
                    w.2 += column * gColumns.2[l]
                }
                let target = filters + (o * inChannels + c) * 9
                func addRow(_ r: Int, _ gColumn: SIMD8<Float>) {
                    target[3 * r] += (gColumn * w.0).sum()
                    target[3 * r + 1] += (gColumn * w.1).sum()
                    target[3 * r + 2] += (gColumn * w.2).sum()
                }
                addRow(0, gColumns.0)
                addRow(1, gColumns.1)
                addRow(2, gColumns.2)
            }
        }
    }

    /// The three columns of `G` (6×3), in the first six lanes.
    private static let gColumns = (SIMD8<Float>(1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0, 0, 0),
                                   SIMD8<Float>(0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0, 0, 0),
                                   SIMD8<Float>(0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 1, 0, 0))
}

/// The 4×4 tiling of one image: its geometry and the zero-padded plane every tile reads from.
private struct Tiles4x4 {
    let channels, height, width, outChannels: Int
    let padding: (height: Int, width: Int)
    let outHeight, outWidth, tileRows, tileCols: Int
    var tilesPerImage: Int { tileRows * tileCols }
    var outPlane: Int { outHeight * outWidth }
    /// One input plane with its padding, rounded up so that every 6×6 tile lies inside.
    var paddedWidth: Int { 4 * tileCols + 2 }
    var paddedPlane: Int { (4 * tileRows + 2) * paddedWidth }

    init(channels: Int, height: Int, width: Int, padding: (height: Int, width: Int), outChannels: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.padding = padding
        self.outChannels = outChannels
        outHeight = height + 2 * padding.height - 2
        outWidth = width + 2 * padding.width - 2
        tileRows = (outHeight + 3) / 4
        tileCols = (outWidth + 3) / 4
    }
}

/// The tiles of a run of consecutive images, numbered image by image and row by row: column `t`
/// of the 36 matrices. The transforms take eight consecutive tiles at a time (one `SIMD8` lane
/// each), across tile rows and images, so that the small planes of deep layers (four tiles of an
/// 8×8 output) still fill every lane.
private struct TileChunk {
    let layout: Tiles4x4
    let images: Int
    /// Per tile: where its 6×6 window starts in the chunk's padded planes, where its 4×4 output
    /// starts in the chunk's output (channel 0), and how many of its rows and columns are inside.
    private let windows: [Int]
    private let outputs: [Int]
    private let extents: [(rows: Int, columns: Int)]
    var count: Int { windows.count }

    init(_ layout: Tiles4x4, images: Int) {
        self.layout = layout
        self.images = images
        var (windows, outputs, extents) = ([Int](), [Int](), [(rows: Int, columns: Int)]())
        for image in 0..<images {
            for ty in 0..<layout.tileRows {
                for tx in 0..<layout.tileCols {
                    windows.append(image * layout.paddedPlane + 4 * ty * layout.paddedWidth + 4 * tx)
                    outputs.append(image * layout.outChannels * layout.outPlane + 4 * ty * layout.outWidth + 4 * tx)
                    extents.append((min(4, layout.outHeight - 4 * ty), min(4, layout.outWidth - 4 * tx)))
                }
            }
        }
        (self.windows, self.outputs, self.extents) = (windows, outputs, extents)
    }

    /// Writes `Bᵀ d B` of every 6×6 input tile of the chunk's `images` (NCHW, consecutive) into
    /// `v`; `scratch` holds `images · paddedPlane` floats.
    func transformInput(_ images: UnsafePointer<Float>, into v: WinogradMatrices,
                        scratch: UnsafeMutablePointer<Float>) {
        let (c, h, w) = (layout.channels, layout.height, layout.width)
        let (top, left) = (layout.padding.height, layout.padding.width)
        forEachWindowGroup(scratch, planes: layout.channels) { channel in
            for image in 0..<self.images {
                let plane = images + (image * c + channel) * h * w
                let padded = scratch + image * layout.paddedPlane
                padded.initialize(repeating: 0, count: layout.paddedPlane)
                let rows = min(h, 4 * layout.tileRows + 2 - top), columns = min(w, layout.paddedWidth - left)
                for y in 0..<rows {
                    (padded + (y + top) * layout.paddedWidth + left).update(from: plane + y * w, count: columns)
                }
            }
        } transform: { channel, group, window, lanes in
            // X = Bᵀ d combines the six rows; each row of X then gives six matrices of X B.
            let pw = layout.paddedWidth
            let x = SixTiles.inputTransform(window(0), window(pw), window(2 * pw), window(3 * pw), window(4 * pw),
                                            window(5 * pw))
            let t = v.base + channel * v.columns + 8 * group
            store(x.0.inputTransformed, t, v.stride, lanes)
            store(x.1.inputTransformed, t + 6 * v.stride, v.stride, lanes)
            store(x.2.inputTransformed, t + 12 * v.stride, v.stride, lanes)
            store(x.3.inputTransformed, t + 18 * v.stride, v.stride, lanes)
            store(x.4.inputTransformed, t + 24 * v.stride, v.stride, lanes)
            store(x.5.inputTransformed, t + 30 * v.stride, v.stride, lanes)
        }
    }

    /// Writes `A dy Aᵀ` of every 4×4 tile of the chunk's output gradients (`[images, O, outHeight,
    /// outWidth]`) into `g`; pixels past the output are zero.
    func transformGradient(_ gradients: UnsafePointer<Float>, into g: WinogradMatrices,
                           scratch: UnsafeMutablePointer<Float>) {
        let (o, outPlane, outWidth) = (layout.outChannels, layout.outPlane, layout.outWidth)
        forEachWindowGroup(scratch, planes: layout.outChannels) { channel in
            for image in 0..<self.images {
                let plane = gradients + (image * o + channel) * outPlane
                let padded = scratch + image * layout.paddedPlane
                padded.initialize(repeating: 0, count: layout.paddedPlane)
                for y in 0..<layout.outHeight {
                    (padded + y * layout.paddedWidth).update(from: plane + y * outWidth, count: outWidth)
                }
            }
        } transform: { channel, group, window, lanes in
            let pw = layout.paddedWidth
            let rows = (window(0), window(pw), window(2 * pw), window(3 * pw))
            let x = FourTiles.gradientTransform(FourTiles(leading: rows.0), FourTiles(leading: rows.1),
                                                FourTiles(leading: rows.2), FourTiles(leading: rows.3))
            let t = g.base + channel * g.columns + 8 * group
            store(x.0.gradientTransformed, t, g.stride, lanes)
            store(x.1.gradientTransformed, t + 6 * g.stride, g.stride, lanes)
            store(x.2.gradientTransformed, t + 12 * g.stride, g.stride, lanes)
            store(x.3.gradientTransformed, t + 18 * g.stride, g.stride, lanes)
            store(x.4.gradientTransformed, t + 24 * g.stride, g.stride, lanes)
            store(x.5.gradientTransformed, t + 30 * g.stride, g.stride, lanes)
        }
    }

    /// For each of `planes` channels: `pad(channel)` fills `scratch` with the chunk's padded
    /// planes, then `transform(channel, group, window, lanes)` runs for each group of eight tiles,
    /// where `window(offset)` gathers the six pixels `offset … offset + 5` of each tile's window,
    /// one row of `SixTiles`.
    private func forEachWindowGroup(_ scratch: UnsafeMutablePointer<Float>, planes: Int,
                                    pad: (Int) -> Void,
                                    transform: (Int, Int, (Int) -> SixTiles, Int) -> Void) {
        windows.withUnsafeBufferPointer { windows in
            for channel in 0..<planes {
                pad(channel)
                for group in 0..<(count + 7) / 8 {
                    let lanes = min(8, count - 8 * group)
                    // Lanes past the last tile read the first tile's window; they are not stored.
                    var corners = SIMD8<Int>(repeating: windows[0])
                    for lane in 0..<lanes { corners[lane] = windows[8 * group + lane] }
                    let sideBySide = lanes == 8 && (1..<8).allSatisfy { corners[$0] == corners[0] + 4 * $0 }
                    transform(channel, group, { offset in
                        sideBySide ? Self.gatherRow(sideBySide: scratch + offset + corners[0])
                                   : Self.gatherRow(scratch + offset, corners)
                    }, lanes)
                }
            }
        }
    }

    /// `(p[k + j])` for the eight corners `k` and `j = 0 … 5`: one 8-float load per corner, transposed
    /// in registers, instead of 48 scalar loads each inserted into its lane (every group of
    /// SmallCNN's planes, 6, 3 or 2 tiles wide, takes this path: its feature-scattering step, Intel
    /// Xeon, one thread, 822/571/825 → 855/894/876 images/s alternated). Reads `p[k + 6]` and
    /// `p[k + 7]` too, inside the scratch's slack past the last window.
    @inline(__always)
    private static func gatherRow(_ p: UnsafePointer<Float>, _ corners: SIMD8<Int>) -> SixTiles {
        let load = { (lane: Int) in UnsafeRawPointer(p + corners[lane]).loadUnaligned(as: SIMD8<Float>.self) }
        let rows = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7))
        let column = { (j: Int) in
            SIMD8<Float>(rows.0[j], rows.1[j], rows.2[j], rows.3[j], rows.4[j], rows.5[j], rows.6[j], rows.7[j])
        }
        return SixTiles(column(0), column(1), column(2), column(3), column(4), column(5))
    }

    /// `(p[4k + j])` for `k = 0 … 7` and `j = 0 … 5`: the row of eight side-by-side windows (one tile
    /// row of a plane 32 wide, say), from five vector loads of the 34 pixels and shuffles.
    @inline(__always)
    private static func gatherRow(sideBySide p: UnsafePointer<Float>) -> SixTiles {
        let load = { (offset: Int) in UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD8<Float>.self) }
        let (a, b, c, d, e) = (load(0), load(8), load(16), load(24), load(26))
        let pixel = { (i: Int) -> Float in
            i < 8 ? a[i] : i < 16 ? b[i - 8] : i < 24 ? c[i - 16] : i < 32 ? d[i - 24] : e[i - 26]
        }
        let column = { (j: Int) in
            SIMD8<Float>(pixel(j), pixel(j + 4), pixel(j + 8), pixel(j + 12), pixel(j + 16), pixel(j + 20),
                         pixel(j + 24), pixel(j + 28))
        }
        return SixTiles(column(0), column(1), column(2), column(3), column(4), column(5))
    }

    /// Stores the six values of a row of eight tiles to six consecutive matrices `stride` apart
    /// (the first `lanes` tiles only).
    @inline(__always)
    private func store(_ row: SixTiles, _ target: UnsafeMutablePointer<Float>, _ stride: Int, _ lanes: Int) {
        store(row.c0, target, lanes)
        store(row.c1, target + stride, lanes)
        store(row.c2, target + 2 * stride, lanes)
        store(row.c3, target + 3 * stride, lanes)
        store(row.c4, target + 4 * stride, lanes)
        store(row.c5, target + 5 * stride, lanes)
    }

    @inline(__always)
    private func store(_ values: SIMD8<Float>, _ target: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 {
            target.storeVector(values)
        } else {
            for lane in 0..<lanes { target[lane] = values[lane] }
        }
    }

    /// Writes one tile's `rows` (four pixels each) at `corner`, the first `extent` rows and columns.
    @inline(__always)
    private func writeTile(_ corner: UnsafeMutablePointer<Float>, _ extent: (rows: Int, columns: Int),
                           _ r0: SIMD4<Float>, _ r1: SIMD4<Float>, _ r2: SIMD4<Float>, _ r3: SIMD4<Float>) {
        let write = { (row: Int, values: SIMD4<Float>) in
            guard row < extent.rows else { return }
            let target = corner + row * layout.outWidth
            if extent.columns == 4 {
                target.storeVector(values)
            } else {
                for column in 0..<extent.columns { target[column] = values[column] }
            }
        }
        write(0, r0)
        write(1, r1)
        write(2, r2)
        write(3, r3)
    }

    /// Writes `Aᵀ M A` of every tile (the columns of `m`) into the chunk's NCHW output planes,
    /// adding the bias and applying ReLU when asked. Reads up to seven floats past the last tile
    /// of a matrix row (inside `m`'s slack).
    func transformOutput(_ m: WinogradMatrices, bias: UnsafePointer<Float>?, relu: Bool,
                         into output: UnsafeMutablePointer<Float>) {
        let (outPlane, outWidth) = (layout.outPlane, layout.outWidth)
        outputs.withUnsafeBufferPointer { outputs in
            extents.withUnsafeBufferPointer { extents in
                for o in 0..<layout.outChannels {
                    let source = m.base + o * m.columns
                    let plane = output + o * outPlane
                    let shift = SIMD8<Float>(repeating: bias?[o] ?? 0)
                    for group in 0..<(count + 7) / 8 {
                        let t = source + 8 * group
                        let matrixRow = { (k: Int) in
                            let p = t + 6 * k * m.stride
                            let load = { (l: Int) in
                                UnsafeRawPointer(p + l * m.stride).loadUnaligned(as: SIMD8<Float>.self)
                            }
                            return SixTiles(load(0), load(1), load(2), load(3), load(4), load(5))
                        }
                        // S = Aᵀ M combines the six rows of M; each row of S gives four output pixels.
                        let s = SixTiles.outputTransform(matrixRow(0), matrixRow(1), matrixRow(2), matrixRow(3),
                                                         matrixRow(4), matrixRow(5))
                        var rows = (s.0.outputTransformed, s.1.outputTransformed, s.2.outputTransformed,
                                    s.3.outputTransformed)
                        rows.0.add(shift, relu: relu)
                        rows.1.add(shift, relu: relu)
                        rows.2.add(shift, relu: relu)
                        rows.3.add(shift, relu: relu)
                        let pairs = (rows.0.tilePairs, rows.1.tilePairs, rows.2.tilePairs, rows.3.tilePairs)
                        let first = 8 * group
                        // Two tiles side by side in one output row, both whole, are stored as one run of
                        // eight pixels per row; any other tile pixel row by pixel row.
                        func write(_ tile: Int, _ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>,
                                   _ r3: SIMD8<Float>) {
                            let corner = plane + outputs[tile]
                            if tile + 1 < count, extents[tile] == (4, 4), extents[tile + 1] == (4, 4),
                               outputs[tile + 1] == outputs[tile] + 4 {
                                corner.storeVector(r0)
                                (corner + outWidth).storeVector(r1)
                                (corner + 2 * outWidth).storeVector(r2)
                                (corner + 3 * outWidth).storeVector(r3)
                                return
                            }
                            writeTile(corner, extents[tile], r0.lowHalf, r1.lowHalf, r2.lowHalf, r3.lowHalf)
                            if tile + 1 < count {
                                writeTile(plane + outputs[tile + 1], extents[tile + 1], r0.highHalf, r1.highHalf,
                                          r2.highHalf, r3.highHalf)
                            }
                        }
                        write(first, pairs.0.0, pairs.1.0, pairs.2.0, pairs.3.0)
                        if first + 2 < count { write(first + 2, pairs.0.1, pairs.1.1, pairs.2.1, pairs.3.1) }
                        if first + 4 < count { write(first + 4, pairs.0.2, pairs.1.2, pairs.2.2, pairs.3.2) }
                        if first + 6 < count { write(first + 6, pairs.0.3, pairs.1.3, pairs.2.3, pairs.3.3) }
                    }
                }
            }
        }
    }
}

/// Six values of eight tiles (one tile per lane): a row or column of a 6×6 tile.
private struct SixTiles {
    var c0, c1, c2, c3, c4, c5: SIMD8<Float>

    init(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>, _ c4: SIMD8<Float>,
         _ c5: SIMD8<Float>) {
        (self.c0, self.c1, self.c2, self.c3, self.c4, self.c5) = (c0, c1, c2, c3, c4, c5)
    }

    /// `Bᵀ r` of the six rows `r₀ … r₅`: the rows of `Bᵀ d`.
    @inline(__always)
    static func inputTransform(_ r0: SixTiles, _ r1: SixTiles, _ r2: SixTiles, _ r3: SixTiles, _ r4: SixTiles,
                               _ r5: SixTiles) -> (SixTiles, SixTiles, SixTiles, SixTiles, SixTiles, SixTiles) {
        (4 * r0 - 5 * r2 + r4, (r3 + r4) - 4 * (r1 + r2), 4 * (r1 - r2) + (r4 - r3),
         2 * (r3 - r1) + (r4 - r2), 2 * (r1 - r3) + (r4 - r2), 4 * r1 - 5 * r3 + r5)
    }

    /// `Bᵀ` applied to this row's six columns: the six values of one row of `Bᵀ d B`.
    @inline(__always)
    var inputTransformed: SixTiles {
        SixTiles(4 * c0 - 5 * c2 + c4, (c3 + c4) - 4 * (c1 + c2), 4 * (c1 - c2) + (c4 - c3),
                 2 * (c3 - c1) + (c4 - c2), 2 * (c1 - c3) + (c4 - c2), 4 * c1 - 5 * c3 + c5)
    }

    /// `Aᵀ m` of the six rows `m₀ … m₅`: the four rows of `Aᵀ M`.
    @inline(__always)
    static func outputTransform(_ m0: SixTiles, _ m1: SixTiles, _ m2: SixTiles, _ m3: SixTiles, _ m4: SixTiles,
                                _ m5: SixTiles) -> (SixTiles, SixTiles, SixTiles, SixTiles) {
        let (sum12, difference12, sum34, difference34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
        return (m0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34,
                difference12 + 8 * difference34 + m5)
    }

    /// `Aᵀ` applied to this row's six columns: four output pixels of each tile.
    @inline(__always)
    var outputTransformed: FourTiles {
        let (sum12, difference12, sum34, difference34) = (c1 + c2, c1 - c2, c3 + c4, c3 - c4)
        return FourTiles(c0 + sum12 + sum34, difference12 + 2 * difference34, sum12 + 4 * sum34,
                         difference12 + 8 * difference34 + c5)
    }

    @inline(__always)
    static func + (a: SixTiles, b: SixTiles) -> SixTiles {
        SixTiles(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2, a.c3 + b.c3, a.c4 + b.c4, a.c5 + b.c5)
    }

    @inline(__always)
    static func - (a: SixTiles, b: SixTiles) -> SixTiles {
        SixTiles(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2, a.c3 - b.c3, a.c4 - b.c4, a.c5 - b.c5)
    }

    @inline(__always)
    static func * (k: Float, a: SixTiles) -> SixTiles {
        SixTiles(k * a.c0, k * a.c1, k * a.c2, k * a.c3, k * a.c4, k * a.c5)
    }
}

/// Four values of eight tiles: a row or column of a 4×4 tile (output pixels or output gradient).
private struct FourTiles {
    var c0, c1, c2, c3: SIMD8<Float>

    init(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>) {
        (self.c0, self.c1, self.c2, self.c3) = (c0, c1, c2, c3)
    }

    /// `A r` of the four rows `r₀ … r₃`: the six rows of `A dy`.
    @inline(__always)
    static func gradientTransform(_ r0: FourTiles, _ r1: FourTiles, _ r2: FourTiles, _ r3: FourTiles)
        -> (FourTiles, FourTiles, FourTiles, FourTiles, FourTiles, FourTiles) {
        let (even, odd) = (r0 + r2, r1 + r3)
        let (evenWide, oddWide) = (r0 + 4 * r2, 2 * r1 + 8 * r3)
        return (r0, even + odd, even - odd, evenWide + oddWide, evenWide - oddWide, r3)
    }

    /// `A` applied to this row's four columns: the six values of one row of `A dy Aᵀ`.
    @inline(__always)
    var gradientTransformed: SixTiles {
        let (even, odd) = (c0 + c2, c1 + c3)
        let (evenWide, oddWide) = (c0 + 4 * c2, 2 * c1 + 8 * c3)
        return SixTiles(c0, even + odd, even - odd, evenWide + oddWide, evenWide - oddWide, c3)
    }

    /// The first four of `six`.
    init(leading six: SixTiles) {
        self.init(six.c0, six.c1, six.c2, six.c3)
    }

    /// The four values of each tile, two tiles per vector: vector `j` holds tile `2j`'s, then
    /// tile `2j + 1`'s (the transpose of the four columns, in eight two-source shuffles).
    @inline(__always)
    var tilePairs: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let low01 = SIMD8(c0[0], c1[0], c0[1], c1[1], c0[2], c1[2], c0[3], c1[3])
        let high01 = SIMD8(c0[4], c1[4], c0[5], c1[5], c0[6], c1[6], c0[7], c1[7])
        let low23 = SIMD8(c2[0], c3[0], c2[1], c3[1], c2[2], c3[2], c2[3], c3[3])
        let high23 = SIMD8(c2[4], c3[4], c2[5], c3[5], c2[6], c3[6], c2[7], c3[7])
        let pair = { (a: SIMD8<Float>, b: SIMD8<Float>, at: Int) in
            SIMD8(a[at], a[at + 1], b[at], b[at + 1], a[at + 2], a[at + 3], b[at + 2], b[at + 3])
        }
        return (pair(low01, low23, 0), pair(low01, low23, 4), pair(high01, high23, 0), pair(high01, high23, 4))
    }

    /// Adds `shift` to every value, then applies ReLU when `relu`.
    @inline(__always)
    mutating func add(_ shift: SIMD8<Float>, relu: Bool) {
        (c0, c1, c2, c3) = (c0 + shift, c1 + shift, c2 + shift, c3 + shift)
        if relu {
            let zero = SIMD8<Float>()
            c0.replace(with: zero, where: c0 .< zero)
            c1.replace(with: zero, where: c1 .< zero)
            c2.replace(with: zero, where: c2 .< zero)
            c3.replace(with: zero, where: c3 .< zero)
        }
    }

    @inline(__always)
    static func + (a: FourTiles, b: FourTiles) -> FourTiles {
        FourTiles(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2, a.c3 + b.c3)
    }

    @inline(__always)
    static func - (a: FourTiles, b: FourTiles) -> FourTiles {
        FourTiles(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2, a.c3 - b.c3)
    }

    @inline(__always)
    static func * (k: Float, a: FourTiles) -> FourTiles {
        FourTiles(k * a.c0, k * a.c1, k * a.c2, k * a.c3)
    }
}
