//! The loopback redirect listener (RFC 8252 §7.3), for IdPs that refuse private-use schemes and
//! for the CLI; also the CLI's "the browser came back" listener of a test on the platform
//! (another path, same rules).
//!
//! Any local process can connect to the port, so:
//! - It binds to 127.0.0.1, never to another interface: on the IdP's fixed loopback port when
//!   it has one (for IdPs that match redirect URIs exactly, port included), else on an
//!   ephemeral port. A fixed port that is taken is an error naming the port, never a silent
//!   fallback to another port the IdP would refuse.
//! - What the admin can register for a loopback redirect is said here ([`registration_advice`]),
//!   for every fix message that names the redirect.
//! - Connections are served concurrently, at most [`MAX_CONNECTIONS`] at once (more are
//!   answered 503 and closed); each reads at most [`MAX_REQUEST_BYTES`] of its request head
//!   within [`READ_TIMEOUT`]. So an idle or slow socket never holds up the real callback.
//! - The request's `Host` must be the address as bound (`127.0.0.1`, `localhost` or `[::1]`
//!   with this port), else 400: a web page that rebinds a DNS name to 127.0.0.1 cannot reach it.
//! - Only a `GET` of its one path ([`CALLBACK_PATH`] unless bound with another) that carries
//!   the login's `state` ([`callback::same_state`]) ends the wait. Any other path gets a 404, a
//!   malformed callback or one with another or no `state` a 400, and the listener keeps
//!   listening.
//! - Every page it serves is static: it loads nothing external and echoes nothing from the
//!   request.
//! - It stops after the first callback with the login's `state` or at the deadline, whichever
//!   comes first.

use super::callback::{self, CallbackParams};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

pub const CALLBACK_PATH: &str = "/oauth/callback";
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// The most connections served at once.
pub const MAX_CONNECTIONS: usize = 32;
/// How long a connection may take to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

const DONE_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>ECA Admin</title><style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;\
text-align:center;color:#1f2937}</style></head><body><h1>Login received</h1>\
<p>You can close this tab and return to ECA Admin to see the result.</p></body></html>";

/// Sent, without waiting, to a connection over [`MAX_CONNECTIONS`].
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\
Connection: close\r\n\r\n";

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

    /// Waits, until `deadline`, for the callback that carries `state`, answering every other
    /// request meanwhile.
    pub async fn wait(
        self,
        state: &str,
        deadline: Instant,
    ) -> Result<CallbackParams, LoopbackError> {
        let mut connections = FuturesUnordered::new();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return Err(LoopbackError::TimedOut),
                Some(served) = connections.next(), if !connections.is_empty() => {
                    if let Some(params) = served {
                        return Ok(params);
                    }
                }
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) if connections.len() < MAX_CONNECTIONS => {
                        connections.push(self.serve(stream, state));
                    }
                    // Best effort, without waiting: a full queue must not slow the loop down.
                    Ok((stream, _)) => drop(stream.try_write(BUSY_RESPONSE)),
                    Err(e) => tracing::warn!(error = %e, "loopback accept failed"),
                },
            }
        }
    }

    /// Answers one connection; returns the callback's parameters if it carries `state`.
    async fn serve(&self, mut stream: TcpStream, state: &str) -> Option<CallbackParams> {
        let (status, params) =
            match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
                Ok(Some(head)) => self.judge(&head, state),
                _ => (Status::BadRequest, None),
            };
        status.respond(&mut stream).await;
        params
    }

    /// What to answer to a request head, and the callback it delivers, if any.
    fn judge(&self, head: &str, state: &str) -> (Status, Option<CallbackParams>) {
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let (method, target) = (
            request_line.next().unwrap_or_default(),
            request_line.next().unwrap_or_default(),
        );
        if !self.host_is_bound(lines) {
            return (Status::BadRequest, None);
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != self.path {
            return (Status::NotFound, None);
        }
        if method != "GET" {
            return (Status::MethodNotAllowed, None);
        }
        match callback::parse_query(query) {
            Ok(params)
                if params
                    .state
                    .as_deref()
                    .is_some_and(|s| callback::same_state(state, s)) =>
            {
                (Status::Done, Some(params))
            }
            Ok(_) => {
                tracing::warn!("loopback callback refused: not this login's state");
                (Status::NotThisLogin, None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "loopback callback refused");
                (Status::NotThisLogin, None)
            }
        }
    }

    /// Whether the head has exactly one `Host`, naming this listener as bound.
    fn host_is_bound<'h>(&self, headers: impl Iterator<Item = &'h str>) -> bool {
        let mut hosts = headers.filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("host")
                .then(|| value.trim())
        });
        let (Some(host), None) = (hosts.next(), hosts.next()) else {
            return false;
        };
        let port = self.port;
        ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|name| host.eq_ignore_ascii_case(&format!("{name}:{port}")))
    }
}

/// The listener's answers, each a fixed page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Done,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    /// Malformed, or with another or no `state`: not the login this listener waits for.
    NotThisLogin,
}

impl Status {
    async fn respond(self, stream: &mut TcpStream) {
        let (status, content_type, body) = match self {
            Status::Done => ("200 OK", "text/html; charset=utf-8", DONE_PAGE),
            Status::BadRequest => ("400 Bad Request", "text/plain", "Bad request"),
            Status::NotFound => ("404 Not Found", "text/plain", "Not found"),
            Status::MethodNotAllowed => {
                ("405 Method Not Allowed", "text/plain", "Method not allowed")
            }
            Status::NotThisLogin => (
                "400 Bad Request",
                "text/plain",
                "This is not the login response this test waits for.",
            ),
        };
        respond(stream, status, content_type, body).await;
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

/// Reads up to the end of the request head, bounded; `None` if it is too long or not UTF-8.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Option<String> {
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

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
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

    const STATE: &str = "the-state";

    fn in_10s() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    async fn get(uri: &str) -> (u16, String) {
        let r = reqwest::get(uri).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Sends `head` as it is (no client fixes it up) and returns the status code answered.
    async fn raw(port: u16, head: &str) -> u16 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        // A turned-away connection may be reset after its answer: keep what came before.
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while let Ok(n @ 1..) = stream.read(&mut chunk).await {
            answer.extend_from_slice(&chunk[..n]);
        }
        let answer = String::from_utf8_lossy(&answer);
        answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
    }

    fn port_of(redirect: &str) -> u16 {
        let url = url::Url::parse(redirect).unwrap();
        url.port().unwrap()
    }

    #[tokio::test]
    async fn other_paths_do_not_consume_the_login() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let redirect = listener.redirect_uri();
        assert!(redirect.starts_with("http://127.0.0.1:"));
        let base = redirect.trim_end_matches(CALLBACK_PATH).to_string();
        let waiter = tokio::spawn(async move { listener.wait("st<script>", in_10s()).await });
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

    #[tokio::test]
    async fn a_callback_with_another_state_is_refused_and_the_real_one_still_ends_the_wait() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let redirect = listener.redirect_uri();
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        for stray in [
            "code=forged&state=guess",
            "code=forged",
            "code=forged&state=the-stat",
        ] {
            let (status, page) = get(&format!("{redirect}?{stray}")).await;
            assert_eq!(status, 400, "{stray} is not this login's callback");
            assert!(
                !page.contains("forged") && !page.contains("guess"),
                "{page}"
            );
        }
        assert!(
            !waiter.is_finished(),
            "the login still waits for its callback"
        );
        let (status, _) = get(&format!("{redirect}?code=real&state={STATE}")).await;
        assert_eq!(status, 200);
        let params = waiter.await.unwrap().unwrap();
        assert_eq!(
            params.code.as_deref(),
            Some("real"),
            "the login got the real code"
        );
    }

    #[tokio::test]
    async fn idle_connections_do_not_hold_up_the_real_callback() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let redirect = listener.redirect_uri();
        let port = port_of(&redirect);
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        let mut idle = Vec::new();
        for _ in 0..8 {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            // Half a request head, never finished.
            stream
                .write_all(b"GET /oauth/callback?code=x")
                .await
                .unwrap();
            idle.push(stream);
        }
        let real = async {
            get(&format!("{redirect}?code=real&state={STATE}")).await;
            waiter.await.unwrap().unwrap()
        };
        let params = tokio::time::timeout(READ_TIMEOUT / 5, real)
            .await
            .expect("the real callback got through while idle sockets were open");
        assert_eq!(params.code.as_deref(), Some("real"));
        drop(idle);
    }

    #[tokio::test]
    async fn connections_over_the_cap_are_turned_away() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let redirect = listener.redirect_uri();
        let port = port_of(&redirect);
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        let mut idle = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let head = format!("GET /oauth/callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        assert_eq!(raw(port, &head).await, 503, "one connection too many");
        drop(idle);
        // The listener notices the closed sockets as it reads them; then a slot is free again.
        let callback = format!("{redirect}?code=real&state={STATE}");
        let mut status = None;
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(&callback).await {
                status = Some(r.status().as_u16());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            status,
            Some(200),
            "served again once the idle ones are gone"
        );
        assert!(waiter.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn only_the_bound_host_is_served() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let port = port_of(&listener.redirect_uri());
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        let target = format!("/oauth/callback?code=c&state={STATE}");
        let request = |hosts: &[String]| {
            let headers: String = hosts.iter().map(|h| format!("Host: {h}\r\n")).collect();
            format!("GET {target} HTTP/1.1\r\n{headers}\r\n")
        };
        for hosts in [
            vec![format!("evil.example:{port}")],
            vec![format!("127.0.0.1.evil.example:{port}")],
            vec!["127.0.0.1".to_string()],
            vec![format!("127.0.0.1:{}", port.wrapping_add(1))],
            vec![],
            vec![format!("127.0.0.1:{port}"), format!("evil.example:{port}")],
        ] {
            assert_eq!(raw(port, &request(&hosts)).await, 400, "Host {hosts:?}");
        }
        assert!(!waiter.is_finished(), "a refused Host ends nothing");
        for host in [format!("LOCALHOST:{port}"), format!("[::1]:{port}")] {
            let head = format!("GET /favicon.ico HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert_eq!(raw(port, &head).await, 404, "{host} is let in");
        }
        assert_eq!(
            raw(port, &request(&[format!("127.0.0.1:{port}")])).await,
            200
        );
        assert!(waiter.await.unwrap().is_ok());
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
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        let callback = format!("http://127.0.0.1:{port}/oauth/callback?code=c&state={STATE}");
        assert_eq!(get(&callback).await.0, 200);
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
        let waiter = tokio::spawn(async move { listener.wait(STATE, in_10s()).await });
        let back = format!("{done}?state={STATE}");
        assert_eq!(
            get(&format!("{base}{CALLBACK_PATH}?state={STATE}")).await.0,
            404
        );
        assert_eq!(get(&done).await.0, 400, "without the state it ends nothing");
        assert_eq!(get(&back).await.0, 200);
        assert!(
            waiter.await.unwrap().is_ok(),
            "a GET of its path with the state ends the wait"
        );
    }

    /// A request head of `len` bytes (a long header line) whose blank line comes after them.
    fn head_of(len: usize) -> Vec<u8> {
        let start = "GET /oauth/callback HTTP/1.1\r\nX-Pad: ";
        let mut head = start.as_bytes().to_vec();
        head.resize(len, b'a');
        head.extend_from_slice(b"\r\n\r\n");
        head
    }

    #[tokio::test]
    async fn a_head_whose_end_comes_right_after_16_kib_is_read() {
        // Read in chunks: all 16 KiB (the cap, written out) come without the end, which is
        // still allowed, then the end.
        let head = head_of(16 * 1024);
        let read = read_head(&mut head.as_slice()).await;
        assert_eq!(read.map(|h| h.len()), Some(16 * 1024));
    }

    #[tokio::test]
    async fn a_head_that_goes_on_past_the_cap_is_refused() {
        let long = head_of(MAX_REQUEST_BYTES + 4096);
        assert_eq!(read_head(&mut long.as_slice()).await, None);
        let huge = head_of(1 << 20);
        assert_eq!(read_head(&mut huge.as_slice()).await, None);
    }

    #[tokio::test]
    async fn it_times_out() {
        let listener = LoopbackListener::bind(None).await.unwrap();
        let r = listener
            .wait(STATE, Instant::now() + Duration::from_millis(50))
            .await;
        assert!(matches!(r, Err(LoopbackError::TimedOut)));
    }
}
