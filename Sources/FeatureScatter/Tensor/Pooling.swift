// Pooling.swift — max and average pooling over NCHW input, and their adjoints.

/// Max pooling. Padding is treated as −∞ (never selected).
///
/// - Parameter input: `[N, C, H, W]`.
/// - Returns: the pooled tensor `[N, C, H_out, W_out]` and, for each output element, the
///   flat index into `input` of the element it took (for the backward pass).
public func maxPool2d(_ input: Tensor, geometry: Conv2dGeometry) -> (output: Tensor, argMax: [Int32]) {
    precondition(input.rank == 4, "maxPool2d needs [N,C,H,W], got \(input.shape)")
    let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
    guard let (oh, ow) = geometry.outputSize(height: h, width: w) else {
        preconditionFailure("maxPool2d: window \(geometry.kernel) does not fit input \(input.shape)")
    }
    let g = geometry
    var argMax = [Int32](repeating: 0, count: planes * oh * ow)
    let output = Tensor(shape: [input.shape[0], input.shape[1], oh, ow]) { y in
        input.scalars.withUnsafeBufferPointer { x in
            argMax.withUnsafeMutableBufferPointer { idx in
                let halving = g.kernel == (2, 2) && g.stride == (2, 2) && g.padding == (0, 0) && g.dilation == (1, 1)
                Parallelism.forEachRange(planes, minimumPerWorker: 8) { range, _ in
                    for plane in range {
                        let base = plane * h * w
                        if halving {
                            maxPoolHalving(x.baseAddress! + base, width: w, outHeight: oh, outWidth: ow,
                                           into: y.baseAddress! + plane * oh * ow, argMax: idx.baseAddress! + plane * oh * ow,
                                           offset: Int32(base))
                            continue
                        }
                        for i in 0..<oh {
                            for j in 0..<ow {
                                var best = -Float.infinity
                                var bestIndex = -1
                                for ki in 0..<g.kernel.height {
                                    let ih = i * g.stride.height - g.padding.height + ki * g.dilation.height
                                    if ih < 0 || ih >= h { continue }
                                    for kj in 0..<g.kernel.width {
                                        let iw = j * g.stride.width - g.padding.width + kj * g.dilation.width
                                        if iw < 0 || iw >= w { continue }
                                        let v = x[base + ih * w + iw]
                                        if v > best || bestIndex < 0 || v.isNaN {
                                            best = v
                                            bestIndex = base + ih * w + iw
                                        }
                                    }
                                }
                                let o = (plane * oh + i) * ow + j
                                y[o] = best
                                idx[o] = Int32(bestIndex)
                            }
                        }
                    }
                }
            }
        }
    }
    return (output, argMax)
}

/// The common 2×2, stride-2 max pool of one plane, four outputs at a time in SIMD lanes
/// (branches on random activations were unpredictable and made this 5% of a SmallCNN step).
/// Ties keep the first element in row-major order, and NaN wins, as in the general path.
@inline(__always)
private func maxPoolHalving(_ x: UnsafePointer<Float>, width w: Int, outHeight oh: Int, outWidth ow: Int,
                            into y: UnsafeMutablePointer<Float>, argMax idx: UnsafeMutablePointer<Int32>, offset: Int32) {
    // Takes `value` where it beats `best`: greater, or NaN over a number (`!(value <= best)`), never over a NaN.
    @inline(__always) func consider(_ best: inout SIMD4<Float>, _ index: inout SIMD4<Int32>, _ value: SIMD4<Float>,
                                    _ at: SIMD4<Int32>) {
        let take = .!(value .<= best) .& (best .== best)
        best.replace(with: value, where: take)
        index.replace(with: at, where: take)
    }
    let lanes = SIMD4<Int32>(0, 2, 4, 6)
    let right = SIMD4<Int32>(repeating: 1), below = SIMD4<Int32>(repeating: Int32(w))
    for i in 0..<oh {
        let top = x + 2 * i * w, bottom = top + w
        let rowOffset = offset + Int32(2 * i * w)
        var j = 0
        while j + 4 <= ow {
            let upper = UnsafeRawPointer(top + 2 * j).loadUnaligned(as: SIMD8<Float>.self)
            let lower = UnsafeRawPointer(bottom + 2 * j).loadUnaligned(as: SIMD8<Float>.self)
            let first = SIMD4(repeating: rowOffset + Int32(2 * j)) &+ lanes
            var best = upper.evenHalf, index = first
            consider(&best, &index, upper.oddHalf, first &+ right)
            consider(&best, &index, lower.evenHalf, first &+ below)
            consider(&best, &index, lower.oddHalf, first &+ below &+ right)
            UnsafeMutableRawPointer(y + i * ow + j).storeBytes(of: best, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(idx + i * ow + j).storeBytes(of: index, as: SIMD4<Int32>.self)
            j += 4
        }
        while j < ow {
            let first = rowOffset + Int32(2 * j)
            var best = SIMD4<Float>(repeating: top[2 * j]), index = SIMD4<Int32>(repeating: first)
            consider(&best, &index, SIMD4(repeating: top[2 * j + 1]), SIMD4(repeating: first + 1))
            consider(&best, &index, SIMD4(repeating: bottom[2 * j]), SIMD4(repeating: first + Int32(w)))
            consider(&best, &index, SIMD4(repeating: bottom[2 * j + 1]), SIMD4(repeating: first + Int32(w) + 1))
            y[i * ow + j] = best[0]
            idx[i * ow + j] = index[0]
            j += 1
        }
    }
}

/// The adjoint of `maxPool2d`: routes each output gradient to the element it took.
public func maxPool2dBackward(_ outputGradient: Tensor, inputShape: [Int], argMax: [Int32]) -> Tensor {
    var dx = [Float](repeating: 0, count: inputShape.reduce(1, *))
    let planes = inputShape[0] * inputShape[1]
    let perPlane = planes == 0 ? 0 : argMax.count / planes
    outputGradient.scalars.withUnsafeBufferPointer { dy in
        dx.withUnsafeMutableBufferPointer { d in
            argMax.withUnsafeBufferPointer { idx in
                // Each plane's window indices stay inside that plane, so planes split cleanly.
                Parallelism.forEachRange(planes, minimumPerWorker: 8) { range, _ in
                    for o in (range.lowerBound * perPlane)..<(range.upperBound * perPlane) { d[Int(idx[o])] += dy[o] }
                }
            }
        }
    }
    return Tensor(shape: inputShape, scalars: dx)
}

/// Average pooling. With `countIncludePad` the divisor is always kh·kw (PyTorch's default);
/// otherwise it is the number of window elements inside the input.
///
/// - Parameter input: `[N, C, H, W]`.
/// - Returns: `[N, C, H_out, W_out]`.
public func avgPool2d(_ input: Tensor, geometry: Conv2dGeometry, countIncludePad: Bool = true) -> Tensor {
    let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
    let (oh, ow, divisors) = averagePoolLayout(input.shape, geometry, countIncludePad)
    var out = [Float](repeating: 0, count: planes * oh * ow)
    forEachAverageWindow(geometry, h: h, w: w, oh: oh, ow: ow) { cell, ih, iw in
        input.scalars.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                let scale = 1 / divisors[cell]
                for plane in 0..<planes { y[plane * oh * ow + cell] += x[plane * h * w + ih * w + iw] * scale }
            }
        }
    }
    return Tensor(shape: [input.shape[0], input.shape[1], oh, ow], scalars: out)
}

/// The adjoint of `avgPool2d`.
public func avgPool2dBackward(_ outputGradient: Tensor, inputShape: [Int], geometry: Conv2dGeometry,
                              countIncludePad: Bool = true) -> Tensor {
    let (planes, h, w) = (inputShape[0] * inputShape[1], inputShape[2], inputShape[3])
    let (oh, ow, divisors) = averagePoolLayout(inputShape, geometry, countIncludePad)
    var dx = [Float](repeating: 0, count: inputShape.reduce(1, *))
    forEachAverageWindow(geometry, h: h, w: w, oh: oh, ow: ow) { cell, ih, iw in
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            dx.withUnsafeMutableBufferPointer { d in
                let scale = 1 / divisors[cell]
                for plane in 0..<planes { d[plane * h * w + ih * w + iw] += dy[plane * oh * ow + cell] * scale }
            }
        }
    }
    return Tensor(shape: inputShape, scalars: dx)
}

/// Output size and per-cell divisor of an average pool.
private func averagePoolLayout(_ shape: [Int], _ g: Conv2dGeometry, _ countIncludePad: Bool)
    -> (Int, Int, [Float]) {
    precondition(shape.count == 4, "avgPool2d needs [N,C,H,W], got \(shape)")
    let (h, w) = (shape[2], shape[3])
    guard let (oh, ow) = g.outputSize(height: h, width: w) else {
        preconditionFailure("avgPool2d: window \(g.kernel) does not fit input \(shape)")
    }
    var divisors = [Float](repeating: 0, count: oh * ow)
    if countIncludePad {
        for cell in 0..<(oh * ow) { divisors[cell] = Float(g.kernel.height * g.kernel.width) }
    } else {
        forEachAverageWindow(g, h: h, w: w, oh: oh, ow: ow) { cell, _, _ in divisors[cell] += 1 }
    }
    return (oh, ow, divisors)
}

/// Calls `body(cell, ih, iw)` for every (output cell, input position inside the input) pair.
/// The per-plane loop sits inside `body`, so the window arithmetic runs once per cell.
private func forEachAverageWindow(_ g: Conv2dGeometry, h: Int, w: Int, oh: Int, ow: Int,
                                  _ body: (Int, Int, Int) -> Void) {
    for i in 0..<oh {
        for j in 0..<ow {
            for ki in 0..<g.kernel.height {
                let ih = i * g.stride.height - g.padding.height + ki * g.dilation.height
                if ih < 0 || ih >= h { continue }
                for kj in 0..<g.kernel.width {
                    let iw = j * g.stride.width - g.padding.width + kj * g.dilation.width
                    if iw < 0 || iw >= w { continue }
                    body(i * ow + j, ih, iw)
                }
            }
        }
    }
}
