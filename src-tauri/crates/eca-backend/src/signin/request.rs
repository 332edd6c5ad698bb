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
use url::Url;
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

    let idp_id = idp_id.and_then(|s| {
        Uuid::parse_str(&s)
            .map_err(|_| errors.push(FieldError::new("idp_id", "must be an IdP id (a UUID)")))
            .ok()
    });
    let channel = channel.and_then(|s| {
        s.parse::<Channel>()
            .map_err(|()| errors.push(FieldError::new("channel", "must be sms or whatsapp")))
            .ok()
    });
    let customer = customer.and_then(|s| match e164(&s) {
        Some(number) if number == s => Some(number),
        _ => {
            errors.push(FieldError::new(
                "customer",
                "must be a phone number in E.164 form: + and 8 to 15 digits, no spaces \
                 (e.g. +27825550100)",
            ));
            None
        }
    });
    let conversation_id = conversation_id.and_then(|s| {
        let ok = (1..=MAX_CONVERSATION_ID).contains(&s.len())
            && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if !ok {
            errors.push(FieldError::new(
                "conversation_id",
                "must be 1 to 128 visible ASCII characters",
            ));
        }
        ok.then_some(s)
    });
    let kind = match kind {
        None => Some(Kind::Customer),
        Some(s) => s
            .parse::<Kind>()
            .map_err(|()| errors.push(FieldError::new("kind", "must be customer or admin_test")))
            .ok(),
    };
    let return_url = return_url.and_then(|url| match (check_return_url(&url, kind), kind) {
        (Ok(()), _) => Some(url),
        (Err(message), _) => {
            errors.push(FieldError::new("return_url", message));
            None
        }
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
        (false, _) => check_web_url(url).map(|_| ()),
    }
}

/// A URL the platform links to or calls (a return URL, a webhook): https anywhere, http on
/// loopback only, at most 2048 characters, never credentials in it.
pub fn check_web_url(url: &str) -> Result<Url, &'static str> {
    if url.len() > MAX_URL {
        return Err("must be at most 2048 characters");
    }
    let parsed = Url::parse(url).map_err(|_| "must be an absolute URL")?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain a user name or password");
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err("must use https (http only on 127.0.0.1, [::1] or localhost)"),
        _ => Err("must be an https URL"),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
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
    /// The same outcome with nothing about the customer: no customer id, no claims.
    pub fn erased(&self) -> Outcome {
        let mut erased = self.clone();
        if let Some(result) = &mut erased.result {
            result.customer_id = None;
            result.claims = Map::new();
            result.claims_erased = true;
        }
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
        ] {
            assert_eq!(fields(with(url, kind)), ["return_url"], "{url}");
        }
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
                auth_time: None,
                claims_erased: false,
            }),
            error: None,
            steps: None,
        };
        let erased = outcome.erased();
        let result = erased.result.unwrap();
        assert_eq!(result.customer_id, None);
        assert!(result.claims.is_empty());
        assert!(result.claims_erased);
        assert_eq!(result.idp.name, "Acme");
    }
}
