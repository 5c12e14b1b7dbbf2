//! Why a training configuration cannot be used (presets, `--set` overrides, ranges).

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No method of this name.
    #[error("unknown method {name:?}; expected one of {expected}")]
    UnknownMethod {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        expected: String,
    },
    /// No preset of this name.
    #[error("unknown preset {name:?}; expected paper, reference or small")]
    UnknownPreset {
        /// The name given.
        name: String,
    },
    /// An override without `=`.
    #[error("--set {item:?} is not of the form key=value")]
    NotKeyValue {
        /// The override.
        item: String,
    },
    /// An override of a setting that does not exist.
    #[error("--set {key}: no such setting (see `deepsig train --help`)")]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// An override whose value does not fit the setting's type.
    #[error("--set {item}: {reason}")]
    BadValue {
        /// The override.
        item: String,
        /// Why (the deserialiser's message).
        reason: String,
    },
    /// Fractions overridden together with k folds.
    #[error(
        "--set {keys} cannot be used with folds={folds}: with k folds one fold tests and the \
         next validates; drop the fraction or set folds=0"
    )]
    FractionsWithFolds {
        /// The fraction keys set, comma-separated.
        keys: String,
        /// The folds.
        folds: usize,
    },
    /// One or two folds.
    #[error(
        "folds={folds}: k-fold needs at least 3 folds (a test fold, a validation fold and \
         training folds); use folds=0 for the fraction split"
    )]
    TooFewFolds {
        /// The folds.
        folds: usize,
    },
    /// A learned path for a method without learned clusters.
    #[error(
        "path=learned reads the GNN's cluster features, but method {method} has fixed \
         clusters; use path=centroid or path=sum"
    )]
    LearnedPathWithFixedClusters {
        /// The method.
        method: String,
    },
    /// A numeric setting outside its range.
    #[error("{setting}={value}: it must be {rule}")]
    OutOfRange {
        /// The setting.
        setting: &'static str,
        /// Its value, as given.
        value: String,
        /// The range it must be in.
        rule: &'static str,
    },
    /// Settings that break a rule between them (the message says which).
    #[error("{0}")]
    Rule(&'static str),
}
