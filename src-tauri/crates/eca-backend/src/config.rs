//! What a backend is started with: where it listens, where it keeps its data, which keys open
//! which workspaces, and which faults it injects. The CLI builds one from flags; tests build
//! one directly.
//!
//! Invariant: the defaults are safe for a developer machine and for a platform: loopback only,
//! no faults, no fault admin endpoint, and outbound calls (IdPs, webhooks) to public addresses
//! only.

use crate::crypto::MasterKey;
use crate::faults::FaultSettings;
use crate::workspace::ApiKeyGrant;
use eca_model::clock::{Clock, SystemClock};
use eca_oidc::reach::Reach;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// The workspace created on first start, whose key is printed on every start.
pub const DEV_WORKSPACE: &str = "dev";
/// Files in the data dir.
pub const DATABASE_FILE: &str = "backend.sqlite3";
pub const KEY_FILE: &str = "secret.key";
pub const DEV_KEY_FILE: &str = "dev-api-key";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Nothing survives the process (the master key is random too).
    InMemory,
    /// A folder with the SQLite file, the master key file and the dev API key file.
    Dir(PathBuf),
}

#[derive(Clone)]
pub struct BackendConfig {
    /// Port 0 picks a free port (see [`crate::RunningBackend::addr`]).
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen` address.
    pub allow_remote: bool,
    pub storage: Storage,
    /// Overrides the key file (e.g. from `ECA_BACKEND_SECRET_KEY`).
    pub master_key: Option<MasterKey>,
    /// Keys to accept, each opening one workspace (created when missing).
    pub api_keys: Vec<ApiKeyGrant>,
    /// Create the `dev` workspace and a key for it (kept in the data dir) on start.
    pub dev_workspace: bool,
    pub faults: FaultSettings,
    /// Serve `GET`/`POST /_faults` to change the faults while running.
    pub fault_admin: bool,
    /// Add `Server-Timing` (own work, time waiting on the IdP) to the customer's routes.
    pub server_timing: bool,
    pub clock: Arc<dyn Clock>,
    /// How customers' browsers and IdPs reach this backend (links, the redirect URI), without
    /// a trailing slash. `None`: `http://<listen address>`.
    pub public_url: Option<String>,
    /// How long a customer's link works.
    pub link_ttl: time::Duration,
    /// Usages of IdPs by flows and extensions to store on start ([`crate::seed`]).
    pub usages: Vec<crate::store::usages::UsageRow>,
    /// The most connections served at once; past it, a new one is closed at once.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers before it is closed.
    pub header_read_timeout: std::time::Duration,
    /// Which addresses sign-in (discovery, JWKS, token, userinfo, PAR) and webhooks may reach:
    /// public ones only, unless a test setup with IdPs on this machine allows any.
    pub reach: Reach,
    /// How often the customer data whose retention ended is looked for and erased.
    pub erase_every: std::time::Duration,
}

/// The default cap on connections served at once.
pub const MAX_CONNECTIONS: usize = 1_024;
/// The default time a client has to send a request's headers.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The default time between two sweeps for customer data whose retention ended.
pub const ERASE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

impl BackendConfig {
    /// Loopback on a free port, with safe defaults.
    pub fn new(storage: Storage) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_remote: false,
            storage,
            master_key: None,
            api_keys: Vec::new(),
            dev_workspace: false,
            faults: FaultSettings::default(),
            fault_admin: false,
            server_timing: false,
            clock: Arc::new(SystemClock),
            public_url: None,
            link_ttl: crate::signin::DEFAULT_LINK_TTL,
            usages: Vec::new(),
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            reach: Reach::PublicOnly,
            erase_every: ERASE_EVERY,
        }
    }
}
