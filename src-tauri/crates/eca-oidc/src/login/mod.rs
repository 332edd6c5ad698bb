//! "Test Configuration": a real authorization-code login with PKCE against an IdP, verified like
//! a certified relying party, reported step by step.
//!
//! - [`run`]: one whole test login, the entry point of the app and the CLI.
//! - [`flow`]: the login as a state machine, [`flow::prepare`] then [`flow::complete`].
//! - [`browser`]: the system browser (`$BROWSER` first), the platform seam.
//! - [`callback`]: parsing the redirect, untrusted input from the OS or a browser.
//! - [`pending`]: logins waiting for a deep-link callback, matched by `state`, consumed once.
//! - [`loopback`]: the 127.0.0.1 redirect listener (RFC 8252 §7.3).
//! - [`jwks`], [`token`], [`id_token`]: the signing keys, the code exchange and the ID token
//!   checks; [`client_auth`]: how the client authenticates at the token endpoint (and any
//!   other back-channel endpoint); [`client_key`]: the client's own signing key for
//!   private_key_jwt; [`signing`]: the algorithms an ID token may be signed with, and when the
//!   client secret is their key; [`verifying_key`]: the JWKS keys as the engine reads and
//!   verifies with them (RSA signatures checked by ring).
//! - [`par`]: pushing the authorization request first (RFC 9126), when the IdP advertises it.
//! - [`provider_cache`]: the platform's cache of discovery and signing keys (Test
//!   Configuration fetches them fresh).
//! - [`claims`]: reading the verified identity: one claim, mapped claims, the channel binding.
//! - [`readiness`]: the checks that need no login.
//! - [`report`], [`steps`], [`error_code`]: what the admin sees.

pub mod browser;
pub mod callback;
pub mod claims;
pub mod client_auth;
pub mod client_key;
pub mod error_code;
pub mod flow;
pub mod id_token;
pub mod jwks;
pub mod loopback;
pub mod par;
pub mod pending;
pub mod provider_cache;
pub mod readiness;
pub mod report;
pub mod run;
pub mod signing;
pub mod steps;
pub mod token;
pub mod verifying_key;
