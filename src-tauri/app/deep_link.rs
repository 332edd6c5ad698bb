//! Deep links into the tests: `com.ecaadmin.desktop:/oauth/callback?code=…&state=…` for the
//! test logins, `com.ecaadmin.desktop:/platform-test/done?request=…` for the tests on the
//! platform.
//!
//! Every URL the OS hands over — at a cold start (`get_current`) or to the running instance
//! (`on_open_url`: forwarded by single-instance on Linux and Windows, sent by the OS on macOS) —
//! goes, by its path, to the pending test logins ([`eca_oidc::login::pending`]), which match it
//! by `state`, or to the pending tests on the platform
//! ([`eca_core::platform_test::return_link`]), which match it by test id.
//!
//! Invariants:
//! - A URL is untrusted input (any local process can start the app with one): it is parsed
//!   strictly, matched in constant time, consumed once; a URL that matches nothing is refused,
//!   logged and reported to the window, never a crash.
//! - The query may hold an authorization code: it is never logged, and never sent to the webview.
//! - Only the configured scheme ([`SCHEME`]) is considered.

use crate::state::AppState;
use crate::test_login::{Refusal, REFUSED_EVENT};
use eca_core::platform_test::return_link::RETURN_PATH;
use eca_oidc::login::run::DEEP_LINK_REDIRECT;
use tauri::{App, AppHandle, Emitter, Manager, Runtime, Url};
use tauri_plugin_deep_link::DeepLinkExt;

/// The private-use URI scheme (RFC 8252 §7.1): the bundle identifier, a reversed domain name.
pub const SCHEME: &str = eca_core::data_dir::APP_IDENTIFIER;

/// Registers the handlers; call once from the app's `setup`, after the state is managed.
pub fn setup<R: Runtime>(app: &mut App<R>) -> Result<(), Box<dyn std::error::Error>> {
    // Development builds register the scheme for the binary being run. Release builds never do:
    // it would overwrite the handler the installer registered.
    #[cfg(all(debug_assertions, any(target_os = "linux", windows)))]
    if let Err(error) = app.deep_link().register_all() {
        tracing::warn!("cannot register the {SCHEME}: scheme for this debug build: {error}");
    }

    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            receive(&handle, &url);
        }
    });
    // A cold start by a link: no login of this process can be waiting for it, so it is refused
    // like any other unmatched callback (and logged).
    for url in app.deep_link().get_current()?.unwrap_or_default() {
        receive(app.handle(), &url);
    }
    Ok(())
}

fn receive<R: Runtime>(app: &AppHandle<R>, url: &Url) {
    if url.scheme() != SCHEME {
        tracing::warn!(scheme = url.scheme(), "ignored a URL with another scheme");
        return;
    }
    let Some(state) = app.try_state::<AppState>() else {
        tracing::warn!(url = %without_query(url), "deep link before the app was ready: refused");
        return;
    };
    let delivered = if url.path() == RETURN_PATH {
        state
            .platform_returns
            .deliver(url.as_str())
            .map(|test_id| test_id.to_string())
            .map_err(|refused| refused.to_string())
    } else {
        let now = time::OffsetDateTime::now_utc();
        state
            .callbacks
            .deliver(url.as_str(), DEEP_LINK_REDIRECT, now)
            .map_err(|refused| refused.to_string())
    };
    match delivered {
        Ok(run_id) => {
            tracing::info!(%run_id, url = %without_query(url), "deep link delivered to its test")
        }
        Err(reason) => {
            tracing::warn!(url = %without_query(url), %reason, "deep link refused");
            let _ = app.emit(REFUSED_EVENT, Refusal { reason });
        }
    }
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
