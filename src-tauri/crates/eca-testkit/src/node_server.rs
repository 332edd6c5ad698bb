//! Node helpers from tests/oidc/ (the real OpenID provider, hostile discovery servers, the
//! scripted browser), started on loopback ephemeral ports so tests run in parallel.
//!
//! Needs Node and `npm ci --prefix tests/oidc`; without them tests fail, never skip.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to say READY before the test fails as hung.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// A node server from tests/oidc/, killed when dropped (also when a test panics). Its stdin is
/// a pipe, so it exits by itself should this process die before the drop runs.
pub struct NodeServer {
    child: Child,
    pub url: String,
}

impl NodeServer {
    pub fn start(script: &str, args: &[&str]) -> Self {
        let oidc_dir = workspace_root().join("tests/oidc");
        assert!(
            oidc_dir.join("node_modules/oidc-provider").is_dir(),
            "{} has no node_modules: run `npm ci --prefix tests/oidc` from the repository root",
            oidc_dir.display()
        );
        let mut child = Command::new("node")
            // On SIGUSR2, Node writes a diagnostic report (with the JavaScript stack) to
            // stderr: what a server that hangs before READY was doing.
            .args(["--report-on-signal", "--report-signal=SIGUSR2"])
            .arg("--report-filename=stderr")
            .arg(oidc_dir.join(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start `node` ({err}): install Node.js 20 or newer")
            });

        // Read from threads so that a server that never says READY fails the test in time
        // instead of hanging it, with what it printed on stderr.
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });

        let mut server = NodeServer {
            child,
            url: String::new(),
        };
        // A generous wait: on a loaded 2-core machine, loading oidc-provider has been seen to
        // take long. This is a deadline for a hang, not a measure of speed.
        let started = Instant::now();
        let line = rx.recv_timeout(READY_WITHIN).unwrap_or_default();
        match line.trim_end().strip_prefix("READY ") {
            Some(url) => server.url = url.to_string(),
            None => {
                let waited = started.elapsed().as_secs();
                let state = match server.child.try_wait() {
                    Ok(Some(status)) => format!("it exited ({status})"),
                    _ => {
                        let _ = Command::new("kill")
                            .args(["-USR2", &server.child.id().to_string()])
                            .status();
                        std::thread::sleep(Duration::from_secs(3));
                        format!("still running after {waited} s; its report follows")
                    }
                };
                let _ = server.child.kill();
                let stderr = err_rx
                    .recv_timeout(Duration::from_secs(5))
                    .unwrap_or_default();
                panic!(
                    "{script} did not print `READY <url>` (got {line:?}; {state}); its stderr:\n{stderr}"
                );
            }
        }
        server
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    root.canonicalize().unwrap_or(root)
}
