// ProgressDisplay.swift — a live progress line on a terminal, JSON lines otherwise.

import FeatureScatter
import Foundation

/// Shows training progress on standard error: a single rewritten line with loss,
/// accuracy, images/s and ETA when it is a terminal; one JSON object per line (at most
/// one a second, plus every epoch end) when it is not.
struct ProgressDisplay {
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// Only rank 0 of an mpirun job reports.
    private let quiet = !Ranks.communicator.isRoot
    private var lastReport = Date.distantPast

    mutating func show(_ p: TrainingProgress) {
        guard !quiet else { return }
        let now = Date()
        let final = p.batch == p.batches
        guard final || now.timeIntervalSince(lastReport) >= (isTerminal ? 0.2 : 1) else { return }
        lastReport = now
        if isTerminal {
            let line = String(format: "\r\u{1B}[2Kepoch %d/%d  batch %d/%d  loss %.4f  acc %.2f%%  %.0f img/s  ETA %@",
                              p.epoch, p.epochs, p.batch, p.batches, p.loss, p.accuracy, p.imagesPerSecond,
                              formatDuration(p.secondsRemaining))
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            let object: [String: Any] = [
                "event": "progress", "epoch": p.epoch, "epochs": p.epochs, "batch": p.batch, "batches": p.batches,
                "loss": p.loss, "accuracy": p.accuracy, "images_per_second": p.imagesPerSecond,
                "eta_seconds": p.secondsRemaining,
            ]
            emitJSONLine(object)
        }
    }

    func epochEnded(_ m: EpochMetrics) {
        guard !quiet else { return }
        if isTerminal {
            let test = m.testAccuracy.map { String(format: "  test %.2f%%", $0) } ?? ""
            let line = String(format: "\r\u{1B}[2Kepoch %d  loss %.4f  train %.2f%%%@  %.1fs  %.0f img/s\n",
                              m.epoch, m.trainLoss, m.trainAccuracy, test, m.seconds, m.imagesPerSecond)
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            var object: [String: Any] = [
                "event": "epoch", "epoch": m.epoch, "train_loss": m.trainLoss, "train_accuracy": m.trainAccuracy,
                "seconds": m.seconds, "images_per_second": m.imagesPerSecond, "learning_rate": m.learningRate,
            ]
            if let test = m.testAccuracy { object["test_accuracy"] = test }
            emitJSONLine(object)
        }
    }

    /// One attack batch finished: a rewritten line on a terminal, a JSON line otherwise.
    mutating func show(_ p: EvaluationProgress) {
        guard !quiet else { return }
        let now = Date()
        guard p.done == p.total || now.timeIntervalSince(lastReport) >= (isTerminal ? 0.2 : 1) else { return }
        lastReport = now
        let accuracy = p.done == 0 ? 0 : 100 * Double(p.robust) / Double(p.done)
        if isTerminal {
            let line = String(format: "\r\u{1B}[2K%@  %d/%d attacked  %.1f%% of them still robust",
                              p.attack, p.done, p.total, accuracy)
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            emitJSONLine(["event": "attack", "attack": p.attack, "done": p.done, "total": p.total, "robust": p.robust])
        }
    }

    /// Ends the progress line of an evaluation on a terminal.
    func finishEvaluation() {
        guard !quiet else { return }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    private func emitJSONLine(_ object: [String: Any]) {
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(data)
    }
}

/// "1h02m", "3m05s" or "42s".
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}
