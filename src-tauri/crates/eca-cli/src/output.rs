//! How data is printed: the core's types as JSON with `--json`, else short text for people.
//!
//! Invariants: the JSON is the core's serialisation unchanged (the same shapes the app's IPC
//! and the export use); nothing printed here can hold a secret, since the types carry only
//! `has_secret`. Everything the CLI prints, to stdout or stderr, goes through
//! [`terminal_safe`]: names, notes and messages come from the database or the network, and a
//! control or bidi character in them must not drive the admin's terminal.

use crate::error::CliError;
use eca_core::store::idps::IdpSummary;
use eca_model::credential_expiry::CredentialExpiry;
use eca_model::idp::{Field, IdpConfig};
use eca_model::preset::Preset;
use eca_model::signing_alg::SigningAlg;
use serde::Serialize;
use std::io::Write;

/// Writes `text` and a newline to stdout.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", terminal_safe(text))
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("cannot write to stdout", e))
}

/// Writes `text` and a newline to stderr (progress and errors).
pub fn eprint(text: &str) {
    eprintln!("{}", terminal_safe(text));
}

/// Characters a terminal may act on instead of showing them: controls other than line feed
/// and tab (C0, DEL, C1: escape sequences), and the bidirectional marks, embeddings, overrides
/// and isolates, which reorder what is shown.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with each such character written as its JSON escape `\uXXXX`: readable in text, and
/// still the same JSON (in JSON they occur only inside strings, where the escape means them).
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return text.into();
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts_on_terminal(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    safe.into()
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    // These types serialise infallibly (no maps with non-string keys, no custom Serialize).
    serde_json::to_string_pretty(value).expect("core types serialise to JSON")
}

/// `eca idp presets`: each preset with its parameters, what it fills and its quirks.
pub fn presets(list: &[Preset], as_json: bool) -> String {
    if as_json {
        return json(list);
    }
    let blocks: Vec<String> = list.iter().map(preset_block).collect();
    blocks.join("\n\n")
}

fn preset_block(p: &Preset) -> String {
    let mut lines = vec![format!("{}  {}", p.id, p.name)];
    let mut row = |label: &str, value: String| lines.push(format!("  {label:<14}{value}"));
    row("Issuer", p.issuer.clone().unwrap_or_else(|| "-".into()));
    for param in &p.params {
        row(
            "Parameter",
            format!("{}: {} (e.g. {})", param.name, param.label, param.example),
        );
    }
    row("Client auth", p.client_auth_method.as_str().into());
    row("Scopes", p.scopes.join(" "));
    row("Customer id", p.customer_id_claim.clone());
    if let Some(userinfo) = &p.userinfo_endpoint {
        row("Userinfo", userinfo.clone());
    }
    for hint in &p.hints {
        row("Quirk", hint.clone());
    }
    lines.join("\n")
}

pub fn idp(idp: &IdpConfig, as_json: bool) -> String {
    if as_json {
        json(idp)
    } else {
        aligned(idp_rows(idp))
    }
}

/// Each field of `idp` by its label, as text.
fn idp_rows(idp: &IdpConfig) -> Vec<(&'static str, String)> {
    let f = &idp.fields;
    let none = || "-".to_string();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            none()
        } else {
            items.join(", ")
        }
    };
    vec![
        ("Id", idp.id.to_string()),
        (Field::Name.label(), f.name.clone()),
        (Field::Protocol.label(), f.protocol.label().to_string()),
        ("Enabled", yes_no(f.enabled).to_string()),
        (Field::Issuer.label(), f.issuer.clone().unwrap_or_else(none)),
        (
            Field::AuthorizationEndpoint.label(),
            f.authorization_endpoint.clone(),
        ),
        (Field::TokenEndpoint.label(), f.token_endpoint.clone()),
        (
            Field::UserinfoEndpoint.label(),
            f.userinfo_endpoint.clone().unwrap_or_else(none),
        ),
        (
            Field::JwksUri.label(),
            f.jwks_uri.clone().unwrap_or_else(none),
        ),
        (Field::ClientId.label(), f.client_id.clone()),
        (
            Field::ClientAuthMethod.label(),
            f.client_auth_method.as_str().to_string(),
        ),
        (Field::ClientSecret.label(), secret_text(idp)),
        (Field::Scopes.label(), f.scopes.join(" ")),
        (
            Field::ExtraParams.label(),
            list(
                f.extra_params
                    .iter()
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect(),
            ),
        ),
        (Field::RedirectUris.label(), list(f.redirect_uris.clone())),
        (Field::CustomerIdClaim.label(), f.customer_id_claim.clone()),
        (
            Field::ClaimMapping.label(),
            list(
                f.claim_mapping
                    .iter()
                    .map(|m| format!("{} → {}", m.claim, m.variable))
                    .collect(),
            ),
        ),
        (
            Field::ChannelBinding.label(),
            yes_no(f.channel_binding).to_string(),
        ),
        (
            Field::IdTokenSigningAlgs.label(),
            signing_algs_text(&f.id_token_signing_algs),
        ),
        ("Test redirect", f.test_redirect.as_str().to_string()),
        (
            Field::LoopbackPort.label(),
            f.loopback_port.map_or_else(
                || "none (a free port per test)".to_string(),
                |p| p.to_string(),
            ),
        ),
        (Field::Notes.label(), f.notes.clone()),
        ("Created", idp.created_at.clone()),
        ("Updated", idp.updated_at.clone()),
    ]
}

/// Whether a client secret is stored, whether it is set aside (needs re-entry), and when it
/// expires.
fn secret_text(idp: &IdpConfig) -> String {
    let stored = match (idp.has_secret, idp.secret_set_aside()) {
        (true, Some(why)) => format!("set aside: {}", why.message),
        (true, None) => "set".to_string(),
        (false, _) => "not set".to_string(),
    };
    match &idp.fields.credential_expires_on {
        Some(on) => format!("{stored}; expires on {on}"),
        None => stored,
    }
}

/// The list's EXPIRES cell: the date, with how near it is once the reminder starts.
fn expiry_text(s: &IdpSummary) -> String {
    let on = s.credential_expires_on.as_deref().unwrap_or("-");
    match s.credential_expiry {
        CredentialExpiry::NoDate => "-".to_string(),
        CredentialExpiry::Fine { .. } => on.to_string(),
        CredentialExpiry::DueSoon { days_left: 0 } => format!("today ({on})"),
        CredentialExpiry::DueSoon { days_left: 1 } => format!("in 1 day ({on})"),
        CredentialExpiry::DueSoon { days_left } => format!("in {days_left} days ({on})"),
        CredentialExpiry::Expired { .. } => format!("expired ({on})"),
    }
}

/// The ID token signing algorithms, or what an empty list means.
fn signing_algs_text(algs: &[SigningAlg]) -> String {
    if algs.is_empty() {
        "default (the asymmetric ones the IdP advertises)".to_string()
    } else {
        SigningAlg::join(algs)
    }
}

/// `key  value` lines, the values in one column (a value spanning lines stays in it).
fn aligned(rows: Vec<(&str, String)>) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (key, value) in rows {
        let value = value.replace('\n', &format!("\n{:width$}  ", ""));
        text.push_str(&format!("{key:width$}  {value}\n"));
    }
    text.pop();
    text
}

pub fn summaries(list: &[IdpSummary], as_json: bool) -> String {
    if as_json {
        return json(list);
    }
    if list.is_empty() {
        return "No identity providers yet: add one with `eca idp add`.".into();
    }
    let header = [
        "NAME", "PROTOCOL", "HOST", "ENABLED", "SECRET", "EXPIRES", "ID",
    ]
    .map(String::from);
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(list.iter().map(|s| {
            [
                s.name.clone(),
                s.protocol.as_str().to_string(),
                s.host.clone(),
                yes_no(s.enabled).to_string(),
                match (s.has_secret, s.secret_set_aside) {
                    (true, true) => "re-enter",
                    (has, _) => yes_no(has),
                }
                .to_string(),
                expiry_text(s),
                s.id.to_string(),
            ]
        }))
        .collect();
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:w$}"))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect();
    lines.join("\n")
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_would_drive_a_terminal_is_written_out() {
        let hostile = "Acme\u{1b}[2J\u{9b}31m\u{202e}evil\u{2066}\u{7f}\nnext\tline";
        assert_eq!(
            terminal_safe(hostile),
            "Acme\\u001b[2J\\u009b31m\\u202eevil\\u2066\\u007f\nnext\tline"
        );
        assert!(matches!(
            terminal_safe("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_made_terminal_safe_is_the_same_json() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{85}c", "n": 1});
        let printed = terminal_safe(&json(&value)).into_owned();
        assert!(!printed.contains('\u{202e}') && !printed.contains('\u{85}'));
        let read: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(read, value);
    }
    use eca_model::idp::{IdpFields, IdpId, Protocol};

    #[test]
    fn text_shows_the_fields_by_their_labels() {
        let mut fields = IdpFields::blank(Protocol::Oidc);
        fields.name = "Okta".into();
        fields.issuer = Some("https://okta.example".into());
        fields.notes = "line one\nline two".into();
        let idp = IdpConfig {
            id: IdpId::new(),
            fields,
            has_secret: true,
            secret_entered_for: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
        };
        let text = super::idp(&idp, false);
        assert!(text.contains("Issuer URL"), "{text}");
        assert!(text.contains("https://okta.example"), "{text}");
        assert!(text
            .lines()
            .any(|l| l.starts_with("Client secret") && l.ends_with("set")));
        let notes_continued = text.lines().find(|l| l.trim() == "line two").unwrap();
        assert!(
            notes_continued.starts_with(' '),
            "notes stay in their column: {text}"
        );
    }
}
