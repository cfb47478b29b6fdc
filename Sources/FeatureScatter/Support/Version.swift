// Version.swift — the library version, one place.

/// The FeatureScatter version (semantic versioning).
public enum FeatureScatterVersion {
    public static let major = 0
    public static let minor = 3
    public static let patch = 0
    /// "major.minor.patch".
    public static var string: String { "\(major).\(minor).\(patch)" }
}
