// Handles.swift — opaque handles for C: boxing, a registry of live handles, and lookup.

import FeatureScatter
import Foundation

/// The objects behind the C handles.
final class ModelBox {
    let model: any Module
    let spec: ModelSpec
    /// Held by every call that reads or changes the model (and by its trainers' calls), so calls on
    /// one model from several threads run one at a time; recursive, so a progress callback may use it.
    private let access = NSRecursiveLock()

    init(model: any Module, spec: ModelSpec) {
        self.model = model
        self.spec = spec
    }

    /// Runs `body` with this model to itself.
    func exclusive<R>(_ body: () throws -> R) rethrows -> R {
        access.lock()
        defer { access.unlock() }
        return try body()
    }
}

final class DatasetBox {
    let dataset: Dataset
    init(_ dataset: Dataset) { self.dataset = dataset }
}

final class TrainerBox {
    let trainer: Trainer
    /// Keeps the model alive while the trainer uses it.
    let model: ModelBox
    init(trainer: Trainer, model: ModelBox) {
        self.trainer = trainer
        self.model = model
    }
}

/// Live handles, so that a freed, foreign or mistyped pointer is refused instead of
/// dereferenced.
enum HandleRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: [UnsafeMutableRawPointer: ObjectIdentifier] = [:]

    /// Retains `object` and returns its handle.
    static func register<T: AnyObject>(_ object: T) -> OpaquePointer {
        let raw = Unmanaged.passRetained(object).toOpaque()
        lock.lock()
        live[raw] = ObjectIdentifier(T.self)
        lock.unlock()
        return OpaquePointer(raw)
    }

    /// The object behind a live handle of type `T`.
    static func lookup<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ name: String) throws -> T {
        guard let handle else { throw BoundaryError.invalid("\(name) is NULL") }
        let raw = UnsafeMutableRawPointer(handle)
        lock.lock()
        defer { lock.unlock() }
        guard live[raw] == ObjectIdentifier(T.self) else {
            throw BoundaryError.invalid("\(name) is not a live \(T.self) handle (freed, or of another type)")
        }
        // Taken under the lock: a free on another thread cannot release it before the caller holds it.
        return Unmanaged<T>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Releases a live handle of type `T`; NULL and unknown pointers are ignored.
    static func release<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type) {
        guard let handle else { return }
        let raw = UnsafeMutableRawPointer(handle)
        lock.lock()
        let known = live[raw] == ObjectIdentifier(T.self)
        if known { live[raw] = nil }
        lock.unlock()
        if known { Unmanaged<T>.fromOpaque(raw).release() }
    }
}

/// Stores a new handle into a caller's out-parameter (checked non-NULL first).
func store<T: AnyObject>(_ object: T, into out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = HandleRegistry.register(object)
}
