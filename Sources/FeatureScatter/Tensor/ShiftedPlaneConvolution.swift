// ShiftedPlaneConvolution.swift — stride-1 convolutions as GEMMs over shifted copies of the input planes.

/// Stride-1 convolutions without im2col's `C·kh·kw`-row patch matrix.
///
/// With the input padded to `Hp × Wp` and each channel plane read as one row of `Hp·Wp` values,
/// the output is computed on a *wide* grid of `H_out × Wp` positions (the last `kw − 1` columns of
/// each row are discarded): output position `n = oh·Wp + ow` needs input `n + ki·Wp + kj`. So
/// the matrix `P` of the `C·kw` planes shifted by `kj` (`P[(c, kj), n] = x_pad[c, n + kj]`) holds
/// every patch: offset by `ki·Wp` columns it is the im2col matrix of kernel row `ki`, and
/// ```
/// Y_wide = Σ_ki W_ki · P[:, ki·Wp ..< ki·Wp + H_out·Wp],   W_ki[o, (c, kj)] = W[o, c, ki, kj]
/// ```
/// is `kh` GEMMs with inner dimension `C·kw`. The adjoints are the same GEMMs transposed: the input
/// gradient accumulates `W_kiᵀ dY_wide` at column offset `ki·Wp` of a `P`-shaped matrix and folds
/// its `kw` shifts back onto the plane; the weight gradient is `dY_wide · P_kiᵀ`.
///
/// `P` is `kh`× smaller than im2col's matrix and built by plane copies (a 32→32 layer at
/// 26×26: 260 KB instead of 663 KB per image, in L2), and the input gradient needs no col2im
/// scatter; the price is `Wp / W_out` more GEMM columns (26/24 there).
enum ShiftedPlanes {
    /// Whether `automatic` chooses shifted planes: a stride-1 layer that Winograd does not take,
    /// with `C·kw ≥ 16` so the GEMMs' inner dimension is not tiny (a 1- or 3-channel stem stays
    /// on im2col, whose inner dimension is `C·kh·kw`).
    static func applies(to plan: ConvolutionPlan) -> Bool {
        isSupported(plan) && plan.inChannels * plan.geometry.kernel.width >= 16
    }

    /// Whether shifted planes can compute this convolution: stride 1, dilation 1, one group.
    static func isSupported(_ plan: ConvolutionPlan) -> Bool {
        let g = plan.geometry
        return g.stride == (1, 1) && g.dilation == (1, 1) && plan.groups == 1
    }
}

/// The shapes of one shifted-plane convolution and its per-image kernels.
struct ShiftedPlaneLayout {
    let plan: ConvolutionPlan
    let paddedHeight, paddedWidth: Int
    /// Values per padded plane: one row of `P`.
    var planeLength: Int { paddedHeight * paddedWidth }
    /// Rows of `P`: `C·kw`.
    var rows: Int { plan.inChannels * plan.geometry.kernel.width }
    /// Output positions of the wide grid: `H_out · Wp`.
    var wideColumns: Int { plan.outHeight * paddedWidth }
    var kernelRows: Int { plan.geometry.kernel.height }
    var kernelColumns: Int { plan.geometry.kernel.width }

    init(_ plan: ConvolutionPlan) {
        self.plan = plan
        paddedHeight = plan.height + 2 * plan.geometry.padding.height
        paddedWidth = plan.width + 2 * plan.geometry.padding.width
    }

    /// Writes `P` (`[rows, planeLength]`) for one image: each padded plane, then its shifts by `kj`.
    func fillPlanes(_ image: UnsafePointer<Float>, into planes: UnsafeMutablePointer<Float>) {
        let (h, w, pw) = (plan.height, plan.width, plan.geometry.padding.width)
        let ph = plan.geometry.padding.height
        for c in 0..<plan.inChannels {
            let first = planes + c * kernelColumns * planeLength
            let source = image + c * h * w
            if ph == 0 && pw == 0 {
                first.update(from: source, count: planeLength)
            } else {
                first.update(repeating: 0, count: ph * paddedWidth)
                for row in 0..<h {
                    let line = first + (row + ph) * paddedWidth
                    line.update(repeating: 0, count: pw)
                    (line + pw).update(from: source + row * w, count: w)
                    (line + pw + w).update(repeating: 0, count: pw)
                }
                (first + (h + ph) * paddedWidth).update(repeating: 0, count: ph * paddedWidth)
            }
            for kj in 1..<kernelColumns {
                let shifted = first + kj * planeLength
                shifted.update(from: first + kj, count: planeLength - kj)
                (shifted + planeLength - kj).update(repeating: 0, count: kj)
            }
        }
    }

    /// The weights as `kh` matrices `W_ki` (`[kh][O][C·kw]`) from OIHW.
    func packedWeights(_ weight: UnsafePointer<Float>) -> [Float] {
        let (o, c, kh, kw) = (plan.outChannels, plan.inChannels, kernelRows, kernelColumns)
        var packed = [Float](repeating: 0, count: kh * o * rows)
        for ki in 0..<kh {
            for out in 0..<o {
                for channel in 0..<c {
                    for kj in 0..<kw {
                        packed[(ki * o + out) * rows + channel * kw + kj] = weight[((out * c + channel) * kh + ki) * kw + kj]
                    }
                }
            }
        }
        return packed
    }

    /// OIHW weights from their packed form (the inverse of ``packedWeights(_:)``).
    func unpackedWeights(_ packed: [Float]) -> [Float] {
        let (o, c, kh, kw) = (plan.outChannels, plan.inChannels, kernelRows, kernelColumns)
        var weight = [Float](repeating: 0, count: o * c * kh * kw)
        for ki in 0..<kh {
            for out in 0..<o {
                for channel in 0..<c {
                    for kj in 0..<kw {
                        weight[((out * c + channel) * kh + ki) * kw + kj] = packed[(ki * o + out) * rows + channel * kw + kj]
                    }
                }
            }
        }
        return weight
    }

    /// `Y_wide = Σ_ki W_ki · P_ki` for one image (`[O, wideColumns]`).
    func forward(planes: UnsafePointer<Float>, weights: UnsafePointer<Float>, into wide: UnsafeMutablePointer<Float>) {
        for ki in 0..<kernelRows {
            sgemm(transposeA: false, transposeB: false, m: plan.outChannels, n: wideColumns, k: rows,
                  a: weights + ki * plan.outChannels * rows, lda: rows, b: planes + ki * paddedWidth, ldb: planeLength,
                  beta: ki == 0 ? 0 : 1, c: wide, ldc: wideColumns)
        }
    }

    /// Adds `dY_wide · P_kiᵀ` to each packed `dW_ki` (`[kh][O][C·kw]`).
    func accumulateWeightGradient(wideGradient: UnsafePointer<Float>, planes: UnsafePointer<Float>,
                                  into packed: UnsafeMutablePointer<Float>) {
        for ki in 0..<kernelRows {
            sgemm(transposeA: false, transposeB: true, m: plan.outChannels, n: rows, k: wideColumns,
                  a: wideGradient, lda: wideColumns, b: planes + ki * paddedWidth, ldb: planeLength, beta: 1,
                  c: packed + ki * plan.outChannels * rows, ldc: rows)
        }
    }

    /// The input gradient of one image (`[C, H, W]`, overwritten) from its wide output gradient,
    /// with `scratch` a `[rows, planeLength]` buffer and `folded` one of `planeLength` (used when
    /// padded): `Q = Σ_ki W_kiᵀ dY_wide` at column offsets `ki·Wp`, then
    /// `dx_pad[c, m] = Σ_kj Q[(c, kj), m − kj]` on the plane's interior.
    func inputGradient(wideGradient: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>, folded: UnsafeMutablePointer<Float>,
                       into image: UnsafeMutablePointer<Float>) {
        let tail = planeLength - wideColumns
        for row in 0..<rows { (scratch + row * planeLength + wideColumns).update(repeating: 0, count: tail) }
        for ki in 0..<kernelRows {
            sgemm(transposeA: true, transposeB: false, m: rows, n: wideColumns, k: plan.outChannels,
                  a: weights + ki * plan.outChannels * rows, lda: rows, b: wideGradient, ldb: wideColumns,
                  beta: ki == 0 ? 0 : 1, c: scratch + ki * paddedWidth, ldc: planeLength)
        }
        let (h, w) = (plan.height, plan.width)
        let (ph, pw) = (plan.geometry.padding.height, plan.geometry.padding.width)
        let padded = ph > 0 || pw > 0
        for c in 0..<plan.inChannels {
            // The whole padded plane in one pass per shift, then its interior.
            let target = padded ? folded : image + c * planeLength
            let rows = scratch + c * kernelColumns * planeLength
            target.update(from: rows, count: planeLength)
            for kj in 1..<kernelColumns {
                let source = rows + kj * planeLength
                for m in kj..<planeLength { target[m] += source[m - kj] }
            }
            guard padded else { continue }
            for row in 0..<h {
                (image + (c * h + row) * w).update(from: folded + (row + ph) * paddedWidth + pw, count: w)
            }
        }
    }

    /// One image's output gradient (`[O, H_out, W_out]`) on the wide grid, zero in the discarded
    /// columns, masked by the ReLU output `mask` when given; adds each channel's sum to
    /// `biasGradient` when given.
    func widen(_ gradient: UnsafePointer<Float>, mask: UnsafePointer<Float>?, into wide: UnsafeMutablePointer<Float>,
               biasGradient: UnsafeMutablePointer<Float>?) {
        let (outHeight, outWidth) = (plan.outHeight, plan.outWidth)
        for channel in 0..<plan.outChannels {
            var total: Float = 0
            for row in 0..<outHeight {
                let offset = (channel * outHeight + row) * outWidth
                let target = wide + channel * wideColumns + row * paddedWidth
                total += gatherRow(gradient + offset, mask: mask.map { $0 + offset }, count: outWidth, into: target)
                (target + outWidth).update(repeating: 0, count: paddedWidth - outWidth)
            }
            biasGradient?[channel] += total
        }
    }

    /// Copies the valid columns of one image's wide output into NCHW rows, adding the bias and
    /// applying ReLU when asked.
    func narrow(_ wide: UnsafePointer<Float>, bias: [Float]?, relu: Bool, into output: UnsafeMutablePointer<Float>) {
        let (outHeight, outWidth) = (plan.outHeight, plan.outWidth)
        for channel in 0..<plan.outChannels {
            let b = bias?[channel] ?? 0
            for row in 0..<outHeight {
                let source = wide + channel * wideColumns + row * paddedWidth
                let target = output + (channel * outHeight + row) * outWidth
                if relu {
                    for x in 0..<outWidth { target[x] = max(source[x] + b, 0) }
                } else {
                    for x in 0..<outWidth { target[x] = source[x] + b }
                }
            }
        }
    }
}

/// `conv2d` through shifted planes (one image per GEMM group, the batch split over the workers).
func shiftedPlaneConv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, plan: ConvolutionPlan,
                        fusingReLU: Bool) -> Tensor {
    let layout = ShiftedPlaneLayout(plan)
    let packed = weight.scalars.withUnsafeBufferPointer { layout.packedWeights($0.baseAddress!) }
    let biasValues = bias?.scalars
    let (inPerImage, outPerImage) = (plan.inChannels * plan.height * plan.width, plan.outChannels * plan.positions)
    return Tensor(shape: [plan.batch, plan.outChannels, plan.outHeight, plan.outWidth]) { y in
        input.scalars.withUnsafeBufferPointer { x in
            packed.withUnsafeBufferPointer { w in
                let (xBase, wBase, yBase) = (x.baseAddress!, w.baseAddress!, y.baseAddress!)
                Parallelism.forEachRange(plan.batch) { images, _ in
                    let planes = UnsafeMutablePointer<Float>.allocate(capacity: layout.rows * layout.planeLength)
                    let wide = UnsafeMutablePointer<Float>.allocate(capacity: plan.outChannels * layout.wideColumns)
                    defer { planes.deallocate(); wide.deallocate() }
                    for image in images {
                        layout.fillPlanes(xBase + image * inPerImage, into: planes)
                        layout.forward(planes: planes, weights: wBase, into: wide)
                        layout.narrow(wide, bias: biasValues, relu: fusingReLU, into: yBase + image * outPerImage)
                    }
                }
            }
        }
    }
}

/// `conv2dBackward` through shifted planes: per image, the (ReLU-masked) output gradient on the
/// wide grid, then the weight gradient (per-worker accumulators summed in worker order, as the
/// im2col path does) and the input gradient.
func shiftedPlaneConv2dBackward(_ outputGradient: Tensor, input: Tensor, weight: Tensor, plan: ConvolutionPlan,
                                reluOutput: Tensor?, needInput: Bool, needWeight: Bool, needBias: Bool)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
    let layout = ShiftedPlaneLayout(plan)
    let packed = weight.scalars.withUnsafeBufferPointer { layout.packedWeights($0.baseAddress!) }
    let (inPerImage, outPerImage) = (plan.inChannels * plan.height * plan.width, plan.outChannels * plan.positions)
    let workers = Parallelism.workerCount
    var dx = needInput ? [Float](repeating: 0, count: input.count) : []
    let dwPerWorker = zeroedBuffer(needWeight ? packed.count * workers : 0)
    let dbPerWorker = zeroedBuffer(needBias ? plan.outChannels * workers : 0)
    defer { dwPerWorker.deallocate(); dbPerWorker.deallocate() }
    let mask = reluOutput?.scalars ?? []
    outputGradient.scalars.withUnsafeBufferPointer { dy in
        input.scalars.withUnsafeBufferPointer { x in
            packed.withUnsafeBufferPointer { w in
                mask.withUnsafeBufferPointer { maskBuffer in
                    dx.withUnsafeMutableBufferPointer { dxBuffer in
                        let maskBase = reluOutput != nil ? maskBuffer.baseAddress : nil
                        Parallelism.forEachRange(plan.batch) { images, worker in
                            let planes = UnsafeMutablePointer<Float>.allocate(capacity: layout.rows * layout.planeLength)
                            let wide = UnsafeMutablePointer<Float>.allocate(capacity: plan.outChannels * layout.wideColumns)
                            let folded = UnsafeMutablePointer<Float>.allocate(capacity: layout.planeLength)
                            defer { planes.deallocate(); wide.deallocate(); folded.deallocate() }
                            for image in images {
                                let offset = image * outPerImage
                                layout.widen(dy.baseAddress! + offset, mask: maskBase.map { $0 + offset }, into: wide,
                                             biasGradient: needBias ? dbPerWorker.baseAddress! + worker * plan.outChannels : nil)
                                if needWeight {
                                    layout.fillPlanes(x.baseAddress! + image * inPerImage, into: planes)
                                    layout.accumulateWeightGradient(wideGradient: wide, planes: planes,
                                                                    into: dwPerWorker.baseAddress! + worker * packed.count)
                                }
                                if needInput {
                                    layout.inputGradient(wideGradient: wide, weights: w.baseAddress!, scratch: planes,
                                                         folded: folded, into: dxBuffer.baseAddress! + image * inPerImage)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let dw = needWeight ? Tensor(shape: weight.shape,
                                 scalars: layout.unpackedWeights(sumOfWorkers(dwPerWorker, workers: workers))) : nil
    let db = needBias ? Tensor(shape: [plan.outChannels], scalars: sumOfWorkers(dbPerWorker, workers: workers)) : nil
    return (needInput ? Tensor(shape: input.shape, scalars: dx) : nil, dw, db)
}
