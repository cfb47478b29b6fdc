// ONNXOperators.swift — the ONNX operators the importer supports, run on GraphValues.
//
// Float tensors run through the engine's differentiable primitives, so every graph is
// differentiable w.r.t. its inputs and parameters; integer tensors (shape chains) are
// computed directly.

import Foundation

enum ONNXOperators {
    /// Operator types with an implementation (ai.onnx domain).
    static let supported: Set<String> = [
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gemm", "MatMul",
        "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape",
        "Transpose", "Concat", "Pad", "Dropout", "Identity", "Constant", "Softmax", "LogSoftmax", "Clip",
        "Squeeze", "Unsqueeze", "ReduceMean", "Shape", "Gather", "Cast",
    ]

    /// The error for anything a node asks that the importer cannot do.
    static func unsupported(_ what: String, _ node: ONNXNode, _ opset: Int) -> FSCError {
        .onnx("\(what) in operator \(node.opType) (node \"\(node.name)\", opset \(opset))")
    }

    /// Checks what can be checked before running: the operator, its domain and its attributes.
    static func validate(_ node: ONNXNode, opset: Int) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw FSCError.onnx("unsupported operator \(node.domain).\(node.opType) (node \"\(node.name)\", opset \(opset))")
        }
        guard supported.contains(node.opType) else {
            throw FSCError.onnx("unsupported operator \(node.opType) (node \"\(node.name)\", opset \(opset))")
        }
        let a = Attributes(node: node, opset: opset)
        switch node.opType {
        case "Pad":
            let mode = try a.string("mode", "constant")
            guard mode == "constant" else { throw unsupported("unsupported attribute mode=\(mode)", node, opset) }
        case "MaxPool":
            guard try a.int("storage_order", 0) == 0 else { throw unsupported("unsupported attribute storage_order=1", node, opset) }
            guard node.outputs.count < 2 || node.outputs[1].isEmpty else {
                throw unsupported("unsupported output Indices", node, opset)
            }
        case "Conv", "AveragePool":
            _ = try a.string("auto_pad", "NOTSET")
        default: break
        }
        for (name, value) in node.attributes {
            if case .unsupported(let type) = value {
                throw unsupported("unsupported attribute \(name) (type \(type))", node, opset)
            }
        }
    }

    /// Runs one node.
    static func execute(_ node: ONNXNode, _ inputs: [GraphValue?], _ context: inout GraphContext) throws -> [GraphValue] {
        let opset = context.module.opset
        let a = Attributes(node: node, opset: opset)
        func input(_ i: Int) throws -> GraphValue {
            guard i < inputs.count, let v = inputs[i] else { throw unsupported("missing input \(i)", node, opset) }
            return v
        }
        func optional(_ i: Int) -> GraphValue? { i < inputs.count ? inputs[i] : nil }
        func float(_ i: Int) throws -> Variable { try toFloat(input(i)) }
        func ints(_ i: Int) throws -> IntegerTensor { try toInteger(input(i), node, opset) }
        func axis(_ value: Int, rank: Int) throws -> Int {
            let r = value < 0 ? value + rank : value
            guard r >= 0 && r < rank else { throw unsupported("axis \(value) out of range for rank \(rank)", node, opset) }
            return r
        }

        switch node.opType {
        case "Identity":
            return [try input(0)]
        case "Constant":
            return [try constant(node, a)]
        case "Relu": return [.float(relu(try float(0)))]
        case "Sigmoid": return [.float(sigmoid(try float(0)))]
        case "Tanh": return [.float(tanh(try float(0)))]
        case "LeakyRelu": return [.float(leakyRelu(try float(0), negativeSlope: try a.float("alpha", 0.01)))]

        case "Add", "Sub", "Mul", "Div":
            let (x, y) = (try input(0), try input(1))
            guard let shape = broadcastShape(x.shape, y.shape) else {
                throw unsupported("shapes \(x.shape) and \(y.shape) do not broadcast", node, opset)
            }
            try context.charge(product: shape, for: node)
            if case .integer(let p) = x, case .integer(let q) = y {
                return [.integer(integerBinary(p, q, shape: shape, node.opType))]
            }
            let (u, v) = (try toFloat(x), try toFloat(y))
            switch node.opType {
            case "Add": return [.float(u + v)]
            case "Sub": return [.float(u - v)]
            case "Mul": return [.float(u * v)]
            default: return [.float(u / v)]
            }

        case "Gemm":
            let (x, w) = (try float(0), try float(1))
            guard x.shape.count == 2 && w.shape.count == 2 else { throw unsupported("Gemm needs rank-2 A and B, got \(x.shape), \(w.shape)", node, opset) }
            let (transA, transB) = (try a.int("transA", 0) != 0, try a.int("transB", 0) != 0)
            guard (transA ? x.shape[0] : x.shape[1]) == (transB ? w.shape[1] : w.shape[0]) else {
                throw unsupported("Gemm shapes \(x.shape) and \(w.shape) do not chain", node, opset)
            }
            try context.charge(product: [x.shape[transA ? 1 : 0], x.shape[transA ? 0 : 1], w.shape[transB ? 0 : 1]], for: node)
            var y = matmul(x, w, transposeA: transA, transposeB: transB)
            let alpha = try a.float("alpha", 1), beta = try a.float("beta", 1)
            if alpha != 1 { y = y * alpha }
            if let c = optional(2) {
                let cv = try toFloat(c)
                guard broadcastShape(y.shape, cv.shape) == y.shape else { throw unsupported("Gemm C \(cv.shape) does not broadcast to \(y.shape)", node, opset) }
                y = y + (beta == 1 ? cv : cv * beta)
            }
            return [.float(y)]

        case "MatMul":
            var (x, w) = (try float(0), try float(1))
            let (ra, rb) = (x.shape.count, w.shape.count)
            guard ra >= 1 && rb >= 1 else { throw unsupported("MatMul of scalars", node, opset) }
            if ra == 1 { x = x.reshaped([1, x.shape[0]]) }
            if rb == 1 { w = w.reshaped([w.shape[0], 1]) }
            let (sa, sb) = (x.shape, w.shape)
            guard sa[sa.count - 1] == sb[sb.count - 2],
                  let batch = broadcastShape(Array(sa.dropLast(2)), Array(sb.dropLast(2))) else {
                throw unsupported("MatMul shapes \(sa) and \(sb) do not chain", node, opset)
            }
            try context.charge(product: batch + [sa[sa.count - 2], sa[sa.count - 1], sb[sb.count - 1]], for: node)
            var y = batchedMatmul(x, w)
            var shape = y.shape
            if rb == 1 { shape.removeLast() }
            if ra == 1 { shape.remove(at: shape.count - (rb == 1 ? 1 : 2)) }
            if shape != y.shape { y = y.reshaped(shape) }
            return [.float(y)]

        case "Conv":
            return [.float(try ONNXSpatial.conv(node, a, inputs: [try float(0), try float(1), optional(2).map(toFloat)], &context))]
        case "MaxPool": return [.float(try ONNXSpatial.maxPool(node, a, try float(0), &context))]
        case "AveragePool": return [.float(try ONNXSpatial.averagePool(node, a, try float(0), &context))]
        case "GlobalAveragePool":
            let x = try float(0)
            guard x.shape.count >= 3 else { throw unsupported("input of rank \(x.shape.count)", node, opset) }
            return [.float(mean(x, axes: Array(2..<x.shape.count)))]
        case "BatchNormalization":
            return try ONNXSpatial.batchNormalization(node, a, inputs: inputs, &context)

        case "Flatten":
            let x = try input(0)
            let rank = x.shape.count
            let k = try a.int("axis", 1)
            let ax = k < 0 ? k + rank : k
            guard ax >= 0 && ax <= rank else { throw unsupported("axis \(k) out of range for rank \(rank)", node, opset) }
            return [try reshaped(x, [x.shape[..<ax].reduce(1, *), x.shape[ax...].reduce(1, *)])]

        case "Reshape":
            let x = try input(0)
            var target: [Int]
            if opset < 5 { target = try a.ints("shape", []) } else { target = try ints(1).ints }
            let allowZero = try a.int("allowzero", 0) != 0
            for i in target.indices where target[i] == 0 && !allowZero {
                guard i < x.shape.count else { throw unsupported("shape \(target) copies a missing dimension", node, opset) }
                target[i] = x.shape[i]
            }
            let count = x.shape.reduce(1, *)
            guard target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 >= -1 }) else {
                throw unsupported("invalid shape \(target)", node, opset)
            }
            if let unknown = target.firstIndex(of: -1) {
                let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
                guard known > 0, count % known == 0 else { throw unsupported("cannot reshape \(x.shape) to \(target)", node, opset) }
                target[unknown] = count / known
            }
            guard target.reduce(1, *) == count else { throw unsupported("cannot reshape \(x.shape) to \(target)", node, opset) }
            return [try reshaped(x, target)]

        case "Transpose":
            let x = try input(0)
            let rank = x.shape.count
            let perm = try a.ints("perm", Array((0..<rank).reversed()))
            guard perm.sorted() == Array(0..<rank) else { throw unsupported("perm \(perm) for rank \(rank)", node, opset) }
            switch x {
            case .float(let v): return [.float(permute(v, perm))]
            case .integer(let t): return [.integer(IntegerLayout.permuted(t, perm))]
            }

        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard let first = parts.first else { throw unsupported("no inputs", node, opset) }
            let ax = try axis(try a.int("axis", opset < 4 ? 1 : 0), rank: first.shape.count)
            for p in parts {
                var s = p.shape, f = first.shape
                guard s.count == f.count else { throw unsupported("ranks differ: \(s) and \(f)", node, opset) }
                s[ax] = 0; f[ax] = 0
                guard s == f else { throw unsupported("shapes \(p.shape) and \(first.shape) differ off axis \(ax)", node, opset) }
            }
            try context.charge(parts.reduce(0) { total, p in
                let (sum, overflow) = total.addingReportingOverflow(saturatingProduct(p.shape))
                return overflow ? Int.max : sum
            }, for: node)
            let integerParts = parts.compactMap { p -> IntegerTensor? in if case .integer(let t) = p { return t }; return nil }
            if integerParts.count == parts.count { return [.integer(IntegerLayout.concatenated(integerParts, axis: ax))] }
            return [.float(concatenate(try parts.map(toFloat), axis: ax))]

        case "Squeeze", "Unsqueeze":
            let x = try input(0)
            let rawAxes = opset >= 13 ? try (optional(1).map { try toInteger($0, node, opset).ints } ?? []) : try a.ints("axes", [])
            var shape = x.shape
            if node.opType == "Squeeze" {
                let axes = try Set(rawAxes.map { try axis($0, rank: shape.count) })
                if axes.isEmpty {
                    shape = shape.filter { $0 != 1 }
                } else {
                    guard axes.allSatisfy({ shape[$0] == 1 }) else { throw unsupported("squeezing a dimension that is not 1 in \(shape)", node, opset) }
                    shape = shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                }
            } else {
                let outRank = shape.count + rawAxes.count
                let axes = try rawAxes.map { try axis($0, rank: outRank) }.sorted()
                guard Set(axes).count == axes.count else { throw unsupported("repeated axes \(rawAxes)", node, opset) }
                for ax in axes { shape.insert(1, at: ax) }
            }
            return [try reshaped(x, shape)]

        case "Pad":
            let x = try float(0)
            let rank = x.shape.count
            var pads: [Int], value: Float
            if opset < 11 {
                pads = try a.ints(opset < 2 ? "paddings" : "pads", [])
                value = try a.float("value", 0)
            } else {
                pads = try ints(1).ints
                value = try optional(2).map { try toFloat($0).value.scalars.first ?? 0 } ?? 0
            }
            var axes = Array(0..<rank)
            if opset >= 18, let given = optional(3) { axes = try toInteger(given, node, opset).ints.map { try axis($0, rank: rank) } }
            guard pads.count == 2 * axes.count else { throw unsupported("\(pads.count) pads for \(axes.count) axes", node, opset) }
            var before = [Int](repeating: 0, count: rank), after = before
            for (i, ax) in axes.enumerated() { before[ax] = pads[i]; after[ax] = pads[i + axes.count] }
            guard (before + after).allSatisfy({ (-ONNXSpatial.maxWindowExtent...ONNXSpatial.maxWindowExtent).contains($0) }) else {
                throw unsupported("pads \(pads) beyond \(ONNXSpatial.maxWindowExtent)", node, opset)
            }
            try context.charge(product: (0..<rank).map { Swift.max(0, x.shape[$0] + before[$0] + after[$0]) }, for: node)
            return [.float(try ONNXSpatial.padOrCrop(x, before: before, after: after, value: value, node))]

        case "Dropout":
            let x = try float(0)
            var ratio: Float = try a.float("ratio", 0.5)
            if opset >= 12, let r = optional(1) { ratio = try toFloat(r).value.scalars.first ?? 0.5 }
            guard ratio >= 0 && ratio < 1 else { throw unsupported("ratio \(ratio) outside [0,1)", node, opset) }
            let y = Dropout(ratio)(x)
            var result: [GraphValue] = [.float(y)]
            if node.outputs.count > 1 {
                result.append(.integer(IntegerTensor(shape: x.shape, values: y.value.scalars.map { $0 != 0 || ratio == 0 ? 1 : 0 })))
            }
            return result

        case "Softmax", "LogSoftmax":
            let x = try float(0)
            let rank = x.shape.count
            let ax = try axis(try a.int("axis", opset < 13 ? 1 : -1), rank: rank)
            let log = node.opType == "LogSoftmax"
            if opset < 13 {
                let rows = x.reshaped([x.shape[..<ax].reduce(1, *), x.shape[ax...].reduce(1, *)])
                let y = log ? logSoftmax(rows) : softmax(rows, axis: 1)
                return [.float(y.reshaped(x.shape))]
            }
            return [.float(log ? logSoftmax(x, axis: ax) : softmax(x, axis: ax))]

        case "Clip":
            let x = try float(0)
            var low = -Float.infinity, high = Float.infinity
            if opset < 11 {
                low = try a.float("min", low); high = try a.float("max", high)
            } else {
                if let v = optional(1) { low = try toFloat(v).value.scalars.first ?? low }
                if let v = optional(2) { high = try toFloat(v).value.scalars.first ?? high }
            }
            if low > high { return [.float(Variable(constant: Tensor(repeating: high, shape: x.shape)))] }
            return [.float(x.clamped(to: low...high))]

        case "ReduceMean":
            let x = try float(0)
            let rank = x.shape.count
            var raw: [Int]? = nil
            if opset >= 18 { raw = try optional(1).map { try toInteger($0, node, opset).ints } }
            else if node.attributes["axes"] != nil { raw = try a.ints("axes", []) }
            if opset >= 18, (raw ?? []).isEmpty, try a.int("noop_with_empty_axes", 0) != 0 { return [.float(x)] }
            let axes = try Set((raw?.isEmpty ?? true) ? Array(0..<rank) : raw!.map { try axis($0, rank: rank) }).sorted()
            var y = mean(x, axes: axes)
            if try a.int("keepdims", 1) == 0 {
                y = y.reshaped(x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
            }
            return [.float(y)]

        case "Shape":
            let shape = try input(0).shape.map { Int64($0) }
            let rank = shape.count
            func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + rank : i, 0), rank) }
            let start = clampIndex(try a.int("start", 0)), end = clampIndex(try a.int("end", rank))
            return [.integer(IntegerTensor(Array(shape[start..<Swift.max(start, end)])))]

        case "Gather":
            let data = try input(0), indices = try ints(1)
            let rank = data.shape.count
            let ax = try axis(try a.int("axis", 0), rank: rank)
            let extent = data.shape[ax]
            let resolved = try indices.values.map { i -> Int in
                let j = i < 0 ? Int(i) + extent : Int(i)
                guard j >= 0 && j < extent else { throw unsupported("index \(i) out of range for extent \(extent)", node, opset) }
                return j
            }
            var kept = data.shape
            kept.remove(at: ax)
            try context.charge(product: [resolved.count] + kept, for: node)
            let index = IntegerTensor(shape: indices.shape, values: resolved.map { Int64($0) })
            switch data {
            case .integer(let t): return [.integer(IntegerLayout.gathered(t, index, axis: ax))]
            case .float(let v):
                guard !v.requiresGradient else { throw unsupported("Gather of a float tensor that needs a gradient", node, opset) }
                return [.float(Variable(constant: IntegerLayout.gathered(v.value, index, axis: ax)))]
            }

        case "Cast":
            let x = try input(0)
            let to = try a.int("to", 1)
            guard let type = ONNXDataType(rawValue: to), type != .string else { throw unsupported("unsupported attribute to=\(to)", node, opset) }
            if type.isFloatingPoint {
                if type == .float16 || type == .double, case .float(let v) = x, !v.requiresGradient {
                    // Round through the narrower type where it is narrower.
                    let values = type == .float16 ? v.value.scalars.map { Float(Float16($0)) } : v.value.scalars
                    return [.float(Variable(constant: Tensor(shape: v.shape, scalars: values)))]
                }
                return [.float(try toFloat(x))]
            }
            switch x {
            case .integer(let t): return [.integer(type == .bool ? IntegerTensor(shape: t.shape, values: t.values.map { $0 != 0 ? 1 : 0 }) : t)]
            case .float(let v):
                let values = v.value.scalars.map { f -> Int64 in
                    if type == .bool { return f != 0 ? 1 : 0 }
                    return f.isFinite ? Int64(f.rounded(.towardZero)) : 0
                }
                return [.integer(IntegerTensor(shape: v.shape, values: values))]
            }

        default:
            throw FSCError.onnx("unsupported operator \(node.opType) (node \"\(node.name)\", opset \(opset))")
        }
    }

    // MARK: - Helpers

    static func toFloat(_ value: GraphValue) throws -> Variable {
        switch value {
        case .float(let v): return v
        case .integer(let t): return Variable(constant: Tensor(shape: t.shape, scalars: t.values.map { Float($0) }))
        }
    }

    static func toInteger(_ value: GraphValue, _ node: ONNXNode, _ opset: Int) throws -> IntegerTensor {
        switch value {
        case .integer(let t): return t
        case .float(let v):
            guard !v.requiresGradient else { throw unsupported("a float tensor where integers are expected", node, opset) }
            return IntegerTensor(shape: v.shape, values: v.value.scalars.map { Int64($0) })
        }
    }

    static func reshaped(_ value: GraphValue, _ shape: [Int]) throws -> GraphValue {
        switch value {
        case .float(let v): return .float(v.shape == shape ? v : v.reshaped(shape))
        case .integer(let t): return .integer(IntegerTensor(shape: shape, values: t.values))
        }
    }

    static func constant(_ node: ONNXNode, _ a: Attributes) throws -> GraphValue {
        if case .tensor(let t)? = node.attributes["value"] {
            return t.isFloatingPoint ? .float(Variable(constant: Tensor(shape: t.shape, scalars: t.floats)))
                                     : .integer(IntegerTensor(shape: t.shape, values: t.integers))
        }
        if case .float(let f)? = node.attributes["value_float"] { return .float(Variable(constant: Tensor(f))) }
        if case .floats(let f)? = node.attributes["value_floats"] { return .float(Variable(constant: Tensor(shape: [f.count], scalars: f))) }
        if case .int(let i)? = node.attributes["value_int"] { return .integer(IntegerTensor(shape: [], values: [i])) }
        if case .ints(let i)? = node.attributes["value_ints"] { return .integer(IntegerTensor(i)) }
        throw unsupported("a Constant without a supported value attribute", node, a.opset)
    }

    static func integerBinary(_ p: IntegerTensor, _ q: IntegerTensor, shape: [Int], _ op: String) -> IntegerTensor {
        let sp = broadcastStrides(of: p.shape, to: shape), sq = broadcastStrides(of: q.shape, to: shape)
        let count = shape.reduce(1, *)
        var out = [Int64](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            var (ip, iq) = (0, 0)
            for d in 0..<shape.count { ip += index[d] * sp[d]; iq += index[d] * sq[d] }
            let (x, y) = (p.values[ip], q.values[iq])
            switch op {
            case "Add": out[i] = x &+ y
            case "Sub": out[i] = x &- y
            case "Mul": out[i] = x &* y
            default: out[i] = y == 0 ? 0 : (x == .min && y == -1 ? .min : x / y)
            }
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return IntegerTensor(shape: shape, values: out)
    }
}

/// Typed access to a node's attributes, with ONNX defaults.
struct Attributes {
    let node: ONNXNode
    let opset: Int

    func wrong(_ name: String) -> FSCError {
        ONNXOperators.unsupported("attribute \(name) has the wrong type", node, opset)
    }
    func int(_ name: String, _ fallback: Int) throws -> Int {
        switch node.attributes[name] {
        case nil: return fallback
        case .int(let v)?: return Int(clamping: v)
        default: throw wrong(name)
        }
    }
    func float(_ name: String, _ fallback: Float) throws -> Float {
        switch node.attributes[name] {
        case nil: return fallback
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: throw wrong(name)
        }
    }
    func ints(_ name: String, _ fallback: [Int]) throws -> [Int] {
        switch node.attributes[name] {
        case nil: return fallback
        case .ints(let v)?: return v.map { Int(clamping: $0) }
        default: throw wrong(name)
        }
    }
    func string(_ name: String, _ fallback: String) throws -> String {
        switch node.attributes[name] {
        case nil: return fallback
        case .string(let v)?: return v
        default: throw wrong(name)
        }
    }
}

/// What the importer supports, for callers that want to check before importing.
public enum ONNXSupport {
    /// The ai.onnx operator types the importer implements.
    public static var operators: Set<String> { ONNXOperators.supported }
}
