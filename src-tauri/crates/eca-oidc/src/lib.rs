//! The relying-party engine: everything needed to log a user in at an OpenID Connect or
//! OAuth 2.0 provider and trust who they are, verified like a certified relying party.
//! The desktop's Test Configuration and the platform (the reference backend) both use it, so a
//! login is checked the same way wherever it happens.
//!
//! - [`issuer`]: which issuer discovery and ID tokens must name (exact, or a preset's
//!   multi-tenant template).
//! - [`http`]: the hardened HTTP client (no redirects, size and time limits, loopback rules),
//!   and [`reach`]: which addresses it may connect to (the platform: public ones only).
//! - [`discovery`]: OpenID discovery, fetched and checked.
//! - [`login`]: PKCE/state/nonce, the callback, the code exchange, the ID token, userinfo, the
//!   readiness checks, and the test login built from them.
//! - [`panicked`]: a panic in a login or a sync step caught, to be reported as a failure.
//!
//! Invariant: no SQLite, keyring or Tauri here; secrets arrive as [`eca_model::secret::Secret`]
//! and are never stored.

pub mod discovery;
pub mod http;
pub mod issuer;
pub mod login;
pub mod panicked;
pub mod reach;
