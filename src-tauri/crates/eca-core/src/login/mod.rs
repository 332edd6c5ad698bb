//! "Test Configuration": a real authorization-code login with PKCE against an IdP, verified like
//! a certified relying party, reported step by step.
//!
//! - [`flow`]: the login as a state machine, [`flow::prepare`] then [`flow::complete`].
//! - [`callback`]: parsing the redirect, untrusted input from the OS or a browser.
//! - [`pending`]: logins waiting for their callback, matched by `state`, consumed once.
//! - [`loopback`]: the 127.0.0.1 redirect listener (RFC 8252 §7.3).
//! - [`token`], [`id_token`]: the code exchange and the ID token checks.
//! - [`readiness`]: the checks that need no login.
//! - [`report`], [`steps`]: what the admin sees.

pub mod callback;
pub mod flow;
pub mod id_token;
pub mod loopback;
pub mod pending;
pub mod readiness;
pub mod report;
pub mod steps;
pub mod token;
