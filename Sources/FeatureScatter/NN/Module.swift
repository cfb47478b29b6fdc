// Module.swift — the protocol every layer and model conforms to.

/// State a module keeps that is not trained by gradients (batch-norm running statistics).
public final class Buffer {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value }
}

/// A layer or model: a differentiable function of its input with named parameters,
/// buffers and child modules.
///
/// Modules hold no train/eval flag: the mode belongs to each forward pass (`Tape.mode`),
/// which layers read from their input (`x.mode`). An attack therefore runs an eval-mode
/// view of a model simply by recording on an inference tape, and there is no hidden mode
/// to forget to restore.
public protocol Module: AnyObject {
    /// Runs the module on `x`.
    func callAsFunction(_ x: Variable) -> Variable
    /// Parameters owned directly by this module, with their local names.
    var localParameters: [(String, Parameter)] { get }
    /// Buffers owned directly by this module, with their local names.
    var localBuffers: [(String, Buffer)] { get }
    /// Child modules with their local names.
    var children: [(String, any Module)] { get }
}

extension Module {
    public var localParameters: [(String, Parameter)] { [] }
    public var localBuffers: [(String, Buffer)] { [] }
    public var children: [(String, any Module)] { [] }

    /// Every parameter in this module and its descendants, with dotted names
    /// (`"features.0.weight"`), in a stable order.
    public func namedParameters() -> [(String, Parameter)] {
        var result = localParameters
        for (name, child) in children {
            result += child.namedParameters().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// Every buffer in this module and its descendants, with dotted names.
    public func namedBuffers() -> [(String, Buffer)] {
        var result = localBuffers
        for (name, child) in children {
            result += child.namedBuffers().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// Every parameter, in the order of `namedParameters()`.
    public var parameters: [Parameter] { namedParameters().map(\.1) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's accumulated gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Runs the module in inference mode on a batch, recording nothing.
    public func predict(_ x: Tensor) -> Tensor {
        let tape = Tape(mode: .inference, parameterGradients: false)
        return self(tape.input(x)).value
    }
}

/// Returns the variable for `parameter` on the tape `x` belongs to, or a constant.
@inline(__always)
func use(_ parameter: Parameter, with x: Variable) -> Variable {
    x.tape?.variable(for: parameter) ?? Variable(constant: parameter.value)
}
