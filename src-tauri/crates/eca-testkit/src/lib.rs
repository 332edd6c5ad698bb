//! Test support shared by the tests and benchmarks of every crate in the workspace. A
//! dev-dependency only: no product crate depends on it (`tests/layers.rs` checks that).
//!
//! - [`fixtures`]: valid IdP configurations to start from.
//! - [`backend`]: the reference backend started in-process over a temporary folder.
//! - [`keyring`]: the guard of tests that need a real Secret Service.
//! - [`leaks`]: looking for a secret where it must never be (files, database cells).
//!
//! The reference backend's own tests cannot use this crate (it depends on the backend, and a
//! dev-dependency back would be a cycle); they start the backend through the same
//! `eca_backend::start`.

pub mod backend;
pub mod fixtures;
pub mod keyring;
pub mod leaks;
