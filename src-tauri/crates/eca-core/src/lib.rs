//! ECA Admin core: what the desktop app and the `eca` CLI keep on this machine, with no Tauri.
//! The model is [`eca_model`]'s and the login engine [`eca_oidc`]'s; this crate stores and
//! syncs.
//!
//! - [`store`]: the SQLite file, its migrations and one repository module per table.
//! - [`secrets`]: client secrets and the API key in the OS keyring.
//! - [`client_keys`]: an IdP's private_key_jwt signing key in the OS keyring, and its public
//!   JWK, JWKS and certificate.
//! - [`catalog`]: the operations the app and the CLI call (save, list, delete, test runs…).
//! - [`transfer`]: export and import of IdPs as JSON.
//! - [`sync`]: pushing local edits to the messaging backend (outbox, three-way plan, conflicts).
//! - [`platform_test`]: "Test on the platform", a test login through the backend's own
//!   redirect URI with the pushed configuration.
//! - [`data_dir`]: where the database lives.
//! - [`update_settings`]: where the app looks for updates (the update manifest's URL).

pub mod catalog;
pub mod client_keys;
pub mod data_dir;
pub mod platform_test;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod transfer;
pub mod update_settings;
