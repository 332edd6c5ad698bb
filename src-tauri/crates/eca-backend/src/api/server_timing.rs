//! `Server-Timing` (W3C) on the customer's routes, `/l/{token}` and the callback, when the
//! backend runs with `--server-timing` (the platform benchmark reads it):
//! `app;dur=<ms>, idp;dur=<ms>`, where `idp` is the time the handler waited on the IdP (the
//! engine's HTTP exchanges, [`eca_oidc::http::time_idp_calls`]) and `app` the rest of its time:
//! the platform's own work.
//!
//! Invariant: off by default, and it carries two durations only, never anything of the request.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::{Duration, Instant};

pub const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

pub async fn add(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (mut response, idp) = eca_oidc::http::time_idp_calls(next.run(request)).await;
    let own = started.elapsed().saturating_sub(idp);
    if let Ok(value) = HeaderValue::from_str(&header_value(own, idp)) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}

fn header_value(own: Duration, idp: Duration) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!("app;dur={:.3}, idp;dur={:.3}", ms(own), ms(idp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_in_milliseconds_with_microseconds() {
        let value = header_value(Duration::from_micros(1_250), Duration::from_millis(12));
        assert_eq!(value, "app;dur=1.250, idp;dur=12.000");
    }
}
