// Convolution.swift — 2-D convolution kernels (im2col + SGEMM) and their adjoints.

/// The geometry of a 2-D convolution or pooling window over NCHW input.
public struct Conv2dGeometry: Equatable, Sendable {
    public var kernel: (height: Int, width: Int)
    public var stride: (height: Int, width: Int)
    public var padding: (height: Int, width: Int)
    public var dilation: (height: Int, width: Int)

    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1)) {
        self.kernel = (kernel.0, kernel.1)
        self.stride = (stride.0, stride.1)
        self.padding = (padding.0, padding.1)
        self.dilation = (dilation.0, dilation.1)
    }

    /// The output height and width for an input of `height`×`width`, or nil if the window
    /// does not fit (non-positive output size).
    public func outputSize(height: Int, width: Int) -> (Int, Int)? {
        let spanH = dilation.height * (kernel.height - 1) + 1
        let spanW = dilation.width * (kernel.width - 1) + 1
        let oh = (height + 2 * padding.height - spanH) / stride.height + 1
        let ow = (width + 2 * padding.width - spanW) / stride.width + 1
        guard height + 2 * padding.height >= spanH, width + 2 * padding.width >= spanW,
              oh > 0, ow > 0 else { return nil }
        return (oh, ow)
    }

    public static func == (l: Conv2dGeometry, r: Conv2dGeometry) -> Bool {
        l.kernel == r.kernel && l.stride == r.stride && l.padding == r.padding && l.dilation == r.dilation
    }
}

/// Shapes of one convolution call, derived and checked once.
struct ConvolutionPlan {
    let batch, inChannels, height, width: Int
    let outChannels, groups, outHeight, outWidth: Int
    let geometry: Conv2dGeometry
    var groupIn: Int { inChannels / groups }
    var groupOut: Int { outChannels / groups }
    /// Rows of the im2col matrix of one group: C_in/groups · kh · kw.
    var patch: Int { groupIn * geometry.kernel.height * geometry.kernel.width }
    /// Columns of the im2col matrix: output positions per image.
    var positions: Int { outHeight * outWidth }

    init(input: [Int], weight: [Int], groups: Int, geometry: Conv2dGeometry) {
        precondition(input.count == 4 && weight.count == 4,
                     "conv2d needs input [N,C,H,W] and weight [O,C/g,kh,kw], got \(input) and \(weight)")
        precondition(groups > 0 && input[1] % groups == 0 && weight[0] % groups == 0,
                     "conv2d: channels \(input[1]) → \(weight[0]) not divisible by groups \(groups)")
        precondition(weight[1] == input[1] / groups,
                     "conv2d: weight \(weight) expects \(weight[1] * groups) input channels, got \(input[1])")
        precondition(weight[2] == geometry.kernel.height && weight[3] == geometry.kernel.width,
                     "conv2d: weight \(weight) does not match kernel \(geometry.kernel)")
        guard let (oh, ow) = geometry.outputSize(height: input[2], width: input[3]) else {
            preconditionFailure("conv2d: kernel \(geometry.kernel) does not fit input \(input)")
        }
        batch = input[0]; inChannels = input[1]; height = input[2]; width = input[3]
        outChannels = weight[0]; self.groups = groups; outHeight = oh; outWidth = ow
        self.geometry = geometry
    }

    /// The output columns `ow` whose input column `ow·stride + shift` lies inside the image.
    @inline(__always)
    func validColumns(shift: Int) -> Range<Int> {
        validRange(shift: shift, stride: geometry.stride.width, extent: width, outputs: outWidth)
    }

    /// The output rows `oh` whose input row `oh·stride + shift` lies inside the image.
    @inline(__always)
    func validRows(shift: Int) -> Range<Int> {
        validRange(shift: shift, stride: geometry.stride.height, extent: height, outputs: outHeight)
    }

    @inline(__always)
    private func validRange(shift: Int, stride s: Int, extent: Int, outputs: Int) -> Range<Int> {
        let first = min(shift >= 0 ? 0 : (-shift + s - 1) / s, outputs)
        let last = extent - 1 - shift < 0 ? -1 : (extent - 1 - shift) / s
        return first..<max(first, min(last + 1, outputs))
    }

    /// Fills `positions` columns of `col` (a `[patch, rowStride]` matrix) with the patches
    /// of channels `[c0, c0+groupIn)` of `image`.
    ///
    /// Each patch row is `outHeight` runs of `outWidth` values; the runs whose input row is
    /// outside the image are zeroed in one fill, the others copied with pointer steps and no
    /// per-run bounds arithmetic (this loop ran 17% of a SmallCNN step in its generic form).
    func im2col(_ image: UnsafePointer<Float>, firstChannel c0: Int, into col: UnsafeMutablePointer<Float>,
                rowStride: Int) {
        let (sh, sw) = (geometry.stride.height, geometry.stride.width)
        forEachPatchRow(firstChannel: c0) { row, planeOffset, rows, rowShift, columns, shift in
            let plane = image + planeOffset
            let out = col + row * rowStride
            fillZeros(out, count: rows.lowerBound * outWidth)
            fillZeros(out + rows.upperBound * outWidth, count: (outHeight - rows.upperBound) * outWidth)
            var source = plane + (rows.lowerBound * sh + rowShift) * width + shift
            var line = out + rows.lowerBound * outWidth
            for _ in rows {
                fillZeros(line, count: columns.lowerBound)
                if sw == 1 {
                    copyFloats(source + columns.lowerBound, into: line + columns.lowerBound, count: columns.count)
                } else {
                    for ow in columns { line[ow] = source[ow &* sw] }
                }
                fillZeros(line + columns.upperBound, count: outWidth - columns.upperBound)
                source += sh * width
                line += outWidth
            }
        }
    }

    /// Adds `positions` columns of `col` (a `[patch, rowStride]` matrix) back onto channels
    /// `[c0, c0+groupIn)` of `image` (the adjoint of im2col).
    func col2im(_ col: UnsafePointer<Float>, firstChannel c0: Int, into image: UnsafeMutablePointer<Float>,
                rowStride: Int) {
        let (sh, sw) = (geometry.stride.height, geometry.stride.width)
        forEachPatchRow(firstChannel: c0) { row, planeOffset, rows, rowShift, columns, shift in
            var values = col + row * rowStride + rows.lowerBound * outWidth
            var line = image + planeOffset + (rows.lowerBound * sh + rowShift) * width + shift
            for _ in rows {
                if sw == 1 {
                    for ow in columns { line[ow] += values[ow] }
                } else {
                    for ow in columns { line[ow &* sw] += values[ow] }
                }
                values += outWidth
                line += sh * width
            }
        }
    }

    /// Calls `body(row, planeOffset, rows, rowShift, columns, shift)` for each patch row
    /// (channel c of `[c0, c0+groupIn)`, kernel offset ki, kj): the offset of the channel's
    /// plane, the output rows and columns whose input lies inside the image, and the input
    /// shifts of the kernel offset.
    private func forEachPatchRow(firstChannel c0: Int,
                                 _ body: (Int, Int, Range<Int>, Int, Range<Int>, Int) -> Void) {
        let g = geometry
        var row = 0
        for c in 0..<groupIn {
            let planeOffset = (c0 + c) * height * width
            for ki in 0..<g.kernel.height {
                let rowShift = ki * g.dilation.height - g.padding.height
                let rows = validRows(shift: rowShift)
                for kj in 0..<g.kernel.width {
                    let shift = kj * g.dilation.width - g.padding.width
                    body(row, planeOffset, rows, rowShift, validColumns(shift: shift), shift)
                    row += 1
                }
            }
        }
    }
}

/// 2-D cross-correlation (PyTorch's `conv2d`) of NCHW input with OIHW weights, optionally
/// followed by ReLU in the same pass (`fusingReLU`: `max(conv2d(x) + b, 0)`). Wide 3×3 stride-1
/// layers go through Winograd (`Winograd.swift`, `Winograd4x4.swift`); the rest through im2col:
///
/// The batch is split across `Parallelism.workerCount` threads. Each image's patch matrix
/// `[C_in/g·kh·kw, H_out·W_out]` (im2col) is multiplied by the weights in one SGEMM per group
/// that writes straight into the NCHW output; bias and ReLU are then applied to that image's
/// output while it is still in cache. One image at a time keeps the patch matrix near the
/// core (measured 25–40% faster on SmallCNN than 4 MiB multi-image patch matrices).
///
/// - Parameters:
///   - input: `[N, C_in, H, W]`.
///   - weight: `[C_out, C_in / groups, kh, kw]`.
///   - bias: `[C_out]` or nil.
///   - fusingReLU: apply `max(·, 0)` to the result.
///   - algorithm: im2col, Winograd, or the choice of ``Winograd/applies(to:)``.
/// - Returns: `[N, C_out, H_out, W_out]`.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, groups: Int = 1,
                   geometry: Conv2dGeometry, fusingReLU: Bool = false,
                   algorithm: ConvolutionAlgorithm = .automatic) -> Tensor {
    conv2d(input, weight: weight, bias: bias, groups: groups, geometry: geometry, fusingReLU: fusingReLU,
           algorithm: algorithm, filterCache: nil)
}

/// `conv2d`, taking transformed Winograd filters from `filterCache` when it has them for `weight`.
func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, groups: Int = 1, geometry: Conv2dGeometry,
            fusingReLU: Bool = false, algorithm: ConvolutionAlgorithm = .automatic,
            filterCache: WinogradFilterCache?) -> Tensor {
    let plan = ConvolutionPlan(input: input.shape, weight: weight.shape, groups: groups, geometry: geometry)
    if let bias {
        precondition(bias.shape == [plan.outChannels], "conv2d: bias \(bias.shape) for \(plan.outChannels) channels")
    }
    Profiler.countDirectFlops(2 * Double(plan.batch * plan.outChannels * plan.patch * plan.positions))
    switch plan.resolved(algorithm) {
    case .winograd, .winograd4x4:
        return winogradConv2d(input, weight: weight, bias: bias, plan: plan, fusingReLU: fusingReLU,
                              tiles4x4: plan.resolved(algorithm) == .winograd4x4, filterCache: filterCache)
    case .shiftedPlanes: return shiftedPlaneConv2d(input, weight: weight, bias: bias, plan: plan, fusingReLU: fusingReLU)
    case .automatic, .im2col: break
    }
    let (p, outPerImage) = (plan.positions, plan.outChannels * plan.positions)
    let inPerImage = plan.inChannels * plan.height * plan.width
    let biasValues = bias?.scalars
    return Tensor(shape: [plan.batch, plan.outChannels, plan.outHeight, plan.outWidth]) { y in
        input.scalars.withUnsafeBufferPointer { x in
            weight.scalars.withUnsafeBufferPointer { w in
                let (xBase, wBase, yBase) = (x.baseAddress!, w.baseAddress!, y.baseAddress!)
                Parallelism.forEachRange(plan.batch) { images, _ in
                    let col = UnsafeMutablePointer<Float>.allocate(capacity: plan.patch * p)
                    defer { col.deallocate() }
                    for image in images {
                        let target = yBase + image * outPerImage
                        for g in 0..<plan.groups {
                            plan.im2col(xBase + image * inPerImage, firstChannel: g * plan.groupIn, into: col, rowStride: p)
                            sgemm(transposeA: false, transposeB: false, m: plan.groupOut, n: p, k: plan.patch,
                                  a: wBase + g * plan.groupOut * plan.patch, lda: plan.patch,
                                  b: col, ldb: p, beta: 0, c: target + g * plan.groupOut * p, ldc: p)
                        }
                        guard biasValues != nil || fusingReLU else { continue }
                        for channel in 0..<plan.outChannels {
                            addBias(biasValues?[channel] ?? 0, relu: fusingReLU, to: target + channel * p, count: p)
                        }
                    }
                }
            }
        }
    }
}

/// `row[j] += bias`, then `max(·, 0)` with `relu`.
@inline(__always)
private func addBias(_ bias: Float, relu: Bool, to row: UnsafeMutablePointer<Float>, count: Int) {
    if relu {
        for j in 0..<count { row[j] = max(row[j] + bias, 0) }
    } else {
        for j in 0..<count { row[j] += bias }
    }
}

/// `target[j] = source[j]` where `mask[j] > 0`, else 0 (the ReLU adjoint, with `mask` the
/// ReLU's output), or a plain copy without a mask; returns the sum of what was written.
@inline(__always)
func gatherRow(_ source: UnsafePointer<Float>, mask: UnsafePointer<Float>?, count: Int,
                       into target: UnsafeMutablePointer<Float>) -> Float {
    var lanes = SIMD8<Float>()
    var j = 0
    if let mask {
        while j + 8 <= count {
            let values = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
            let kept = UnsafeRawPointer(mask + j).loadUnaligned(as: SIMD8<Float>.self) .> 0
            let masked = SIMD8<Float>(repeating: 0).replacing(with: values, where: kept)
            UnsafeMutableRawPointer(target + j).storeBytes(of: masked, as: SIMD8<Float>.self)
            lanes += masked
            j += 8
        }
    } else {
        while j + 8 <= count {
            let values = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(target + j).storeBytes(of: values, as: SIMD8<Float>.self)
            lanes += values
            j += 8
        }
    }
    var total = lanes.sum()
    while j < count {
        let value = mask.map { $0[j] > 0 ? source[j] : 0 } ?? source[j]
        target[j] = value
        total += value
        j += 1
    }
    return total
}

/// The adjoint of `conv2d`: gradients of the input, weight and bias from the output gradient.
///
/// With `reluOutput` (the output of `conv2d(…, fusingReLU: true)`), `outputGradient` is that of
/// the ReLU's output and is first masked by `reluOutput > 0`, image by image, in the same pass
/// that sums the bias gradient. Only the requested gradients are computed; work is split over
/// the batch like `conv2d`, one image per GEMM, with one weight- and bias-gradient accumulator
/// per worker, summed at the end. Where `algorithm` means Winograd, the input and weight
/// gradients go through Winograd too (`Winograd.swift`).
public func conv2dBackward(_ outputGradient: Tensor, input: Tensor, weight: Tensor, groups: Int,
                           geometry: Conv2dGeometry, reluOutput: Tensor? = nil,
                           needInput: Bool, needWeight: Bool, needBias: Bool,
                           algorithm: ConvolutionAlgorithm = .automatic)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
    conv2dBackward(outputGradient, input: input, weight: weight, groups: groups, geometry: geometry,
                   reluOutput: reluOutput, needInput: needInput, needWeight: needWeight, needBias: needBias,
                   algorithm: algorithm, filterCache: nil)
}

/// `conv2dBackward`, taking transformed Winograd filters from `filterCache` when it has them for `weight`.
func conv2dBackward(_ outputGradient: Tensor, input: Tensor, weight: Tensor, groups: Int,
                    geometry: Conv2dGeometry, reluOutput: Tensor? = nil,
                    needInput: Bool, needWeight: Bool, needBias: Bool,
                    algorithm: ConvolutionAlgorithm = .automatic, filterCache: WinogradFilterCache?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
    let plan = ConvolutionPlan(input: input.shape, weight: weight.shape, groups: groups, geometry: geometry)
    if let reluOutput {
        precondition(reluOutput.shape == outputGradient.shape,
                     "conv2dBackward: ReLU output \(reluOutput.shape) for gradient \(outputGradient.shape)")
    }
    let resolved = plan.resolved(algorithm)
    if resolved == .shiftedPlanes {
        return shiftedPlaneConv2dBackward(outputGradient, input: input, weight: weight, plan: plan,
                                          reluOutput: reluOutput, needInput: needInput, needWeight: needWeight,
                                          needBias: needBias)
    }
    if (needInput || needWeight) && (resolved == .winograd || resolved == .winograd4x4) {
        // The input gradient is the forward convolution of the (masked) output gradient with the
        // flipped, transposed filters; the weight gradient is the transposed algorithm F(3×3, 2×2).
        let gradient = reluOutput.map { output in outputGradient.zipped(with: output) { d, y in y > 0 ? d : 0 } }
            ?? outputGradient
        let tiles4x4 = resolved == .winograd4x4
        return (needInput ? winogradInputGradient(gradient, weight: weight, plan: plan, tiles4x4: tiles4x4,
                                                  filterCache: filterCache) : nil,
                needWeight ? winogradWeightGradient(gradient, input: input, weight: weight, plan: plan,
                                                    tiles4x4: tiles4x4) : nil,
                needBias ? Tensor(shape: [plan.outChannels], scalars: channelSums(gradient, plan: plan)) : nil)
    }
    let (p, outPerImage) = (plan.positions, plan.outChannels * plan.positions)
    let inPerImage = plan.inChannels * plan.height * plan.width
    let workers = Parallelism.workerCount
    var dx = needInput ? [Float](repeating: 0, count: input.count) : []
    let dwPerWorker = zeroedBuffer(needWeight ? weight.count * workers : 0)
    let dbPerWorker = zeroedBuffer(needBias ? plan.outChannels * workers : 0)
    defer { dwPerWorker.deallocate(); dbPerWorker.deallocate() }
    let mask = reluOutput?.scalars ?? []
    outputGradient.scalars.withUnsafeBufferPointer { dy in
        input.scalars.withUnsafeBufferPointer { x in
            weight.scalars.withUnsafeBufferPointer { w in
                mask.withUnsafeBufferPointer { maskBuffer in
                    dx.withUnsafeMutableBufferPointer { dxBuffer in
                        let (dyBase, xBase, wBase) = (dy.baseAddress!, x.baseAddress!, w.baseAddress!)
                        // An empty array may still have a base address: select by need, not by nil.
                        let maskBase = reluOutput != nil ? maskBuffer.baseAddress : nil
                        let dxBase = needInput ? dxBuffer.baseAddress : nil
                        let dwBase = needWeight ? dwPerWorker.baseAddress : nil
                        let dbBase = needBias ? dbPerWorker.baseAddress : nil
                        let gathers = maskBase != nil || dbBase != nil
                        Parallelism.forEachRange(plan.batch) { images, worker in
                            let col = UnsafeMutablePointer<Float>.allocate(capacity: plan.patch * p)
                            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: gathers ? outPerImage : 0)
                            defer { col.deallocate(); gathered.deallocate() }
                            for image in images {
                                // The image's output gradient, masked by the ReLU and summed for the bias if asked.
                                var imageGradient = dyBase + image * outPerImage
                                if gathers {
                                    for channel in 0..<plan.outChannels {
                                        let offset = image * outPerImage + channel * p
                                        let total = gatherRow(dyBase + offset, mask: maskBase.map { $0 + offset },
                                                              count: p, into: gathered + channel * p)
                                        dbBase?[worker * plan.outChannels + channel] += total
                                    }
                                    imageGradient = UnsafePointer(gathered)
                                }
                                for g in 0..<plan.groups {
                                    let groupGradient = imageGradient + g * plan.groupOut * p
                                    if let dwBase {
                                        plan.im2col(xBase + image * inPerImage, firstChannel: g * plan.groupIn,
                                                    into: col, rowStride: p)
                                        sgemm(transposeA: false, transposeB: true, m: plan.groupOut, n: plan.patch,
                                              k: p, a: groupGradient, lda: p, b: col, ldb: p, beta: 1,
                                              c: dwBase + worker * weight.count + g * plan.groupOut * plan.patch,
                                              ldc: plan.patch)
                                    }
                                    if let dxBase {
                                        sgemm(transposeA: true, transposeB: false, m: plan.patch, n: p, k: plan.groupOut,
                                              a: wBase + g * plan.groupOut * plan.patch, lda: plan.patch,
                                              b: groupGradient, ldb: p, beta: 0, c: col, ldc: p)
                                        plan.col2im(col, firstChannel: g * plan.groupIn,
                                                    into: dxBase + image * inPerImage, rowStride: p)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let dw = needWeight ? Tensor(shape: weight.shape, scalars: sumOfWorkers(dwPerWorker, workers: workers)) : nil
    let db = needBias ? Tensor(shape: [plan.outChannels], scalars: sumOfWorkers(dbPerWorker, workers: workers)) : nil
    return (needInput ? Tensor(shape: input.shape, scalars: dx) : nil, dw, db)
}

extension ConvolutionPlan {
    /// The algorithm `algorithm` means for this convolution: never `.automatic` (trapping if
    /// Winograd or shifted planes were asked for where they do not apply).
    func resolved(_ algorithm: ConvolutionAlgorithm) -> ConvolutionAlgorithm {
        switch algorithm {
        case .automatic:
            if Winograd4x4.applies(to: self) { return .winograd4x4 }
            if Winograd.applies(to: self) { return .winograd }
            return ShiftedPlanes.applies(to: self) ? .shiftedPlanes : .im2col
        case .im2col: return .im2col
        case .winograd:
            precondition(Winograd.isSupported(self),
                         "conv2d: Winograd needs 3×3, stride 1, dilation 1, padding ≤ 2, one group")
            return .winograd
        case .winograd4x4:
            precondition(Winograd.isSupported(self),
                         "conv2d: Winograd needs 3×3, stride 1, dilation 1, padding ≤ 2, one group")
            return .winograd4x4
        case .shiftedPlanes:
            precondition(ShiftedPlanes.isSupported(self), "conv2d: shifted planes need stride 1, dilation 1, one group")
            return .shiftedPlanes
        }
    }
}

/// `conv2d` through Winograd, F(4×4, 3×3) with `tiles4x4`, else F(2×2, 3×3).
private func winogradConv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, plan: ConvolutionPlan,
                            fusingReLU: Bool, tiles4x4: Bool, filterCache: WinogradFilterCache?) -> Tensor {
    let filters = winogradFilters(weight, plan: plan, adjoint: false, tiles4x4: tiles4x4, cache: filterCache)
    let biasValues = bias?.scalars ?? []
    return Tensor(shape: [plan.batch, plan.outChannels, plan.outHeight, plan.outWidth]) { y in
        input.scalars.withUnsafeBufferPointer { x in
            filters.withUnsafeBufferPointer { u in
                biasValues.withUnsafeBufferPointer { b in
                    let convolve = tiles4x4 ? Winograd4x4.convolve : Winograd.convolve
                    convolve(x.baseAddress!, plan.batch, plan.inChannels, plan.height, plan.width,
                             plan.geometry.padding, u.baseAddress!, plan.outChannels,
                             bias != nil ? b.baseAddress : nil, fusingReLU, y.baseAddress!)
                }
            }
        }
    }
}

/// The transformed filters of `weight` (of the input gradient with `adjoint`), packed for
/// ``WinogradGEMM``, from `cache` when it has them.
private func winogradFilters(_ weight: Tensor, plan: ConvolutionPlan, adjoint: Bool, tiles4x4: Bool,
                             cache: WinogradFilterCache?) -> [Float] {
    let transform = {
        weight.scalars.withUnsafeBufferPointer {
            let transform = tiles4x4 ? Winograd4x4.transformedWeights : Winograd.transformedWeights
            return transform($0.baseAddress!, plan.outChannels, plan.inChannels, adjoint)
        }
    }
    return cache?.filters(of: weight.scalars, adjoint: adjoint, tiles4x4: tiles4x4, transform: transform)
        ?? transform()
}

/// The input gradient of a stride-1 3×3 convolution through Winograd: the output gradient
/// convolved with `rot180(W)ᵀ` under padding `2 − p`, which gives back `H × W`.
private func winogradInputGradient(_ gradient: Tensor, weight: Tensor, plan: ConvolutionPlan,
                                   tiles4x4: Bool, filterCache: WinogradFilterCache?) -> Tensor {
    let filters = winogradFilters(weight, plan: plan, adjoint: true, tiles4x4: tiles4x4, cache: filterCache)
    let padding = (2 - plan.geometry.padding.height, 2 - plan.geometry.padding.width)
    return Tensor(shape: [plan.batch, plan.inChannels, plan.height, plan.width]) { dx in
        gradient.scalars.withUnsafeBufferPointer { dy in
            filters.withUnsafeBufferPointer { u in
                let convolve = tiles4x4 ? Winograd4x4.convolve : Winograd.convolve
                convolve(dy.baseAddress!, plan.batch, plan.outChannels, plan.outHeight, plan.outWidth, padding,
                         u.baseAddress!, plan.inChannels, nil, false, dx.baseAddress!)
            }
        }
    }
}

/// The weight gradient of a stride-1 3×3 convolution through Winograd.
private func winogradWeightGradient(_ gradient: Tensor, input: Tensor, weight: Tensor, plan: ConvolutionPlan,
                                    tiles4x4: Bool) -> Tensor {
    let filters = input.scalars.withUnsafeBufferPointer { x in
        gradient.scalars.withUnsafeBufferPointer { dy in
            let weightGradient = tiles4x4 ? Winograd4x4.weightGradient : Winograd.weightGradient
            return weightGradient(x.baseAddress!, dy.baseAddress!, plan.batch, plan.inChannels, plan.height,
                                  plan.width, plan.geometry.padding, plan.outChannels)
        }
    }
    return Tensor(shape: weight.shape, scalars: filters)
}

/// A buffer of `count` zeros; the caller deallocates it.
func zeroedBuffer(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    buffer.initialize(repeating: 0)
    return buffer
}

/// Copies `count` floats, eight at a time, inline: im2col copies rows of one output row's width
/// (24 floats in SmallCNN), where a `memcpy` call per row cost more than the copy (19% of a step).
@inline(__always)
private func copyFloats(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    while j + 8 <= count {
        let values = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + j).storeBytes(of: values, as: SIMD8<Float>.self)
        j += 8
    }
    while j < count {
        target[j] = source[j]
        j += 1
    }
}

/// Sets `count` floats to zero inline (the short padding runs of im2col rows).
@inline(__always)
private func fillZeros(_ target: UnsafeMutablePointer<Float>, count: Int) {
    for j in 0..<count { target[j] = 0 }
}

/// The sum of `workers` equal blocks of `perWorker`.
/// The per-channel sums of an `[N, O, H, W]` output gradient: per image, per channel, then
/// per worker over its images and the workers in order, as the im2col backward sums them.
private func channelSums(_ gradient: Tensor, plan: ConvolutionPlan) -> [Float] {
    let (channels, p) = (plan.outChannels, plan.positions)
    let workers = Parallelism.workerCount
    let perWorker = zeroedBuffer(channels * workers)
    defer { perWorker.deallocate() }
    gradient.scalars.withUnsafeBufferPointer { dy in
        let (dyBase, sums) = (dy.baseAddress!, perWorker.baseAddress!)
        Parallelism.forEachRange(plan.batch) { images, worker in
            for image in images {
                for channel in 0..<channels {
                    let row = dyBase + (image * channels + channel) * p
                    var total: Float = 0
                    for j in 0..<p { total += row[j] }
                    sums[worker * channels + channel] += total
                }
            }
        }
    }
    return sumOfWorkers(perWorker, workers: workers)
}

func sumOfWorkers(_ perWorker: UnsafeMutableBufferPointer<Float>, workers: Int) -> [Float] {
    let size = perWorker.count / workers
    var total = [Float](perWorker[0..<size])
    for worker in 1..<workers {
        for j in 0..<size { total[j] += perWorker[worker * size + j] }
    }
    return total
}
