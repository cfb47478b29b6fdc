// ONNXSpatial.swift — Conv, MaxPool, AveragePool and BatchNormalization with ONNX's padding rules
// (explicit, asymmetric, SAME_UPPER/SAME_LOWER/VALID, ceil_mode), on 1-D and 2-D inputs.

enum ONNXSpatial {
    /// Per-axis window facts resolved for one input size.
    struct Window {
        var kernel: [Int], stride: [Int], dilation: [Int], begin: [Int], end: [Int]
    }

    /// The largest kernel size, stride, dilation or pad accepted: window arithmetic then cannot overflow.
    static let maxWindowExtent = 1 << 30

    /// Resolves kernel, strides, dilations and pads (auto_pad and ceil_mode included).
    static func window(_ node: ONNXNode, _ a: Attributes, spatial: [Int], kernel given: [Int]?) throws -> Window {
        let n = spatial.count
        let kernel = try a.ints("kernel_shape", given ?? [])
        guard kernel.count == n, kernel.allSatisfy({ $0 > 0 }) else {
            throw ONNXOperators.unsupported("kernel_shape \(kernel) for \(n) spatial axes", node, a.opset)
        }
        let stride = try a.ints("strides", [Int](repeating: 1, count: n))
        let dilation = try a.ints("dilations", [Int](repeating: 1, count: n))
        var pads = try a.ints("pads", [Int](repeating: 0, count: 2 * n))
        guard stride.count == n, dilation.count == n, pads.count == 2 * n,
              stride.allSatisfy({ $0 > 0 }), dilation.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }) else {
            throw ONNXOperators.unsupported("strides \(stride), dilations \(dilation) or pads \(pads) invalid", node, a.opset)
        }
        guard (kernel + stride + dilation + pads).allSatisfy({ $0 <= maxWindowExtent }) else {
            throw ONNXOperators.unsupported("kernel \(kernel), strides \(stride), dilations \(dilation) or pads \(pads) beyond \(maxWindowExtent)", node, a.opset)
        }
        let autoPad = try a.string("auto_pad", "NOTSET")
        switch autoPad {
        case "NOTSET": break
        case "VALID": pads = [Int](repeating: 0, count: 2 * n)
        case "SAME_UPPER", "SAME_LOWER":
            for i in 0..<n {
                let out = (spatial[i] + stride[i] - 1) / stride[i]
                let total = max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - spatial[i])
                let small = total / 2
                pads[i] = autoPad == "SAME_UPPER" ? small : total - small
                pads[i + n] = total - pads[i]
            }
        default:
            throw ONNXOperators.unsupported("unsupported attribute auto_pad=\(autoPad)", node, a.opset)
        }
        var end = Array(pads[n...])
        if try a.int("ceil_mode", 0) != 0 {
            for i in 0..<n {
                let span = (kernel[i] - 1) * dilation[i] + 1
                let padded = spatial[i] + pads[i] + end[i]
                guard padded >= span else { continue }
                var out = (padded - span + stride[i] - 1) / stride[i] + 1
                // The last window must start inside the input or the leading padding.
                if (out - 1) * stride[i] >= spatial[i] + pads[i] { out -= 1 }
                end[i] += max(0, (out - 1) * stride[i] + span - padded)
            }
        }
        for i in 0..<n where spatial[i] + pads[i] + end[i] < (kernel[i] - 1) * dilation[i] + 1 {
            throw ONNXOperators.unsupported("window \(kernel) does not fit input \(spatial)", node, a.opset)
        }
        return Window(kernel: kernel, stride: stride, dilation: dilation, begin: Array(pads[..<n]), end: end)
    }

    /// Lifts `[N, C, L]` to `[N, C, 1, L]` (1-D ops run as 2-D); 2-D passes through.
    static func lift(_ x: Variable, _ node: ONNXNode, _ opset: Int) throws -> Variable {
        switch x.shape.count {
        case 4: return x
        case 3: return x.reshaped([x.shape[0], x.shape[1], 1, x.shape[2]])
        default: throw ONNXOperators.unsupported("unsupported input of rank \(x.shape.count) (only 1-D and 2-D spatial)", node, opset)
        }
    }

    static func lifted(_ w: Window) -> Window {
        guard w.kernel.count == 1 else { return w }
        return Window(kernel: [1] + w.kernel, stride: [1] + w.stride, dilation: [1] + w.dilation,
                      begin: [0] + w.begin, end: [0] + w.end)
    }

    /// Charges a windowed operator on `[N, C, H, W]` (`input`, lifted) with window `w` (lifted): the padded
    /// copy, and `perOutput` operations for each of the N × `outChannels` × outH × outW outputs.
    static func charge(_ w: Window, input: [Int], outChannels: Int, perOutput: Int, _ node: ONNXNode,
                       _ context: inout GraphContext) throws {
        let padded = (0..<2).map { (axis: Int) -> Int in input[2 + axis] + w.begin[axis] + w.end[axis] }
        let output = (0..<2).map { (axis: Int) -> Int in
            let span = (w.kernel[axis] - 1) * w.dilation[axis] + 1
            return (padded[axis] - span) / w.stride[axis] + 1
        }
        try context.charge(product: [input[0], input[1]] + padded, for: node)
        try context.charge(product: [input[0], outChannels, perOutput] + output, for: node)
    }

    static func geometry(_ w: Window, padding: Bool) -> Conv2dGeometry {
        Conv2dGeometry(kernel: (w.kernel[0], w.kernel[1]), stride: (w.stride[0], w.stride[1]),
                       padding: padding ? (w.begin[0], w.begin[1]) : (0, 0), dilation: (w.dilation[0], w.dilation[1]))
    }

    static func symmetric(_ w: Window) -> Bool { w.begin == w.end }

    /// Pads positive amounts and crops negative ones.
    static func padOrCrop(_ x: Variable, before: [Int], after: [Int], value: Float, _ node: ONNXNode) throws -> Variable {
        var y = x
        if (before + after).contains(where: { $0 < 0 }) {
            let start = before.map { max(0, -$0) }
            let size = (0..<x.shape.count).map { x.shape[$0] + min(0, before[$0]) + min(0, after[$0]) }
            guard size.allSatisfy({ $0 >= 0 }) else { throw FSCError.onnx("Pad (node \"\(node.name)\"): crop larger than \(x.shape)") }
            y = crop(y, start: start, size: size)
        }
        let b = before.map { max(0, $0) }, e = after.map { max(0, $0) }
        return b.allSatisfy({ $0 == 0 }) && e.allSatisfy({ $0 == 0 }) ? y : pad(y, before: b, after: e, value: value)
    }

    static func spatialPad(_ x: Variable, _ w: Window, value: Float) -> Variable {
        pad(x, before: [0, 0] + w.begin, after: [0, 0] + w.end, value: value)
    }

    static func restore(_ y: Variable, rank: Int) -> Variable {
        rank == 3 ? y.reshaped([y.shape[0], y.shape[1], y.shape[3]]) : y
    }

    static func conv(_ node: ONNXNode, _ a: Attributes, inputs: [Variable?], _ context: inout GraphContext) throws -> Variable {
        let x = inputs[0]!, w = inputs[1]!, rank = x.shape.count
        let x4 = try lift(x, node, a.opset)
        guard w.shape.count == rank else { throw ONNXOperators.unsupported("weight \(w.shape) for input \(x.shape)", node, a.opset) }
        let w4 = rank == 3 ? w.reshaped([w.shape[0], w.shape[1], 1, w.shape[2]]) : w
        let groups = try a.int("group", 1)
        guard groups >= 1, x.shape[1] == w.shape[1] * groups, w.shape[0] % groups == 0 else {
            throw ONNXOperators.unsupported("channels \(x.shape[1]) and weight \(w.shape) do not fit group=\(groups)", node, a.opset)
        }
        if let b = inputs[2], b.shape != [w.shape[0]] {
            throw ONNXOperators.unsupported("bias \(b.shape) for \(w.shape[0]) output channels", node, a.opset)
        }
        let kernel = Array(w.shape[2...])
        let window = try window(node, a, spatial: Array(x.shape[2...]), kernel: kernel)
        guard window.kernel == kernel else {
            throw ONNXOperators.unsupported("kernel_shape \(window.kernel) differs from the weight's \(kernel)", node, a.opset)
        }
        let win = lifted(window)
        try charge(win, input: x4.shape, outChannels: w.shape[0], perOutput: saturatingProduct([w.shape[1]] + kernel),
                   node, &context)
        let input = symmetric(win) ? x4 : spatialPad(x4, win, value: 0)
        let shape = geometry(win, padding: symmetric(win))
        guard shape.outputSize(height: input.shape[2], width: input.shape[3]) != nil else {
            throw ONNXOperators.unsupported("kernel \(kernel) does not fit input \(x.shape) with its pads and dilations", node, a.opset)
        }
        let y = conv2d(input, weight: w4, bias: inputs[2], groups: groups, geometry: shape)
        return restore(y, rank: rank)
    }

    static func maxPool(_ node: ONNXNode, _ a: Attributes, _ x: Variable, _ context: inout GraphContext) throws -> Variable {
        let rank = x.shape.count
        let x4 = try lift(x, node, a.opset)
        let win = lifted(try window(node, a, spatial: Array(x.shape[2...]), kernel: nil))
        try charge(win, input: x4.shape, outChannels: x4.shape[1], perOutput: saturatingProduct(win.kernel), node, &context)
        let y = symmetric(win) ? maxPool2d(x4, geometry: geometry(win, padding: true))
                               : maxPool2d(spatialPad(x4, win, value: -.infinity), geometry: geometry(win, padding: false))
        return restore(y, rank: rank)
    }

    static func averagePool(_ node: ONNXNode, _ a: Attributes, _ x: Variable, _ context: inout GraphContext) throws -> Variable {
        let rank = x.shape.count
        let x4 = try lift(x, node, a.opset)
        let spatial = Array(x.shape[2...])
        let includePad = try a.int("count_include_pad", 0) != 0
        let explicit = try window(node, a, spatial: spatial, kernel: nil)
        let win = lifted(explicit)
        try charge(win, input: x4.shape, outChannels: x4.shape[1], perOutput: saturatingProduct(win.kernel), node, &context)
        if win.begin.allSatisfy({ $0 == 0 }) && win.end.allSatisfy({ $0 == 0 }) {
            return restore(avgPool2d(x4, geometry: geometry(win, padding: false)), rank: rank)
        }
        // Sum over each window divided by the number of positions that count: inside the
        // input, or also inside the declared pads with count_include_pad (never the ceil_mode
        // extension).
        var declared = win
        if try a.int("ceil_mode", 0) != 0 {
            var plain = node
            plain.attributes["ceil_mode"] = nil
            declared = lifted(try window(plain, Attributes(node: plain, opset: a.opset), spatial: spatial, kernel: nil))
        }
        let plane = [1, 1] + Array(x4.shape[2...])
        var mask = Tensor.ones(plane)
        if includePad {
            mask = mask.padded(before: [0, 0] + declared.begin, after: [0, 0] + declared.end, value: 1)
            mask = mask.padded(before: [0, 0, 0, 0], after: [0, 0] + zip(win.end, declared.end).map { $0 - $1 }, value: 0)
        } else {
            mask = mask.padded(before: [0, 0] + win.begin, after: [0, 0] + win.end, value: 0)
        }
        let g = geometry(win, padding: false)
        let sums = avgPool2d(spatialPad(x4, win, value: 0), geometry: g)
        let counts = avgPool2d(mask, geometry: g, countIncludePad: true)
        return restore(sums / Variable(constant: counts), rank: rank)
    }

    static func batchNormalization(_ node: ONNXNode, _ a: Attributes, inputs: [GraphValue?],
                                   _ context: inout GraphContext) throws -> [GraphValue] {
        guard inputs.count >= 5, let xv = inputs[0], let sv = inputs[1], let bv = inputs[2],
              let mv = inputs[3], let vv = inputs[4] else {
            throw ONNXOperators.unsupported("missing inputs (needs X, scale, B, mean, var)", node, a.opset)
        }
        let x = try ONNXOperators.toFloat(xv)
        let (scale, bias) = (try ONNXOperators.toFloat(sv), try ONNXOperators.toFloat(bv))
        let (mean, variance) = (try ONNXOperators.toFloat(mv).value, try ONNXOperators.toFloat(vv).value)
        guard x.shape.count >= 2 else { throw ONNXOperators.unsupported("input of rank \(x.shape.count)", node, a.opset) }
        let c = x.shape[1]
        guard [scale.shape, bias.shape, mean.shape, variance.shape].allSatisfy({ $0 == [c] }) else {
            throw ONNXOperators.unsupported("statistics are not [\(c)]", node, a.opset)
        }
        let epsilon = try a.float("epsilon", 1e-5), momentum = try a.float("momentum", 0.9)
        let trainingMode = a.opset >= 14 ? try a.int("training_mode", 0) != 0 : false
        let training = context.mode == .training || trainingMode
        let rest = x.shape[2...].reduce(1, *)
        let x4 = x.reshaped([x.shape[0], c, rest, 1])
        let result = batchNorm(x4, gamma: scale, beta: bias, runningMean: mean.scalars, runningVariance: variance.scalars,
                               epsilon: epsilon, batchStatistics: training)
        let y = result.output.reshaped(x.shape)
        guard training else { return [.float(y)] }
        // running = momentum·running + (1 − momentum)·batch (ONNX's convention).
        let m = Float(x.shape[0] * rest)
        let biased = result.batchVariance.map { $0 * (m - 1) / max(m, 1) }
        let newMean = zip(mean.scalars, result.batchMean).map { momentum * $0 + (1 - momentum) * $1 }
        let newVariance = zip(variance.scalars, context.mode == .training ? result.batchVariance : biased)
            .map { momentum * $0 + (1 - momentum) * $1 }
        if context.mode == .training {
            if let buffer = context.module.bufferByName[node.inputs[3]] { buffer.value = Tensor(shape: [c], scalars: newMean) }
            if let buffer = context.module.bufferByName[node.inputs[4]] { buffer.value = Tensor(shape: [c], scalars: newVariance) }
        }
        var outputs: [GraphValue] = [.float(y)]
        if node.outputs.count > 1 { outputs.append(.float(Variable(constant: Tensor(shape: [c], scalars: newMean)))) }
        if node.outputs.count > 2 { outputs.append(.float(Variable(constant: Tensor(shape: [c], scalars: newVariance)))) }
        return outputs
    }
}
