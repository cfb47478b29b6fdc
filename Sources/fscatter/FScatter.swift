// FScatter.swift — the `fscatter` command-line tool: train, evaluate and inspect models.

import ArgumentParser
import FeatureScatter
import Foundation

@main
struct FScatter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fscatter",
        abstract: "Feature-scattering adversarial training and robustness evaluation.",
        version: FeatureScatterVersion.string,
        subcommands: [InfoCommand.self, TrainCommand.self, EvalCommand.self, AttackCommand.self, BenchCommand.self,
                      OTCommand.self, ExportCommand.self, ImportCommand.self, LossSurfaceCommand.self])

    /// Selects the OpenBLAS core before any BLAS call (DESIGN §6), joins the other ranks when
    /// started by mpirun, then runs the command.
    static func main() {
        BLASCoreSelection.reexecIfNeeded()
        AllocatorTuning.apply()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try Ranks.join()
            try command.run()
            Ranks.finish()
        } catch {
            if Ranks.communicator.size > 1 { Ranks.fail(error) }
            exit(withError: error)
        }
    }
}

/// Re-executes the tool with `OPENBLAS_CORETYPE` set when the user has not set one and
/// this CPU needs a better core than OpenBLAS detects. OpenBLAS reads the variable once,
/// when it loads, which happens before `main`; hence the re-exec.
enum BLASCoreSelection {
    static func reexecIfNeeded() {
        guard let core = BLASRuntime.coreToSelect() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv("/proc/self/exe", &arguments)
        // execv returns only on failure: run on with the core OpenBLAS picked itself.
    }
}

/// Writes `text` and a newline to stderr (tables that must not mix with JSON on stdout).
func printToStandardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
