//! `eca-backend`: the reference ECA Sync backend on loopback, for developing and testing the
//! app's sync client. See `docs/sync-api.yaml` for the contract.

use clap::Parser;
use eca_backend::config::{DEV_KEY_FILE, DEV_WORKSPACE};
use eca_backend::crypto::MasterKey;
use eca_backend::faults::FaultSettings;
use eca_backend::workspace::ApiKeyGrant;
use eca_backend::{BackendConfig, Storage};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// The reference backend of the ECA Sync API (docs/sync-api.yaml).
///
/// On first start it creates the workspace "dev" and an API key for it (kept in the data
/// folder, printed on every start). Client secrets are encrypted with a key from
/// ECA_BACKEND_SECRET_KEY (64 hex digits) or from DATA_DIR/secret.key (created, mode 0600).
#[derive(Parser, Debug)]
#[command(name = "eca-backend", version)]
struct Args {
    /// Where to listen. Loopback only, unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The data folder: SQLite file, secret key file, dev API key file.
    #[arg(
        long,
        env = "ECA_BACKEND_DATA_DIR",
        required_unless_present = "in_memory"
    )]
    data_dir: Option<PathBuf>,
    /// Keep nothing: an in-memory database and a random secret key.
    #[arg(long, conflicts_with = "data_dir")]
    in_memory: bool,
    /// Accept this API key for this workspace (created if missing): WORKSPACE:KEY. Repeatable;
    /// ECA_BACKEND_API_KEYS takes a comma-separated list.
    #[arg(
        long = "api-key",
        env = "ECA_BACKEND_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<ApiKeyGrant>,
    /// Do not create the "dev" workspace and its key.
    #[arg(long)]
    no_dev_workspace: bool,
    /// Allow --listen on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Let customer sign-in and webhooks reach IdPs and receivers at private, loopback and
    /// link-local addresses (a test setup with IdPs on this machine). Without it they reach
    /// public addresses only, so that no IdP configuration can point the platform at its own
    /// network.
    #[arg(long)]
    allow_private_addresses: bool,
    /// Serve GET/POST /_faults to change the faults while running (tests; with an API key).
    #[arg(long)]
    fault_admin: bool,
    /// Answer the customer's routes (/l/…, the callback) with Server-Timing: the backend's
    /// own time and the time it waited on the IdP (the platform benchmark reads it).
    #[arg(long)]
    server_timing: bool,
    /// Added latency per API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Share (0..1) of writes whose connection is dropped after the commit.
    #[arg(long, default_value_t = 0.0)]
    fault_drop_after_commit: f64,
    /// Share (0..1) of API requests answered 500.
    #[arg(long, default_value_t = 0.0)]
    fault_500: f64,
    /// Share (0..1) of API requests answered 503 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_503: f64,
    /// Share (0..1) of API requests answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_429: f64,
    /// The Retry-After of injected 429/503 answers, in seconds.
    #[arg(long, default_value_t = 1)]
    fault_retry_after: u32,
    /// The seed of the fault RNG (same seed, same requests: same faults).
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// How customers' browsers and IdPs reach this backend (links and the redirect URI
    /// `<url>/v1/oauth/callback`), e.g. behind a tunnel. Default: http://<listen address>.
    #[arg(long, env = "ECA_BACKEND_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long a customer's link works, in seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(30..=86_400))]
    link_ttl_secs: u32,
    /// Store these usages of IdPs by chat flows and Chat Desk extensions on start (JSON:
    /// {"usages": [{"workspace", "idp_id", "kind", "id", "name", "node"}]}; see README). Applied
    /// again at every start: a usage with the same workspace, kind and id is replaced.
    #[arg(long, value_name = "FILE")]
    seed_usages: Option<PathBuf>,
}

/// The most threads the database's work runs on at once. Writes take turns on one connection,
/// so more threads would only queue on its lock, each with its stack and malloc arena (tokio's
/// default allows 512, and 500 customers at once made it start many).
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    let done = match runtime {
        Ok(runtime) => runtime.block_on(run(Args::parse())),
        Err(e) => Err(format!("cannot start the async runtime: {e}")),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eca-backend: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let storage = match (&args.data_dir, args.in_memory) {
        (Some(dir), false) => Storage::Dir(dir.clone()),
        _ => Storage::InMemory,
    };
    let mut config = BackendConfig::new(storage.clone());
    config.listen = args.listen;
    config.allow_remote = args.allow_remote;
    if args.allow_private_addresses {
        config.reach = eca_oidc::reach::Reach::Anywhere;
    }
    config.api_keys = args.api_keys;
    config.dev_workspace = !args.no_dev_workspace;
    config.fault_admin = args.fault_admin;
    config.server_timing = args.server_timing;
    config.faults = FaultSettings {
        latency_ms: args.fault_latency_ms,
        drop_after_commit_rate: args.fault_drop_after_commit,
        error_500_rate: args.fault_500,
        error_503_rate: args.fault_503,
        error_429_rate: args.fault_429,
        retry_after_secs: args.fault_retry_after,
        seed: args.fault_seed,
    };
    config.public_url = args.public_url.map(|u| public_url(&u)).transpose()?;
    config.link_ttl = time::Duration::seconds(i64::from(args.link_ttl_secs));
    if let Some(file) = &args.seed_usages {
        config.usages = eca_backend::seed::read_usages(file).map_err(|e| e.to_string())?;
    }
    if let Ok(hex_key) = std::env::var("ECA_BACKEND_SECRET_KEY") {
        config.master_key = Some(MasterKey::from_hex(&hex_key).map_err(|e| e.to_string())?);
    }

    let backend = eca_backend::start(config)
        .await
        .map_err(|e| e.to_string())?;
    // The banner is best-effort: a closed stdout (`make backend | head -1`) must not stop
    // the server.
    if let Err(e) = print_banner(&backend, &storage, args.fault_admin) {
        tracing::warn!(error = %e, "cannot print the startup banner");
    }

    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    backend.stop().await;
    Ok(())
}

/// `--public-url`: an http(s) origin, maybe with a path prefix, without a query or fragment.
fn public_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("--public-url {text:?}: {e}"))?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if !plain {
        return Err(format!(
            "--public-url {text:?} must be an http(s) URL without user, query or fragment"
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn print_banner(
    backend: &eca_backend::RunningBackend,
    storage: &Storage,
    fault_admin: bool,
) -> std::io::Result<()> {
    let url = backend.url();
    let mut out = std::io::stdout().lock();
    // The dev key is shown when it is created; later starts name its file.
    match (backend.dev_grant(), storage) {
        (Some(grant), _) if backend.dev_key_created() => writeln!(
            out,
            "ECA backend listening on {url}  workspace={DEV_WORKSPACE}  api_key={}",
            grant.key.expose()
        )?,
        (Some(_), Storage::Dir(dir)) => writeln!(
            out,
            "ECA backend listening on {url}  workspace={DEV_WORKSPACE}  api_key_file={}",
            dir.join(DEV_KEY_FILE).display()
        )?,
        _ => writeln!(out, "ECA backend listening on {url}")?,
    }
    match storage {
        Storage::Dir(dir) => writeln!(out, "  data: {}", dir.display())?,
        Storage::InMemory => writeln!(out, "  data: in memory (lost on exit)")?,
    }
    if fault_admin {
        writeln!(
            out,
            "  fault switches: GET/POST {url}/_faults (with an API key; POST as JSON)"
        )?;
    }
    writeln!(
        out,
        "  customer sign-in: register {} at the IdP (docs/auth-api.yaml)",
        backend.platform_redirect_uri()
    )?;
    writeln!(
        out,
        "  contracts: docs/sync-api.yaml, docs/auth-api.yaml; stop with Ctrl-C"
    )?;
    out.flush()
}
