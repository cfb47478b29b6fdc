// ResumedRun.swift — `fscatter train --resume`: the run comes back from its checkpoint, and flags
// that contradict it are refused.

import FeatureScatter
import Foundation

/// The run a `--resume` folder holds: its checkpoint, recipe, configuration and data selection.
struct ResumedRun {
    let checkpoint: Checkpoint
    let recipe: TrainingRecipe
    let configuration: TrainingConfiguration
    let dataset: String
    let dataDirectory: String?
    let trainSubset: Int?
    let testSubset: Int?
    let data: RunRecord.Data?

    /// Reads `folder`'s checkpoint. `given` is what the command line says and `defaults` what
    /// it would say with no flags: a setting the user changed from its default must equal the
    /// run's (only `--epochs` may differ: it extends the run).
    init(folder: String, given: TrainCommand, defaults: TrainCommand) throws {
        checkpoint = try Checkpoint.read(from: folder + "/checkpoint.fsc")
        guard let record = try checkpoint.runRecord() else {
            // Written before checkpoints recorded their run: only the flags can describe it.
            printToStandardError("warning: \(folder)/checkpoint.fsc records no run settings; the flags define the resumed run")
            recipe = given.recipe.recipe
            configuration = try given.configuration()
            dataset = given.data.dataset
            dataDirectory = given.data.dataDirectory
            trainSubset = given.trainSubset
            testSubset = given.data.testSubset
            data = nil
            return
        }
        let mine = try given.configuration(), standard = try defaults.configuration()
        var saved = record.configuration
        try Self.refuseContradictions(saved: saved, given: mine, defaults: standard, except: ["epochs"], folder: folder)
        if let savedRecipe = record.recipe {
            try Self.refuseContradictions(saved: savedRecipe, given: given.recipe.recipe, defaults: defaults.recipe.recipe,
                                          except: [], folder: folder)
        }
        if Self.isGiven("--model", given.model, default: defaults.model), given.model != checkpoint.header.model.architecture {
            throw FSCError.invalidArgument(Self.message(folder, "model", checkpoint.header.model.architecture, given.model))
        }
        saved.epochs = mine.epochs != standard.epochs ? mine.epochs : saved.epochs
        configuration = saved
        recipe = record.recipe ?? given.recipe.recipe
        let selection = record.data?.selection ?? [:]
        dataset = record.data?.dataset ?? given.data.dataset
        dataDirectory = selection["data_dir"]
        trainSubset = selection["train_subset"].flatMap(Int.init)
        testSubset = selection["test_subset"].flatMap(Int.init)
        data = record.data
        let choices: [(String, String?, String?, String?)] = [
            ("dataset", dataset, given.data.dataset, defaults.data.dataset),
            ("data-dir", dataDirectory, given.data.dataDirectory, defaults.data.dataDirectory),
            ("train-subset", trainSubset.map(String.init), given.trainSubset.map(String.init), nil),
            ("test-subset", testSubset.map(String.init), given.data.testSubset.map(String.init), nil),
        ]
        for (flag, saved, mine, standard) in choices where Self.isGiven("--" + flag, mine, default: standard) && mine != saved {
            throw FSCError.invalidArgument(Self.message(folder, "--\(flag)", saved ?? "none", mine ?? "none"))
        }
    }

    /// The checkpoint metadata a fresh run records about its data selection.
    static func selection(dataDirectory: String?, trainSubset: Int?, testSubset: Int?) -> [String: String] {
        var selection: [String: String] = [:]
        selection["data_dir"] = dataDirectory
        selection["train_subset"] = trainSubset.map(String.init)
        selection["test_subset"] = testSubset.map(String.init)
        return selection
    }

    private static func message(_ folder: String, _ setting: String, _ saved: String, _ given: String) -> String {
        "the run in \(folder) was started with \(setting) = \(saved); this command gives \(given). Leave the flag out " +
            "(a resumed run takes everything but --epochs from its checkpoint) or start a new run in another --out folder"
    }

    /// Throws for the first field the user set (it differs from `defaults`) to a value other than the run's.
    private static func refuseContradictions<T: Encodable>(saved: T, given: T, defaults: T, except: Set<String>,
                                                          folder: String) throws {
        let (old, new, standard) = (try ExplicitFlags.flattened(saved), try ExplicitFlags.flattened(given),
                                    try ExplicitFlags.flattened(defaults))
        for (key, value) in new.sorted(by: { $0.key < $1.key }) where !except.contains(key) {
            if isGiven(ExplicitFlags.flagNames[key], value, default: standard[key]), value != old[key] {
                throw FSCError.invalidArgument(message(folder, ExplicitFlags.flagNames[key].map { "\($0) (\(key))" } ?? key,
                                                       old[key] ?? "unset", value))
            }
        }
    }

    /// A setting counts as given when its flag is on the command line or its value is not the default.
    private static func isGiven(_ flag: String?, _ value: String?, default standard: String?) -> Bool {
        value != standard || flag.map(ExplicitFlags.isGiven) == true
    }
}
