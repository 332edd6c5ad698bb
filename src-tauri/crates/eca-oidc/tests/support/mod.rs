//! Shared support for the relying-party engine's integration tests (and the CLI's login
//! tests). Include it from a test file with `#[path = "support/mod.rs"] mod support;` (or
//! `mod support;`).
//!
//! - [`login`]: test logins through the real engine with the scripted system browser.
//! - [`hostile`]: an in-process OpenID provider on loopback that can be told to get exactly one
//!   thing wrong, to prove the login flow rejects what a certified relying party must reject.

// Each test binary compiles this whole tree but uses only part of it.
#![allow(dead_code)]

pub mod hostile;
pub mod login;
