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
        let s = geometry.stride.width
        let first = min(shift >= 0 ? 0 : (-shift + s - 1) / s, outWidth)
        let last = width - 1 - shift < 0 ? -1 : (width - 1 - shift) / s
        return first..<max(first, min(last + 1, outWidth))
    }

    /// Fills `positions` columns of `col` (a `[patch, rowStride]` matrix) with the patches
    /// of channels `[c0, c0+groupIn)` of `image`.
    func im2col(_ image: UnsafePointer<Float>, firstChannel c0: Int, into col: UnsafeMutablePointer<Float>,
                rowStride: Int) {
        let g = geometry
        var row = 0
        for c in 0..<groupIn {
            let plane = image + (c0 + c) * height * width
            for ki in 0..<g.kernel.height {
                for kj in 0..<g.kernel.width {
                    let out = col + row * rowStride
                    let shift = kj * g.dilation.width - g.padding.width
                    let valid = validColumns(shift: shift)
                    for oh in 0..<outHeight {
                        let ih = oh * g.stride.height - g.padding.height + ki * g.dilation.height
                        let line = out + oh * outWidth
                        if ih < 0 || ih >= height {
                            line.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let source = plane + ih * width + shift
                        line.update(repeating: 0, count: valid.lowerBound)
                        if g.stride.width == 1 {
                            (line + valid.lowerBound).update(from: source + valid.lowerBound, count: valid.count)
                        } else {
                            for ow in valid { line[ow] = source[ow * g.stride.width] }
                        }
                        (line + valid.upperBound).update(repeating: 0, count: outWidth - valid.upperBound)
                    }
                    row += 1
                }
            }
        }
    }

    /// Adds `positions` columns of `col` (a `[patch, rowStride]` matrix) back onto channels
    /// `[c0, c0+groupIn)` of `image` (the adjoint of im2col).
    func col2im(_ col: UnsafePointer<Float>, firstChannel c0: Int, into image: UnsafeMutablePointer<Float>,
                rowStride: Int) {
        let g = geometry
        var row = 0
        for c in 0..<groupIn {
            let plane = image + (c0 + c) * height * width
            for ki in 0..<g.kernel.height {
                for kj in 0..<g.kernel.width {
                    let source = col + row * rowStride
                    let shift = kj * g.dilation.width - g.padding.width
                    let valid = validColumns(shift: shift)
                    for oh in 0..<outHeight {
                        let ih = oh * g.stride.height - g.padding.height + ki * g.dilation.height
                        if ih < 0 || ih >= height { continue }
                        let line = plane + ih * width + shift
                        let values = source + oh * outWidth
                        if g.stride.width == 1 {
                            for ow in valid { line[ow] += values[ow] }
                        } else {
                            for ow in valid { line[ow * g.stride.width] += values[ow] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

/// Images per GEMM: enough output columns for an efficient SGEMM, bounded so the patch
/// matrix of a chunk stays around 4 MiB.
private func imagesPerChunk(_ plan: ConvolutionPlan, images: Int) -> Int {
    let byColumns = max(1, 4096 / max(plan.positions, 1))
    let byMemory = max(1, (1 << 20) / max(plan.patch * plan.positions, 1))
    return max(1, min(images, max(byColumns, 1), byMemory))
}

/// 2-D cross-correlation (PyTorch's `conv2d`) of NCHW input with OIHW weights.
///
/// The batch is split across `Parallelism.workerCount` threads; each turns a chunk of
/// images into one patch matrix `[C_in/g·kh·kw, images·H_out·W_out]` (im2col) and multiplies
/// it by the weights in one SGEMM per group.
///
/// - Parameters:
///   - input: `[N, C_in, H, W]`.
///   - weight: `[C_out, C_in / groups, kh, kw]`.
///   - bias: `[C_out]` or nil.
/// - Returns: `[N, C_out, H_out, W_out]`.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, groups: Int = 1,
                   geometry: Conv2dGeometry) -> Tensor {
    let plan = ConvolutionPlan(input: input.shape, weight: weight.shape, groups: groups, geometry: geometry)
    if let bias {
        precondition(bias.shape == [plan.outChannels], "conv2d: bias \(bias.shape) for \(plan.outChannels) channels")
    }
    let (p, outPerImage) = (plan.positions, plan.outChannels * plan.positions)
    let inPerImage = plan.inChannels * plan.height * plan.width
    let biasValues = bias?.scalars
    return Tensor(shape: [plan.batch, plan.outChannels, plan.outHeight, plan.outWidth]) { y in
        input.scalars.withUnsafeBufferPointer { x in
            weight.scalars.withUnsafeBufferPointer { w in
                let (xBase, wBase, yBase) = (x.baseAddress!, w.baseAddress!, y.baseAddress!)
                Parallelism.forEachRange(plan.batch) { images, _ in
                    let chunk = imagesPerChunk(plan, images: images.count)
                    let col = UnsafeMutablePointer<Float>.allocate(capacity: plan.patch * chunk * p)
                    let product = UnsafeMutablePointer<Float>.allocate(capacity: plan.groupOut * chunk * p)
                    defer { col.deallocate(); product.deallocate() }
                    for first in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                        let count = min(chunk, images.upperBound - first)
                        for g in 0..<plan.groups {
                            for i in 0..<count {
                                plan.im2col(xBase + (first + i) * inPerImage, firstChannel: g * plan.groupIn,
                                            into: col + i * p, rowStride: count * p)
                            }
                            sgemm(transposeA: false, transposeB: false, m: plan.groupOut, n: count * p, k: plan.patch,
                                  a: wBase + g * plan.groupOut * plan.patch, lda: plan.patch,
                                  b: col, ldb: count * p, beta: 0, c: product, ldc: count * p)
                            for i in 0..<count {
                                for o in 0..<plan.groupOut {
                                    let channel = g * plan.groupOut + o
                                    let target = yBase + (first + i) * outPerImage + channel * p
                                    let source = product + o * count * p + i * p
                                    let b = biasValues?[channel] ?? 0
                                    for j in 0..<p { target[j] = source[j] + b }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `conv2d`: gradients of the input, weight and bias from the output gradient.
/// Only the requested gradients are computed; work is split over the batch like `conv2d`,
/// with one weight-gradient accumulator per worker, summed at the end.
public func conv2dBackward(_ outputGradient: Tensor, input: Tensor, weight: Tensor, groups: Int,
                           geometry: Conv2dGeometry, needInput: Bool, needWeight: Bool, needBias: Bool)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
    let plan = ConvolutionPlan(input: input.shape, weight: weight.shape, groups: groups, geometry: geometry)
    let (p, outPerImage) = (plan.positions, plan.outChannels * plan.positions)
    let inPerImage = plan.inChannels * plan.height * plan.width
    let workers = Parallelism.workerCount
    var dx = needInput ? [Float](repeating: 0, count: input.count) : []
    var dwPerWorker = needWeight ? [Float](repeating: 0, count: weight.count * workers) : []
    if needInput || needWeight {
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            input.scalars.withUnsafeBufferPointer { x in
                weight.scalars.withUnsafeBufferPointer { w in
                    dx.withUnsafeMutableBufferPointer { dxBuffer in
                        dwPerWorker.withUnsafeMutableBufferPointer { dwBuffer in
                            let (dyBase, xBase, wBase) = (dy.baseAddress!, x.baseAddress!, w.baseAddress!)
                            // An empty array may still have a base address: select by need, not by nil.
                            let dxBase = needInput ? dxBuffer.baseAddress : nil
                            let dwBase = needWeight ? dwBuffer.baseAddress : nil
                            Parallelism.forEachRange(plan.batch) { images, worker in
                                let chunk = imagesPerChunk(plan, images: images.count)
                                let col = UnsafeMutablePointer<Float>.allocate(capacity: plan.patch * chunk * p)
                                let gathered = UnsafeMutablePointer<Float>.allocate(capacity: plan.groupOut * chunk * p)
                                defer { col.deallocate(); gathered.deallocate() }
                                for first in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                                    let count = min(chunk, images.upperBound - first)
                                    for g in 0..<plan.groups {
                                        for i in 0..<count {
                                            for o in 0..<plan.groupOut {
                                                (gathered + o * count * p + i * p).update(
                                                    from: dyBase + (first + i) * outPerImage + (g * plan.groupOut + o) * p,
                                                    count: p)
                                            }
                                        }
                                        if let dwBase {
                                            for i in 0..<count {
                                                plan.im2col(xBase + (first + i) * inPerImage, firstChannel: g * plan.groupIn,
                                                            into: col + i * p, rowStride: count * p)
                                            }
                                            sgemm(transposeA: false, transposeB: true, m: plan.groupOut, n: plan.patch,
                                                  k: count * p, a: gathered, lda: count * p, b: col, ldb: count * p, beta: 1,
                                                  c: dwBase + worker * weight.count + g * plan.groupOut * plan.patch,
                                                  ldc: plan.patch)
                                        }
                                        if let dxBase {
                                            sgemm(transposeA: true, transposeB: false, m: plan.patch, n: count * p,
                                                  k: plan.groupOut, a: wBase + g * plan.groupOut * plan.patch,
                                                  lda: plan.patch, b: gathered, ldb: count * p, beta: 0,
                                                  c: col, ldc: count * p)
                                            for i in 0..<count {
                                                plan.col2im(col + i * p, firstChannel: g * plan.groupIn,
                                                            into: dxBase + (first + i) * inPerImage, rowStride: count * p)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    var dw: Tensor?
    if needWeight {
        var total = [Float](dwPerWorker[0..<weight.count])
        for worker in 1..<workers {
            for j in 0..<weight.count { total[j] += dwPerWorker[worker * weight.count + j] }
        }
        dw = Tensor(shape: weight.shape, scalars: total)
    }
    let db = needBias ? channelSums(outputGradient) : nil
    return (needInput ? Tensor(shape: input.shape, scalars: dx) : nil, dw, db)
}
