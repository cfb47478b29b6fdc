// WinogradGEMM.swift — the Winograd products `M_ξ = U_ξ V_ξ` on filters packed once per layer.

/// The matrix products of a Winograd convolution, `M_ξ = U_ξ V_ξ` (`[rows, depth] × [depth,
/// tiles]`, one per position ξ), with the filters `U_ξ` packed once per layer instead of once
/// per product: OpenBLAS repacked them on every call, for every batch of 64 tiles (its `oncopy`
/// took 8.8% of a WRN-16-4 feature-scattering step). `V_ξ` is read where the input transform
/// wrote it, one 64-byte line of 16 tiles per step of the sum.
///
/// The packed filters of one position are panels of ``panelRows`` rows: for each column `c` of
/// `U_ξ`, the panel's `panelRows` values of that column in a row, the last panel padded with
/// zero rows. The micro-kernel keeps a panel's block of `panelRows × 16` products in registers
/// (12 of the 16 AVX2 registers as 6 rows, 16 of the 32 AVX-512 registers as 16 rows; 8 columns
/// in a last block of 8) and adds one column of the panel times one row of tiles per step, in
/// the order of the sum (`c = 0, 1, …`), so each product is a float32 dot product in natural order.
enum WinogradGEMM {
    #if FEATURESCATTER_TARGET_skylake_avx512
    /// The rows of `U_ξ` one micro-kernel call computes: 16, so that the layers' 16, 32, 64, … channels
    /// fill whole panels (12-row panels computed 36 rows for 32 channels and 72 for 64, and SmallCNN's
    /// feature-scattering step on an Intel Xeon ran 5% slower).
    static let panelRows = 16
    #else
    /// The rows of `U_ξ` one micro-kernel call computes.
    static let panelRows = 6
    #endif

    /// The rows of `V_ξ` and `M_ξ` are a multiple of this long (``rowLength(tiles:)``): the
    /// micro-kernel takes 16 tiles at a time, and 8 in the last block when 8 remain.
    static let blockColumns = 8

    /// The length of the rows of `V_ξ` and `M_ξ` for `tiles` tiles: a multiple of
    /// ``blockColumns``. The extra columns are computed and ignored (each column of `M_ξ`
    /// depends on the same column of `V_ξ` only).
    static func rowLength(tiles: Int) -> Int {
        (tiles + blockColumns - 1) / blockColumns * blockColumns
    }

    /// The distance in floats between consecutive positions' packed filters: their panels
    /// spaced as ``Winograd/matrixStride(_:)`` spaces matrices. The filter transforms write all
    /// positions at once, and packed back to back the positions of a 256-deep layer are 256 KiB
    /// (16-row panels) or 258 KiB (6-row panels) apart, multiples of 4 or 2 KiB: the 36 streams
    /// of stores fell in one or two sets of the L1 cache (the transforms took 3% of a WRN-16-4
    /// feature-scattering step on Zen 4).
    static func positionStride(rows: Int, depth: Int) -> Int {
        Winograd.matrixStride(panelCount(rows: rows) * panelRows * depth)
    }

    /// Calls `body` with each entry `(row, column)` of the given panels of a `[rows, depth]`
    /// matrix and its offset in that matrix's packed panels, in the order of those offsets, so
    /// that a caller filling several positions' filters at once (the filter transforms) writes
    /// each of them in sequence. The zero rows past the last one are not visited.
    @inline(__always)
    static func forEachPackedEntry(rows: Int, depth: Int, panels: Range<Int>,
                                   _ body: (_ row: Int, _ column: Int, _ offset: Int) -> Void) {
        for index in panels {
            let first = index * panelRows
            let panel = first * depth
            for column in 0..<depth {
                for row in first..<min(first + panelRows, rows) {
                    body(row, column, panel + column * panelRows + row - first)
                }
            }
        }
    }

    /// `product = U V` for packed `U` (`[rows, depth]`, as ``forEachPackedEntry(rows:depth:panels:_:)`` lays it out)
    /// and row-major `V` (`[depth, rowLength]`); `product` is `[rows, rowLength]`, and
    /// `rowLength` a multiple of ``blockColumns``.
    static func multiply(packed u: UnsafePointer<Float>, rows: Int, depth: Int,
                         _ v: UnsafePointer<Float>, rowLength: Int, into product: UnsafeMutablePointer<Float>) {
        precondition(rowLength % blockColumns == 0, "WinogradGEMM.multiply: rows of \(rowLength) floats")
        Profiler.measureGEMM(m: rows, n: rowLength, k: depth) {
            for panel in 0..<panelCount(rows: rows) {
                let first = panel * panelRows
                let (panelFilters, panelProduct) = (u + first * depth, product + first * rowLength)
                let panelRowCount = min(panelRows, rows - first)
                var column = 0
                while column + 16 <= rowLength {
                    multiplyBlock(panelFilters, depth: depth, v + column, rowLength: rowLength,
                                  into: panelProduct + column, rows: panelRowCount, lanes: SIMD16<Float>.self)
                    column += 16
                }
                if column < rowLength {
                    multiplyBlock(panelFilters, depth: depth, v + column, rowLength: rowLength,
                                  into: panelProduct + column, rows: panelRowCount, lanes: SIMD8<Float>.self)
                }
            }
        }
    }

    /// The panels of `rows` rows.
    static func panelCount(rows: Int) -> Int {
        (rows + panelRows - 1) / panelRows
    }

    /// One panel times `Lanes.scalarCount` columns of `V`: the first `rows` rows of the block.
    @inline(__always)
    private static func multiplyBlock<Lanes: SIMD>(_ u: UnsafePointer<Float>, depth: Int, _ v: UnsafePointer<Float>,
                                                   rowLength: Int, into product: UnsafeMutablePointer<Float>, rows: Int,
                                                   lanes: Lanes.Type) where Lanes.Scalar == Float {
        var (u, v) = (u, v)
        var upper = PanelRows<Lanes>()
        #if FEATURESCATTER_TARGET_skylake_avx512
        var lower = PanelRows<Lanes>()
        #endif
        for _ in 0..<depth {
            let tiles = UnsafeRawPointer(v).loadUnaligned(as: Lanes.self)
            upper.add(u, times: tiles)
            #if FEATURESCATTER_TARGET_skylake_avx512
            lower.add(u + PanelRows<Lanes>.count, times: tiles)
            #endif
            u += panelRows
            v += rowLength
        }
        let half = PanelRows<Lanes>.count
        upper.store(into: product, rowLength: rowLength, rows: min(rows, half))
        #if FEATURESCATTER_TARGET_skylake_avx512
        if rows > half { lower.store(into: product + half * rowLength, rowLength: rowLength, rows: rows - half) }
        #endif
    }
}

/// Rows of products (16 or 8 columns), the accumulators of the micro-kernel: all six of an AVX2
/// panel, half of an AVX-512 one.
private struct PanelRows<Lanes: SIMD> where Lanes.Scalar == Float {
    #if FEATURESCATTER_TARGET_skylake_avx512
    static var count: Int { 8 }
    var row0 = Lanes(), row1 = Lanes(), row2 = Lanes(), row3 = Lanes(), row4 = Lanes(), row5 = Lanes()
    var row6 = Lanes(), row7 = Lanes()
    #else
    static var count: Int { 6 }
    var row0 = Lanes(), row1 = Lanes(), row2 = Lanes(), row3 = Lanes(), row4 = Lanes(), row5 = Lanes()
    #endif

    /// Adds `u[r] · tiles` to row `r`, fused where the build has FMA.
    @inline(__always)
    mutating func add(_ u: UnsafePointer<Float>, times tiles: Lanes) {
        Self.addProduct(&row0, u[0], tiles)
        Self.addProduct(&row1, u[1], tiles)
        Self.addProduct(&row2, u[2], tiles)
        Self.addProduct(&row3, u[3], tiles)
        Self.addProduct(&row4, u[4], tiles)
        Self.addProduct(&row5, u[5], tiles)
        #if FEATURESCATTER_TARGET_skylake_avx512
        Self.addProduct(&row6, u[6], tiles)
        Self.addProduct(&row7, u[7], tiles)
        #endif
    }

    /// Writes the first `rows` rows, `rowLength` floats apart.
    @inline(__always)
    func store(into target: UnsafeMutablePointer<Float>, rowLength: Int, rows: Int) {
        let write = { (row: Int, value: Lanes) in
            guard row < rows else { return }
            UnsafeMutableRawPointer(target + row * rowLength).storeBytes(of: value, as: Lanes.self)
        }
        write(0, row0)
        write(1, row1)
        write(2, row2)
        write(3, row3)
        write(4, row4)
        write(5, row5)
        #if FEATURESCATTER_TARGET_skylake_avx512
        write(6, row6)
        write(7, row7)
        #endif
    }

    @inline(__always)
    private static func addProduct(_ sum: inout Lanes, _ scale: Float, _ tiles: Lanes) {
        #if FEATURESCATTER_TARGET_skylake_avx512 || FEATURESCATTER_TARGET_haswell
        sum.addProduct(Lanes(repeating: scale), tiles)
        #else
        sum += scale * tiles
        #endif
    }
}
