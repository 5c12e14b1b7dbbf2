//! Integration tests of deepsig-signature, one binary.
//!
//! - `naive`: the slow twin (explicit tensor exponentials and products) and a seeded RNG.
//! - `reference`: every option against the slow twin, f32 and f64, depths 1 to 6.
//! - `identities`: algebraic identities and invariances of the signature.
//! - `gradients`: the backward against central finite differences.
//! - `errors`: bad input gives the right error.

mod errors;
mod gradients;
mod identities;
mod naive;
mod reference;
