// BuildTarget.swift — the vector instructions the engine's own loops were compiled for.

/// The CPU the engine was compiled for: the Makefile's `NATIVE` passes `-target-cpu` and a
/// matching `FEATURESCATTER_TARGET_…` condition; a build without them targets baseline x86-64.
public enum BuildTarget {
    /// `skylake-avx512` (AVX-512), `haswell` (AVX2/FMA) or `x86-64` (SSE2).
    public static var cpu: String {
        #if FEATURESCATTER_TARGET_skylake_avx512
        return "skylake-avx512"
        #elseif FEATURESCATTER_TARGET_haswell
        return "haswell"
        #else
        return "x86-64"
        #endif
    }
}
