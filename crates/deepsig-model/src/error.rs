//! Errors of data preparation, training and inference, each naming the file involved.

use std::path::{Path, PathBuf};

use deepsig_md::{GraphError, ManifestError, PrepError, ReadError, SelectError, WindowError};

/// Why preparing the data failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A topology or trajectory could not be read.
    #[error(transparent)]
    Read(Box<ReadError>),
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(Box<ManifestError>),
    /// The selection is invalid or empty.
    #[error(transparent)]
    Select(Box<SelectError>),
    /// The bond graph could not be built.
    #[error("{path}: cannot build the bond graph: {source}")]
    Graph {
        /// The topology.
        path: PathBuf,
        /// The cause.
        source: GraphError,
    },
    /// A frame could not be made whole or aligned.
    #[error("{path}{}: cannot prepare the frame: {source}", frame.map(|f| format!(", frame {f}")).unwrap_or_default())]
    Prep {
        /// The trajectory.
        path: PathBuf,
        /// The frame, when known.
        frame: Option<usize>,
        /// The cause.
        source: Box<PrepError>,
    },
    /// The trajectory is too short for the windowing.
    #[error("{path}: {source}")]
    Window {
        /// The trajectory.
        path: PathBuf,
        /// The cause.
        source: WindowError,
    },
    /// A topology without coordinates was asked to stand in for a trajectory.
    #[error("{path}: the topology has no coordinates (PSF); name a trajectory")]
    NoCoordinates {
        /// The topology.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

// Boxed: the md crate's errors carry paths and context, and a large error makes every
// `Result` in the pipeline large.
impl From<ReadError> for DataError {
    fn from(e: ReadError) -> DataError {
        DataError::Read(Box::new(e))
    }
}

impl From<ManifestError> for DataError {
    fn from(e: ManifestError) -> DataError {
        DataError::Manifest(Box::new(e))
    }
}

impl From<SelectError> for DataError {
    fn from(e: SelectError) -> DataError {
        DataError::Select(Box::new(e))
    }
}

impl DataError {
    pub(crate) fn graph(path: &Path, source: GraphError) -> DataError {
        DataError::Graph { path: path.to_path_buf(), source }
    }

    pub(crate) fn prep(path: &Path, frame: Option<usize>, source: PrepError) -> DataError {
        DataError::Prep { path: path.to_path_buf(), frame, source: Box::new(source) }
    }

    pub(crate) fn window(path: &Path, source: WindowError) -> DataError {
        DataError::Window { path: path.to_path_buf(), source }
    }

    pub(crate) fn io(path: &Path, what: &'static str, source: std::io::Error) -> DataError {
        DataError::Io { what, path: path.to_path_buf(), source }
    }
}

/// Why training, evaluation or prediction failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The data could not be prepared.
    #[error(transparent)]
    Prepare(Box<DataError>),
    /// The data does not fit the task (labels, window lengths, split).
    #[error("{0}")]
    Data(String),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The device name is unknown or not compiled in.
    #[error(transparent)]
    Device(#[from] crate::backend::DeviceError),
    /// A run folder problem (exists, missing files, unreadable records).
    #[error("{path}: {message}")]
    Run {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> TrainError {
        TrainError::Prepare(Box::new(e))
    }
}

impl TrainError {
    pub(crate) fn run(path: &Path, message: impl std::fmt::Display) -> TrainError {
        TrainError::Run { path: path.to_path_buf(), message: message.to_string() }
    }
}
