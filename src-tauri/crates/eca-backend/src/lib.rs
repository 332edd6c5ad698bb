//! The reference backend, the messaging platform's stand-in: it implements the ECA Sync API
//! (`docs/sync-api.yaml`) and customer sign-in (`docs/auth-api.yaml`) exactly, so the app's
//! sync client and "Test on the platform" can be built and tested against a real server on
//! loopback.
//!
//! - [`config`] and [`server`]: what a backend is started with, binding, the accept loop.
//! - [`api`]: the HTTP routes, authentication and request parsing (thin).
//! - [`writes`]: one write = one SQLite transaction: idempotency lookup, precondition, apply,
//!   record. Everything that makes a retried write safe lives there.
//! - [`resource`]: the IdP as it travels over the wire, and field validation of a `PUT` body.
//! - [`store`]: the SQLite file, its migrations and one repository module per table.
//! - [`platform_keys`]: the platform's own signing key per IdP (private_key_jwt), sealed.
//! - [`signin`]: customer sign-in (`docs/auth-api.yaml`) with the relying-party engine.
//! - [`seed`]: the usages (`--seed-usages`) a backend is started with: it has no flows of its own.
//! - [`crypto`], [`idempotency`], [`faults`], [`problem`], [`workspace`]: one job each.
//! - `harness` (feature `harness`, for the tests of its clients): the backend in-process.
//!
//! Invariants: a client secret, and the platform's own private keys, are stored only
//! encrypted and are never in a response; every
//! error a client sees is an RFC 9457 problem whose `type` the contract declares.

pub mod api;
pub mod config;
pub mod crypto;
pub mod faults;
#[cfg(feature = "harness")]
pub mod harness;
pub mod idempotency;
pub mod platform_keys;
pub mod problem;
pub mod resource;
pub mod response;
pub mod seed;
pub mod server;
pub mod signin;
pub mod store;
pub mod workspace;
pub mod writes;

pub use config::{BackendConfig, Storage};
pub use server::{start, RunningBackend, StartError};
