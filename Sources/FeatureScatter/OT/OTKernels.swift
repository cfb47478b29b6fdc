// OTKernels.swift — vectorised float32 inner loops shared by the Sinkhorn and IPOT solvers.

import Foundation

/// The float32 loops that dominate the solvers' run time, written on `SIMD8<Float>` so they
/// vectorise without fast-math. Every loop reads raw buffers and allocates nothing.
///
/// Precision: each kernel computes elementwise values in float32; the sums that feed a
/// potential (`logSumExp`) are reduced lane-wise in float32 and across lanes in float64.
enum OTKernels {
    /// Below this exponent `exp` returns exactly 0 instead of a subnormal (`e^-87 ≈ 1.6e-38`).
    static let expFloor: Float = -87

    /// `e^x` on eight lanes: Cody–Waite reduction `x = k ln 2 + r`, a degree-6 Taylor polynomial
    /// on `|r| ≤ ln 2 / 2` (relative error ≤ 2e-7), and `2^k` built in the exponent bits.
    /// Lanes below `expFloor` (including −∞) give 0; inputs must be ≤ 88.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let floor = SIMD8<Float>(repeating: expFloor)
        let clamped = x.replacing(with: floor, where: x .< floor)
        let magic: Float = 12_582_912  // 1.5 · 2^23: adding it rounds to the nearest integer.
        let shifted = clamped * 1.442_695_04 + magic
        let k = shifted - magic
        let r = clamped - k * 0.693_145_75 - k * 1.428_606_8e-6
        var p = r * (1.0 / 720) + (1.0 / 120)
        p = p * r + (1.0 / 24)
        p = p * r + (1.0 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        let scaled = p * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return scaled.replacing(with: SIMD8<Float>(), where: x .< floor)
    }

    /// `e^x` on four float64 lanes: Cody–Waite reduction with a two-part `ln 2`, a degree-12
    /// Taylor polynomial on `|r| ≤ ln 2 / 2` (truncation ≤ 2e-16 relative), and `2^k` built in
    /// the exponent bits. Lanes below −708 (including −∞) give 0, lanes above 709 give +∞.
    @inline(__always)
    static func exp(_ x: SIMD4<Double>) -> SIMD4<Double> {
        let (low, high) = (SIMD4<Double>(repeating: -708), SIMD4<Double>(repeating: 709))
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        let magic = 6_755_399_441_055_744.0  // 1.5 · 2^52: adding it rounds to the nearest integer.
        let shifted = clamped * 1.442_695_040_888_963_4 + magic
        let k = shifted - magic
        let r = clamped - k * 6.931_471_803_691_238_164_90e-1 - k * 1.908_214_929_270_587_700_02e-10
        var p = r * (1.0 / 479_001_600) + (1.0 / 39_916_800)
        p = p * r + (1.0 / 3_628_800)
        p = p * r + (1.0 / 362_880)
        p = p * r + (1.0 / 40_320)
        p = p * r + (1.0 / 5_040)
        p = p * r + (1.0 / 720)
        p = p * r + (1.0 / 120)
        p = p * r + (1.0 / 24)
        p = p * r + (1.0 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(shifted, to: SIMD4<Int64>.self) &- Int64(bitPattern: magic.bitPattern)
        let scaled = p * unsafeBitCast((integer &+ 1023) &<< 52, to: SIMD4<Double>.self)
        return scaled.replacing(with: SIMD4<Double>(), where: x .< low)
            .replacing(with: SIMD4<Double>(repeating: .infinity), where: x .> high)
    }

    /// Lane-wise maximum (`pointwiseMax` is not inlined and runs scalar).
    @inline(__always)
    static func maximum(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
        x.replacing(with: y, where: y .> x)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    /// Four float64 lanes (the unrolled-gradient replay's loads).
    @inline(__always)
    static func load4(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self)
    }

    @inline(__always)
    static func store4(_ value: SIMD4<Double>, _ pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Double>.self)
    }

    /// `log Σ_j exp(potential_j − scale · row_j)`, max-stabilised (two passes over the row).
    /// Returns −∞ when every term is −∞.
    static func logSumExp(
        row: UnsafePointer<Float>, potential: UnsafePointer<Float>, count: Int, scale: Float
    ) -> Double {
        let vectorEnd = count & ~7
        var maxima = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j < vectorEnd {
            maxima = maximum(maxima, load(potential + j) - scale * load(row + j))
            j += 8
        }
        var largest = maxima.max()
        while j < count {
            largest = max(largest, potential[j] - scale * row[j])
            j += 1
        }
        guard largest > -.infinity else { return -.infinity }
        let shift = SIMD8<Float>(repeating: largest)
        var sums = SIMD8<Float>()
        j = 0
        while j < vectorEnd {
            sums += exp(load(potential + j) - scale * load(row + j) - shift)
            j += 8
        }
        var total = 0.0
        for lane in 0..<8 { total += Double(sums[lane]) }
        while j < count {
            total += Double(Foundation.exp(potential[j] - scale * row[j] - largest))
            j += 1
        }
        return Double(largest) + Foundation.log(total)
    }

    /// `maxima_j = max(maxima_j, bias − scale · row_j)`: one row of a column-wise maximum.
    static func columnMaximum(
        row: UnsafePointer<Float>, bias: Float, scale: Float, maxima: UnsafeMutablePointer<Float>, count: Int
    ) {
        let vectorEnd = count & ~7
        let biasVector = SIMD8<Float>(repeating: bias)
        var j = 0
        while j < vectorEnd {
            store(maximum(load(maxima + j), biasVector - scale * load(row + j)), maxima + j)
            j += 8
        }
        while j < count {
            maxima[j] = max(maxima[j], bias - scale * row[j])
            j += 1
        }
    }

    /// `sums_j += exp(bias − scale · row_j − maxima_j)`: one row of a column-wise log-sum-exp.
    static func columnExpSum(
        row: UnsafePointer<Float>, bias: Float, scale: Float, maxima: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, count: Int
    ) {
        let vectorEnd = count & ~7
        let biasVector = SIMD8<Float>(repeating: bias)
        var j = 0
        while j < vectorEnd {
            store(load(sums + j) + exp(biasVector - scale * load(row + j) - load(maxima + j)), sums + j)
            j += 8
        }
        while j < count {
            sums[j] += Foundation.exp(bias - scale * row[j] - maxima[j])
            j += 1
        }
    }

    /// `out_j = exp(bias + potential_j − scale · row_j)`, with `exp` flushed to 0 below `floor`;
    /// also adds `out_j` to `sums_j`.
    static func expRow(
        row: UnsafePointer<Float>, potential: UnsafePointer<Float>, bias: Float, scale: Float,
        floor: Float, out: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>, count: Int
    ) {
        let vectorEnd = count & ~7
        let biasVector = SIMD8<Float>(repeating: bias)
        let floorVector = SIMD8<Float>(repeating: floor)
        var j = 0
        while j < vectorEnd {
            let argument = biasVector + load(potential + j) - scale * load(row + j)
            let value = exp(argument).replacing(with: SIMD8<Float>(), where: argument .< floorVector)
            store(value, out + j)
            store(load(sums + j) + value, sums + j)
            j += 8
        }
        while j < count {
            let argument = bias + potential[j] - scale * row[j]
            let value = argument < floor ? 0 : Foundation.exp(argument)
            out[j] = value
            sums[j] += value
            j += 1
        }
    }

    /// `Σ_j x_j y_j` with eight float32 lanes, reduced in float64.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        let vectorEnd = count & ~15
        var first = SIMD8<Float>()
        var second = SIMD8<Float>()
        var j = 0
        while j < vectorEnd {
            first += load(x + j) * load(y + j)
            second += load(x + j + 8) * load(y + j + 8)
            j += 16
        }
        let lanes = first + second
        var total = 0.0
        for lane in 0..<8 { total += Double(lanes[lane]) }
        while j < count {
            total += Double(x[j] * y[j])
            j += 1
        }
        return total
    }

    /// The four dot products `⟨x_r, y⟩` of rows `x_0 … x_3` (`stride` apart) with one vector,
    /// reading `y` once; eight float32 lanes per row, reduced in float64.
    @inline(__always)
    static func dot4(_ x: UnsafePointer<Float>, stride: Int, _ y: UnsafePointer<Float>, count: Int)
        -> (Double, Double, Double, Double)
    {
        let vectorEnd = count & ~7
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var j = 0
        while j < vectorEnd {
            let yv = load(y + j)
            s0 += load(x + j) * yv
            s1 += load(x + stride + j) * yv
            s2 += load(x + 2 * stride + j) * yv
            s3 += load(x + 3 * stride + j) * yv
            j += 8
        }
        var totals = (0.0, 0.0, 0.0, 0.0)
        for lane in 0..<8 {
            totals.0 += Double(s0[lane])
            totals.1 += Double(s1[lane])
            totals.2 += Double(s2[lane])
            totals.3 += Double(s3[lane])
        }
        while j < count {
            totals.0 += Double(x[j] * y[j])
            totals.1 += Double(x[stride + j] * y[j])
            totals.2 += Double(x[2 * stride + j] * y[j])
            totals.3 += Double(x[3 * stride + j] * y[j])
            j += 1
        }
        return totals
    }

    /// `y += α_0 x_0 + α_1 x_1 + α_2 x_2 + α_3 x_3` for four rows `stride` apart, reading and
    /// writing `y` once.
    @inline(__always)
    static func axpy4(
        _ alpha: SIMD4<Float>, _ x: UnsafePointer<Float>, stride: Int, _ y: UnsafeMutablePointer<Float>, count: Int
    ) {
        let vectorEnd = count & ~7
        let a0 = SIMD8<Float>(repeating: alpha[0]), a1 = SIMD8<Float>(repeating: alpha[1])
        let a2 = SIMD8<Float>(repeating: alpha[2]), a3 = SIMD8<Float>(repeating: alpha[3])
        var j = 0
        while j < vectorEnd {
            let sum = a0 * load(x + j) + a1 * load(x + stride + j) + a2 * load(x + 2 * stride + j)
                + a3 * load(x + 3 * stride + j)
            store(load(y + j) + sum, y + j)
            j += 8
        }
        while j < count {
            y[j] += alpha[0] * x[j] + alpha[1] * x[stride + j] + alpha[2] * x[2 * stride + j]
                + alpha[3] * x[3 * stride + j]
            j += 1
        }
    }

    /// `row_j ← factor_j · rowScale · row_j · scales_j`, flushing results below `flush` to 0
    /// (pass `factor = nil` for 1).
    static func scaleRow(
        _ row: UnsafeMutablePointer<Float>, rowScale: Float, scales: UnsafePointer<Float>,
        factor: UnsafePointer<Float>?, flush: Float, count: Int
    ) {
        let vectorEnd = count & ~7
        let scale = SIMD8<Float>(repeating: rowScale)
        let flushVector = SIMD8<Float>(repeating: flush)
        var j = 0
        while j < vectorEnd {
            var value = load(row + j) * scale * load(scales + j)
            if let factor { value *= load(factor + j) }
            store(value.replacing(with: SIMD8<Float>(), where: value .< flushVector), row + j)
            j += 8
        }
        while j < count {
            var value = row[j] * rowScale * scales[j]
            if let factor { value *= factor[j] }
            row[j] = value < flush ? 0 : value
            j += 1
        }
    }

    /// `y += alpha · x`.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count & ~7
        let scale = SIMD8<Float>(repeating: alpha)
        var j = 0
        while j < vectorEnd {
            store(load(y + j) + scale * load(x + j), y + j)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }

    /// The row scalings `u_i = a_i / Σ_j K_ij v_j` of a row-major `[n, m]` kernel (the Sinkhorn
    /// row update), written to `u`, with the scaled rows' column sums `Σ_i u_i K_ij` added to
    /// `columnSums`; four rows per pass over `v`.
    static func scaleRowsToMarginal(_ kernel: [Float], v: [Float], a: [Float], rows n: Int, cols m: Int,
                                    u: inout [Float], columnSums: inout [Float]) {
        kernel.withUnsafeBufferPointer { k in
            v.withUnsafeBufferPointer { vs in
                u.withUnsafeMutableBufferPointer { us in
                    columnSums.withUnsafeMutableBufferPointer { sums in
                        scaleRowsToMarginal(k.baseAddress!, v: vs.baseAddress!, a: a, rows: n, cols: m, u: us.baseAddress!,
                                            columnSums: sums.baseAddress!)
                    }
                }
            }
        }
    }

    private static func scaleRowsToMarginal(_ kernel: UnsafePointer<Float>, v: UnsafePointer<Float>, a: [Float], rows n: Int,
                                            cols m: Int, u: UnsafeMutablePointer<Float>,
                                            columnSums: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 4 <= n {
            let rows = kernel + i * m
            let dots = dot4(rows, stride: m, v, count: m)
            let scalings = SIMD4<Float>(
                Float(Double(a[i]) / dots.0), Float(Double(a[i + 1]) / dots.1),
                Float(Double(a[i + 2]) / dots.2), Float(Double(a[i + 3]) / dots.3))
            for r in 0..<4 { u[i + r] = scalings[r] }
            axpy4(scalings, rows, stride: m, columnSums, count: m)
            i += 4
        }
        while i < n {
            let row = kernel + i * m
            u[i] = Float(Double(a[i]) / dot(row, v, count: m))
            axpy(u[i], row, columnSums, count: m)
            i += 1
        }
    }
}
