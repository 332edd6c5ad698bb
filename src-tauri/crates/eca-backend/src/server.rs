//! Starting a backend: storage, keys, binding, and the accept loop.
//!
//! Invariants:
//! - It binds only to loopback unless `allow_remote` is set.
//! - Each connection is served by its own task, which a handler can order to drop the
//!   connection with no response at all ([`ConnectionKill`], used by the drop-after-commit
//!   fault). axum's own `serve` cannot do that, hence this small loop over hyper.
//! - Stopping (or dropping) a [`RunningBackend`] closes the listener and every open connection.

use crate::api::{self, AccessList, AppState};
use crate::config::{BackendConfig, Storage, DATABASE_FILE, DEV_KEY_FILE, DEV_WORKSPACE, KEY_FILE};
use crate::crypto::{write_private_file, CryptoError, MasterKey, SecretSealer};
use crate::faults::{FaultError, Faults};
use crate::idempotency::InFlight;
use crate::signin::SignIn;
use crate::store::{self, api_keys, workspaces, Database, StoreError};
use crate::workspace::{ApiKey, ApiKeyGrant};
use axum::body::Body;
use axum::Router;
use eca_model::clock::rfc3339;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tower::ServiceExt;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "{0} is not a loopback address. The reference backend listens on 127.0.0.1 or [::1]; \
         pass --allow-remote to listen elsewhere on purpose."
    )]
    NotLoopback(SocketAddr),
    #[error("Cannot listen on {addr}: {detail} (is another backend running there?)")]
    Bind { addr: SocketAddr, detail: String },
    #[error("Cannot use the data folder {path}: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Seed(#[from] crate::seed::SeedError),
    #[error("Invalid fault settings: {0}")]
    Faults(#[from] FaultError),
}

/// Lets a handler drop its connection without answering (for the drop-after-commit fault).
#[derive(Clone, Default)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Drops the connection. The calling handler is cancelled with it, so this never returns
    /// when the connection is served by [`start`].
    pub async fn drop_connection(&self) {
        self.0.notify_one();
        std::future::pending::<()>().await;
    }
}

/// A running backend. Dropping it stops it.
pub struct RunningBackend {
    addr: SocketAddr,
    signin: Arc<SignIn>,
    faults: Arc<Faults>,
    dev_grant: Option<ApiKeyGrant>,
    /// Whether this start created the dev key (it is shown once, then only its file is named).
    dev_key_created: bool,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningBackend {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The redirect URI customer sign-in uses, to register at IdPs.
    pub fn platform_redirect_uri(&self) -> String {
        self.signin.redirect_uri()
    }

    /// The live fault switches, to change while running (in-process tests).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The `dev` workspace's key, when `dev_workspace` was set.
    pub fn dev_grant(&self) -> Option<&ApiKeyGrant> {
        self.dev_grant.as_ref()
    }

    /// Whether this start created the `dev` key (in memory, always).
    pub fn dev_key_created(&self) -> bool {
        self.dev_key_created
    }

    /// Stops accepting, closes every connection, waits for the loop to end and for the
    /// sign-in's last writes to be committed.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.signin.settled().await;
    }
}

impl Drop for RunningBackend {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Opens the storage, provisions the keys, binds and starts serving.
pub async fn start(config: BackendConfig) -> Result<RunningBackend, StartError> {
    if !config.allow_remote && !config.listen.ip().is_loopback() {
        return Err(StartError::NotLoopback(config.listen));
    }
    let faults = Arc::new(Faults::new(config.faults.clone())?);
    let (db, master_key) = open_storage(&config)?;
    let (dev_grant, dev_key_created) = match (&config.storage, config.dev_workspace) {
        (_, false) => (None, false),
        (Storage::InMemory, true) => (Some(new_dev_grant()), true),
        (Storage::Dir(dir), true) => {
            let (grant, created) = dev_grant_in(dir)?;
            (Some(grant), created)
        }
    };
    let grants: Vec<ApiKeyGrant> = config.api_keys.iter().chain(&dev_grant).cloned().collect();
    let access = provision(&db, &grants, &rfc3339(config.clock.now()))?;
    crate::seed::apply(&db, &config.usages)?;

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Bind {
            addr: config.listen,
            detail: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| StartError::Bind {
        addr: config.listen,
        detail: e.to_string(),
    })?;

    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let sealer = Arc::new(SecretSealer::new(&master_key));
    let signin = Arc::new(SignIn::new(
        &public_url,
        config.link_ttl,
        config.reach,
        Arc::clone(&config.clock),
        Arc::clone(&sealer),
        &db,
    ));
    let state = AppState {
        db,
        sealer,
        faults: Arc::clone(&faults),
        in_flight: Arc::new(InFlight::default()),
        access: Arc::new(access),
        clock: Arc::clone(&config.clock),
        signin: Arc::clone(&signin),
    };
    let state_db = state.db.clone();
    let extras = api::Extras {
        fault_admin: config.fault_admin,
        server_timing: config.server_timing,
    };
    let router = api::router(state, extras);
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(erase_customer_data(
        state_db,
        Arc::clone(&signin),
        config.erase_every,
        stopped.clone(),
    ));
    let limits = ConnectionLimits {
        open: Arc::new(Semaphore::new(config.max_connections.max(1))),
        header_read_timeout: config.header_read_timeout,
    };
    let task = tokio::spawn(accept_loop(listener, router, limits, stopped));
    Ok(RunningBackend {
        addr,
        signin,
        faults,
        dev_grant,
        dev_key_created,
        stop,
        task: Some(task),
    })
}

/// The database and the master key, from the data folder or in memory.
fn open_storage(config: &BackendConfig) -> Result<(Database, MasterKey), StartError> {
    match &config.storage {
        Storage::InMemory => Ok((
            Database::new(store::open_in_memory()?),
            config
                .master_key
                .clone()
                .unwrap_or_else(MasterKey::generate),
        )),
        Storage::Dir(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir {
                path: dir.clone(),
                detail: e.to_string(),
            })?;
            let key = match &config.master_key {
                Some(key) => key.clone(),
                None => MasterKey::load_or_create(&dir.join(KEY_FILE))?,
            };
            let path = dir.join(DATABASE_FILE);
            Ok((Database::with_readers(store::open(&path)?, &path)?, key))
        }
    }
}

/// Grants exactly these keys (each creating its workspace if missing, every other key revoked),
/// and returns who may open what.
fn provision(db: &Database, grants: &[ApiKeyGrant], now: &str) -> Result<AccessList, StartError> {
    let (workspaces, keys) = db.run_now(|conn| {
        let tx = conn.transaction()?;
        for grant in grants {
            workspaces::ensure(&tx, &grant.workspace, now)?;
            api_keys::grant(&tx, &grant.key.hash(), &grant.workspace, now)?;
        }
        let granted: Vec<String> = grants.iter().map(|g| g.key.hash()).collect();
        api_keys::keep_only(&tx, &granted)?;
        tx.commit()?;
        Ok((workspaces::all(conn)?, api_keys::all(conn)?))
    })?;
    Ok(AccessList::new(workspaces, keys))
}

fn new_dev_grant() -> ApiKeyGrant {
    ApiKeyGrant {
        workspace: DEV_WORKSPACE.parse().expect("a valid workspace id"),
        key: ApiKey::generate(),
    }
}

/// The dev key kept in the data dir (mode 0600), created on first start; and whether it was
/// created now.
fn dev_grant_in(dir: &Path) -> Result<(ApiKeyGrant, bool), StartError> {
    let path = dir.join(DEV_KEY_FILE);
    let data_dir_error = |e: std::io::Error| StartError::DataDir {
        path: path.clone(),
        detail: e.to_string(),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = text.trim().parse().map_err(|e| StartError::DataDir {
                path: path.clone(),
                detail: format!("{e} Delete the file to get a new key."),
            })?;
            let grant = ApiKeyGrant {
                workspace: DEV_WORKSPACE.parse().expect("a valid workspace id"),
                key,
            };
            Ok((grant, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let grant = new_dev_grant();
            write_private_file(&path, &format!("{}\n", grant.key.expose()))
                .map_err(data_dir_error)?;
            Ok((grant, true))
        }
        Err(e) => Err(data_dir_error(e)),
    }
}

/// Erases the customer data whose retention ended, every `every`, until stopped.
async fn erase_customer_data(
    db: Database,
    signin: Arc<SignIn>,
    every: std::time::Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = signin.erase_due(&db).await {
                    tracing::warn!(error = %e, "erasing expired customer data failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// What one client may hold: a connection among at most so many, headers sent in time.
#[derive(Clone)]
struct ConnectionLimits {
    open: Arc<Semaphore>,
    header_read_timeout: std::time::Duration,
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match Arc::clone(&limits.open).try_acquire_owned() {
                    Ok(slot) => {
                        let served = serve_connection(stream, router.clone(), limits.header_read_timeout, stopped.clone());
                        tokio::spawn(async move {
                            served.await;
                            drop(slot);
                        });
                    }
                    // Full: closed at once (dropped), so idle sockets cannot pile up.
                    Err(_) => tracing::warn!("connection refused: too many open"),
                },
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = stopped.changed() => return,
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    header_read_timeout: std::time::Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let kill = ConnectionKill::default();
    let handle = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(handle.clone());
        router.clone().oneshot(request.map(Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        // Dropping the connection future closes the socket without a response.
        _ = kill.0.notified() => tracing::info!("connection dropped by the drop-after-commit fault"),
        _ = stopped.changed() => {}
    }
}
