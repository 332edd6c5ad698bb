//! The grammar of `eca` (clap derive): commands, flags and their help, nothing else.
//!
//! Invariant: the client secret has no flag that takes a value. It is read from stdin only
//! (`--client-secret-stdin`), so it never shows in shell history or the process list; a
//! hidden `--client-secret` exists only to refuse that mistake with a clear message.

use clap::{ArgAction, Args, Parser, Subcommand};
use eca_model::idp::{AuthParam, ClaimMapping, ClientAuthMethod, Protocol, TestRedirect};
use eca_model::signing_alg::SigningAlg;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "eca",
    version,
    about = "ECA Admin on the command line: the identity providers of the app's database"
)]
pub struct Cli {
    /// The data folder holding the database [env: ECA_DATA_DIR] [default: the app's folder]
    // Not clap's `env`: the core's `data_dir::resolve` reads ECA_DATA_DIR (an empty value
    // counts as unset), so the app and the CLI resolve the same folder by the same rule.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print data as JSON on stdout, and errors as JSON {code, message, fields} on stderr
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Identity providers (IdPs)
    #[command(subcommand)]
    Idp(IdpCommand),
    /// Where to sync: the messaging backend's URL, workspace and API key
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Push local changes to the backend, take its changes, resolve conflicts
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Sync environments ("sandbox", "production"): several backends, each with its own URL,
    /// workspace, API key and sync state; sync works on the current one
    #[command(subcommand)]
    Env(EnvCommand),
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The environments in promotion order (* marks the current one)
    List,
    /// Add an environment at the end of the promotion path (the first one becomes current)
    Add {
        /// 1 to 32 lowercase letters, digits or dashes, e.g. sandbox
        name: String,
        /// The backend's base URL, e.g. https://messaging.example
        #[arg(long, value_name = "URL")]
        url: String,
        /// The workspace id, e.g. acme-prod
        #[arg(long, value_name = "ID")]
        workspace: String,
        #[command(flatten)]
        api_key: ApiKeyArgs,
    },
    /// Rename an environment, or move it to another backend or workspace
    Edit {
        /// The environment's name
        name: String,
        /// Its new name
        #[arg(long, value_name = "NAME")]
        rename: Option<String>,
        /// The backend's base URL [default: the stored one]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The workspace id [default: the stored one]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        #[command(flatten)]
        api_key: ApiKeyArgs,
        /// Confirm moving it to another origin or workspace (a new API key is needed): that
        /// environment's sync starts afresh, every local IdP queued for it as new
        #[arg(long)]
        start_afresh: bool,
    },
    /// Remove an environment, its sync state and its API key (not the current one while others
    /// exist; nothing on any backend is deleted)
    Remove {
        /// The environment's name
        name: String,
    },
    /// Make an environment current: sync, plan, push and tests on the platform work on it; every
    /// environment keeps its own state
    Use {
        /// The environment's name
        name: String,
    },
}

/// How a command takes an API key: from stdin only (`eca backend set`, `eca env add|edit`).
#[derive(Debug, Args)]
pub struct ApiKeyArgs {
    /// Read the API key from stdin, to its end (one trailing newline is dropped); it is stored in
    /// the keyring for this backend and workspace only
    #[arg(long)]
    pub api_key_stdin: bool,
    /// Refused: a key given as a flag value would show in shell history and `ps`.
    #[arg(long = "api-key", hide = true, num_args = 0..=1, allow_hyphen_values = true)]
    pub api_key_value: Option<Option<String>>,
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Set the backend URL and workspace and, from stdin, its API key (stored in the keyring)
    Set {
        /// The backend's base URL, e.g. https://messaging.example [default: the stored one]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The workspace id, e.g. acme-prod [default: the stored one]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        #[command(flatten)]
        api_key: ApiKeyArgs,
        /// Confirm moving sync to another backend origin or workspace (a new API key is needed):
        /// what the old backend was sent is forgotten and every local IdP is pushed as new
        #[arg(long)]
        start_afresh: bool,
    },
    /// Show the backend settings (never the API key: only whether one is stored)
    Show,
}

/// `eca sync push --help`: what its exit status says (see `crate::error`).
const PUSH_EXIT_STATUS: &str = "\
Exit status:
  0  every change was pushed; nothing is left
  1  an error stopped the push (refused API key, storage, keyring): the changes are kept
  3  changes are left pending: the backend cannot be reached, stayed busy, or asked to wait
     (Retry-After, shown as \"retry after\"); push again later
  4  changes are left in conflict or failed, found by this push or an earlier one (takes
     precedence over 3): see `eca sync status` and `eca sync plan`, then
     `eca sync resolve IDP --keep-mine|--take-theirs`, or fix the IdP

Every push tries every pending change at once; only the backend's Retry-After defers one.";

/// `eca sync promote --help`: what its exit status says.
const PROMOTE_EXIT_STATUS: &str = "\
Exit status: as `eca sync push` (0, 1, 3, 4), for the push to the target environment; and 4
when any chosen IdP was refused (each refusal is printed with its reason: never tested, latest
test failed, not tested since it was last edited, secret set aside).";

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// The changes waiting to be pushed, with their state (pending, failed, conflict)
    Status,
    /// What a push would do, IdP by IdP, against the backend's copy fetched now
    Plan,
    /// Send every pending change now; exits 0 only when nothing is left
    #[command(after_help = PUSH_EXIT_STATUS)]
    Push,
    /// Take the backend's copy of the IdPs that changed only there (never a local change)
    Pull,
    /// Send an IdP's changes the backend refused again, under new keys, with the next push
    /// (after fixing what it refused)
    Retry {
        /// The IdP's name or id
        idp: String,
    },
    /// Promote IdPs from the current environment to the next (or --to): only those whose
    /// latest test on the platform of the current one passed with their current fields. The
    /// plan is printed first; then the target's outbox is pushed
    #[command(after_help = PROMOTE_EXIT_STATUS)]
    Promote {
        /// The environment to promote to [default: the next one after the current]
        #[arg(long, value_name = "ENV")]
        to: Option<String>,
        /// An IdP to promote, by name or id (repeat it) [default: every IdP]
        #[arg(long, value_name = "IDP")]
        idp: Vec<String>,
        /// Print the plan (each IdP's eligibility) and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Settle a conflict on one IdP: keep mine (and push it) or take theirs
    Resolve {
        /// The IdP's name or id
        idp: String,
        /// My copy replaces the backend's
        #[arg(
            long,
            conflicts_with = "take_theirs",
            required_unless_present = "take_theirs"
        )]
        keep_mine: bool,
        /// The backend's copy replaces mine
        #[arg(long)]
        take_theirs: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// List the IdPs
    List,
    /// Show one IdP
    Show {
        /// The IdP's name or id
        idp: String,
        /// Print only the public keys to register at the IdP for private_key_jwt, as one JWK
        /// Set (JSON): this computer's (Test Configuration) and, once the IdP is pushed, the
        /// platform's (customer sign-in); stderr says which it holds
        #[arg(long)]
        public_jwk: bool,
    },
    /// List the presets "Start from" offers, with their parameters and quirks
    Presets,
    /// Add an IdP; for OpenID Connect, endpoints not given are discovered from --issuer
    Add(AddArgs),
    /// Change the fields given; the others keep their values
    Edit(EditArgs),
    /// Turn an IdP on (takes effect immediately)
    Enable {
        /// The IdP's name or id
        idp: String,
    },
    /// Turn an IdP off (takes effect immediately). When chat flows or Chat Desk extensions
    /// use it (asked of the sync backend), they are named and --yes is needed
    Disable {
        /// The IdP's name or id
        idp: String,
        /// Disable it even though flows or extensions use it
        #[arg(long)]
        yes: bool,
    },
    /// Delete an IdP and its client secret, naming the chat flows and Chat Desk extensions that
    /// use it (asked of the sync backend)
    Delete {
        /// The IdP's name or id
        idp: String,
        /// Confirm the deletion (it cannot be undone)
        #[arg(long)]
        yes: bool,
    },
    /// Test Configuration: a real login in the browser ($BROWSER), redirect to a loopback
    /// listener, ID token and userinfo verified; exits 0 only when fully verified
    Test {
        /// The IdP's name or id
        idp: String,
        /// How long to wait for the login, in seconds
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
        /// Test on the platform instead: the login goes through the backend's redirect URI and
        /// is verified there with the pushed configuration and secret (push first)
        #[arg(long)]
        via_platform: bool,
        /// With --via-platform: the number the test's link is sent to, E.164 (channel binding
        /// compares it with the IdP's verified number) [default: +12025550100, a fictional one]
        #[arg(long, value_name = "NUMBER", requires = "via_platform")]
        phone: Option<String>,
    },
    /// Check readiness without a login: discovery, PKCE, auth method, PAR, https, JWKS, clock skew
    Check {
        /// The IdP's name or id
        idp: String,
    },
    /// Write every IdP as a JSON document (never with secrets)
    Export {
        /// The file to write [default: stdout]
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Read an export document: all of its IdPs are written, or none
    Import {
        /// The export document, or - for stdin
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub fields: FieldArgs,

    /// Start from a preset (`eca idp presets` lists them): it fills the issuer, client
    /// authentication, scopes, customer identifier claim and what its IdP needs; the field flags
    /// given win
    #[arg(long, value_name = "ID")]
    pub preset: Option<String>,

    /// A value the preset's issuer needs, e.g. tenant=contoso.onmicrosoft.com (repeatable)
    #[arg(long = "preset-param", value_name = "NAME=VALUE", requires = "preset",
          value_parser = parse_preset_param)]
    pub preset_params: Vec<(String, String)>,

    /// Add the IdP turned off
    #[arg(long)]
    pub disabled: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The IdP's name or id
    pub idp: String,

    #[command(flatten)]
    pub fields: FieldArgs,

    /// Turn the IdP on or off
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub enabled: Option<bool>,

    /// Remove every extra authorization parameter
    #[arg(long, conflicts_with = "params")]
    pub clear_params: bool,

    /// Remove every redirect URI
    #[arg(long, conflicts_with = "redirect_uris")]
    pub clear_redirect_uris: bool,

    /// Remove every claim mapping
    #[arg(long, conflicts_with = "claim_mapping")]
    pub clear_claim_map: bool,

    /// Back to the default ID token signing algorithms (the asymmetric ones the IdP advertises)
    #[arg(long, conflicts_with = "id_token_signing_algs")]
    pub clear_id_token_algs: bool,

    /// Remove the client secret from the OS keyring
    #[arg(long, conflicts_with = "client_secret_stdin")]
    pub clear_client_secret: bool,
}

/// One flag per editable field. Optional URLs are removed with an empty value (`--jwks-uri ""`).
#[derive(Debug, Args)]
pub struct FieldArgs {
    /// Display name, unique among the IdPs
    #[arg(long)]
    pub name: Option<String>,

    /// oidc (OpenID Connect) or oauth2 [add default: oidc]
    #[arg(long, value_name = "oidc|oauth2")]
    pub protocol: Option<Protocol>,

    /// Issuer URL (OpenID Connect), exactly as the IdP documents it
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Authorization endpoint [OIDC: discovered when not given]
    #[arg(long, value_name = "URL")]
    pub authorization_endpoint: Option<String>,

    /// Token endpoint [OIDC: discovered when not given]
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,

    /// Userinfo endpoint (required for OAuth 2.0); "" removes it
    #[arg(long, value_name = "URL")]
    pub userinfo_endpoint: Option<String>,

    /// JWKS URI, the IdP's signing keys [OIDC: discovered when not given]
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,

    /// The client id registered at the IdP
    #[arg(long)]
    pub client_id: Option<String>,

    /// client_secret_basic, client_secret_post, none (a public client) or private_key_jwt (a
    /// signing key is made in the OS keyring if the IdP has none)
    #[arg(long, value_name = "METHOD")]
    pub client_auth_method: Option<ClientAuthMethod>,

    /// Space-separated scopes, e.g. "openid email"
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,

    /// An extra authorization parameter (repeatable; on edit, replaces the list)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<AuthParam>,

    /// A redirect URI registered at the IdP (repeatable; on edit, replaces the list)
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,

    /// The claim that identifies the customer (sub, email, phone_number…)
    #[arg(long, value_name = "CLAIM")]
    pub customer_id_claim: Option<String>,

    /// A verified claim passed to the chat flow as a variable, e.g. email=customer_email
    /// (repeatable; on edit, replaces the list)
    #[arg(long = "claim-map", value_name = "CLAIM=VARIABLE", value_parser = parse_claim_map)]
    pub claim_mapping: Vec<ClaimMapping>,

    /// Authenticate a customer only when the IdP returns a verified phone number equal to the
    /// number the link was sent to
    #[arg(long, action = ArgAction::Set, value_name = "true|false")]
    pub channel_binding: Option<bool>,

    /// An algorithm the IdP's ID tokens may be signed with: RS256, RS384, RS512, PS256, PS384,
    /// PS512, ES256, ES384, EdDSA, HS256, HS384 or HS512 (repeatable; on edit, replaces the
    /// list). None given: the asymmetric ones the IdP advertises. HS* verifies with the client
    /// secret, so it is accepted only when listed here
    #[arg(long = "id-token-alg", value_name = "ALG")]
    pub id_token_signing_algs: Vec<SigningAlg>,

    /// Free text for the admins
    #[arg(long)]
    pub notes: Option<String>,

    /// How a test login receives its redirect: deep_link or loopback
    #[arg(long, value_name = "deep_link|loopback")]
    pub test_redirect: Option<TestRedirect>,

    /// The loopback test redirect's fixed port (1024-65535), for IdPs that match redirect URIs
    /// exactly, port included: register http://127.0.0.1:PORT/oauth/callback there. "none"
    /// clears it (a free port per test)
    #[arg(long, value_name = "PORT|none", value_parser = parse_loopback_port)]
    pub loopback_port: Option<LoopbackPortArg>,

    /// When the client secret expires (YYYY-MM-DD, UTC; it still works that day): `idp list`
    /// and `idp check` remind from 30 days ahead, and the platform refuses sign-ins after it.
    /// "none" clears it
    #[arg(long, value_name = "YYYY-MM-DD|none", value_parser = parse_expires_on)]
    pub credential_expires_on: Option<ExpiresOnArg>,

    /// Read the client secret from stdin, to its end (one trailing newline is dropped)
    #[arg(long)]
    pub client_secret_stdin: bool,

    /// Do not fetch missing endpoints from the issuer's discovery document
    #[arg(long)]
    pub no_discover: bool,

    /// Refused: a secret given as a flag value would show in shell history and `ps`.
    #[arg(long = "client-secret", hide = true, num_args = 0..=1, allow_hyphen_values = true)]
    pub client_secret_value: Option<Option<String>>,
}

/// `--loopback-port`: a port, or `none` to clear it. The range is validation's, on save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopbackPortArg(pub Option<u16>);

fn parse_loopback_port(raw: &str) -> Result<LoopbackPortArg, String> {
    match raw {
        "none" => Ok(LoopbackPortArg(None)),
        _ => raw
            .parse()
            .map(|port| LoopbackPortArg(Some(port)))
            .map_err(|_| "expected a port number (1024-65535) or none".to_string()),
    }
}

/// `--credential-expires-on`: a date, or `none` to clear it. The date is validation's to check,
/// on save, so the CLI says exactly what the app says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiresOnArg(pub Option<String>);

fn parse_expires_on(raw: &str) -> Result<ExpiresOnArg, String> {
    Ok(ExpiresOnArg((raw != "none").then(|| raw.to_string())))
}

/// `KEY=VALUE`, split at the first `=` (values may contain `=`).
fn parse_param(raw: &str) -> Result<AuthParam, String> {
    match raw.split_once('=') {
        Some((key, value)) => Ok(AuthParam {
            key: key.to_string(),
            value: value.to_string(),
        }),
        None => Err("expected KEY=VALUE, e.g. prompt=login".to_string()),
    }
}

/// `NAME=VALUE`, split at the first `=`.
fn parse_preset_param(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| "expected NAME=VALUE, e.g. tenant=contoso.onmicrosoft.com".to_string())
}

/// `CLAIM=VARIABLE`, split at the last `=` (a claim name may contain `=`, a variable may not).
fn parse_claim_map(raw: &str) -> Result<ClaimMapping, String> {
    match raw.rsplit_once('=') {
        Some((claim, variable)) => Ok(ClaimMapping {
            claim: claim.to_string(),
            variable: variable.to_string(),
        }),
        None => Err("expected CLAIM=VARIABLE, e.g. email=customer_email".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn params_split_at_the_first_equals_sign() {
        let p = parse_param("acr_values=urn:a=b").unwrap();
        assert_eq!(
            (p.key.as_str(), p.value.as_str()),
            ("acr_values", "urn:a=b")
        );
        assert!(
            parse_param("prompt").is_err(),
            "a parameter without = is refused"
        );
    }

    #[test]
    fn claim_maps_split_at_the_last_equals_sign() {
        let m = parse_claim_map("https://x.example/c?a=b=tier").unwrap();
        assert_eq!(
            (m.claim.as_str(), m.variable.as_str()),
            ("https://x.example/c?a=b", "tier")
        );
        assert!(
            parse_claim_map("email").is_err(),
            "a mapping without = is refused"
        );
    }

    #[test]
    fn a_loopback_port_is_a_number_or_none() {
        assert_eq!(parse_loopback_port("8765"), Ok(LoopbackPortArg(Some(8765))));
        assert_eq!(parse_loopback_port("none"), Ok(LoopbackPortArg(None)));
        for bad in ["", "70000", "-1", "http"] {
            assert_eq!(
                parse_loopback_port(bad),
                Err("expected a port number (1024-65535) or none".to_string()),
                "{bad:?}"
            );
        }
    }
}
