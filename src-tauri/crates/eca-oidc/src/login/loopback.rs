//! The loopback redirect listener (RFC 8252 §7.3), for IdPs that refuse private-use schemes and
//! for the CLI; also the CLI's "the browser came back" listener of a test on the platform
//! (another path, same rules).
//!
//! Invariants:
//! - It binds to 127.0.0.1, never to another interface: on the IdP's fixed loopback port when
//!   it has one (for IdPs that match redirect URIs exactly, port included), else on an
//!   ephemeral port. A fixed port that is taken is an error naming the port, never a silent
//!   fallback to another port the IdP would refuse.
//! - What the admin can register for a loopback redirect is said here ([`registration_advice`]),
//!   for every fix message that names the redirect.
//! - It reads at most [`MAX_REQUEST_BYTES`] of a request, with a per-connection time limit.
//! - Only a `GET` of its one path ([`CALLBACK_PATH`] unless bound with another) can end the
//!   wait; any other path gets a 404 and the login stays pending. A malformed callback gets a 400 and the login stays pending too.
//! - The page it serves is static: it loads nothing external and echoes nothing from the request.
//! - It stops after the first well-formed callback or at the deadline, whichever comes first.

use super::callback::{self, CallbackParams};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

pub const CALLBACK_PATH: &str = "/oauth/callback";
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

const DONE_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>ECA Admin</title><style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;\
text-align:center;color:#1f2937}</style></head><body><h1>Login received</h1>\
<p>You can close this tab and return to ECA Admin to see the result.</p></body></html>";

pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    path: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    #[error("cannot listen on 127.0.0.1 for the login's redirect: {0}")]
    Bind(std::io::Error),
    #[error(
        "the IdP's loopback port {0} on 127.0.0.1 is in use by another program (or another test \
         login)"
    )]
    PortInUse(u16),
    #[error("no redirect arrived before the timeout")]
    TimedOut,
}

impl LoopbackError {
    /// What the admin can do about it.
    pub fn fix(&self) -> String {
        match self {
            LoopbackError::PortInUse(port) => format!(
                "Close the program that listens on port {port} (or wait for the other test login \
                 to end) and run the test again. If the port stays taken, choose another \
                 \"Loopback port\" for this IdP and register \
                 http://127.0.0.1:<that port>{CALLBACK_PATH} at the IdP."
            ),
            LoopbackError::Bind(_) | LoopbackError::TimedOut => "Allow the app to listen on \
                 127.0.0.1, or switch the IdP's test redirect to the deep link."
                .into(),
        }
    }
}

impl LoopbackListener {
    /// The redirect listener: on `fixed_port` when given, else on a free port picked by the OS.
    pub async fn bind(fixed_port: Option<u16>) -> Result<Self, LoopbackError> {
        Self::bind_at(fixed_port, CALLBACK_PATH).await
    }

    /// A listener whose one path is `path` (which starts with `/`).
    pub async fn bind_at(
        fixed_port: Option<u16>,
        path: &'static str,
    ) -> Result<Self, LoopbackError> {
        let listener = TcpListener::bind(("127.0.0.1", fixed_port.unwrap_or(0)))
            .await
            .map_err(|e| match (fixed_port, e.kind()) {
                (Some(port), std::io::ErrorKind::AddrInUse) => LoopbackError::PortInUse(port),
                _ => LoopbackError::Bind(e),
            })?;
        let port = listener.local_addr().map_err(LoopbackError::Bind)?.port();
        Ok(Self {
            listener,
            port,
            path,
        })
    }

    /// `http://127.0.0.1:<port>/oauth/callback` (or its other path).
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.path)
    }

    /// Waits for the first well-formed callback, answering everything else, until `deadline`.
    pub async fn wait(self, deadline: Instant) -> Result<CallbackParams, LoopbackError> {
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let (stream, _) = match accepted {
                Err(_) => return Err(LoopbackError::TimedOut),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "loopback accept failed");
                    continue;
                }
                Ok(Ok(pair)) => pair,
            };
            if let Some(params) = serve(stream, self.path).await {
                return Ok(params);
            }
        }
    }
}

/// What to register at the IdP so that it accepts `redirect_uri`, the redirect a test login
/// used; `fixed_port` is the IdP's loopback port setting. A loopback redirect on a port picked
/// for one run cannot be registered for good, so the advice names what can.
pub fn registration_advice(redirect_uri: &str, fixed_port: Option<u16>) -> String {
    let picked_per_run = fixed_port.is_none()
        && redirect_uri
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix(CALLBACK_PATH))
            .is_some_and(|port| port.parse::<u16>().is_ok());
    if picked_per_run {
        format!(
            "This test listened on a port picked for this run only. If the IdP matches redirect \
             URIs exactly, port included, it needs a fixed loopback port: set \"Loopback port\" \
             in the IdP's form (eca idp edit --loopback-port N) and register exactly \
             http://127.0.0.1:N{CALLBACK_PATH}. IdPs that follow RFC 8252 §7.3 accept any port \
             once http://127.0.0.1{CALLBACK_PATH} is registered."
        )
    } else {
        format!("Register exactly {redirect_uri} at the IdP.")
    }
}

/// Answers one connection; returns the callback's parameters if it was a good one.
async fn serve(mut stream: TcpStream, expected_path: &str) -> Option<CallbackParams> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => {
            respond(&mut stream, 400, "Bad Request", "text/plain", "Bad request").await;
            return None;
        }
    };
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != expected_path {
        respond(&mut stream, 404, "Not Found", "text/plain", "Not found").await;
        return None;
    }
    if method != "GET" {
        respond(
            &mut stream,
            405,
            "Method Not Allowed",
            "text/plain",
            "Method not allowed",
        )
        .await;
        return None;
    }
    match callback::parse_query(query) {
        Ok(params) => {
            respond(
                &mut stream,
                200,
                "OK",
                "text/html; charset=utf-8",
                DONE_PAGE,
            )
            .await;
            Some(params)
        }
        Err(e) => {
            tracing::warn!(error = %e, "loopback callback refused");
            respond(
                &mut stream,
                400,
                "Bad Request",
                "text/plain",
                "This is not a valid login response.",
            )
            .await;
            None
        }
    }
}

/// Reads up to the end of the request head, bounded; `None` if it is too long or not UTF-8.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return String::from_utf8(buf).ok();
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &str,
) {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(uri: &str) -> (u16, String) {
        let r = reqwest::get(uri).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    #[tokio::test]
    async fn other_paths_do_not_consume_the_login() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let redirect = listener.redirect_uri();
        assert!(redirect.starts_with("http://127.0.0.1:"));
        let base = redirect.trim_end_matches(CALLBACK_PATH).to_string();
        let waiter = tokio::spawn(listener.wait(Instant::now() + Duration::from_secs(10)));
        assert_eq!(get(&format!("{base}/favicon.ico")).await.0, 404);
        assert_eq!(get(&format!("{redirect}X?code=a")).await.0, 404);
        let (status, _) = get(&format!("{redirect}?code=a&code=b")).await;
        assert_eq!(status, 400, "a malformed callback is refused");
        let (status, page) = get(&format!("{redirect}?code=c0de&state=st%3Cscript%3E")).await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("c0de") && !page.contains("script>"),
            "the page echoes nothing"
        );
        let params = waiter.await.unwrap().unwrap();
        assert_eq!(params.code.as_deref(), Some("c0de"));
        assert_eq!(params.state.as_deref(), Some("st<script>"));
        assert!(
            reqwest::get(&redirect).await.is_err(),
            "the listener is closed after the callback"
        );
    }

    /// A port that was free a moment ago (bound by the OS, then released).
    async fn free_port() -> u16 {
        let probe = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        probe.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn a_fixed_port_is_the_one_listened_on() {
        let port = free_port().await;
        let listener = LoopbackListener::bind(Some(port)).await.unwrap();
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{port}/oauth/callback")
        );
        let waiter = tokio::spawn(listener.wait(Instant::now() + Duration::from_secs(10)));
        let (status, _) = get(&format!("http://127.0.0.1:{port}/oauth/callback?code=c")).await;
        assert_eq!(status, 200);
        assert_eq!(waiter.await.unwrap().unwrap().code.as_deref(), Some("c"));
    }

    #[tokio::test]
    async fn a_taken_fixed_port_is_an_error_naming_it() {
        let taken = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = match LoopbackListener::bind(Some(port)).await {
            Err(e) => e,
            Ok(l) => panic!("bound {} although it is taken", l.redirect_uri()),
        };
        assert!(
            matches!(err, LoopbackError::PortInUse(p) if p == port),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("port {port} ")), "{err}");
        assert!(err.fix().contains(&format!("port {port}")), "{}", err.fix());
        assert!(err.fix().contains("\"Loopback port\""), "{}", err.fix());
    }

    #[test]
    fn the_advice_names_what_can_be_registered() {
        let fixed = registration_advice("http://127.0.0.1:8765/oauth/callback", Some(8765));
        assert_eq!(
            fixed,
            "Register exactly http://127.0.0.1:8765/oauth/callback at the IdP."
        );
        let random = registration_advice("http://127.0.0.1:41234/oauth/callback", None);
        assert!(
            !random.contains("41234"),
            "a port picked for one run is never offered for registration: {random}"
        );
        assert!(random.contains("set \"Loopback port\""), "{random}");
        assert!(
            random.contains("RFC 8252 §7.3 accept any port once http://127.0.0.1/oauth/callback"),
            "{random}"
        );
        assert_eq!(
            registration_advice("com.ecaadmin.desktop:/oauth/callback", None),
            "Register exactly com.ecaadmin.desktop:/oauth/callback at the IdP."
        );
    }

    #[tokio::test]
    async fn another_path_is_its_only_path() {
        let listener = LoopbackListener::bind_at(None, "/platform-test/done")
            .await
            .unwrap();
        let done = listener.redirect_uri();
        assert!(done.ends_with("/platform-test/done"), "{done}");
        let base = done.trim_end_matches("/platform-test/done").to_string();
        let waiter = tokio::spawn(listener.wait(Instant::now() + Duration::from_secs(10)));
        assert_eq!(get(&format!("{base}{CALLBACK_PATH}?code=a")).await.0, 404);
        assert_eq!(get(&done).await.0, 200);
        assert!(
            waiter.await.unwrap().is_ok(),
            "a GET of its path ends the wait"
        );
    }

    #[tokio::test]
    async fn it_times_out() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let r = listener
            .wait(Instant::now() + Duration::from_millis(50))
            .await;
        assert!(matches!(r, Err(LoopbackError::TimedOut)));
    }
}
