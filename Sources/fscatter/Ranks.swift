// Ranks.swift — the processes of this invocation: one, or the ranks `mpirun` started.

import FeatureScatter
import Foundation

/// Under `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE`) every command runs as one rank of
/// MPI_COMM_WORLD: rank 0 prints and writes files, the others compute and stay quiet. Each rank
/// takes the node's cores divided by the node's ranks as its worker threads unless
/// `OPENBLAS_NUM_THREADS` or `--threads` says otherwise.
enum Ranks {
    nonisolated(unsafe) private(set) static var communicator: any Communicator = SingleProcess()
    /// A second duplicate of the world, used only to agree on ending after an error, so that
    /// its barrier cannot match a collective another rank is still waiting in.
    nonisolated(unsafe) private static var control: MPICommunicator?

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The ranks Open MPI started on this node.
    static var localSize: Int { environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1 }

    /// Joins MPI_COMM_WORLD when started by mpirun with more than one rank.
    static func join() throws {
        guard let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), size > 1 else { return }
        let world = try MPICommunicator.world()
        control = try MPICommunicator.world(timeout: 10)
        communicator = world
        if !world.isRoot { silenceStandardOutput() }
        if environment["OPENBLAS_NUM_THREADS"] == nil {
            Parallelism.setWorkerCount(max(1, ProcessInfo.processInfo.activeProcessorCount / localSize))
        }
    }

    /// Ends MPI after a successful command.
    static func finish() {
        guard communicator.size > 1 else { return }
        control = nil
        communicator = SingleProcess()
        MPICommunicator.finalize()
    }

    /// Reports `error` on this rank's standard error and ends the job: when every rank failed
    /// (they agreed on the error) each exits with status 1; otherwise MPI_Abort ends the others.
    static func fail(_ error: Error) -> Never {
        let rank = communicator.rank, size = communicator.size
        FileHandle.standardError.write(Data("fscatter (rank \(rank) of \(size)): \(error)\n".utf8))
        if let control, (try? control.barrier()) != nil {
            finish()
            exit(1)
        }
        control?.abort(code: 1)
        exit(1)
    }

    private static func silenceStandardOutput() {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, STDOUT_FILENO) }
    }
}
