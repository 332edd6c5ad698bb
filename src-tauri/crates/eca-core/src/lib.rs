//! ECA Admin core: everything the desktop app and the `eca` CLI share, with no Tauri in it.
//!
//! - [`model`]: the IdP types (exported to TypeScript for the UI's IPC bindings).
//! - [`validation`]: field rules; a config is stored only after it passes them.
//! - [`http`] and [`discovery`]: the hardened HTTP client and OpenID discovery auto-fill.
//! - [`store`]: the SQLite file, its migrations and one repository module per table.
//! - [`secrets`]: client secrets in the OS keyring, behind a redacting type.
//! - [`login`]: "Test Configuration", a real PKCE login verified step by step.
//! - [`catalog`]: the operations the app and the CLI call (save, list, delete, import…).
//! - [`sync`]: pushing local edits to the messaging backend (outbox, three-way plan, conflicts).
//! - [`problem`]: the one user-facing error shape that crosses to the UI and the CLI's JSON.

pub mod catalog;
pub mod clock;
pub mod data_dir;
pub mod discovery;
pub mod http;
pub mod login;
pub mod model;
pub mod problem;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod transfer;
pub mod validation;
