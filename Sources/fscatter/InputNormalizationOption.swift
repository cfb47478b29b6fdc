// InputNormalizationOption.swift — `--input-normalization MEAN,STD` for ONNX models that normalise outside the graph.

import ArgumentParser
import FeatureScatter

extension InputNormalizationSpec: ExpressibleByArgument {
    /// `MEAN,STD` (one pair for every channel) or `M1,…,MC,S1,…,SC` (C means, then C standard deviations).
    public init?(argument: String) {
        let values = argument.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count >= 2, values.count % 2 == 0, values.allSatisfy({ $0 != nil }) else { return nil }
        let numbers = values.compactMap { $0 }
        self.init(mean: Array(numbers.prefix(numbers.count / 2)), standardDeviation: Array(numbers.suffix(numbers.count / 2)))
    }
}

/// The help of every `--input-normalization` flag.
let inputNormalizationHelp = ArgumentHelp(
    "For an ONNX model trained on (x − mean)/std of [0,1] images with the normalisation outside the graph: MEAN,STD, or C means then C stds (e.g. 0.4914,0.4822,0.4465,0.2470,0.2435,0.2616). The model then takes [0,1] images; export keeps the layer.",
    valueName: "mean,std")
