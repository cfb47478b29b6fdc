// GEMM.swift — matrix products through OpenBLAS's cblas_sgemm.

import COpenBLAS

/// `C = alpha · op(A) · op(B) + beta · C` on row-major buffers, where op(A) is m×k and
/// op(B) is k×n. Leading dimensions are those of the stored (untransposed) matrices.
@inline(__always)
func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    _ = Parallelism.singleThreadedBLAS
    Profiler.measureGEMM(m: m, n: n, k: k) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}

/// The matrix product of two rank-2 tensors, optionally transposing either operand.
///
/// The rows of op(A) are split across the workers as the batch is everywhere in the engine
/// (`Parallelism.forEachRange`); when A is transposed — a sum over the rows of the stored A
/// and B, as in a weight gradient `gᵀ·x` — each worker sums its rows and the partial sums are
/// added in worker order. A data-parallel run splits its global batch by the same rule, so
/// N ranks of one worker sum their rows exactly as one process of N workers does.
///
/// - Parameters:
///   - a: `[m, k]`, or `[k, m]` when `transposeA`.
///   - b: `[k, n]`, or `[n, k]` when `transposeB`.
/// - Returns: `[m, n]`.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner dimensions differ, \(a.shape) and \(b.shape)")
    Profiler.countDirectFlops(2 * Double(m) * Double(n) * Double(k))
    var out = [Float](repeating: 0, count: m * n)
    guard k > 0, m > 0, n > 0 else { return Tensor(shape: [m, n], scalars: out) }
    let (lda, ldb) = (a.shape[1], b.shape[1])
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { po in
                let (aBase, bBase, cBase) = (pa.baseAddress!, pb.baseAddress!, po.baseAddress!)
                guard transposeA else {
                    Parallelism.forEachRange(m) { rows, _ in
                        sgemm(transposeA: false, transposeB: transposeB, m: rows.count, n: n, k: k,
                              a: aBase + rows.lowerBound * lda, lda: lda, b: bBase, ldb: ldb,
                              beta: 0, c: cBase + rows.lowerBound * n, ldc: n)
                    }
                    return
                }
                let workers = min(Parallelism.workerCount, k)
                let partials = UnsafeMutableBufferPointer<Float>.allocate(capacity: m * n * workers)
                defer { partials.deallocate() }
                partials.initialize(repeating: 0)
                Parallelism.forEachRange(k) { rows, worker in
                    sgemm(transposeA: true, transposeB: transposeB, m: m, n: n, k: rows.count,
                          a: aBase + rows.lowerBound * lda, lda: lda,
                          b: bBase + rows.lowerBound * (transposeB ? 1 : ldb), ldb: ldb,
                          beta: 0, c: partials.baseAddress! + worker * m * n, ldc: n)
                }
                for worker in 0..<workers {
                    for j in 0..<(m * n) { cBase[j] += partials[worker * m * n + j] }
                }
            }
        }
    }
    return Tensor(shape: [m, n], scalars: out)
}
