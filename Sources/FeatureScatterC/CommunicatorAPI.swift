// CommunicatorAPI.swift — fsc_communicator_*: a host's MPI communicator for training and evaluation.

import CFeatureScatterABI
import FeatureScatter

final class CommunicatorBox {
    let communicator: MPICommunicator
    init(_ communicator: MPICommunicator) { self.communicator = communicator }
}

@_cdecl("fsc_communicator_from_mpi")
public func fsc_communicator_from_mpi(_ fortranHandle: Int64, _ communicator: UnsafeMutablePointer<OpaquePointer?>?)
    -> fsc_status {
    guarded("fsc_communicator_from_mpi") {
        let out = try required(communicator, "communicator")
        store(CommunicatorBox(try MPICommunicator(fortranHandle: fortranHandle)), into: out)
    }
}

@_cdecl("fsc_communicator_info")
public func fsc_communicator_info(_ communicator: OpaquePointer?, _ rank: UnsafeMutablePointer<Int32>?,
                                  _ size: UnsafeMutablePointer<Int32>?) -> fsc_status {
    guarded("fsc_communicator_info") {
        let box = try HandleRegistry.lookup(communicator, as: CommunicatorBox.self, "communicator")
        rank?.pointee = Int32(box.communicator.rank)
        size?.pointee = Int32(box.communicator.size)
    }
}

@_cdecl("fsc_communicator_free")
public func fsc_communicator_free(_ communicator: OpaquePointer?) {
    HandleRegistry.release(communicator, as: CommunicatorBox.self)
}

/// The engine communicator behind an optional handle (NULL = this process alone).
func communicator(_ handle: OpaquePointer?) throws -> any Communicator {
    guard let handle else { return SingleProcess() }
    return try HandleRegistry.lookup(handle, as: CommunicatorBox.self, "communicator").communicator
}
