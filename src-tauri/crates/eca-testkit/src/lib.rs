//! Test support shared by the tests of every crate in the workspace. A dev-dependency only:
//! no product crate depends on it (`tests/layers.rs` checks that).
