//! Deep links (`com.ecaadmin.desktop:/oauth/callback?code=…&state=…`) into the webview.
//!
//! Every URL the OS hands over — at a cold start (`get_current`) or to the running instance
//! (`on_open_url`: forwarded by single-instance on Linux and Windows, sent by the OS on macOS) — is
//! emitted to the main webview as the event [`URL_EVENT`] whose payload is the URL string.
//!
//! Handshake with the UI: a URL can arrive before the page listens (always at a cold start), so
//! URLs are queued until the UI emits [`READY_EVENT`] after its `listen(URL_EVENT, …)` resolved.
//! A page load resets that, so a reload does not lose a URL either.
//!
//! Invariants:
//! - A URL is untrusted input (any local process can start the app with one): this module only
//!   forwards it; the consumer matches it to a pending login by `state` and uses it at most once.
//! - The query and fragment may hold an authorization code: they are never logged.
//! - Only the configured scheme ([`SCHEME`]) is forwarded.

use std::sync::Mutex;

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{App, AppHandle, Emitter, Listener, Manager, Runtime, Url, Webview};
use tauri_plugin_deep_link::DeepLinkExt;

/// The private-use URI scheme (RFC 8252 §7.1): the bundle identifier, a reversed domain name.
pub const SCHEME: &str = eca_core::data_dir::APP_IDENTIFIER;
/// Rust → UI: one received deep link; the payload is the URL as a string.
pub const URL_EVENT: &str = "deep-link://url";
/// UI → Rust: the UI listens to [`URL_EVENT`] now; queued URLs are sent at once.
pub const READY_EVENT: &str = "deep-link://ready";
/// The window whose webview receives deep links.
const MAIN_WINDOW: &str = "main";

/// URLs not yet delivered because the UI is not listening yet.
#[derive(Default)]
struct Inbox {
    ui_ready: bool,
    pending: Vec<String>,
}

struct DeepLinkInbox(Mutex<Inbox>);

/// Registers the handlers; call once from the app's `setup`.
pub fn setup<R: Runtime>(app: &mut App<R>) -> Result<(), Box<dyn std::error::Error>> {
    app.manage(DeepLinkInbox(Mutex::default()));

    // Development builds register the scheme for the binary being run. Release builds never do:
    // it would overwrite the handler the installer registered.
    #[cfg(all(debug_assertions, any(target_os = "linux", windows)))]
    if let Err(error) = app.deep_link().register_all() {
        tracing::warn!("cannot register the {SCHEME}: scheme for this debug build: {error}");
    }

    // Listen before reading the cold-start URL so none is missed; a link arriving in between
    // may then be seen twice, which the consumer tolerates (a callback is used at most once).
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            receive(&handle, &url);
        }
    });
    for url in app.deep_link().get_current()?.unwrap_or_default() {
        receive(app.handle(), &url);
    }

    let handle = app.handle().clone();
    app.listen(READY_EVENT, move |_| {
        let pending = {
            let mut inbox = inbox(&handle);
            inbox.ui_ready = true;
            std::mem::take(&mut inbox.pending)
        };
        for url in pending {
            emit(&handle, url);
        }
    });
    Ok(())
}

/// Builder hook: a page that starts loading has no listener until it says it is ready again.
pub fn on_page_load<R: Runtime>(webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
    if webview.label() == MAIN_WINDOW && payload.event() == PageLoadEvent::Started {
        if let Some(state) = webview.try_state::<DeepLinkInbox>() {
            state.0.lock().unwrap_or_else(|e| e.into_inner()).ui_ready = false;
        }
    }
}

fn receive<R: Runtime>(app: &AppHandle<R>, url: &Url) {
    if url.scheme() != SCHEME {
        tracing::warn!(scheme = url.scheme(), "ignored a URL with another scheme");
        return;
    }
    tracing::info!(url = %without_query(url), "deep link received");
    let url = url.to_string();
    let mut inbox = inbox(app);
    if inbox.ui_ready {
        drop(inbox);
        emit(app, url);
    } else {
        inbox.pending.push(url);
    }
}

fn emit<R: Runtime>(app: &AppHandle<R>, url: String) {
    if let Err(error) = app.emit_to(MAIN_WINDOW, URL_EVENT, url) {
        tracing::error!("cannot forward a deep link to the window: {error}");
    }
}

fn inbox<R: Runtime>(app: &AppHandle<R>) -> std::sync::MutexGuard<'_, Inbox> {
    // A panic while holding the lock leaves a still-valid queue: keep using it.
    app.state::<DeepLinkInbox>()
        .inner()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The URL for logs: no query, fragment or credentials, since they may carry an authorization code.
fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_url_has_no_code_or_state() {
        let url =
            Url::parse("com.ecaadmin.desktop:/oauth/callback?code=SECRET&state=S#frag").unwrap();
        let shown = without_query(&url);
        assert_eq!(shown, "com.ecaadmin.desktop:/oauth/callback");
        assert!(
            !shown.contains("SECRET"),
            "an authorization code must never reach the log"
        );
    }

    #[test]
    fn logged_url_has_no_credentials() {
        let url = Url::parse("com.ecaadmin.desktop://user:pw@host/cb?code=SECRET").unwrap();
        assert_eq!(without_query(&url), "com.ecaadmin.desktop://host/cb");
    }
}
