// KernelBenchmark.swift — the 3×3 convolutions of SmallCNN or a WideResNet against plain SGEMMs of the same shapes.

import FeatureScatter
import Foundation

/// One 3×3 convolution shape of a network and how often the network uses it.
struct ConvolutionShape {
    var inChannels, outChannels, size, stride, uses: Int
    /// Zero padding on each side: 1 in a WideResNet, 0 in SmallCNN.
    var padding = 1

    var outSize: Int { (size + 2 * padding - 3) / stride + 1 }
    /// Rows of the patch matrix: C_in · 3 · 3.
    var patch: Int { inChannels * 9 }
}

/// The 3×3 convolutions of WRN-depth-width on `size`×`size` input with `channels` channels,
/// distinct shapes with their use counts, in network order.
func wideResNetConvolutions(depth: Int, width: Int, channels: Int, size: Int) -> [ConvolutionShape] {
    let perGroup = (depth - 4) / 6
    var shapes = [ConvolutionShape(inChannels: channels, outChannels: 16, size: size, stride: 1, uses: 1)]
    var (inChannels, current) = (16, size)
    for (group, stride) in [(1, 1), (2, 2), (3, 2)] {
        let out = 16 * width * (1 << (group - 1))
        for block in 0..<perGroup {
            let s = block == 0 ? stride : 1
            for shape in [ConvolutionShape(inChannels: inChannels, outChannels: out, size: current, stride: s, uses: 1),
                          ConvolutionShape(inChannels: out, outChannels: out, size: (current - 1) / s + 1, stride: 1,
                                           uses: 1)] {
                if let same = shapes.firstIndex(where: {
                    ($0.inChannels, $0.outChannels, $0.size, $0.stride)
                        == (shape.inChannels, shape.outChannels, shape.size, shape.stride)
                }) {
                    shapes[same].uses += 1
                } else {
                    shapes.append(shape)
                }
            }
            inChannels = out
            current = (current - 1) / s + 1
        }
    }
    return shapes
}

/// The 3×3 convolutions of SmallCNN on `size`×`size` input with `channels` channels, unpadded:
/// two at full resolution, two after the first 2×2 max pool.
func smallCNNConvolutions(channels: Int, size: Int) -> [ConvolutionShape] {
    let pooled = (size - 4) / 2
    return [ConvolutionShape(inChannels: channels, outChannels: 32, size: size, stride: 1, uses: 1, padding: 0),
            ConvolutionShape(inChannels: 32, outChannels: 32, size: size - 2, stride: 1, uses: 1, padding: 0),
            ConvolutionShape(inChannels: 32, outChannels: 64, size: pooled, stride: 1, uses: 1, padding: 0),
            ConvolutionShape(inChannels: 64, outChannels: 64, size: pooled - 2, stride: 1, uses: 1, padding: 0)]
}

/// The 3×3 convolutions `--kernels` times for `architecture` (`smallcnn` or `wrn-D-W`) on square input.
private func modelConvolutions(architecture: String, inputShape: [Int]) throws -> [ConvolutionShape] {
    let parts = architecture.split(separator: "-")
    if inputShape[1] == inputShape[2] {
        if architecture == "smallcnn", inputShape[1] >= 16 {
            return smallCNNConvolutions(channels: inputShape[0], size: inputShape[1])
        }
        if parts.count == 3, parts[0] == "wrn", let depth = Int(parts[1]), let width = Int(parts[2]),
           (depth - 4) % 6 == 0 {
            return wideResNetConvolutions(depth: depth, width: width, channels: inputShape[0], size: inputShape[1])
        }
    }
    throw FSCError.invalidArgument(
        "--kernels needs smallcnn or a wrn-D-W model on square input, got \(architecture) \(inputShape)")
}

/// Times each 3×3 convolution of a `smallcnn` or `wrn-D-W` model at `batch`, forward and backward (input and
/// weight gradients), against plain SGEMMs with the same m, n, k: forward `[C_out, 9·C_in] ×
/// [9·C_in, N·P]`, backward `dW = dY·colᵀ` and `dX_col = Wᵀ·dY`. Single-threaded on both sides,
/// so the ratio measures the convolution kernels' overhead over SGEMM, not threading. GFLOP/s
/// count the direct convolution's flops, so a layer computed by Winograd (which does fewer) can
/// run above 1.0; each row names the algorithm `automatic` chose.
///
/// - Returns: per-shape and network-weighted GFLOP/s of all three, and the ratios of the first
///   two to SGEMM's, as JSON values.
func convolutionKernelBenchmark(architecture: String, inputShape: [Int], batch: Int,
                                repetitions: Int) throws -> [String: Any] {
    let shapes = try modelConvolutions(architecture: architecture, inputShape: inputShape)
    Parallelism.setWorkerCount(1)
    let runs = max(repetitions, 1)
    var generator = SeededGenerator(seed: 3)
    var rows: [[String: Any]] = []
    var totals = (flops: 0.0, conv: [0.0, 0.0, 0.0], gemm: [0.0, 0.0])
    for shape in shapes {
        let geometry = Conv2dGeometry(kernel: (3, 3), stride: (shape.stride, shape.stride),
                                      padding: (shape.padding, shape.padding))
        let x = Tensor.uniform([batch, shape.inChannels, shape.size, shape.size], low: -1, high: 1, using: &generator)
        let w = Tensor.uniform([shape.outChannels, shape.inChannels, 3, 3], low: -0.1, high: 0.1, using: &generator)
        let columns = batch * shape.outSize * shape.outSize
        let dy = Tensor.uniform([batch, shape.outChannels, shape.outSize, shape.outSize], low: -1, high: 1,
                                using: &generator)
        let weights = w.reshaped([shape.outChannels, shape.patch])
        let patches = Tensor.uniform([shape.patch, columns], low: -1, high: 1, using: &generator)
        let gradients = Tensor.uniform([shape.outChannels, columns], low: -1, high: 1, using: &generator)
        let conv = [
            seconds(runs) { _ = conv2d(x, weight: w, bias: nil, geometry: geometry) },
            seconds(runs) {
                _ = conv2dBackward(dy, input: x, weight: w, groups: 1, geometry: geometry,
                                   needInput: true, needWeight: true, needBias: false)
            },
            seconds(runs) {
                _ = conv2dBackward(dy, input: x, weight: w, groups: 1, geometry: geometry,
                                   needInput: true, needWeight: false, needBias: false)
            },
        ]
        let gemm = [
            seconds(runs) { _ = matmul(weights, patches) },
            seconds(runs) {
                _ = matmul(gradients, patches, transposeB: true)
                _ = matmul(weights, gradients, transposeA: true)
            },
        ]
        let flops = 2 * Double(shape.outChannels * shape.patch) * Double(columns)
        let uses = Double(shape.uses)
        totals.flops += flops * uses
        for phase in 0..<2 { totals.gemm[phase] += gemm[phase] * uses }
        for phase in 0..<3 { totals.conv[phase] += conv[phase] * uses }
        rows.append([
            "shape": "\(shape.inChannels)→\(shape.outChannels) \(shape.size)×\(shape.size) s\(shape.stride)",
            "uses": shape.uses, "m_n_k": [shape.outChannels, columns, shape.patch],
            "algorithm": ConvolutionAlgorithm.chosen(input: x.shape, weight: w.shape, geometry: geometry).name,
            "conv_forward_gflops": flops / conv[0] / 1e9, "sgemm_forward_gflops": flops / gemm[0] / 1e9,
            "conv_backward_gflops": 2 * flops / conv[1] / 1e9, "sgemm_backward_gflops": 2 * flops / gemm[1] / 1e9,
            "conv_input_backward_gflops": flops / conv[2] / 1e9,
        ])
    }
    return [
        "kernels": rows,
        "conv_forward_gflops": totals.flops / totals.conv[0] / 1e9,
        "sgemm_forward_gflops": totals.flops / totals.gemm[0] / 1e9,
        "forward_ratio": totals.gemm[0] / totals.conv[0],
        "conv_backward_gflops": 2 * totals.flops / totals.conv[1] / 1e9,
        "sgemm_backward_gflops": 2 * totals.flops / totals.gemm[1] / 1e9,
        "backward_ratio": totals.gemm[1] / totals.conv[1],
        "conv_input_backward_gflops": totals.flops / totals.conv[2] / 1e9,
    ]
}

/// The fastest of `runs` timed calls of `body`, after one untimed call.
private func seconds(_ runs: Int, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<runs {
        let start = Date()
        body()
        best = min(best, Date().timeIntervalSince(start))
    }
    return best
}
