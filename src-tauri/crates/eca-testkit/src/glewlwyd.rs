//! A second real OpenID provider for login tests: Glewlwyd (Debian package `glewlwyd`), started
//! by `tests/glewlwyd/up.sh` on a free loopback port with a fresh SQLite database, a confidential
//! client and the user alice (see tests/glewlwyd/README.md).
//!
//! Invariants: a test that needs it fails (never skips) when glewlwyd is not installed, and says
//! that `make deps` installs it; the server is killed by its pid when the [`GlewlwydServer`] is
//! dropped (also when a test panics), and by the script's watcher should this process die first.

use crate::node_server::workspace_root;
use std::process::Command;

/// A running Glewlwyd, provisioned for one test; what it was provisioned with is [`Provisioned`]
/// (`server.issuer`, `server.client_id`…). Everything it stores lives in a temporary folder,
/// removed on drop.
pub struct GlewlwydServer {
    provisioned: Provisioned,
    _dir: tempfile::TempDir,
}

/// What `up.sh` reports on its READY line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioned {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// `<base_url>/api/oidc`; discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// A confidential client that authenticates with `client_secret_basic` only, and whose
    /// redirect URIs are exactly the ones given to [`GlewlwydServer::start`].
    pub client_id: String,
    pub client_secret: String,
    /// A user who may be granted `openid profile email`; their email is [`Self::USER_EMAIL`].
    pub user: String,
    pub password: String,
    pub pid: u32,
}

impl Provisioned {
    /// The user's `email` claim.
    pub const USER_EMAIL: &'static str = "alice@example.test";

    /// Parses `<base url> key=value…` (the READY line without its prefix).
    fn parse(line: &str) -> Self {
        let mut words = line.split(' ');
        let base_url = words.next().unwrap_or_default().to_string();
        let pairs: Vec<(&str, &str)> = words.filter_map(|w| w.split_once('=')).collect();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| panic!("the READY line has no {key}=: {line}"))
        };
        Self {
            issuer: get("issuer"),
            client_id: get("client_id"),
            client_secret: get("client_secret"),
            user: get("user"),
            password: get("password"),
            pid: get("pid")
                .parse()
                .expect("the READY line's pid is a number"),
            base_url,
        }
    }

    /// `ECA_BROWSER_USER` and `ECA_BROWSER_PASSWORD` for tests/oidc/browser.mjs.
    pub fn browser_env(&self) -> [(&'static str, String); 2] {
        [
            ("ECA_BROWSER_USER", self.user.clone()),
            ("ECA_BROWSER_PASSWORD", self.password.clone()),
        ]
    }
}

impl GlewlwydServer {
    /// Starts and provisions a Glewlwyd whose client accepts exactly `redirect_uris` (Glewlwyd
    /// compares them as exact strings, a loopback port included). Panics with the script's
    /// reason when it cannot.
    pub fn start(redirect_uris: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder for glewlwyd");
        let script = workspace_root().join("tests/glewlwyd/up.sh");
        let mut cmd = Command::new(&script);
        cmd.arg("--dir")
            .arg(dir.path())
            .arg("--watch-pid")
            .arg(std::process::id().to_string());
        for uri in redirect_uris {
            cmd.args(["--redirect-uri", uri]);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} ({e})", script.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ready = stdout.lines().find_map(|l| l.strip_prefix("READY "));
        let (Some(line), true) = (ready, out.status.success()) else {
            // The script names what is missing and that `make deps` installs it.
            panic!(
                "tests/glewlwyd/up.sh failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        };
        Self {
            provisioned: Provisioned::parse(line),
            _dir: dir,
        }
    }
}

impl std::ops::Deref for GlewlwydServer {
    type Target = Provisioned;
    fn deref(&self) -> &Provisioned {
        &self.provisioned
    }
}

impl Drop for GlewlwydServer {
    /// Killed outright: its state is throw-away, and SIGTERM takes it about two seconds.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.provisioned.pid.to_string()])
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_line_is_read_by_key() {
        let p = Provisioned::parse(
            "http://127.0.0.1:4000 issuer=http://127.0.0.1:4000/api/oidc client_id=c \
             client_secret=s user=alice password=p pid=4242 dir=/tmp/x",
        );
        assert_eq!(
            p,
            Provisioned {
                base_url: "http://127.0.0.1:4000".into(),
                issuer: "http://127.0.0.1:4000/api/oidc".into(),
                client_id: "c".into(),
                client_secret: "s".into(),
                user: "alice".into(),
                password: "p".into(),
                pid: 4242,
            }
        );
    }
}
