//! Updates: ask the update manifest whether a newer build exists, then download it and verify
//! its signature, through `tauri-plugin-updater`. The "Check for updates" commands and
//! tests/updates.rs call these same functions.
//!
//! Invariants:
//! - Only a signed build is offered: a build without an update public key (`plugins.updater.
//!   pubkey` in tauri.conf.json, empty unless a release sets it) checks nothing and says so.
//! - A release is offered only when its version is greater than this build's: never an older
//!   or the same version (the plugin's default comparator; downgrades are not enabled).
//! - Downloaded bytes are handed on only after their minisign signature verifies against the
//!   build's key and names the version the manifest announced (`requireSignedVersion`); a
//!   changed artifact, or one signed by another key, is refused with the reason.
//! - The manifest URL was checked when stored (https; plain http only to this computer); a
//!   release build also refuses plain http altogether (the plugin's rule).
//! - A download stops as soon as it is announced or found to be larger than the cap it is given
//!   ([`MAX_ARTIFACT_BYTES`] in the app): no manifest can make the app hold an unbounded
//!   download in memory.
//! - Nothing here installs: a verified download is kept as a file ([`keep`], in the admin's
//!   Downloads folder), and installing it is left to the admin's package tools.

use crate::update_file;
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error as PluginError, Update, UpdaterExt};
use url::Url;

use eca_core::update_settings::UpdateSettings;
use eca_model::problem::{Problem, ProblemCode};

/// How long one request to the manifest or for the artifact may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest artifact downloaded. A release package is tens of MB; the download is held in
/// memory until it verifies, so one past this is stopped, whatever the manifest says.
pub const MAX_ARTIFACT_BYTES: u64 = 512 * 1024 * 1024;

/// Where to look and whom to trust: the manifest URL (the admin's setting) and the public key
/// (the build's, base64 of the minisign public key file as `tauri signer generate` writes it).
pub struct UpdateSource<'a> {
    pub manifest: Option<Url>,
    pub public_key: Option<&'a str>,
}

/// What "Check for updates" found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UpdateCheck {
    /// No manifest URL in the settings.
    NotConfigured {
        current_version: String,
    },
    /// This build carries no update public key, so it cannot verify (and offers no) updates.
    CannotVerify {
        current_version: String,
    },
    UpToDate {
        current_version: String,
    },
    Available(OfferedUpdate),
}

/// A newer release the manifest offers; not yet downloaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct OfferedUpdate {
    pub current_version: String,
    pub version: String,
    /// The release notes, as the manifest gives them.
    pub notes: Option<String>,
    /// RFC 3339, if the manifest gives it.
    pub date: Option<String>,
}

/// An update downloaded whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedUpdate {
    pub version: String,
    /// Its size in bytes (at most `u32::MAX` is reported).
    pub size: u32,
    /// The name to keep it under ([`update_file::file_name`]).
    pub file_name: String,
}

/// A verified update kept as a file, for the admin to install.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct SavedUpdate {
    pub version: String,
    /// Its size in bytes (at most `u32::MAX` is reported).
    pub size: u32,
    /// Where it was saved.
    pub path: String,
}

/// The settings screen's part on updates: the stored URL, this build's version, and whether it
/// can verify updates at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct UpdateSetup {
    pub settings: UpdateSettings,
    pub current_version: String,
    /// False for a build without an update public key: it offers no updates.
    pub can_verify: bool,
}

impl UpdateSetup {
    pub fn new<R: Runtime>(app: &AppHandle<R>, settings: UpdateSettings) -> Self {
        Self {
            settings,
            current_version: current_version(app),
            can_verify: build_public_key(app.config()).is_some(),
        }
    }
}

/// The update the last check offered, which "Download and verify" fetches.
#[derive(Default)]
pub struct Offered(Mutex<Option<Update>>);

impl Offered {
    fn set(&self, update: Option<Update>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = update;
    }

    fn get(&self) -> Option<Update> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Adds the updater plugin and the state of the offered update (the app and the tests alike).
pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(Offered::default())
}

/// The update public key this build carries (`plugins.updater.pubkey`: the base64 of a
/// minisign public key file, as `tauri signer generate` writes it), if any. A key that does
/// not read as one counts as none: the build cannot verify, rather than blaming each release's
/// signature.
pub fn build_public_key(config: &tauri::Config) -> Option<&str> {
    config
        .plugins
        .0
        .get("updater")
        .and_then(|updater| updater.get("pubkey"))
        .and_then(|key| key.as_str())
        .map(str::trim)
        .filter(|key| reads_as_public_key(key))
}

fn reads_as_public_key(key: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|text| minisign_verify::PublicKey::decode(&text).is_ok())
}

/// This build's version, as the updater compares it.
pub fn current_version<R: Runtime>(app: &AppHandle<R>) -> String {
    app.package_info().version.to_string()
}

/// Asks the manifest for a newer release; remembers what it offers for [`download_offered`].
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    source: UpdateSource<'_>,
) -> Result<UpdateCheck, UpdateError> {
    let current_version = current_version(app);
    let offered = app.state::<Offered>();
    offered.set(None);
    let Some(manifest) = source.manifest else {
        return Ok(UpdateCheck::NotConfigured { current_version });
    };
    let Some(public_key) = source.public_key else {
        return Ok(UpdateCheck::CannotVerify { current_version });
    };
    let on_check = |e| UpdateError::from_check(e, &manifest);
    let updater = app
        .updater_builder()
        .pubkey(public_key)
        .timeout(REQUEST_TIMEOUT)
        .endpoints(vec![manifest.clone()])
        .map_err(on_check)?
        .build()
        .map_err(on_check)?;
    let Some(update) = updater.check().await.map_err(on_check)? else {
        return Ok(UpdateCheck::UpToDate { current_version });
    };
    let found = OfferedUpdate {
        current_version,
        version: update.version.clone(),
        notes: update.body.clone(),
        date: update.date.and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    };
    offered.set(Some(update));
    Ok(UpdateCheck::Available(found))
}

/// Downloads the update the last check offered, at most `max_bytes` of it, and verifies its
/// signature; the bytes come back only if it verified.
pub async fn download_offered<R: Runtime>(
    app: &AppHandle<R>,
    max_bytes: u64,
) -> Result<(VerifiedUpdate, Vec<u8>), UpdateError> {
    let update = app
        .state::<Offered>()
        .get()
        .ok_or(UpdateError::NothingOffered)?;
    artifact_url_allowed(&update)?;
    let too_large = tokio::sync::Notify::new();
    let mut received: u64 = 0;
    let on_chunk = |chunk: usize, announced: Option<u64>| {
        received = received.saturating_add(chunk as u64);
        if received > max_bytes || announced.is_some_and(|n| n > max_bytes) {
            too_large.notify_one();
        }
    };
    // Dropping the download (the other branch) closes the connection.
    let bytes = tokio::select! {
        done = update.download(on_chunk, || {}) => {
            done.map_err(|e| UpdateError::from_download(e, &update))?
        }
        () = too_large.notified() => {
            return Err(UpdateError::TooLarge {
                version: update.version.clone(),
                limit: size_text(max_bytes),
            });
        }
    };
    let verified = VerifiedUpdate {
        version: update.version.clone(),
        size: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        file_name: update_file::file_name(&update.download_url, &update.version),
    };
    Ok((verified, bytes))
}

/// Keeps a verified update's `bytes` in `dir`, never replacing a file there.
pub fn keep(
    dir: &Path,
    verified: VerifiedUpdate,
    bytes: &[u8],
) -> Result<SavedUpdate, UpdateError> {
    let path =
        update_file::save(dir, &verified.file_name, bytes).map_err(|e| UpdateError::NotSaved {
            version: verified.version.clone(),
            folder: dir.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(SavedUpdate {
        version: verified.version,
        size: verified.size,
        path: path.display().to_string(),
    })
}

/// "512 MiB", or "1000 bytes" below one MiB.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The artifact's URL follows the manifest's rule: https, plain http only to this computer,
/// and in a release build https only (the plugin enforces that for the manifest alone).
fn artifact_url_allowed(update: &Update) -> Result<(), UpdateError> {
    let url = &update.download_url;
    let allowed = eca_model::validation::check_web_url(url.as_str()).is_ok()
        && (cfg!(debug_assertions) || url.scheme() == "https");
    if allowed {
        Ok(())
    } else {
        Err(UpdateError::InsecureArtifact {
            version: update.version.clone(),
            url: url.to_string(),
        })
    }
}

/// Why an update was not offered or was refused. Messages name the manifest or the version and
/// say what to do; none contains a key.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(
        "Cannot reach the update manifest at {url} ({reason}). Check the URL in Settings and \
         the network connection."
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "Cannot download version {version} from {url} ({reason}). Try again later, or tell \
         whoever publishes the updates."
    )]
    DownloadFailed {
        version: String,
        url: String,
        reason: String,
    },
    #[error(
        "The update manifest at {url} is not a valid update manifest ({reason}). Check the URL \
         in Settings: it must point to the manifest (JSON) of a release."
    )]
    BadManifest { url: String, reason: String },
    #[error(
        "The update manifest at {url} has no build for this computer (it looked for {targets}). \
         Ask whoever publishes the updates to add one."
    )]
    NoBuildForThisComputer { url: String, targets: String },
    #[error(
        "This build fetches updates over https only: {url} uses plain http. Use an https URL \
         in Settings."
    )]
    InsecureManifest { url: String },
    #[error(
        "Version {version} was not downloaded: the manifest points to {url}, which is not an \
         https URL. Tell whoever publishes the updates to serve it over https."
    )]
    InsecureArtifact { version: String, url: String },
    #[error(
        "Version {version} was refused: the download does not match its signature, so it was \
         changed after it was signed or damaged on the way. It was not installed; tell whoever \
         publishes the updates."
    )]
    Tampered { version: String },
    #[error(
        "Version {version} was refused: it is signed by another key than the one this build \
         trusts. It was not installed; only releases signed with ECA Admin's update key are."
    )]
    SignedByAnotherKey { version: String },
    #[error(
        "Version {version} was refused: its signature was made for version {signed}, so the \
         manifest does not describe this file. It was not installed."
    )]
    VersionMismatch { version: String, signed: String },
    #[error(
        "Version {version} was refused: its signature does not say which version it was made \
         for. It was not installed; the release must be signed by `tauri build` or \
         `tauri signer sign --app-version`."
    )]
    VersionNotSigned { version: String },
    #[error(
        "Version {version} was refused: its signature cannot be read ({reason}). It was not \
         installed."
    )]
    BadSignature { version: String, reason: String },
    #[error(
        "Version {version} was not downloaded: it is larger than {limit}, far more than a \
         release of ECA Admin. Tell whoever publishes the updates."
    )]
    TooLarge { version: String, limit: String },
    #[error(
        "Version {version} was downloaded and verified, but could not be saved in {folder} \
         ({reason}). Free some space or make the folder writable, then try again."
    )]
    NotSaved {
        version: String,
        folder: String,
        reason: String,
    },
    #[error("No update is on offer: check for updates first.")]
    NothingOffered,
    #[error("The update went wrong: {0}. Try again; if it keeps failing, report it.")]
    Internal(String),
}

/// An HTTP error with its causes ("error sending request: … Connection refused"), which say
/// more than its first line.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl UpdateError {
    fn from_check(error: PluginError, manifest: &Url) -> Self {
        let url = manifest.to_string();
        match error {
            PluginError::Reqwest(e) => Self::Unreachable {
                url,
                reason: causes(&e.without_url()),
            },
            PluginError::Network(reason) => Self::Unreachable { url, reason },
            PluginError::ReleaseNotFound => Self::BadManifest {
                url,
                reason: "it did not answer with a release".into(),
            },
            PluginError::Serialization(e) => Self::BadManifest {
                url,
                reason: e.to_string(),
            },
            PluginError::Semver(e) => Self::BadManifest {
                url,
                reason: format!("bad version: {e}"),
            },
            PluginError::UrlParse(e) => Self::BadManifest {
                url,
                reason: e.to_string(),
            },
            PluginError::TargetNotFound(target) => Self::NoBuildForThisComputer {
                url,
                targets: target,
            },
            PluginError::TargetsNotFound(targets) => Self::NoBuildForThisComputer {
                url,
                targets: targets.join(" or "),
            },
            PluginError::InsecureTransportProtocol => Self::InsecureManifest { url },
            other => Self::Internal(other.to_string()),
        }
    }

    fn from_download(error: PluginError, update: &Update) -> Self {
        let version = update.version.clone();
        match error {
            PluginError::Minisign(minisign_verify::Error::InvalidSignature) => {
                Self::Tampered { version }
            }
            PluginError::Minisign(minisign_verify::Error::UnexpectedKeyId) => {
                Self::SignedByAnotherKey { version }
            }
            PluginError::Minisign(e) => Self::BadSignature {
                version,
                reason: e.to_string(),
            },
            PluginError::Base64(_) | PluginError::SignatureUtf8(_) => Self::BadSignature {
                version,
                reason: "it is not the base64 of a minisign signature".into(),
            },
            PluginError::SignedVersionMismatch { signed, .. } => {
                Self::VersionMismatch { version, signed }
            }
            PluginError::MissingSignedVersion => Self::VersionNotSigned { version },
            PluginError::Reqwest(e) => Self::DownloadFailed {
                version,
                url: update.download_url.to_string(),
                reason: causes(&e.without_url()),
            },
            PluginError::Network(reason) => Self::DownloadFailed {
                version,
                url: update.download_url.to_string(),
                reason,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<UpdateError> for Problem {
    fn from(e: UpdateError) -> Self {
        let code = match e {
            UpdateError::Unreachable { .. }
            | UpdateError::DownloadFailed { .. }
            | UpdateError::BadManifest { .. }
            | UpdateError::NoBuildForThisComputer { .. }
            | UpdateError::InsecureManifest { .. }
            | UpdateError::NothingOffered => ProblemCode::UpdateCheckFailed,
            UpdateError::Tampered { .. }
            | UpdateError::SignedByAnotherKey { .. }
            | UpdateError::VersionMismatch { .. }
            | UpdateError::VersionNotSigned { .. }
            | UpdateError::BadSignature { .. }
            | UpdateError::InsecureArtifact { .. }
            | UpdateError::TooLarge { .. } => ProblemCode::UpdateRefused,
            UpdateError::NotSaved { .. } | UpdateError::Internal(_) => ProblemCode::Internal,
        };
        Problem::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::build_public_key;

    fn config(updater: serde_json::Value) -> tauri::Config {
        let mut config: tauri::Config = serde_json::from_value(serde_json::json!({
            "identifier": "com.example.test",
        }))
        .unwrap();
        config.plugins.0.insert("updater".into(), updater);
        config
    }

    #[test]
    fn a_build_without_a_public_key_has_none() {
        assert_eq!(
            build_public_key(&config(serde_json::json!({"pubkey": ""}))),
            None
        );
        assert_eq!(
            build_public_key(&config(serde_json::json!({"pubkey": "  "}))),
            None
        );
        assert_eq!(
            build_public_key(&config(serde_json::json!({"pubkey": " dW50cnVzdGVk "}))),
            None,
            "the base64 of a text that is not a minisign public key"
        );
        assert_eq!(
            build_public_key(&config(serde_json::json!({"pubkey": "not base64!"}))),
            None
        );
        let key = format!(" {PUBLIC_KEY} ");
        assert_eq!(
            build_public_key(&config(serde_json::json!({ "pubkey": key }))),
            Some(PUBLIC_KEY)
        );
    }

    /// The base64 of a minisign public key file (minisign's documented example key).
    const PUBLIC_KEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXkgRTc2MjBGMTg0MkI0RTgxRgpSV1FmNkxSQ0dBOWk1M21sWWVjTzRJelQ1MVRHUHB2V3VjTlNDaDFDQk0wUVRhTG43M1k3R0ZPMwo=";

    /// The shipped configuration: no key (the project has no release key), and signatures
    /// must name the version they were made for.
    #[test]
    fn the_shipped_configuration_requires_signed_versions() {
        let conf: serde_json::Value = serde_json::from_str(include_str!("../../tauri.conf.json"))
            .expect("tauri.conf.json is JSON");
        let updater = &conf["plugins"]["updater"];
        assert_eq!(updater["requireSignedVersion"], true, "{updater}");
        assert_eq!(
            updater["pubkey"], "",
            "no key is committed: a release build sets it"
        );
        let mut keys: Vec<&str> = updater
            .as_object()
            .expect("plugins.updater is an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["pubkey", "requireSignedVersion"],
            "nothing that loosens the checks (dangerousInsecureTransportProtocol, \
             dangerousAcceptInvalidCerts, downgrades…)"
        );
    }
}
