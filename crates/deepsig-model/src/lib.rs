//! The Deep Signature model on burn: soft clustering of atoms, cluster-centroid paths, their
//! log-signatures on sub-windows, and a sequence head (SPEC section 9).
//!
//! - [`backend`]: the framework's backends and devices, named in one place.
//! - [`sig_layer`]: the differentiable (log-)signature layer, a custom autodiff op over
//!   `deepsig-signature`'s exact forward and memory-efficient backward.
#![deny(missing_docs)]

pub mod backend;
pub mod sig_layer;

pub use backend::{Device, DeviceError, device_from_str, train_device};
pub use sig_layer::{SigLayer, SigLayerError};
