// Tape.swift — the record of one forward pass, replayed in reverse to get gradients.

/// Whether a forward pass trains (batch statistics, dropout on) or infers (running
/// statistics, dropout off). The mode belongs to the pass, not to the model, so an attack
/// can run an eval-mode view of a model that is being trained without changing it.
public enum ForwardMode: Sendable {
    case training
    case inference
}

/// Parameters that own a value and accumulate gradients across backward passes.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient, or nil before the first backward pass or after `zeroGradient()`.
    public var gradient: Tensor?

    public init(_ value: Tensor) {
        self.value = value
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() {
        gradient = nil
    }
}

/// A tape records the differentiable operations of one forward pass.
///
/// Create one per forward pass; it is not shared between threads and holds no global state.
/// Operations whose inputs need no gradient are not recorded, so an inference pass costs
/// nothing extra, and an attack that asks only for the input gradient
/// (`parameterGradients: false`) never computes weight gradients.
///
/// ```swift
/// let tape = Tape(mode: .training)
/// let x = tape.input(images)
/// let loss = crossEntropy(model(x), labels: labels)
/// tape.backward(loss)            // parameters' .gradient now hold ∂loss/∂θ
/// ```
public final class Tape {
    /// The forward mode layers read (batch norm, dropout).
    public let mode: ForwardMode
    /// Whether parameters are recorded and receive gradients.
    public let recordsParameterGradients: Bool
    /// Randomness for stochastic layers (dropout) in this pass: one stream, or one per example.
    public var randomness: any BatchRandomness
    /// When set, batch norm in this pass normalises with the moments of every rank's rows.
    public var synchronizedStatistics: SynchronizedStatistics?

    struct Node {
        /// The op kind, for the profile.
        var op: StaticString
        var inputs: [Int]
        var pullback: ((Tensor) -> [Tensor?])?
        var parameter: Parameter?
        var shape: [Int]
    }

    private(set) var nodes: [Node] = []
    private var leafGradients: [Int: Tensor] = [:]
    /// How many nodes record each parameter (a parameter used twice has two).
    private var parameterNodes: [ObjectIdentifier: Int] = [:]

    public init(mode: ForwardMode, parameterGradients: Bool = true,
                randomness: any BatchRandomness = SeededGenerator(seed: 0)) {
        self.mode = mode
        self.recordsParameterGradients = parameterGradients
        self.randomness = randomness
    }

    /// Records an input; with `requiresGradient` its gradient is kept by `backward`.
    public func input(_ value: Tensor, requiresGradient: Bool = false) -> Variable {
        guard requiresGradient else { return Variable(value: value, tape: self, id: -1) }
        nodes.append(Node(op: "input", inputs: [], pullback: nil, parameter: nil, shape: value.shape))
        return Variable(value: value, tape: self, id: nodes.count - 1)
    }

    /// The variable a layer uses for `parameter` in this pass.
    public func variable(for parameter: Parameter) -> Variable {
        guard recordsParameterGradients else { return Variable(value: parameter.value, tape: self, id: -1) }
        nodes.append(Node(op: "parameter", inputs: [], pullback: nil, parameter: parameter, shape: parameter.value.shape))
        parameterNodes[ObjectIdentifier(parameter), default: 0] += 1
        return Variable(value: parameter.value, tape: self, id: nodes.count - 1)
    }

    /// Records the result of an operation `op` with its pullback (vector–Jacobian product).
    func record(_ op: StaticString, _ value: Tensor, inputs: [Variable],
                pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
        guard inputs.contains(where: { $0.requiresGradient && $0.tape === self }) else {
            return Variable(value: value, tape: self, id: -1)
        }
        nodes.append(Node(op: op, inputs: inputs.map { $0.tape === self ? $0.id : -1 }, pullback: pullback,
                          parameter: nil, shape: value.shape))
        return Variable(value: value, tape: self, id: nodes.count - 1)
    }

    /// Back-propagates from `root` (a scalar, or any shape with an explicit `seed`).
    ///
    /// Gradients of recorded parameters are added to `Parameter.gradient`; gradients of
    /// inputs created with `requiresGradient` are available from `gradient(of:)`.
    /// `parameterReady` is called as soon as a parameter's gradient is final (its last node
    /// is processed), while the rest of the backward pass still runs.
    public func backward(_ root: Variable, seed: Tensor? = nil, parameterReady: ((Parameter) -> Void)? = nil) {
        precondition(root.tape === self, "backward: the root was not recorded on this tape")
        leafGradients = [:]
        guard root.requiresGradient else { return }
        let start = seed ?? Tensor(repeating: 1, shape: root.value.shape)
        precondition(start.shape == root.value.shape,
                     "backward: seed shape \(start.shape) differs from root shape \(root.value.shape)")
        var gradients = [Tensor?](repeating: nil, count: root.id + 1)
        gradients[root.id] = start
        var pendingNodes = parameterNodes
        for id in stride(from: root.id, through: 0, by: -1) {
            guard let gradient = gradients[id] else { continue }
            gradients[id] = nil
            let node = nodes[id]
            if let parameter = node.parameter {
                if parameter.gradient == nil {
                    parameter.gradient = gradient
                } else {
                    Profiler.measure("accumulate", .backward) { parameter.gradient!.add(gradient) }
                }
                let key = ObjectIdentifier(parameter)
                pendingNodes[key, default: 1] -= 1
                if pendingNodes[key] == 0, let parameterReady { parameterReady(parameter) }
                continue
            }
            guard let pullback = node.pullback else {
                leafGradients[id] = gradient
                continue
            }
            let inputGradients = Profiler.measure(node.op, .backward) { pullback(gradient) }
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard input >= 0, let inputGradient else { continue }
                precondition(inputGradient.shape == nodes[input].shape,
                             "gradient shape \(inputGradient.shape) != value shape \(nodes[input].shape)")
                if gradients[input] == nil {
                    gradients[input] = inputGradient
                } else {
                    Profiler.measure("accumulate", .backward) { gradients[input]!.add(inputGradient) }
                }
            }
        }
    }

    /// The gradient of the last `backward` root with respect to an input, or zeros if the
    /// root does not depend on it.
    public func gradient(of input: Variable) -> Tensor {
        precondition(input.tape === self && input.requiresGradient,
                     "gradient(of:) needs an input recorded with requiresGradient on this tape")
        return leafGradients[input.id] ?? Tensor.zeros(input.value.shape)
    }
}

/// A tensor flowing through a forward pass, linked to the tape that recorded it.
public struct Variable {
    /// The forward value.
    public let value: Tensor
    /// The tape this value belongs to (nil for free constants, or once the tape is gone).
    /// Weak: the tape's pullbacks capture variables, so a strong reference here would make
    /// a cycle and keep every activation of every step alive.
    public private(set) weak var tape: Tape?
    let id: Int

    init(value: Tensor, tape: Tape?, id: Int) {
        self.value = value
        self.tape = tape
        self.id = id
    }

    /// A constant: no gradient flows into it.
    public init(constant value: Tensor) {
        self.init(value: value, tape: nil, id: -1)
    }

    /// True when gradients flow back through this value.
    public var requiresGradient: Bool { id >= 0 }

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// The forward mode of the pass this value belongs to (inference when there is no tape).
    public var mode: ForwardMode { tape?.mode ?? .inference }
}

/// Records `value`, the result of `op`, on the tape of the first input that has one (a
/// constant otherwise). The caller has computed `value` (and times it with `Profiler.measure`
/// when the forward kernel is worth profiling).
func record(_ op: StaticString, _ inputs: [Variable], _ value: Tensor,
            pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
    guard let tape = inputs.lazy.compactMap(\.tape).first else { return Variable(constant: value) }
    return tape.record(op, value, inputs: inputs, pullback: pullback)
}

/// Computes `op`'s value with `forward` (timed as `op`'s forward phase) and records it.
func record(_ op: StaticString, _ inputs: [Variable], forward: () -> Tensor,
            pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
    record(op, inputs, Profiler.measure(op, .forward, forward), pullback: pullback)
}
