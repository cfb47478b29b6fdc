// main.swift — `fscatter-fuzz TARGET …`: libFuzzer on one reader (a -DFUZZING build), else a replay
// of files through it (the corpus and every kept crash, as a regression test).

import FeatureScatter
import Foundation
#if FUZZING
import CFuzzDriver
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("usage: fscatter-fuzz \(names) [libFuzzer flags] CORPUS… | FILE…\n".utf8))
    exit(2)
}

#if FUZZING
nonisolated(unsafe) var selected = target
var driverArguments = [arguments[0]] + arguments.dropFirst(2)
var argc = Int32(driverArguments.count)
var cArguments: [UnsafeMutablePointer<CChar>?] = driverArguments.map { strdup($0) } + [nil]
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        do { try selected.run(bytes) } catch is FSCError {}
        catch { fatalError("\(selected.rawValue): a reader threw a non-FSCError: \(error)") }
        return 0
    }
}
exit(status)
#else
var failures = 0
for path in arguments.dropFirst(2) {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: path)).map { $0.sorted().map { path + "/" + $0 } } ?? [path]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else {
            print("\(file): unreadable")
            failures += 1
            continue
        }
        do {
            try target.run([UInt8](data))
            print("\(file): read")
        } catch let error as FSCError {
            print("\(file): refused: \("\(error)".replacingOccurrences(of: "\n", with: " "))")
        } catch {
            print("\(file): threw a non-FSCError: \(error)")
            failures += 1
        }
    }
}
exit(failures == 0 ? 0 : 1)
#endif
