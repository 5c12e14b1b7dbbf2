//! Integration tests of deepsig-md: one binary, one module per area.
mod analysis;
mod formats;
