//! "Check for updates" against a release published on loopback: the app's own update code
//! (`eca_admin_lib::updates`, what the Settings button calls) with `tauri-plugin-updater` on
//! tauri's mock runtime, configured as tauri.conf.json configures the app. Each test makes its
//! own minisign key pair (no key is ever committed), signs an artifact the way `tauri build`
//! does (the version in the trusted comment), and serves the manifest and the artifact from a
//! loopback HTTP server. Nothing is installed.

use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use eca_admin_lib::updates::{self, UpdateCheck, UpdateError, UpdateSource};
use serde_json::{json, Value};
use std::io::Cursor;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::AppHandle;
use url::Url;

/// The version of the running app in these tests.
const CURRENT: &str = "1.4.0";

/// A minisign key pair as `tauri signer generate` makes one: the public key as the app
/// carries it (base64 of the public key file).
struct SigningKey {
    pair: minisign::KeyPair,
}

impl SigningKey {
    fn generate() -> Self {
        Self {
            pair: minisign::KeyPair::generate_unencrypted_keypair().expect("a key pair"),
        }
    }

    fn public_key(&self) -> String {
        let text = self
            .pair
            .pk
            .to_box()
            .expect("a public key file")
            .into_string();
        BASE64.encode(text)
    }

    /// The `.sig` file of `bytes`, bound to `version` as `tauri build` binds it, in base64 as
    /// the manifest carries it.
    fn sign(&self, bytes: &[u8], version: &str) -> String {
        self.sign_with_comment(
            bytes,
            &format!("timestamp:1700000000\tfile:eca-admin.tar.gz\tversion:{version}"),
        )
    }

    /// The `.sig` file of `bytes` with the trusted comment `trusted`, in base64.
    fn sign_with_comment(&self, bytes: &[u8], trusted: &str) -> String {
        let signature = minisign::sign(
            Some(&self.pair.pk),
            &self.pair.sk,
            Cursor::new(bytes),
            Some(trusted),
            Some("signature from tauri secret key"),
        )
        .expect("a signature");
        BASE64.encode(signature.into_string())
    }
}

/// A release as its publisher puts it online: the manifest and the artifact.
struct Release {
    version: &'static str,
    artifact: Vec<u8>,
    signature: String,
}

impl Release {
    /// The artifact of `version`, signed by `key`.
    fn signed(version: &'static str, key: &SigningKey) -> Self {
        let artifact = format!("the eca-admin {version} bundle")
            .repeat(1000)
            .into_bytes();
        let signature = key.sign(&artifact, version);
        Self {
            version,
            artifact,
            signature,
        }
    }
}

/// Serves `release` on loopback: `/latest.json` (Tauri's static manifest format) and
/// `/eca-admin.tar.gz`. Returns the manifest's URL; the server stops with the test's runtime.
async fn publish(release: Release) -> Url {
    publish_pointing(release, |base| format!("{base}/eca-admin.tar.gz")).await
}

/// [`publish`], the manifest naming the artifact at `artifact_url(base)`.
async fn publish_pointing(release: Release, artifact_url: impl Fn(&str) -> String) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let target = tauri_plugin_updater::target().expect("a supported platform");
    let manifest = json!({
        "version": release.version,
        "notes": format!("What is new in {}.", release.version),
        "pub_date": "2026-11-30T12:00:00Z",
        "platforms": {
            target: {
                "url": artifact_url(&base),
                "signature": release.signature,
            }
        }
    });
    serve(listener, manifest, release.artifact);
    Url::parse(&format!("{base}/latest.json")).unwrap()
}

fn serve(listener: tokio::net::TcpListener, manifest: Value, artifact: Vec<u8>) {
    let app = Router::new()
        .route(
            "/latest.json",
            get(move || async move { axum::Json(manifest) }),
        )
        .route("/eca-admin.tar.gz", get(move || async move { artifact }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// The app, version [`CURRENT`], with the updater configured as tauri.conf.json configures it.
fn app() -> AppHandle<MockRuntime> {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let mut context = mock_context(noop_assets());
    context
        .config_mut()
        .plugins
        .0
        .insert("updater".into(), conf["plugins"]["updater"].clone());
    context.package_info_mut().version = CURRENT.parse().unwrap();
    let app = updates::register(mock_builder())
        .build(context)
        .expect("the app builds on the mock runtime");
    app.handle().clone()
}

async fn check(app: &AppHandle<MockRuntime>, manifest: &Url, key: &SigningKey) -> UpdateCheck {
    let public_key = key.public_key();
    let source = UpdateSource {
        manifest: Some(manifest.clone()),
        public_key: Some(&public_key),
    };
    updates::check(app, source)
        .await
        .unwrap_or_else(|e| panic!("the check itself must succeed: {e}"))
}

/// Checks, expects version 1.5.0 on offer, then downloads it: the verification's verdict.
async fn offered_then_downloaded(
    release: Release,
    trusted: &SigningKey,
) -> Result<Vec<u8>, UpdateError> {
    let app = app();
    let manifest = publish(release).await;
    match check(&app, &manifest, trusted).await {
        UpdateCheck::Available(offer) => {
            assert_eq!(offer.version, "1.5.0");
            assert_eq!(offer.current_version, CURRENT);
        }
        other => panic!("1.5.0 is newer than {CURRENT}, so it is offered: {other:?}"),
    }
    updates::download_offered(&app, updates::MAX_ARTIFACT_BYTES)
        .await
        .map(|(_, bytes)| bytes)
}

#[tokio::test]
async fn a_newer_release_signed_with_the_builds_key_is_offered_and_verified() {
    let key = SigningKey::generate();
    let release = Release::signed("1.5.0", &key);
    let artifact = release.artifact.clone();
    let app = app();
    let manifest = publish(release).await;

    let UpdateCheck::Available(offer) = check(&app, &manifest, &key).await else {
        panic!("a newer signed release must be offered");
    };
    assert_eq!(offer.version, "1.5.0");
    assert_eq!(offer.notes.as_deref(), Some("What is new in 1.5.0."));
    assert_eq!(offer.date.as_deref(), Some("2026-11-30T12:00:00Z"));

    let (verified, bytes) = updates::download_offered(&app, updates::MAX_ARTIFACT_BYTES)
        .await
        .unwrap_or_else(|e| panic!("a correctly signed artifact verifies: {e}"));
    assert_eq!(bytes, artifact, "the bytes served, unchanged");
    assert_eq!(verified.version, "1.5.0");
    assert_eq!(verified.size as usize, artifact.len());

    // Kept for the admin under the artifact's name, and again beside it, never over it.
    let downloads = tempfile::tempdir().unwrap();
    let saved = updates::keep(downloads.path(), verified.clone(), &bytes).unwrap();
    let path = downloads.path().join("eca-admin.tar.gz");
    assert_eq!(saved.path, path.display().to_string());
    assert_eq!(
        (saved.version.as_str(), saved.size),
        ("1.5.0", verified.size)
    );
    assert_eq!(std::fs::read(&path).unwrap(), artifact);
    let again = updates::keep(downloads.path(), verified, &bytes).unwrap();
    assert_eq!(
        again.path,
        downloads
            .path()
            .join("eca-admin.tar (1).gz")
            .display()
            .to_string()
    );

    // A folder it cannot write in says where and what to do.
    let blocked = downloads.path().join("eca-admin.tar.gz");
    let verified = updates::VerifiedUpdate {
        version: "1.5.0".into(),
        size: 5,
        file_name: "eca-admin.deb".into(),
    };
    let error = updates::keep(&blocked, verified, b"bytes").unwrap_err();
    assert!(
        matches!(&error, updates::UpdateError::NotSaved { version, folder, .. }
            if version == "1.5.0" && *folder == blocked.display().to_string()),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("could not be saved in"),
        "{error}"
    );
}

#[tokio::test]
async fn an_artifact_over_plain_http_to_another_computer_is_not_downloaded() {
    let key = SigningKey::generate();
    let app = app();
    let manifest = publish_pointing(Release::signed("1.5.0", &key), |_| {
        "http://updates.example.invalid/eca-admin.tar.gz".into()
    })
    .await;
    assert!(matches!(
        check(&app, &manifest, &key).await,
        UpdateCheck::Available(_)
    ));

    let error = updates::download_offered(&app, updates::MAX_ARTIFACT_BYTES)
        .await
        .expect_err("plain http off this computer is refused before any download");
    assert!(
        matches!(error, UpdateError::InsecureArtifact { ref url, .. } if url.starts_with("http://updates.example.invalid/")),
        "{error:?}"
    );
    assert!(error.to_string().contains("not an https URL"), "{error}");
}

#[tokio::test]
async fn a_tampered_artifact_is_refused() {
    let key = SigningKey::generate();
    let mut release = Release::signed("1.5.0", &key);
    release.artifact[100] ^= 0x01;

    let error = offered_then_downloaded(release, &key)
        .await
        .expect_err("one changed bit must fail the signature");
    assert!(
        matches!(error, UpdateError::Tampered { ref version } if version == "1.5.0"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("does not match its signature"),
        "{error}"
    );
}

#[tokio::test]
async fn a_release_signed_by_another_key_is_refused() {
    let trusted = SigningKey::generate();
    let other = SigningKey::generate();

    let error = offered_then_downloaded(Release::signed("1.5.0", &other), &trusted)
        .await
        .expect_err("only the build's key is trusted");
    assert!(
        matches!(error, UpdateError::SignedByAnotherKey { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("signed by another key"),
        "{error}"
    );
}

/// A manifest cannot pass off the signed artifact of one version as another
/// (`requireSignedVersion` in tauri.conf.json).
#[tokio::test]
async fn an_artifact_signed_for_another_version_is_refused() {
    let key = SigningKey::generate();
    let mut release = Release::signed("1.5.0", &key);
    release.signature = key.sign(&release.artifact, "1.4.1");

    let error = offered_then_downloaded(release, &key)
        .await
        .expect_err("the signed version must be the announced one");
    assert!(
        matches!(error, UpdateError::VersionMismatch { ref signed, .. } if signed == "1.4.1"),
        "{error:?}"
    );
}

/// A signature that names no version cannot vouch that the file is the announced release.
#[tokio::test]
async fn an_artifact_whose_signature_names_no_version_is_refused() {
    let key = SigningKey::generate();
    let mut release = Release::signed("1.5.0", &key);
    release.signature = key.sign_with_comment(
        &release.artifact,
        "timestamp:1700000000\tfile:eca-admin.tar.gz",
    );

    let error = offered_then_downloaded(release, &key)
        .await
        .expect_err("a signature without a version is refused");
    assert!(
        matches!(error, UpdateError::VersionNotSigned { ref version } if version == "1.5.0"),
        "{error:?}"
    );
}

/// No manifest can make the app hold an unbounded download in memory: past the cap it stops.
#[tokio::test]
async fn an_artifact_larger_than_the_cap_is_not_downloaded() {
    let key = SigningKey::generate();
    let release = Release::signed("1.5.0", &key);
    let size = release.artifact.len() as u64;
    let app = app();
    let manifest = publish(release).await;
    assert!(matches!(
        check(&app, &manifest, &key).await,
        UpdateCheck::Available(_)
    ));

    let error = updates::download_offered(&app, size - 1)
        .await
        .expect_err("one byte over the cap is refused");
    assert!(
        matches!(error, UpdateError::TooLarge { ref version, .. } if version == "1.5.0"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains(&format!("larger than {} bytes", size - 1)),
        "{error}"
    );
    let (verified, _) = updates::download_offered(&app, size)
        .await
        .unwrap_or_else(|e| panic!("exactly the cap is allowed: {e}"));
    assert_eq!(u64::from(verified.size), size);
}

#[tokio::test]
async fn an_older_or_the_same_version_is_never_offered() {
    let key = SigningKey::generate();
    for version in ["1.3.9", CURRENT, "0.9.0"] {
        let app = app();
        let manifest = publish(Release::signed(version, &key)).await;
        assert_eq!(
            check(&app, &manifest, &key).await,
            UpdateCheck::UpToDate {
                current_version: CURRENT.into()
            },
            "{version} is not newer than {CURRENT}"
        );
        let nothing = updates::download_offered(&app, updates::MAX_ARTIFACT_BYTES).await;
        assert!(
            matches!(nothing, Err(UpdateError::NothingOffered)),
            "{version}: nothing may be downloaded"
        );
    }
}

#[tokio::test]
async fn without_a_manifest_url_or_a_public_key_nothing_is_checked() {
    let key = SigningKey::generate();
    let app = app();
    let manifest = publish(Release::signed("1.5.0", &key)).await;
    let public_key = key.public_key();

    let unconfigured = UpdateSource {
        manifest: None,
        public_key: Some(&public_key),
    };
    assert_eq!(
        updates::check(&app, unconfigured).await.unwrap(),
        UpdateCheck::NotConfigured {
            current_version: CURRENT.into()
        }
    );
    let unsigned_build = UpdateSource {
        manifest: Some(manifest),
        public_key: None,
    };
    assert_eq!(
        updates::check(&app, unsigned_build).await.unwrap(),
        UpdateCheck::CannotVerify {
            current_version: CURRENT.into()
        },
        "a build that cannot verify offers nothing, even a newer release"
    );
}

#[tokio::test]
async fn an_unreachable_or_broken_manifest_says_so() {
    let key = SigningKey::generate();
    let public_key = key.public_key();
    let app = app();

    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!(
        "http://{}/latest.json",
        closed.local_addr().unwrap()
    ))
    .unwrap();
    drop(closed);
    let source = UpdateSource {
        manifest: Some(url.clone()),
        public_key: Some(&public_key),
    };
    let error = updates::check(&app, source)
        .await
        .expect_err("nobody answers");
    assert!(
        matches!(error, UpdateError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(url.as_str()),
        "names the URL: {error}"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/latest.json", listener.local_addr().unwrap());
    serve(
        listener,
        json!({"version": "1.5.0", "notes": "no files"}),
        Vec::new(),
    );
    let source = UpdateSource {
        manifest: Some(Url::parse(&url).unwrap()),
        public_key: Some(&public_key),
    };
    let error = updates::check(&app, source)
        .await
        .expect_err("no url, no signature");
    assert!(
        matches!(error, UpdateError::BadManifest { .. }),
        "{error:?}"
    );
}
