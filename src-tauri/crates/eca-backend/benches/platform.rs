//! `make bench`: customer sign-in under load. 500 customers at once, each doing what a flow and
//! a customer do: the flow creates an auth request, the customer continues from the link (a
//! redirect to the IdP), logs in at the IdP as tests/oidc/browser.mjs does (a cookie jar, the
//! form at /interaction/…, automatic consent), comes back to the callback, and the flow reads
//! the result. Against the reference backend as its own release process (`--server-timing`, a
//! data folder as in production) and, in the same run and against the same IdP, the floor
//! (examples/platform_floor.rs: axum + openidconnect alone).
//!
//! The IdP is oidc-provider (tests/oidc/provider.mjs), the project's real provider: the same
//! one for both servers, so its share is the same; it is one Node process and bounds the logins
//! per second of both.
//!
//! Printed per server: logins per second (wall clock of a round, the IdP included); p50/p99 of
//! the server's own work in `/l/{token}` and in the callback, from `Server-Timing`: the time
//! inside the handler minus the time it waited on the IdP (its HTTP exchanges with it); the
//! peak RSS (VmHWM) after each round, so flat memory shows as the later rounds ≈ the first.
//! Then the ratios against the floor (target ≤ 1.2×). Nothing is asserted about time.
//!
//! Needs `cargo build --release -p eca-backend --example platform_floor` first (make bench
//! does) and `npm ci --prefix tests/oidc`.

use eca_testkit::node_server::NodeServer;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use url::Url;
use uuid::Uuid;

const CUSTOMERS: usize = 500;
const ROUNDS: usize = 4;
/// Logins before the measured rounds: connections, the platform's provider cache, the IdP.
const WARM_UP: usize = 20;
const CLIENT_ID: &str = "eca-platform";
const CLIENT_SECRET: &str = "platform-secret-123";

/// A server under test, as its own process.
struct Server {
    name: &'static str,
    child: Child,
    url: String,
    /// The backend's API key and pushed IdP; `None` for the floor.
    backend: Option<(String, Uuid)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first stdout line of `child` that starts with `prefix`.
fn wait_for_line(child: &mut Child, prefix: &str) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    lines
        .find_map(|line| line.ok().filter(|l| l.starts_with(prefix)))
        .unwrap_or_else(|| panic!("the server never printed {prefix:?}"))
}

fn start_backend(data: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eca-backend"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--server-timing",
            "--allow-private-addresses",
        ])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the backend starts");
    let banner = wait_for_line(&mut child, "ECA backend listening on ");
    let word = |prefix: &str| {
        banner
            .split_whitespace()
            .find_map(|w| w.strip_prefix(prefix))
            .map(str::to_string)
    };
    let url = banner.split_whitespace().nth(4).unwrap().to_string();
    let key = word("api_key=").expect("the banner shows the dev key");
    Server {
        name: "backend",
        child,
        url,
        backend: Some((key, Uuid::nil())),
    }
}

fn start_floor(listen: &str, issuer: &str) -> Server {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_eca-backend"))
        .parent()
        .unwrap()
        .join("examples/platform_floor");
    assert!(
        bin.exists(),
        "build the floor first: cargo build --release -p eca-backend --example platform_floor"
    );
    let mut child = Command::new(bin)
        .args([listen, issuer, CLIENT_ID, CLIENT_SECRET])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the floor starts");
    let ready = wait_for_line(&mut child, "READY ");
    Server {
        name: "floor",
        child,
        url: ready["READY ".len()..].to_string(),
        backend: None,
    }
}

/// Pushes the IdP to the backend, as ECA Admin's sync would.
async fn push_idp(http: &Client, backend: &mut Server, issuer: &str) {
    let (key, _) = backend.backend.clone().unwrap();
    let id = Uuid::new_v4();
    let body = json!({
        "name": "Bench OP", "protocol": "oidc", "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/jwks"),
        "client_id": CLIENT_ID, "client_auth_method": "client_secret_basic",
        "client_secret": CLIENT_SECRET, "scopes": ["openid", "email", "phone"],
        "extra_params": [], "redirect_uris": [format!("{}/v1/oauth/callback", backend.url)],
        "customer_id_claim": "sub", "enabled": true, "notes": "",
        "claim_mapping": [{"claim": "email", "variable": "customer_email"}],
        "channel_binding": false, "id_token_signing_algs": [],
        "credential_expires_on": null,
    });
    let pushed = http
        .put(format!("{}/v1/workspaces/dev/idps/{id}", backend.url))
        .bearer_auth(&key)
        .header("If-None-Match", "*")
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::CREATED, "the IdP is pushed");
    backend.backend = Some((key, id));
}

/// The server's own work in one handler: `app` of its `Server-Timing`, in ms.
fn own_ms(response: &Response) -> f64 {
    let header = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .expect("Server-Timing");
    header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("app;dur="))
        .and_then(|ms| ms.parse().ok())
        .expect("app;dur=")
}

/// What one customer's login measured: own work in `/l/{token}` and in the callback.
struct Login {
    link_ms: f64,
    callback_ms: f64,
}

/// Sends `request`, again (up to 5 times) when the connection is refused or reset: with 500
/// customers arriving at once some connections are reset (a reused one the server closed, a
/// full listen queue), and a browser retries them too.
async fn send_retrying(request: reqwest::RequestBuilder) -> Response {
    for _ in 0..5 {
        match request.try_clone().unwrap().send().await {
            Ok(response) => return response,
            Err(e) if e.is_connect() || e.is_request() => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    request.send().await.unwrap()
}

/// A customer's browser: a cookie jar for the IdP, redirects followed by hand. The jar keeps
/// the order cookies were set in, as browsers and browser.mjs do: oidc-provider can refuse its
/// interaction cookies in another order.
struct Browser {
    http: Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    async fn get(&mut self, url: &str) -> Response {
        let request = self.http.get(url);
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Response {
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = send_retrying(request.header(COOKIE, jar.join("; "))).await;
        for cookie in response.headers().get_all(SET_COOKIE) {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                let name = name.trim();
                match self.cookies.iter_mut().find(|(n, _)| n == name) {
                    Some(cookie) => cookie.1 = value.into(),
                    None => self.cookies.push((name.into(), value.into())),
                }
            }
        }
        response
    }

    /// From the authorization URL to the redirect that leaves the IdP (the callback URL).
    async fn log_in_at_idp(&mut self, authorize: &str) -> String {
        let origin = Url::parse(authorize).unwrap().origin();
        let mut url = authorize.to_string();
        let mut form: Option<String> = None;
        for _ in 0..20 {
            let response = match form.take() {
                Some(action) => {
                    let request = self
                        .http
                        .post(&action)
                        .form(&[("username", "alice"), ("password", "wonderland")]);
                    self.send(request).await
                }
                None => self.get(&url).await,
            };
            if response.status().is_redirection() {
                let location = response.headers()[LOCATION].to_str().unwrap();
                let next = Url::parse(&url).unwrap().join(location).unwrap();
                if next.origin() != origin {
                    return next.to_string();
                }
                url = next.to_string();
                continue;
            }
            let html = response.text().await.unwrap();
            let action = html
                .split("action=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .find(|a| a.starts_with("/interaction/") && a.ends_with("/login"))
                .unwrap_or_else(|| panic!("no login form at {url}: {html:.300}"));
            let action = Url::parse(&url).unwrap().join(action).unwrap();
            form = Some(action.to_string());
            url = action.to_string();
        }
        panic!("too many redirects at the IdP");
    }
}

/// Link → authorize → login → callback → result, for one customer of `server`.
async fn one_login(http: Client, server: ServerRef) -> Login {
    let (link, result_url) = create_request(&http, &server).await;
    let mut browser = Browser {
        http: http.clone(),
        cookies: Vec::new(),
    };
    // The customer presses "Continue" on the link's page: a POST to the link.
    let opened = send_retrying(browser.http.post(&link)).await;
    assert!(
        matches!(opened.status(), StatusCode::FOUND | StatusCode::SEE_OTHER),
        "the link redirects: {}",
        opened.status()
    );
    let link_ms = own_ms(&opened);
    let authorize = opened.headers()[LOCATION].to_str().unwrap().to_string();
    // The browser binding the platform sets, brought back to its callback.
    let binding = opened
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    let callback = browser.log_in_at_idp(&authorize).await;
    let mut back = http.get(&callback);
    if let Some(cookie) = &binding {
        back = back.header(reqwest::header::COOKIE, cookie);
    }
    let came_back = send_retrying(back).await;
    let callback_ms = own_ms(&came_back);
    let mut read = http.get(&result_url);
    if let Some(key) = &server.key {
        read = read.bearer_auth(key);
    }
    let result: Value = send_retrying(read).await.json().await.unwrap();
    assert_eq!(result["status"], "authenticated", "{result}");
    assert_eq!(came_back.status(), StatusCode::OK, "the customer's page");
    Login {
        link_ms,
        callback_ms,
    }
}

/// What a customer's task needs of a server.
#[derive(Clone)]
struct ServerRef {
    url: String,
    key: Option<String>,
    idp: Uuid,
}

/// The link to send and where to read the result.
async fn create_request(http: &Client, server: &ServerRef) -> (String, String) {
    let Some(key) = &server.key else {
        let created: Value = send_retrying(http.post(format!("{}/requests", server.url)))
            .await
            .json()
            .await
            .unwrap();
        let url = format!("{}/requests/{}", server.url, created["id"]);
        return (created["link"].as_str().unwrap().to_string(), url);
    };
    let request = http
        .post(format!("{}/v1/workspaces/dev/auth-requests", server.url))
        .bearer_auth(key)
        .json(&json!({
            "idp_id": server.idp, "channel": "whatsapp", "customer": "+27825550100",
            "conversation_id": "c-1",
        }));
    let created = send_retrying(request).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let url = format!(
        "{}/v1/workspaces/dev/auth-requests/{}",
        server.url,
        created["id"].as_str().unwrap()
    );
    (created["link"].as_str().unwrap().to_string(), url)
}

/// `count` customers at once; returns their measurements and the round's wall time.
async fn round(http: &Client, server: &ServerRef, count: usize) -> (Vec<Login>, Duration) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..count)
        .map(|_| tokio::spawn(one_login(http.clone(), server.clone())))
        .collect();
    let mut logins = Vec::with_capacity(count);
    for task in tasks {
        logins.push(task.await.expect("a customer's login"));
    }
    (logins, started.elapsed())
}

/// The high-water mark of the resident set of `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank]
}

/// What a server measured over all rounds.
struct Figures {
    logins_per_s: f64,
    link: (f64, f64),
    callback: (f64, f64),
    per_login: (f64, f64),
    peaks: Vec<f64>,
}

/// The rounds of one server so far.
#[derive(Default)]
struct Tally {
    logins: Vec<Login>,
    wall: Duration,
    peaks: Vec<f64>,
}

impl Server {
    fn target(&self) -> ServerRef {
        ServerRef {
            url: self.url.clone(),
            key: self.backend.as_ref().map(|(k, _)| k.clone()),
            idp: self.backend.as_ref().map(|(_, id)| *id).unwrap_or_default(),
        }
    }

    async fn measured_round(&self, http: &Client, tally: &mut Tally) {
        let (done, took) = round(http, &self.target(), CUSTOMERS).await;
        tally.logins.extend(done);
        tally.wall += took;
        tally.peaks.push(peak_rss_mib(self.child.id()));
    }
}

impl Tally {
    fn figures(&self) -> Figures {
        let p50_p99 = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (percentile(&v, 0.50), percentile(&v, 0.99))
        };
        let logins = &self.logins;
        Figures {
            logins_per_s: logins.len() as f64 / self.wall.as_secs_f64(),
            link: p50_p99(logins.iter().map(|l| l.link_ms).collect()),
            callback: p50_p99(logins.iter().map(|l| l.callback_ms).collect()),
            per_login: p50_p99(logins.iter().map(|l| l.link_ms + l.callback_ms).collect()),
            peaks: self.peaks.clone(),
        }
    }
}

fn print(name: &str, f: &Figures) {
    let peaks: Vec<String> = f.peaks.iter().map(|p| format!("{p:.1}")).collect();
    println!(
        "{name:<8} {:>7.1} logins/s   own work p50/p99 (ms): link {:.3}/{:.3}  callback {:.3}/{:.3}  per login {:.3}/{:.3}   peak RSS after each round {} MiB",
        f.logins_per_s, f.link.0, f.link.1, f.callback.0, f.callback.1, f.per_login.0,
        f.per_login.1, peaks.join(" → ")
    );
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let mut backend = start_backend(data.path());
    // The floor's port is known first: the IdP must know its redirect URI before it starts.
    let floor_listen = format!("127.0.0.1:{}", eca_testkit::free_port());
    let clients = tempfile::NamedTempFile::new().unwrap();
    let redirects = [
        format!("{}/v1/oauth/callback", backend.url),
        format!("http://{floor_listen}/callback"),
    ];
    let client = json!([{
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "token_endpoint_auth_method": "client_secret_basic", "application_type": "web",
        "grant_types": ["authorization_code"], "response_types": ["code"],
        "redirect_uris": redirects,
    }]);
    std::fs::write(clients.path(), client.to_string()).unwrap();
    let idp = NodeServer::start(
        "provider.mjs",
        &[
            "--clients",
            clients.path().to_str().unwrap(),
            "--store-size",
            "100000",
        ],
    );
    let floor = start_floor(&floor_listen, &idp.url);
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    push_idp(&http, &mut backend, &idp.url).await;

    println!(
        "Platform sign-in benchmark: {CUSTOMERS} concurrent customers x {ROUNDS} rounds per server, alternating (after {WARM_UP} warm-up logins each), IdP oidc-provider on loopback"
    );
    // Rounds alternate, so both servers meet the IdP in the same state (it keeps sessions).
    let (mut floor_tally, mut backend_tally) = (Tally::default(), Tally::default());
    for server in [&floor, &backend] {
        round(&http, &server.target(), WARM_UP).await;
    }
    for _ in 0..ROUNDS {
        floor.measured_round(&http, &mut floor_tally).await;
        backend.measured_round(&http, &mut backend_tally).await;
    }
    let (floor_figures, ours) = (floor_tally.figures(), backend_tally.figures());
    print(floor.name, &floor_figures);
    print(backend.name, &ours);
    let ratio = |ours: f64, floor: f64| ours / floor;
    let last = |f: &Figures| *f.peaks.last().unwrap();
    println!(
        "ratios   logins/s {:.2}x (floor / backend)   own work p50 {:.2}x  p99 {:.2}x (per login)   peak RSS {:.2}x   (target <= 1.20x; memory flat: round {ROUNDS} vs round 1 {:+.1} MiB)",
        ratio(floor_figures.logins_per_s, ours.logins_per_s),
        ratio(ours.per_login.0, floor_figures.per_login.0),
        ratio(ours.per_login.1, floor_figures.per_login.1),
        ratio(last(&ours), last(&floor_figures)),
        last(&ours) - ours.peaks[0],
    );
}
