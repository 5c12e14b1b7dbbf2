//! Signature engine.
#![deny(missing_docs)]
