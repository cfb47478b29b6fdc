// LearningRateSchedule.swift — learning rate as a function of the epoch.

import Foundation

/// How the learning rate changes over epochs.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// The base rate multiplied by `factor` at each milestone epoch reached (the paper:
    /// ×0.1 at epochs 60 and 90).
    case piecewise(milestones: [Int], factor: Float)
    /// Cosine annealing from the base rate to 0 over `totalEpochs`.
    case cosine(totalEpochs: Int)

    /// The rate for zero-based `epoch`, given the base rate.
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .piecewise(let milestones, let factor):
            return milestones.filter { epoch >= $0 }.reduce(base) { rate, _ in rate * factor }
        case .cosine(let totalEpochs):
            let progress = Double(min(epoch, totalEpochs)) / Double(max(totalEpochs, 1))
            return base * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
