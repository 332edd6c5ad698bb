//! "Check readiness": what can be checked about an IdP without a login.
//!
//! Invariant: read-only; it sends no credential. Each check reports passed, warning or failed
//! with what to change.

use super::flow::LoginContext;
use super::report::StepStatus;
use crate::discovery;
use crate::http;
use eca_model::idp::{IdpConfig, Protocol};
use openidconnect::core::CoreJsonWebKeySet;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

/// The largest difference between the IdP's clock and ours that is not reported.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReadinessCheck {
    pub name: String,
    pub status: StepStatus,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReadinessReport {
    pub idp_name: String,
    /// True when no check failed.
    pub ready: bool,
    pub checks: Vec<ReadinessCheck>,
}

struct Checks(Vec<ReadinessCheck>);

impl Checks {
    fn add(&mut self, name: &str, status: StepStatus, detail: impl Into<String>) {
        self.0.push(ReadinessCheck {
            name: name.into(),
            status,
            detail: detail.into(),
        });
    }
}

pub async fn check(ctx: &LoginContext, idp: &IdpConfig) -> ReadinessReport {
    let f = &idp.fields;
    let mut checks = Checks(Vec::new());

    let mut urls: Vec<(&str, &str)> = vec![
        ("authorization endpoint", &f.authorization_endpoint),
        ("token endpoint", &f.token_endpoint),
    ];
    urls.extend(
        f.userinfo_endpoint
            .as_deref()
            .map(|u| ("userinfo endpoint", u)),
    );
    urls.extend(f.jwks_uri.as_deref().map(|u| ("JWKS URI", u)));
    urls.extend(f.issuer.as_deref().map(|u| ("issuer", u)));
    let plain: Vec<&str> = urls
        .iter()
        .filter(|(_, u)| !u.starts_with("https://"))
        .map(|(l, _)| *l)
        .collect();
    if plain.is_empty() {
        checks.add(
            "Endpoints use https",
            StepStatus::Passed,
            "Every endpoint uses https.",
        );
    } else {
        checks.add(
            "Endpoints use https",
            StepStatus::Warning,
            format!(
                "{} use plain http on a loopback host: fine for development, not for production.",
                plain.join(", ")
            ),
        );
    }

    if f.protocol == Protocol::Oidc {
        let issuer = f.issuer.clone().unwrap_or_default();
        match fetch_discovery(ctx, &issuer).await {
            Err(message) => checks.add("Discovery issuer matches", StepStatus::Failed, message),
            Ok((info, date)) => {
                checks.add(
                    "Discovery issuer matches",
                    StepStatus::Passed,
                    format!("The document's issuer is exactly \"{}\".", info.issuer),
                );
                if info
                    .code_challenge_methods_supported
                    .iter()
                    .any(|m| m == "S256")
                {
                    checks.add(
                        "PKCE S256 advertised",
                        StepStatus::Passed,
                        "code_challenge_methods_supported includes S256.",
                    );
                } else {
                    checks.add(
                        "PKCE S256 advertised",
                        StepStatus::Failed,
                        format!("code_challenge_methods_supported is [{}]: enable PKCE with S256 at the IdP.", info.code_challenge_methods_supported.join(", ")),
                    );
                }
                let method = f.client_auth_method.as_str();
                if info
                    .token_endpoint_auth_methods_supported
                    .iter()
                    .any(|m| m == method)
                {
                    checks.add(
                        "Client authentication advertised",
                        StepStatus::Passed,
                        format!("{method} is supported."),
                    );
                } else {
                    checks.add(
                        "Client authentication advertised",
                        StepStatus::Failed,
                        format!(
                            "The IdP supports [{}], not {method}: choose one of those.",
                            info.token_endpoint_auth_methods_supported.join(", ")
                        ),
                    );
                }
                match date {
                    Some(theirs) => {
                        let skew = (theirs - ctx.clock.now()).whole_seconds();
                        if skew.abs() <= MAX_CLOCK_SKEW_SECS {
                            checks.add(
                                "Clock skew",
                                StepStatus::Passed,
                                format!("{skew:+} s against the IdP's Date header."),
                            );
                        } else {
                            checks.add(
                                "Clock skew",
                                StepStatus::Failed,
                                format!("This computer's clock is {} s {} the IdP's: ID tokens would look expired or not yet valid. Synchronise the clock (NTP).", skew.abs(), if skew > 0 { "behind" } else { "ahead of" }),
                            );
                        }
                    }
                    None => checks.add(
                        "Clock skew",
                        StepStatus::Warning,
                        "The IdP sent no Date header to compare with.",
                    ),
                }
                let jwks_uri = f.jwks_uri.clone().unwrap_or(info.jwks_uri);
                match fetch_jwks(ctx, &jwks_uri).await {
                    Ok(n) => checks.add(
                        "JWKS reachable",
                        StepStatus::Passed,
                        format!("{n} signing key(s) at {jwks_uri}."),
                    ),
                    Err(e) => checks.add("JWKS reachable", StepStatus::Failed, e),
                }
            }
        }
    }
    let ready = !checks.0.iter().any(|c| c.status == StepStatus::Failed);
    ReadinessReport {
        idp_name: f.name.clone(),
        ready,
        checks: checks.0,
    }
}

async fn fetch_discovery(
    ctx: &LoginContext,
    issuer: &str,
) -> Result<(discovery::DiscoveryInfo, Option<time::OffsetDateTime>), String> {
    let url = discovery::discovery_url(issuer).map_err(|e| e.to_string())?;
    let response = http::send(ctx.http.get(url), discovery::MAX_DOCUMENT_BYTES)
        .await
        .and_then(|r| r.into_success())
        .map_err(|e| e.to_string())?;
    let date = response
        .meta
        .headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()
        });
    let document: serde_json::Value = response.json().map_err(|e| e.to_string())?;
    let info = discovery::parse_document(issuer, &document).map_err(|e| e.to_string())?;
    Ok((info, date))
}

async fn fetch_jwks(ctx: &LoginContext, uri: &str) -> Result<usize, String> {
    let url = Url::parse(uri).map_err(|e| format!("The JWKS URI is not a URL: {e}"))?;
    let (jwks, _): (CoreJsonWebKeySet, _) = http::get_json(&ctx.http, &url, 512 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    match jwks.keys().len() {
        0 => Err("The JWKS holds no keys.".into()),
        n => Ok(n),
    }
}
