//! The hardened HTTP client that every call to an identity provider goes through (discovery
//! now; token exchange, userinfo, JWKS and sync later).
//!
//! Invariants:
//! - Redirects are never followed. A provider must not be able to bounce the app onto another
//!   host (a cloud metadata endpoint, an admin page on the LAN): a 3xx is an error that says
//!   where it pointed (SSRF, as openidconnect-rs recommends).
//! - Every body is read with a byte cap counted as the chunks arrive; a `Content-Length` is
//!   only used to refuse early, never trusted to bound the read.
//! - Connect and total timeouts are always set, so a silent host cannot hang a test login.
//! - Errors carry only what is safe to show an admin: the host, the URL without user info,
//!   query or fragment, the status, and a short sanitised snippet of the body. Request headers
//!   (`Authorization`, client secrets in a form body) never reach an error.
//! - Every exchange goes through [`HttpClient::send`], so the time a task waits on IdPs is
//!   counted there and only there ([`time_idp_calls`]), and every request is held to the
//!   client's [`Reach`] there (a literal address) and in its resolver (a host name).

use std::error::Error as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::reach::{NotPublic, PublicResolver, Reach};
use eca_model::validation::is_loopback_url;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{redirect, Client, IntoUrl, Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

/// `ECA-Admin/<version>`, so an IdP's logs show who called.
pub const USER_AGENT: &str = concat!("ECA-Admin/", env!("CARGO_PKG_VERSION"));
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// For the whole exchange: connect, send, and read the body.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an idle connection stays in the pool: under the 5 s keep-alive of Node and Apache
/// servers, so the client drops it before the IdP closes it. A POST sent on a connection the
/// server is closing is reset, and a code exchange cannot be sent twice.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// The fields of a JSON error body that a snippet shows, in this order.
pub const ERROR_FIELDS: [&str; 6] = [
    "error",
    "error_description",
    "error_uri",
    "message",
    "title",
    "detail",
];

/// How many characters of an error body are shown.
const SNIPPET_CHARS: usize = 200;

/// The one client every call to an IdP goes through (the platform's webhooks too): no
/// redirects, timeouts, no cookie store, and the addresses it may reach ([`Reach`]).
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: Client,
    reach: Reach,
}

/// The admin's computer's client: it reaches IdPs anywhere, through the environment's proxies
/// but never for this computer ([`proxies`]).
pub fn client() -> HttpClient {
    HttpClient::new(Reach::Anywhere)
}

impl HttpClient {
    pub fn new(reach: Reach) -> Self {
        Self::with_env(reach, &|name| std::env::var(name).ok())
    }

    /// [`HttpClient::new`], its proxies read through `env` (for tests). A client that reaches
    /// public addresses only uses no proxy: a proxy would resolve the names itself, beyond the
    /// resolver that keeps them public.
    fn with_env(reach: Reach, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let builder = match reach {
            Reach::Anywhere => proxies(env)
                .into_iter()
                .fold(Client::builder().no_proxy(), |b, proxy| b.proxy(proxy)),
            Reach::PublicOnly => Client::builder()
                .no_proxy()
                .dns_resolver(std::sync::Arc::new(PublicResolver)),
        };
        let client = builder
            .redirect(redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .user_agent(USER_AGENT)
            .build()
            // Only fails if the TLS backend cannot initialise, which with the bundled rustls
            // and this fixed configuration means a broken build, not a runtime condition.
            .expect("the HTTP client configuration is valid");
        Self { client, reach }
    }

    /// Where this client may connect.
    pub fn reach(&self) -> Reach {
        self.reach
    }

    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.client.get(url)
    }

    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.client.post(url)
    }

    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends `request` (made by this client) and reads the whole body, at most `max_bytes`
    /// of it.
    ///
    /// Returns any status except a redirect (3xx other than 304), which is refused; use
    /// [`HttpResponse::into_success`] or [`HttpResponse::json`] on the result. The request's
    /// own headers and body never appear in an error.
    pub async fn send(
        &self,
        request: RequestBuilder,
        max_bytes: usize,
    ) -> Result<HttpResponse, HttpError> {
        let started = Instant::now();
        let result = exchange(request, self.reach, max_bytes).await;
        // Outside `time_idp_calls` there is nothing to count into.
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let _ = IDP_TIME.try_with(|spent| spent.fetch_add(nanos, Ordering::Relaxed));
        result
    }

    /// GETs `url` as JSON: 2xx only, body capped at `max_bytes`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
        max_bytes: usize,
    ) -> Result<(T, HttpMeta), HttpError> {
        let request = self.get(url.clone()).header(ACCEPT, "application/json");
        let response = self.send(request, max_bytes).await?.into_success()?;
        let value = response.json()?;
        Ok((value, response.meta))
    }
}

/// The proxies of `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` (either case), minus `NO_PROXY`,
/// as reqwest reads them, and never for loopback: a local IdP, the app's own listener or the
/// platform on this computer are reached directly, not through a proxy that would see them.
fn proxies(env: &dyn Fn(&str) -> Option<String>) -> Vec<reqwest::Proxy> {
    let var = |name: &str| {
        env(name)
            .or_else(|| env(&name.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let bypass = format!(
        "{},localhost,127.0.0.0/8,::1",
        var("NO_PROXY").unwrap_or_default()
    );
    let direct = || reqwest::NoProxy::from_string(&bypass);
    let configured = [
        var("HTTPS_PROXY").map(reqwest::Proxy::https),
        var("HTTP_PROXY").map(reqwest::Proxy::http),
        var("ALL_PROXY").map(reqwest::Proxy::all),
    ];
    configured
        .into_iter()
        .flatten()
        .filter_map(|proxy| match proxy {
            Ok(proxy) => Some(proxy.no_proxy(direct())),
            Err(e) => {
                tracing::warn!(error = %e, "a proxy setting in the environment is not a URL; ignored");
                None
            }
        })
        .collect()
}

/// What a caller may want to know about a response besides its body.
#[derive(Clone, Debug)]
pub struct HttpMeta {
    /// The requested URL, in its safe-to-show form (see [`safe_url`]).
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
}

/// A response whose body was read in full, within the cap. Any status but 3xx.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub meta: HttpMeta,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.meta.status)
    }

    /// This response if it is 2xx, else [`HttpError::Status`] with a sanitised snippet.
    pub fn into_success(self) -> Result<Self, HttpError> {
        if self.is_success() {
            return Ok(self);
        }
        let status = StatusCode::from_u16(self.meta.status).ok();
        Err(HttpError::Status {
            url: self.meta.url.clone(),
            status: self.meta.status,
            reason: status
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
                .to_string(),
            snippet: snippet(&self.body, self.meta.content_type.as_deref()),
        })
    }

    /// The body as JSON, whatever the status (token endpoints answer errors as JSON too).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|err| HttpError::InvalidJson {
            url: self.meta.url.clone(),
            detail: err.to_string(),
            looks_like_html: looks_like_html(&self.body, self.meta.content_type.as_deref()),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("\"{url}\" is not a usable URL: {reason}. Enter an absolute http(s):// URL.")]
    InvalidUrl { url: String, reason: String },

    #[error(
        "Could not resolve the host name {host} ({detail}). Check the spelling of the URL, and \
         that this computer's network and DNS can reach it."
    )]
    Dns { host: String, detail: String },

    #[error(
        "Could not connect to {host} ({detail}). Check that the server is running and reachable \
         from this computer (firewall, VPN, proxy)."
    )]
    Connect { host: String, detail: String },

    #[error(
        "The secure connection to {host} failed ({detail}). Check the server's TLS certificate: \
         it must be valid for this host name and issued by a trusted authority."
    )]
    Tls { host: String, detail: String },

    #[error(
        "{host} did not answer within {} s. Check that the URL points at the right server, \
         then try again; the server may be overloaded or a firewall may drop the traffic.",
        .limit.as_secs()
    )]
    Timeout { host: String, limit: Duration },

    #[error(
        "The exchange with {host} failed ({detail}). Try again; if it keeps failing, check the \
         server's logs."
    )]
    Transport { host: String, detail: String },

    #[error(
        "{host} is at {address}, a private, loopback or link-local address. The platform \
         reaches identity providers and webhooks at public addresses only, so that no \
         configuration can point it at its own network: use the IdP's public address."
    )]
    NotPublic { host: String, address: String },

    #[error(
        "{url} answered HTTP {status} with a redirect to {}. Redirects are not followed, so that \
         a server cannot send the app elsewhere: if that address is the right one, enter it \
         directly.",
        .location.as_deref().unwrap_or("(no Location header)")
    )]
    Redirect {
        url: String,
        status: u16,
        location: Option<String>,
    },

    #[error("{url} answered HTTP {status} {reason}: {snippet}")]
    Status {
        url: String,
        status: u16,
        reason: String,
        snippet: String,
    },

    #[error(
        "The response from {url} is larger than the {} allowed for it. Check that the URL points \
         at the expected endpoint.",
        format_bytes(*.limit)
    )]
    TooLarge { url: String, limit: usize },

    #[error(
        "The response from {url} is not valid JSON ({detail}).{} Check that the URL points at the \
         expected endpoint.",
        if *.looks_like_html { " It looks like an HTML page." } else { "" }
    )]
    InvalidJson {
        url: String,
        detail: String,
        looks_like_html: bool,
    },
}

tokio::task_local! {
    /// The time spent in [`send`] (in nanoseconds) by the task running inside
    /// [`time_idp_calls`].
    static IDP_TIME: Arc<AtomicU64>;
}

/// Runs `future` and returns, with its output, how long it waited on IdPs (in [`send`]): what
/// a server subtracts from a handler's time to know its own work. Tasks it spawns are not
/// counted.
pub async fn time_idp_calls<F: Future>(future: F) -> (F::Output, Duration) {
    let spent = Arc::new(AtomicU64::new(0));
    let output = IDP_TIME.scope(Arc::clone(&spent), future).await;
    (output, Duration::from_nanos(spent.load(Ordering::Relaxed)))
}

async fn exchange(
    request: RequestBuilder,
    reach: Reach,
    max_bytes: usize,
) -> Result<HttpResponse, HttpError> {
    let (client, request) = request.build_split();
    let request = request.map_err(|err| HttpError::InvalidUrl {
        url: err.url().map(safe_url).unwrap_or_default(),
        reason: innermost(&err),
    })?;
    let url = request.url().clone();
    check_scheme(&url)?;
    reach.check_url(&url).map_err(HttpError::from)?;

    let mut response = client
        .execute(request)
        .await
        .map_err(|err| transport_error(&err, &url))?;

    let status = response.status();
    let headers = response.headers().clone();
    let meta = HttpMeta {
        url: safe_url(&url),
        status: status.as_u16(),
        content_type: headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        headers,
    };

    if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
        let location = meta
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|loc| {
                url.join(loc)
                    .map(|u| safe_url(&u))
                    .unwrap_or_else(|_| clean_text(loc, 200))
            });
        return Err(HttpError::Redirect {
            url: meta.url,
            status: status.as_u16(),
            location,
        });
    }

    let too_large = || HttpError::TooLarge {
        url: meta.url.clone(),
        limit: max_bytes,
    };
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport_error(&err, &url))?
    {
        if body.len() + chunk.len() > max_bytes {
            // Dropping the response here closes the connection: nothing more is read.
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse { meta, body })
}

/// `url` without user info, query or fragment: what an error may show. A query can carry a
/// code or a token, user info a password.
pub fn safe_url(url: &Url) -> String {
    let mut url = url.clone();
    // These only fail for URLs that cannot have them (e.g. `mailto:`), which have none to hide.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// `host[:port]` as the user typed it in the URL.
fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => safe_url(url),
    }
}

/// The one rule for every request to an IdP (discovery included): https, or plain http to this
/// computer only.
fn check_scheme(url: &Url) -> Result<(), HttpError> {
    match url.scheme() {
        "http" if url.host_str().is_some() && !is_loopback_url(url) => Err(HttpError::InvalidUrl {
            url: safe_url(url),
            reason: "plain http is allowed only to this computer; use https".into(),
        }),
        "http" | "https" if url.host_str().is_some() => Ok(()),
        "http" | "https" => Err(HttpError::InvalidUrl {
            url: safe_url(url),
            reason: "it has no host".into(),
        }),
        other => Err(HttpError::InvalidUrl {
            url: safe_url(url),
            reason: format!("the scheme \"{other}\" is not http or https"),
        }),
    }
}

impl From<NotPublic> for HttpError {
    fn from(refused: NotPublic) -> Self {
        HttpError::NotPublic {
            host: refused.host,
            address: refused.address.to_string(),
        }
    }
}

/// Turns a reqwest error into what happened, naming the host. reqwest's own `Display` includes
/// the full URL (query and all), so only the causes beneath it are used.
fn transport_error(err: &reqwest::Error, url: &Url) -> HttpError {
    let host = host_of(url);
    if err.is_timeout() {
        let limit = if err.is_connect() {
            CONNECT_TIMEOUT
        } else {
            TOTAL_TIMEOUT
        };
        return HttpError::Timeout { host, limit };
    }
    if let Some(refused) = not_public(err) {
        return refused.clone().into();
    }
    let detail = innermost(err);
    let chain = causes(err).to_lowercase();
    if err.is_connect() {
        if chain.contains("dns error") || chain.contains("failed to lookup address") {
            return HttpError::Dns { host, detail };
        }
        if ["certificate", "tls", "handshake"]
            .iter()
            .any(|w| chain.contains(w))
        {
            return HttpError::Tls { host, detail };
        }
        return HttpError::Connect { host, detail };
    }
    HttpError::Transport { host, detail }
}

/// The resolver's refusal of a name with no public address, if that is why `err` happened.
fn not_public(err: &reqwest::Error) -> Option<&NotPublic> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<NotPublic>() {
            return Some(refused);
        }
        source = cause.source();
    }
    None
}

/// All the causes beneath `err`, joined: used to classify, never shown.
fn causes(err: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(&cause.to_string());
        out.push_str(": ");
        source = cause.source();
    }
    out
}

/// The deepest cause's message ("Connection refused (os error 111)"), which is the useful one.
fn innermost(err: &reqwest::Error) -> String {
    let mut last = None;
    let mut source = err.source();
    while let Some(cause) = source {
        last = Some(cause);
        source = cause.source();
    }
    match last {
        Some(cause) => clean_text(&cause.to_string(), SNIPPET_CHARS),
        None => clean_text(&err.to_string(), SNIPPET_CHARS),
    }
}

fn looks_like_html(body: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(256)])
        .trim_start()
        .to_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// A short, safe rendering of an error body for a message.
///
/// A JSON object shows only its OAuth-style error fields, so that a token or secret an odd
/// server put in an error body is not echoed; an HTML page shows its title; anything else
/// shows its first characters with control characters removed.
fn snippet(body: &[u8], content_type: Option<&str>) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "(empty body)".to_string();
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
        let parts: Vec<String> = ERROR_FIELDS
            .iter()
            .filter_map(|key| match map.get(*key) {
                Some(serde_json::Value::String(s)) => Some(format!("{key}: {s}")),
                _ => None,
            })
            .collect();
        return if parts.is_empty() {
            "(a JSON object without an error field)".to_string()
        } else {
            clean_text(&parts.join(", "), SNIPPET_CHARS)
        };
    }
    let text = String::from_utf8_lossy(body);
    if looks_like_html(body, content_type) {
        // ASCII lower-casing keeps every byte offset (`to_lowercase` does not: `İ` grows), so
        // the offsets found in `lower` slice `text` on the same character boundaries.
        let lower = text.to_ascii_lowercase();
        let title = lower.find("<title>").and_then(|start| {
            let start = start + "<title>".len();
            lower[start..]
                .find("</title>")
                .map(|len| &text[start..start + len])
        });
        return match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(title) => format!("an HTML page titled \"{}\"", clean_text(title, 100)),
            None => "an HTML page".to_string(),
        };
    }
    clean_text(&text, SNIPPET_CHARS)
}

/// Collapses whitespace, drops control characters, and cuts at `max` characters.
fn clean_text(text: &str, max: usize) -> String {
    let collapsed = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match collapsed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

fn format_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// A loopback HTTP server for the unit tests of what is fetched through this module.
#[cfg(test)]
pub(crate) mod test_server {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// Serves `response(port)` (raw HTTP bytes) to each connection on an ephemeral loopback
    /// port, from a plain thread, then closes the connection. Returns the port.
    pub(crate) fn serve(response: impl FnOnce(u16) -> Vec<u8>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let response = response(port);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                // The client may hang up early (over the cap): that is the point, not an error.
                let _ = stream.write_all(&response);
            }
        });
        port
    }

    /// A response of `head`'s status line and headers, then `body`; the connection closes.
    pub(crate) fn raw(head: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{head}\r\nconnection: close\r\n\r\n").into_bytes();
        out.extend_from_slice(body);
        out
    }

    /// `object` as JSON text of exactly `len` bytes, padded with a member no reader knows.
    pub(crate) fn padded_json(mut object: serde_json::Value, len: usize) -> String {
        object["x-padding"] = "".into();
        let pad = len - object.to_string().len();
        object["x-padding"] = "a".repeat(pad).into();
        let text = object.to_string();
        assert_eq!(text.len(), len);
        text
    }

    /// A 200 answer carrying `body` as JSON.
    pub(crate) fn json_ok(body: &str) -> Vec<u8> {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}",
            body.len()
        );
        raw(&head, body.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::test_server::raw;
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// Sends the request `make` builds with the admin's client.
    async fn send_one(
        make: impl FnOnce(&HttpClient) -> RequestBuilder,
        max_bytes: usize,
    ) -> Result<HttpResponse, HttpError> {
        let client = client();
        client.send(make(&client), max_bytes).await
    }

    /// Serves `response` on a loopback port; the URL carries a query that must not leak.
    fn serve(response: Vec<u8>) -> Url {
        let port = super::test_server::serve(|_| response);
        Url::parse(&format!("http://127.0.0.1:{port}/doc?code=SECRET-CODE")).unwrap()
    }

    #[tokio::test]
    async fn reads_json_within_the_cap() {
        let body = br#"{"a": 1}"#;
        let url = serve(raw(
            &format!("HTTP/1.1 200 OK\r\ncontent-length: {}", body.len()),
            body,
        ));
        let (value, meta): (serde_json::Value, _) = client().get_json(&url, 1024).await.unwrap();
        assert_eq!(value["a"], 1);
        assert_eq!(meta.status, 200);
        assert!(
            !meta.url.contains("SECRET"),
            "the query is not kept in meta.url: {}",
            meta.url
        );
    }

    #[tokio::test]
    async fn refuses_a_declared_length_over_the_cap() {
        let url = serve(raw(
            "HTTP/1.1 200 OK\r\ncontent-length: 5000",
            &[b' '; 5000],
        ));
        let err = client()
            .get_json::<serde_json::Value>(&url, 1000)
            .await
            .unwrap_err();
        assert!(
            matches!(err, HttpError::TooLarge { limit: 1000, .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn stops_at_the_cap_without_a_content_length() {
        // No length and no chunking: the body runs until the server closes.
        let url = serve(raw("HTTP/1.1 200 OK", &vec![b' '; 300 * 1024]));
        let err = client()
            .get_json::<serde_json::Value>(&url, 256 * 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::TooLarge { .. }), "{err:?}");
        assert!(
            err.to_string().contains("256 KiB"),
            "the limit is shown readably: {err}"
        );
    }

    #[tokio::test]
    async fn does_not_follow_redirects() {
        let url = serve(raw(
            "HTTP/1.1 302 Found\r\nlocation: /elsewhere?token=abc",
            b"",
        ));
        let err = client()
            .get_json::<serde_json::Value>(&url, 1024)
            .await
            .unwrap_err();
        let HttpError::Redirect {
            status, location, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 302);
        let location = location.as_deref().unwrap();
        assert!(
            location.ends_with("/elsewhere"),
            "relative Location resolved: {location}"
        );
        let message = err.to_string();
        assert!(message.contains("not followed"), "{message}");
        assert!(
            !message.contains("token=abc") && !message.contains("SECRET"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn an_error_status_shows_only_the_oauth_error_fields() {
        let body =
            br#"{"error":"invalid_client","error_description":"bad secret","access_token":"AT-1"}"#;
        let head = format!(
            "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}",
            body.len()
        );
        let url = serve(raw(&head, body));
        let err = client()
            .get_json::<serde_json::Value>(&url, 1024)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, HttpError::Status { status: 401, .. }),
            "{err:?}"
        );
        assert!(
            message.contains("invalid_client") && message.contains("bad secret"),
            "{message}"
        );
        assert!(
            !message.contains("AT-1"),
            "a token in an error body is not echoed: {message}"
        );
    }

    #[tokio::test]
    async fn the_time_waiting_on_idps_is_counted_and_nothing_else() {
        let url = serve(raw("HTTP/1.1 200 OK\r\ncontent-length: 2", b"{}"));
        let local_work = Duration::from_millis(500);
        let (answers, idp) = time_idp_calls(async {
            tokio::time::sleep(local_work).await;
            let mut answers = 0;
            for _ in 0..2 {
                let started = Instant::now();
                send_one(|c| c.get(url.clone()), 1024).await.unwrap();
                answers += started.elapsed().as_nanos();
            }
            Duration::from_nanos(answers as u64)
        })
        .await;
        assert!(idp > Duration::ZERO, "two exchanges were counted");
        assert!(
            idp <= answers,
            "{idp:?} counts only the exchanges ({answers:?})"
        );
        assert!(idp < local_work, "the local wait is not the IdP's: {idp:?}");
    }

    #[tokio::test]
    async fn plain_http_goes_to_this_computer_only() {
        let refused = send_one(|c| c.get("http://idp.example/.well-known/x"), 1024)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, HttpError::InvalidUrl { reason, .. } if reason.contains("plain http")),
            "{refused:?}"
        );
        let local = serve(raw("HTTP/1.1 200 OK\r\ncontent-length: 2", b"{}"));
        for host in ["127.0.0.1", "localhost"] {
            let mut url = local.clone();
            url.set_host(Some(host)).unwrap();
            assert!(send_one(|c| c.get(url), 1024).await.is_ok(), "{host}");
        }
    }

    #[tokio::test]
    async fn the_environments_proxy_is_used_for_idps_but_never_for_this_computer() {
        // A "proxy" that records the first line of each request and hangs up.
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let record = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in proxy.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = [0u8; 1024];
                let n = stream.read(&mut head).unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                record.lock().unwrap().push(line);
            }
        });
        let env = move |name: &str| {
            matches!(name, "HTTPS_PROXY" | "http_proxy").then(|| proxy_url.clone())
        };
        let client = HttpClient::with_env(Reach::Anywhere, &env);

        let local = serve(raw("HTTP/1.1 200 OK\r\ncontent-length: 2", b"{}"));
        let answer = client.get(local).send().await.unwrap();
        assert_eq!(answer.status(), 200, "this computer is reached directly");
        assert!(
            seen.lock().unwrap().is_empty(),
            "{:?}",
            seen.lock().unwrap()
        );

        let remote = client
            .get("https://idp.example/.well-known/openid-configuration")
            .send()
            .await;
        assert!(remote.is_err(), "the recording proxy hangs up");
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            ["CONNECT idp.example:443 HTTP/1.1"],
            "an IdP elsewhere goes through the proxy"
        );
    }

    #[tokio::test]
    async fn a_platform_client_reaches_nothing_on_its_own_network_and_says_so() {
        // Counts the connections made to it.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(AtomicU64::new(0));
        let count = std::sync::Arc::clone(&connections);
        std::thread::spawn(move || {
            for _ in listener.incoming() {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        let platform = HttpClient::new(Reach::PublicOnly);
        for host in ["127.0.0.1", "localhost"] {
            let url = format!("http://{host}:{port}/.well-known/openid-configuration");
            let refused = platform.send(platform.get(&url), 1024).await.unwrap_err();
            assert!(
                matches!(&refused, HttpError::NotPublic { host: h, address } if h == host && address.starts_with("127.")),
                "{host}: {refused:?}"
            );
            assert!(
                refused.to_string().contains("public addresses only"),
                "{refused}"
            );
        }
        assert_eq!(
            connections.load(Ordering::SeqCst),
            0,
            "nothing was sent, not even a connection"
        );
        let admin = client();
        let reached = admin
            .send(admin.get(format!("http://127.0.0.1:{port}/")), 1024)
            .await;
        assert!(reached.is_err(), "the counting listener answers nothing");
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "the admin's client reaches this computer"
        );
    }

    #[tokio::test]
    async fn send_returns_error_statuses_for_the_caller_to_read() {
        let body = br#"{"error":"invalid_grant"}"#;
        let head = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: {}", body.len());
        let url = serve(raw(&head, body));
        let response = send_one(|c| c.post(url).basic_auth("id", Some("pw")), 1024)
            .await
            .unwrap();
        assert_eq!(response.meta.status, 400);
        let value: serde_json::Value = response.json().unwrap();
        assert_eq!(value["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn invalid_json_names_the_serde_error_and_spots_html() {
        let body = b"<!DOCTYPE html><html><title>Sign in</title></html>";
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}",
            body.len()
        );
        let url = serve(raw(&head, body));
        let err = client()
            .get_json::<serde_json::Value>(&url, 1024)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(
                err,
                HttpError::InvalidJson {
                    looks_like_html: true,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            message.contains("expected value"),
            "the serde message is kept: {message}"
        );
    }

    #[tokio::test]
    async fn connection_refused_names_the_host() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let err = client()
            .get_json::<serde_json::Value>(&url, 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::Connect { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn refuses_other_schemes() {
        let url = Url::parse("file:///etc/passwd").unwrap();
        let err = client()
            .get_json::<serde_json::Value>(&url, 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{err:?}");
    }

    #[test]
    fn safe_url_drops_user_info_query_and_fragment() {
        let url = Url::parse("https://admin:pw@idp.example/path?code=x#frag").unwrap();
        assert_eq!(safe_url(&url), "https://idp.example/path");
    }

    #[test]
    fn snippets_are_short_and_clean() {
        let long = "line\n\u{7}".repeat(500);
        let s = snippet(long.as_bytes(), Some("text/plain"));
        assert!(
            s.chars().count() <= SNIPPET_CHARS + 1 && !s.contains('\n'),
            "{s}"
        );
        assert_eq!(snippet(b"  ", None), "(empty body)");
        assert_eq!(
            snippet(b"<html><title> Oops </title>", None),
            "an HTML page titled \"Oops\""
        );
    }

    #[test]
    fn an_html_title_after_letters_that_change_length_when_lower_cased_is_read() {
        // Lower-cased by Unicode rules, `İ` takes one byte more, and the title's offset would
        // fall inside `é`.
        let body = "İ<TITLE>é request</TITLE>".as_bytes();
        assert_eq!(
            snippet(body, Some("text/html")),
            "an HTML page titled \"é request\""
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(format_bytes(256 * 1024), "256 KiB");
        assert_eq!(format_bytes(1 << 20), "1 MiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
    }
}
