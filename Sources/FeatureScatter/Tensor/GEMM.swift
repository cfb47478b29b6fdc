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
    var out = [Float](repeating: 0, count: m * n)
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { po in
                if k == 0 { return }
                sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                      beta: 0, c: po.baseAddress!, ldc: n)
            }
        }
    }
    return Tensor(shape: [m, n], scalars: out)
}
