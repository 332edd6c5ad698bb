//! Node helpers from tests/oidc/ (the real OpenID provider, hostile discovery servers, the
//! scripted browser), started on loopback ephemeral ports so tests run in parallel.
//!
//! Needs Node and `npm ci --prefix tests/oidc`; without them tests fail, never skip.
//!
//! Node 20 can deadlock before the script says READY: every thread waits on a lock and the
//! process uses no CPU (most likely `NodePlatform::DrainTasks`, nodejs/node#54918; seen once
//! in ~2,400 starts on a loaded 2-core machine, twice in CI). Such a start is told apart from
//! a slow one by its CPU time, which stops growing, and is replaced by a fresh start; what it
//! was waiting on is written to the test run's stderr, uncaptured, so a passing run still
//! shows it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a server may take to say READY before the test fails as hung.
const READY_WITHIN: Duration = Duration::from_secs(120);
/// A server that has used no CPU for this long without saying READY is stuck, not slow.
const STUCK_AFTER: Duration = Duration::from_secs(10);
/// Starts tried before a test fails because every one was stuck.
const STARTS: usize = 3;

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
        let mut stuck = Vec::new();
        for _ in 0..STARTS {
            match Starting::spawn(&oidc_dir.join(script), args).ready(script, STUCK_AFTER) {
                Ok(server) => {
                    if !stuck.is_empty() {
                        let _ = writeln!(
                            std::io::stderr(),
                            "note: {script} was stuck before READY and was started again:\n{}",
                            stuck.join("\n")
                        );
                    }
                    return server;
                }
                Err(report) => stuck.push(report),
            }
        }
        panic!(
            "{script} was stuck before READY in all {STARTS} starts:\n{}",
            stuck.join("\n")
        );
    }
}

/// A server started, not yet READY.
struct Starting {
    child: Child,
    line: Receiver<String>,
    stderr: Receiver<String>,
}

impl Starting {
    fn spawn(script: &Path, args: &[&str]) -> Self {
        let mut child = Command::new("node")
            .arg(script)
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
        let (tx, line) = mpsc::channel();
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
        Starting {
            child,
            line,
            stderr: err_rx,
        }
    }

    /// The server once it says READY; `Err` with what it was waiting on when it has used no
    /// CPU for `stuck_after`. Panics when it fails: it exits, prints something else, or is
    /// still busy after [`READY_WITHIN`] (a generous deadline for a hang on a loaded machine,
    /// not a measure of speed).
    fn ready(mut self, script: &str, stuck_after: Duration) -> Result<NodeServer, String> {
        let started = Instant::now();
        let mut cpu = cpu_ticks(self.child.id());
        let mut busy_at = Instant::now();
        let line = loop {
            match self.line.recv_timeout(Duration::from_secs(1)) {
                Ok(line) => break line,
                Err(RecvTimeoutError::Disconnected) => break String::new(),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = cpu_ticks(self.child.id());
            if now != cpu {
                cpu = now;
                busy_at = Instant::now();
            } else if cpu.is_some() && busy_at.elapsed() >= stuck_after {
                let waits = waits(self.child.id());
                let stderr = self.stop();
                let report = format!("{waits}  its stderr:\n{stderr}");
                return Err(format!(
                    "- a start used no CPU for {} s, {} s after it began; its threads wait in:\n{report}",
                    stuck_after.as_secs(),
                    started.elapsed().as_secs()
                ));
            }
            if started.elapsed() >= READY_WITHIN {
                break String::new();
            }
        };
        match line.trim_end().strip_prefix("READY ") {
            Some(url) => Ok(NodeServer {
                url: url.to_string(),
                child: self.child,
            }),
            None => {
                let state = match self.child.try_wait() {
                    Ok(Some(status)) => format!("it exited ({status})"),
                    _ => format!("still running after {} s", started.elapsed().as_secs()),
                };
                let stderr = self.stop();
                panic!("{script} did not print `READY <url>` (got {line:?}; {state}); its stderr:\n{stderr}");
            }
        }
    }

    /// Kills the server; what it printed on stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default()
    }
}

/// The CPU time `pid` has used, in clock ticks, or `None` where /proc cannot tell (then only
/// [`READY_WITHIN`] applies).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: state is
    // the first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Where each thread of `pid` waits (the kernel's wait channel), and the threads' stacks when
/// gdb is installed.
fn waits(pid: u32) -> String {
    let mut report = String::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let read = |name: &str| {
                std::fs::read_to_string(task.path().join(name))
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            };
            report += &format!(
                "  thread {} ({}): {}\n",
                task.file_name().to_string_lossy(),
                read("comm"),
                read("wchan")
            );
        }
    }
    // gdb's stderr too: where ptrace is restricted (Yama), it says it could not attach.
    if let Ok(out) = Command::new("timeout")
        .args(["60", "gdb", "-p", &pid.to_string(), "-batch"])
        .args(["-ex", "thread apply all bt 12"])
        .stdin(Stdio::null())
        .output()
    {
        report += &String::from_utf8_lossy(&out.stdout);
        report += &String::from_utf8_lossy(&out.stderr);
    }
    report
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A script in a temporary folder that runs `body`.
    fn script(body: &str) -> tempfile::TempPath {
        let file = tempfile::Builder::new().suffix(".mjs").tempfile().unwrap();
        std::fs::write(file.path(), body).unwrap();
        file.into_temp_path()
    }

    #[test]
    fn a_start_that_waits_on_a_lock_is_stuck_and_says_where() {
        // The main thread blocks on a futex, as in Node's deadlock, and uses no CPU.
        let stuck = script("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);");
        let report = Starting::spawn(&stuck, &[])
            .ready("stuck.mjs", Duration::from_secs(2))
            .err()
            .expect("a start that waits forever is stuck");
        // The wait channel names the futex where the kernel shows wait channels (some
        // sandboxes show 0).
        let shown = std::fs::read_to_string("/proc/self/wchan").is_ok_and(|w| w != "0");
        assert!(
            report.contains("thread") && (!shown || report.contains("futex")),
            "{report}"
        );
    }

    #[test]
    fn a_start_that_is_slow_but_busy_is_waited_for() {
        let slow = script(
            "const end = Date.now() + 4000; while (Date.now() < end) {}\n\
             process.stdout.write('READY http://127.0.0.1:1\\n');\n\
             setInterval(() => {}, 1000);",
        );
        let server = Starting::spawn(&slow, &[])
            .ready("slow.mjs", Duration::from_secs(2))
            .expect("a busy start is not stuck");
        assert_eq!(server.url, "http://127.0.0.1:1");
    }
}

pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    root.canonicalize().unwrap_or(root)
}
