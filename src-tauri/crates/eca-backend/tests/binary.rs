//! The `eca-backend` binary as `make backend` runs it: it prints its URL, the dev workspace
//! and its key, serves them, and prints the same key after a restart on the same data folder.

mod common;

use common::{client, send};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The running binary (and its stdout, kept open); killed when dropped.
struct Process(
    Child,
    #[allow(dead_code)] BufReader<std::process::ChildStdout>,
);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How the first line gives the dev key: the key itself when this start created it, else the
/// file that holds it.
#[derive(Debug, PartialEq)]
enum DevKey {
    Shown(String),
    InFile(String),
}

/// Starts the binary on a free loopback port and reads its first line: (process, url, key).
fn launch(data_dir: &std::path::Path) -> (Process, String, DevKey) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eca-backend"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("ECA_BACKEND_SECRET_KEY")
        .env_remove("ECA_BACKEND_API_KEYS")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data_dir.join("stderr.log")).unwrap())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("the binary prints a line");
    let process = Process(child, stdout);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no loopback URL in the first line: {line:?}"))
        .to_string();
    assert!(
        line.contains("workspace=dev"),
        "the dev workspace is printed: {line:?}"
    );
    let word = |prefix: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(prefix))
            .map(str::to_string)
    };
    let key = match (word("api_key="), word("api_key_file=")) {
        (Some(key), None) => DevKey::Shown(key),
        (None, Some(file)) => DevKey::InFile(file),
        _ => panic!("the first line gives the key or its file: {line:?}"),
    };
    (process, url, key)
}

#[tokio::test]
async fn the_binary_prints_a_working_url_and_a_new_dev_key_once_and_names_its_file_after() {
    let dir = tempfile::tempdir().unwrap();
    let (process, url, shown) = launch(dir.path());
    let DevKey::Shown(key) = shown else {
        panic!("a new key is shown: {shown:?}")
    };
    assert!(
        key.starts_with("eca_") && key.len() == 68,
        "a generated key: {key}"
    );
    let http = client();
    let health = send(http.get(format!("{url}/v1/health"))).await;
    assert_eq!(health.status, 200);
    let list = send(
        http.get(format!("{url}/v1/workspaces/dev/idps"))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(
        list.status,
        200,
        "the printed key opens the dev workspace: {}",
        list.text()
    );
    drop(process);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["secret.key", "dev-api-key"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file} must be private to its owner");
        }
    }

    let (_process, url, again) = launch(dir.path());
    let file = dir.path().join("dev-api-key");
    assert_eq!(
        again,
        DevKey::InFile(file.display().to_string()),
        "a kept key is not shown again, its file is named"
    );
    let again = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(
        again, key,
        "the dev key is kept in the data folder across restarts"
    );
    let list = send(
        http.get(format!("{url}/v1/workspaces/dev/idps"))
            .bearer_auth(&again),
    )
    .await;
    assert_eq!(
        list.status,
        200,
        "{} / {}",
        list.text(),
        std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
    );
}

#[test]
fn the_binary_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_eca-backend"))
        .args(["--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success(), "it must exit with an error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--allow-remote"),
        "the error says what to do: {stderr}"
    );
}
