//! The ECA Admin model: what an IdP configuration is and when it is valid, with no I/O.
//!
//! - [`idp`]: the IdP types (exported to TypeScript for the UI's IPC bindings).
//! - [`validation`]: field rules; a config is stored or sent only after it passes them.
//! - [`wire`]: the IdP as it travels to and from the backend (docs/sync-api.yaml).
//! - [`diff`]: what differs between two versions of an IdP, for the audit and the sync plan.
//! - [`phone`]: phone numbers in E.164 form, as channel binding compares them.
//! - [`preset`]: the IdP presets ("Start from") and their quirks, as data (`presets.json`).
//! - [`problem`]: the one user-facing error shape that crosses to the UI and the CLI's JSON.
//! - [`secret`]: the redacting type every secret value travels in.
//! - [`secret_binding`]: where a client secret was entered, and when it must be set aside.
//! - [`signing_alg`]: the JOSE algorithms an IdP's ID tokens may be signed with.
//! - [`clock`]: time, passed in so tests can control it.
//! - [`credential_expiry`]: when a client credential expires, and how near that is.
//! - [`usage`]: which chat flows and Chat Desk extensions use an IdP (the impact of disabling
//!   or deleting it).
//!
//! Invariant: no HTTP, SQLite, keyring or Tauri here (the crate's dependencies say so); every
//! layer above builds on these types.

pub mod clock;
pub mod credential_expiry;
pub mod diff;
pub mod idp;
pub mod phone;
pub mod preset;
pub mod problem;
pub mod secret;
pub mod secret_binding;
pub mod signing_alg;
pub mod usage;
pub mod validation;
pub mod wire;
