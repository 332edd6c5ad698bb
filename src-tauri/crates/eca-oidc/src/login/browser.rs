//! Opening the system browser (never an embedded webview) at the IdP's login page.
//!
//! The platform seam: `$BROWSER` first (the Unix convention, and how tests drive the login:
//! a `:`-separated list of commands, `%s` replaced by the URL, else the URL appended), then the
//! OS opener: `xdg-open` on Linux and the BSDs, `open` on macOS, the URL protocol handler on
//! Windows. Invariant: the browser is started detached; nothing here waits for the login.

use std::process::{Command, Stdio};
use url::Url;

pub trait Browser: Send + Sync {
    /// Starts the browser at `url`; an error says what to do.
    fn open(&self, url: &Url) -> Result<(), String>;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        let url = url.as_str();
        if let Some(list) = std::env::var("BROWSER")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            let mut last = String::new();
            for entry in list.split(':').filter(|e| !e.trim().is_empty()) {
                match spawn_browser_entry(entry, url) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e,
                }
            }
            return Err(format!(
                "Could not start $BROWSER ({last}). Fix $BROWSER or unset it."
            ));
        }
        let (program, args) = os_opener(url);
        spawn(program, &args).map_err(|e| {
            format!("Could not open the system browser with {program} ({e}). Set $BROWSER to your browser's command.")
        })
    }
}

fn spawn_browser_entry(entry: &str, url: &str) -> Result<(), String> {
    let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return Err("empty command".into());
    }
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    let program = words.remove(0);
    spawn(&program, &words).map_err(|e| format!("{program}: {e}"))
}

#[cfg(target_os = "macos")]
fn os_opener(url: &str) -> (&'static str, Vec<String>) {
    ("open", vec![url.to_string()])
}

#[cfg(target_os = "windows")]
fn os_opener(url: &str) -> (&'static str, Vec<String>) {
    // Not `cmd /c start`: cmd would interpret the URL's `&`.
    (
        "rundll32",
        vec!["url.dll,FileProtocolHandler".into(), url.to_string()],
    )
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
fn os_opener(url: &str) -> (&'static str, Vec<String>) {
    ("xdg-open", vec![url.to_string()])
}

fn spawn(program: &str, args: &[String]) -> std::io::Result<()> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    // Reap it in the background so no zombie is left; its exit status is not ours to judge.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}
