//! An auth request as the auth API takes it (`AuthRequestCreate`) and what it ends with
//! ([`Outcome`]).
//!
//! Invariants:
//! - [`parse_create`] refuses what the contract's schema refuses, field by field, and the
//!   rules the schema cannot say (a `return_url`'s scheme and host). It never echoes a value.
//! - An [`Outcome`] is either a [`Verified`] result or a [`Failure`]; [`Outcome::erased`] is
//!   the same outcome without anything about the customer.

use crate::problem::FieldError;
use eca_model::phone::e164;
use eca_oidc::login::report::{Step, StepName, TestErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::str::FromStr;
use uuid::Uuid;

/// Where "go back to the chat" may lead in the app's own test: its deep link.
pub const ADMIN_TEST_RETURN: &str = "com.ecaadmin.desktop:/platform-test/done";
const MAX_CONVERSATION_ID: usize = 128;
const MAX_URL: usize = 2048;

/// How the link reaches the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Whatsapp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

impl FromStr for Channel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "sms" => Ok(Channel::Sms),
            "whatsapp" => Ok(Channel::Whatsapp),
            _ => Err(()),
        }
    }
}

/// Who asked: a flow or an agent for a customer, or ECA Admin's "Test on the platform".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Customer,
    AdminTest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::AdminTest => "admin_test",
        }
    }
}

impl FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "customer" => Ok(Kind::Customer),
            "admin_test" => Ok(Kind::AdminTest),
            _ => Err(()),
        }
    }
}

/// A valid `POST …/auth-requests` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateRequest {
    pub idp_id: Uuid,
    pub channel: Channel,
    /// E.164.
    pub customer: String,
    pub conversation_id: String,
    pub return_url: Option<String>,
    pub kind: Kind,
}

const MEMBERS: &[&str] = &[
    "idp_id",
    "channel",
    "customer",
    "conversation_id",
    "return_url",
    "kind",
];

/// Reads and checks a body; every problem found, one per field.
pub fn parse_create(members: &Map<String, Value>) -> Result<CreateRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    for name in members.keys().filter(|n| !MEMBERS.contains(&n.as_str())) {
        errors.push(FieldError::new(
            name.chars().take(64).collect::<String>(),
            "is not a member of an auth request",
        ));
    }
    let mut text = |name: &str, required: bool| match members.get(name) {
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            errors.push(FieldError::new(name, "is required"));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(name, "must be a string"));
            None
        }
    };
    let idp_id = text("idp_id", true);
    let channel = text("channel", true);
    let customer = text("customer", true);
    let conversation_id = text("conversation_id", true);
    let return_url = text("return_url", false);
    let kind = text("kind", false);

    let e = &mut errors;
    let idp_id = checked(e, "idp_id", idp_id, |s| {
        Uuid::parse_str(&s).map_err(|_| "must be an IdP id (a UUID)")
    });
    let channel = checked(e, "channel", channel, |s| {
        s.parse::<Channel>().map_err(|()| "must be sms or whatsapp")
    });
    let customer = checked(e, "customer", customer, |s| {
        (e164(&s).as_deref() == Some(s.as_str()))
            .then_some(s)
            .ok_or(
                "must be a phone number in E.164 form: + and 8 to 15 digits, no spaces \
             (e.g. +27825550100)",
            )
    });
    let conversation_id = checked(e, "conversation_id", conversation_id, |s| {
        let ok = (1..=MAX_CONVERSATION_ID).contains(&s.len())
            && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
        ok.then_some(s)
            .ok_or("must be 1 to 128 visible ASCII characters")
    });
    let kind = checked(
        e,
        "kind",
        Some(kind.unwrap_or_else(|| "customer".into())),
        |s| {
            s.parse::<Kind>()
                .map_err(|()| "must be customer or admin_test")
        },
    );
    let return_url = checked(e, "return_url", return_url, |url| {
        check_return_url(&url, kind).map(|()| url)
    });
    match (idp_id, channel, customer, conversation_id, kind) {
        (Some(idp_id), Some(channel), Some(customer), Some(conversation_id), Some(kind))
            if errors.is_empty() =>
        {
            Ok(CreateRequest {
                idp_id,
                channel,
                customer,
                conversation_id,
                return_url,
                kind,
            })
        }
        _ => Err(errors),
    }
}

/// `value` after `rule`, or `None` with the rule's message recorded against `name`.
fn checked<T>(
    errors: &mut Vec<FieldError>,
    name: &'static str,
    value: Option<String>,
    rule: impl FnOnce(String) -> Result<T, &'static str>,
) -> Option<T> {
    rule(value?)
        .map_err(|message| errors.push(FieldError::new(name, message)))
        .ok()
}

/// A `return_url` is shown as a link to the customer: a [`check_web_url`], or the app's deep
/// link for its own test.
fn check_return_url(url: &str, kind: Option<Kind>) -> Result<(), &'static str> {
    let deep_link = url.starts_with("com.ecaadmin.desktop:");
    match (deep_link, kind) {
        (true, Some(Kind::AdminTest)) if url.split('?').next() == Some(ADMIN_TEST_RETURN) => Ok(()),
        (true, Some(Kind::AdminTest)) => {
            Err("ECA Admin's deep link must be com.ecaadmin.desktop:/platform-test/done")
        }
        (true, _) => Err("ECA Admin's deep link is only for kind admin_test"),
        (false, _) => check_web_url(url),
    }
}

/// A URL the platform links to or calls (a return URL, a webhook), exactly the contract's
/// `WebUrl`: `https://` and a DNS name whose last label starts with a letter, or `http://` on
/// `127.0.0.1`, `localhost` or `[::1]`; an optional port 1-65535; then only visible ASCII; at
/// most 2048 characters. (No user or password can fit, nor an IP address over https.)
pub fn check_web_url(url: &str) -> Result<(), &'static str> {
    if url.len() > MAX_URL {
        return Err("must be at most 2048 characters");
    }
    let (https, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (_, Some(rest)) => (false, rest),
        _ => return Err("must start with https:// (or http:// on loopback)"),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !tail.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("must be visible ASCII, without spaces");
    }
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(after) => ("[::1]", after),
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => is_port(digits),
        None => port.is_empty(),
    };
    if !port_ok {
        return Err("must have a port from 1 to 65535");
    }
    let host_ok = if https {
        is_dns_name(host)
    } else {
        matches!(host, "127.0.0.1" | "localhost" | "[::1]")
    };
    match (host_ok, https) {
        (true, _) => Ok(()),
        (false, true) => Err("must name its host by a DNS name"),
        (false, false) => Err("must use https (http only on 127.0.0.1, [::1] or localhost)"),
    }
}

/// Labels of letters, digits and inner hyphens, 1 to 63 long; the last starts with a letter.
fn is_dns_name(host: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.split('.').all(label_ok)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// A port number as the contract writes it: 1 to 65535, no leading zero.
fn is_port(digits: &str) -> bool {
    !digits.starts_with('0')
        && (1..=5).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u32>().is_ok_and(|p| p <= 65_535)
}

/// How a request ended: a verified customer, or the step and check that failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub result: Option<Verified>,
    pub error: Option<Failure>,
    /// `admin_test` only: every step, as the desktop test shows them.
    pub steps: Option<Vec<Step>>,
}

/// The IdP a result came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub idp: IdpRef,
    pub customer_id: Option<String>,
    /// The mapped claims, by variable name.
    pub claims: Map<String, Value>,
    /// RFC 3339, when the IdP says when the customer authenticated.
    pub auth_time: Option<String>,
    pub claims_erased: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub step: Option<StepName>,
    pub code: TestErrorCode,
    pub message: String,
    pub fix: String,
}

impl Outcome {
    /// The same outcome with nothing about the customer: no customer id, claims or
    /// authentication time; of a failure only the step, the code and the fix (an IdP's message
    /// may quote the customer), and no step details.
    pub fn erased(&self) -> Outcome {
        let mut erased = self.clone();
        if let Some(result) = &mut erased.result {
            result.customer_id = None;
            result.claims = Map::new();
            result.auth_time = None;
            result.claims_erased = true;
        }
        if let Some(error) = &mut erased.error {
            error.message = String::new();
        }
        erased.steps = None;
        erased
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn valid() -> Value {
        json!({
            "idp_id": "6f1c2b0e-8a4d-4c1e-9b7a-2d5e3f4a1b6c",
            "channel": "whatsapp",
            "customer": "+27825550100",
            "conversation_id": "conv-1",
        })
    }

    fn fields(result: Result<CreateRequest, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_body_reads_with_its_defaults() {
        let request = parse_create(&body(valid())).unwrap();
        assert_eq!(request.channel, Channel::Whatsapp);
        assert_eq!(request.kind, Kind::Customer);
        assert_eq!(request.customer, "+27825550100");
        assert_eq!(request.return_url, None);
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut v = valid();
        v["customer"] = json!("+27 82 555 0100");
        v["channel"] = json!("email");
        v["conversation_id"] = json!("");
        v["idp_id"] = json!(7);
        v["extra"] = json!(true);
        let mut got = fields(parse_create(&body(v)));
        got.sort();
        assert_eq!(
            got,
            ["channel", "conversation_id", "customer", "extra", "idp_id"]
        );
        assert_eq!(
            fields(parse_create(&body(json!({})))),
            ["idp_id", "channel", "customer", "conversation_id"]
        );
    }

    #[test]
    fn return_urls_are_https_loopback_or_the_apps_own_link() {
        let with = |url: &str, kind: &str| {
            let mut v = valid();
            v["return_url"] = json!(url);
            v["kind"] = json!(kind);
            parse_create(&body(v))
        };
        assert!(with("https://chat.example/back", "customer").is_ok());
        assert!(with("http://127.0.0.1:4000/done", "customer").is_ok());
        assert!(with("http://[::1]:65535?x", "customer").is_ok());
        assert!(with("https://a-1.chat.example#top", "customer").is_ok());
        assert!(with(
            "com.ecaadmin.desktop:/platform-test/done?request=x",
            "admin_test"
        )
        .is_ok());
        for (url, kind) in [
            ("com.ecaadmin.desktop:/platform-test/done", "customer"),
            ("com.ecaadmin.desktop:/oauth/callback", "admin_test"),
            ("http://chat.example/back", "customer"),
            ("javascript:alert(1)", "customer"),
            ("https://user:pw@chat.example/", "customer"),
            ("/relative", "customer"),
            ("HTTPS://chat.example/", "customer"),
            ("https:/chat.example/", "customer"),
            ("https://10.0.0.1/", "customer"),
            ("https://x_y.example/", "customer"),
            ("https://chat.example:0/", "customer"),
            ("https://chat.example:65536/", "customer"),
            ("https://chat.example/a b", "customer"),
        ] {
            assert_eq!(fields(with(url, kind)), ["return_url"], "{url}");
        }
    }

    #[test]
    fn a_web_url_may_be_2048_characters_long_and_no_longer() {
        let base = "https://chat.example/";
        let at_limit = format!("{base}{}", "a".repeat(MAX_URL - base.len()));
        assert_eq!(at_limit.len(), 2048);
        assert_eq!(check_web_url(&at_limit), Ok(()), "2048 characters fit");
        assert_eq!(
            check_web_url(&format!("{at_limit}a")),
            Err("must be at most 2048 characters"),
            "2049 characters are refused for their length"
        );
    }

    #[test]
    fn erasing_keeps_the_shape_and_drops_the_customer() {
        let outcome = Outcome {
            result: Some(Verified {
                idp: IdpRef {
                    id: Uuid::nil(),
                    name: "Acme".into(),
                },
                customer_id: Some("alice".into()),
                claims: body(json!({"customer_email": "a@b"})),
                auth_time: Some("2026-11-30T08:00:00Z".into()),
                claims_erased: false,
            }),
            error: None,
            steps: Some(Vec::new()),
        };
        let erased = outcome.erased();
        assert_eq!(erased.steps, None);
        let result = erased.result.unwrap();
        assert_eq!(result.customer_id, None);
        assert!(result.claims.is_empty());
        assert_eq!(result.auth_time, None);
        assert!(result.claims_erased);
        assert_eq!(result.idp.name, "Acme");
        let failed = Outcome {
            result: None,
            error: Some(Failure {
                step: Some(StepName::Userinfo),
                code: TestErrorCode::UserinfoSub,
                message: "The userinfo sub (alice) differs".into(),
                fix: "fix".into(),
            }),
            steps: None,
        }
        .erased();
        let error = failed.error.unwrap();
        assert_eq!(
            (error.message.as_str(), error.code),
            ("", TestErrorCode::UserinfoSub)
        );
    }
}
