//! IdP presets ("Start from"): what is known about a family of IdPs, as data.
//!
//! The presets live in one reviewed file, `presets.json` beside this crate's manifest, embedded
//! at build time. A preset fills the fields it knows ([`fill`]) and carries its IdP's quirks as
//! data fields that generic code interprets (readiness, the form, the ID token check); nothing
//! anywhere branches on a preset's id.
//!
//! Invariants:
//! - Every preset in the file is well-formed (the unit test below loads and checks them all):
//!   each `{name}` in a template is a declared parameter, each parameter is used, each pattern
//!   compiles, each example matches its pattern, each recommended method parses.
//! - A parameter value reaches a URL only after matching its pattern in full, so a value cannot
//!   add a path, a query or another host to the issuer.
//! - [`recognise`] reads an issuer back to its preset and parameters with the same templates and
//!   patterns, so the quirks of an IdP saved from a preset apply without storing the preset.
//! - A process serves one list of presets for its whole life: the reviewed file's, unless
//!   [`serve`] gave another before the first read (the seam through which tests point the
//!   templates at a provider on loopback, so the same data and code run against it).

use crate::idp::{ClientAuthMethod, IdpFields, Protocol, TestRedirect};
use crate::problem::{Problem, ProblemCode};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One preset: the fields it fills and the quirks it knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Stable id, as `eca idp add --preset ID` takes it.
    pub id: String,
    /// What "Start from" shows.
    pub name: String,
    pub protocol: Protocol,
    /// The issuer, with `{param}` placeholders; none for the generic presets.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The values the templates need (tenant, domain, realm…).
    pub params: Vec<PresetParam>,
    /// The recommended client authentication: `private_key_jwt` where the IdP's documentation
    /// recommends key or certificate credentials for a confidential client (Entra ID, Okta,
    /// PingOne), a client secret where key credentials are a paid or opt-in extra (Auth0's
    /// Enterprise plan, Keycloak's "Signed JWT" authenticator: their hints say so).
    pub client_auth_method: ClientAuthMethod,
    pub scopes: Vec<String>,
    pub customer_id_claim: String,
    /// Which test redirects the IdP accepts.
    pub redirect: RedirectRule,
    /// A userinfo endpoint discovery does not give right (a template, like `issuer`).
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// A multi-tenant issuer: see [`TenantIssuer`].
    #[serde(default)]
    pub tenant_issuer: Option<TenantIssuer>,
    /// Short user-facing notes on the IdP's quirks.
    pub hints: Vec<String>,
}

/// A value a preset's templates need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct PresetParam {
    /// The placeholder's name in the templates, and `--preset-param NAME=VALUE`'s.
    pub name: String,
    pub label: String,
    pub example: String,
    /// A regular expression the whole value must match.
    pub pattern: String,
    pub help: String,
}

/// Which redirect the desktop's test login may use with this IdP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RedirectRule {
    /// The private-use scheme or the loopback redirect.
    Any,
    /// The IdP refuses private-use schemes: loopback only (RFC 8252 §7.3).
    LoopbackOnly,
}

/// A multi-tenant issuer: when `param` is one of `values`, the IdP's discovery names its issuer
/// with `placeholder` in that value's place, and each ID token's `iss` has the user's tenant
/// there, the same as its `claim`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct TenantIssuer {
    pub param: String,
    pub values: Vec<String>,
    pub placeholder: String,
    pub claim: String,
}

/// What a preset fills in the form; the admin may change all of it afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct PresetFill {
    pub protocol: Protocol,
    pub issuer: Option<String>,
    pub client_auth_method: ClientAuthMethod,
    pub scopes: Vec<String>,
    pub customer_id_claim: String,
    pub userinfo_endpoint: Option<String>,
    pub test_redirect: TestRedirect,
}

impl PresetFill {
    /// Writes the filled fields over `f`; the others (name, client id…) keep their values.
    pub fn apply(&self, f: &mut IdpFields) {
        f.protocol = self.protocol;
        f.issuer.clone_from(&self.issuer);
        f.client_auth_method = self.client_auth_method;
        f.scopes.clone_from(&self.scopes);
        f.customer_id_claim.clone_from(&self.customer_id_claim);
        if self.userinfo_endpoint.is_some() {
            f.userinfo_endpoint.clone_from(&self.userinfo_endpoint);
        }
        f.test_redirect = self.test_redirect;
    }
}

/// Why a preset could not fill the form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("There is no preset \"{id}\". Choose one of: {known}.")]
    Unknown { id: String, known: String },
    #[error("{label} is needed for this preset, e.g. {example}.")]
    MissingParam { label: String, example: String },
    #[error("{label} \"{value}\" is not in the expected form; enter it like {example}.")]
    InvalidParam {
        label: String,
        value: String,
        example: String,
    },
    #[error("The preset \"{preset}\" takes no parameter \"{name}\"; it takes: {known}.")]
    UnknownParam {
        preset: String,
        name: String,
        known: String,
    },
}

impl From<PresetError> for Problem {
    fn from(e: PresetError) -> Self {
        Problem::new(ProblemCode::Validation, e.to_string())
    }
}

/// The presets this process serves, each with its issuer template as a pattern
/// ([`Preset::issuer_pattern`]), in the same order: compiled once, with the presets, as
/// [`recognise`] runs on every ID token the platform verifies. See [`all`] and [`serve`].
static SERVED: OnceLock<Served> = OnceLock::new();

struct Served {
    presets: Vec<Preset>,
    issuer_patterns: Vec<Option<Regex>>,
}

impl Served {
    fn new(presets: Vec<Preset>) -> Self {
        let issuer_patterns = presets.iter().map(Preset::issuer_pattern).collect();
        Self {
            presets,
            issuer_patterns,
        }
    }
}

fn served() -> &'static Served {
    SERVED.get_or_init(|| Served::new(reviewed()))
}

/// The presets, in the order "Start from" lists them.
pub fn all() -> &'static [Preset] {
    &served().presets
}

/// The presets of the reviewed file, `presets.json`.
pub fn reviewed() -> Vec<Preset> {
    serde_json::from_str(include_str!("../presets.json"))
        .expect("presets.json is checked by preset::tests::every_preset_is_well_formed")
}

/// Makes this process serve `presets` in place of the reviewed file, for its whole life: how a
/// test runs the presets' data through the real engine against a provider on loopback (the
/// reviewed templates name real https hosts). Only before anything read the presets: after
/// that, `Err` hands them back and the presets served stay as they were.
pub fn serve(presets: Vec<Preset>) -> Result<(), Vec<Preset>> {
    SERVED
        .set(Served::new(presets))
        .map_err(|refused| refused.presets)
}

/// The preset with this id.
pub fn find(id: &str) -> Result<&'static Preset, PresetError> {
    all()
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| PresetError::Unknown {
            id: id.to_string(),
            known: all()
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// What the preset `id` fills with these parameter values (each checked against its pattern).
pub fn fill(id: &str, values: &BTreeMap<String, String>) -> Result<PresetFill, PresetError> {
    let preset = find(id)?;
    preset.check_values(values)?;
    let rendered = |t: &Option<String>| t.as_deref().map(|t| render(t, values));
    Ok(PresetFill {
        protocol: preset.protocol,
        issuer: rendered(&preset.issuer),
        client_auth_method: preset.client_auth_method,
        scopes: preset.scopes.clone(),
        customer_id_claim: preset.customer_id_claim.clone(),
        userinfo_endpoint: rendered(&preset.userinfo_endpoint),
        test_redirect: match preset.redirect {
            RedirectRule::Any => TestRedirect::DeepLink,
            RedirectRule::LoopbackOnly => TestRedirect::Loopback,
        },
    })
}

/// An issuer read back to the preset whose template produces it, with the parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recognised {
    pub preset: &'static Preset,
    pub values: BTreeMap<String, String>,
    /// The issuer differs from the template's form only by a trailing slash.
    pub slash_differs: bool,
}

impl Recognised {
    /// The issuer exactly as the preset's template writes it.
    pub fn issuer(&self) -> String {
        render(
            self.preset.issuer.as_deref().unwrap_or_default(),
            &self.values,
        )
    }

    /// The issuer the IdP's discovery and ID tokens name, when it is a multi-tenant one:
    /// the template with the tenant's placeholder, and the claim that fills it.
    pub fn tenant_issuer(&self) -> Option<(String, &'static TenantIssuer)> {
        let tenant = self.preset.tenant_issuer.as_ref()?;
        let value = self.values.get(&tenant.param)?;
        if !tenant.values.contains(value) {
            return None;
        }
        let mut values = self.values.clone();
        values.insert(tenant.param.clone(), tenant.placeholder.clone());
        let template = self.preset.issuer.as_deref().unwrap_or_default();
        Some((render(template, &values), tenant))
    }
}

/// The preset whose issuer template matches `issuer` (a trailing slash aside), if any.
pub fn recognise(issuer: &str) -> Option<Recognised> {
    let served = served();
    let mut patterns = served.presets.iter().zip(&served.issuer_patterns);
    patterns.find_map(|(preset, pattern)| {
        let template = preset.issuer.as_deref()?;
        let captures = pattern.as_ref()?.captures(issuer)?;
        let values = preset
            .params
            .iter()
            .filter_map(|p| Some((p.name.clone(), captures.name(&p.name)?.as_str().to_string())))
            .collect();
        Some(Recognised {
            preset,
            values,
            slash_differs: template.ends_with('/') != issuer.ends_with('/'),
        })
    })
}

impl Preset {
    /// Whether `value` is of the form of the parameter `name` (false for no such parameter).
    pub fn accepts(&self, name: &str, value: &str) -> bool {
        self.param(name)
            .is_some_and(|p| full_match(&p.pattern).is_match(value))
    }

    fn param(&self, name: &str) -> Option<&PresetParam> {
        self.params.iter().find(|p| p.name == name)
    }

    fn check_values(&self, values: &BTreeMap<String, String>) -> Result<(), PresetError> {
        if let Some(name) = values.keys().find(|n| self.param(n).is_none()) {
            return Err(PresetError::UnknownParam {
                preset: self.id.clone(),
                name: name.clone(),
                known: self.param_names(),
            });
        }
        for p in &self.params {
            let value = values.get(&p.name).map(|v| v.trim()).unwrap_or_default();
            if value.is_empty() {
                return Err(PresetError::MissingParam {
                    label: p.label.clone(),
                    example: p.example.clone(),
                });
            }
            if !full_match(&p.pattern).is_match(value) {
                return Err(PresetError::InvalidParam {
                    label: p.label.clone(),
                    value: value.to_string(),
                    example: p.example.clone(),
                });
            }
        }
        Ok(())
    }

    fn param_names(&self) -> String {
        match self.params.is_empty() {
            true => "none".into(),
            false => self
                .params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// What an issuer made from this preset's template looks like, a trailing slash aside:
    /// the template's text, each `{name}` captured by its parameter's pattern (`None`: no
    /// issuer template, a placeholder that is not a parameter of the preset, or a pattern that
    /// does not compile; the reviewed presets have none of these, as their tests check).
    fn issuer_pattern(&self) -> Option<Regex> {
        let template = self.issuer.as_deref()?;
        let mut pattern = String::from("^");
        for piece in pieces(template.strip_suffix('/').unwrap_or(template)) {
            match piece {
                Piece::Literal(text) => pattern.push_str(&regex::escape(text)),
                Piece::Param(name) => {
                    let param = self.param(name)?;
                    pattern.push_str(&format!("(?P<{name}>{})", param.pattern));
                }
            }
        }
        pattern.push_str("/?$");
        Regex::new(&pattern).ok()
    }
}

/// A part of a template: literal text or a `{name}` placeholder.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'t> {
    Literal(&'t str),
    Param(&'t str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            out.push(Piece::Literal(&rest[..open]));
        }
        out.push(Piece::Param(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// `template` with each `{name}` replaced by its value (trimmed); unknown names stay as written.
fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    pieces(template)
        .into_iter()
        .map(|piece| match piece {
            Piece::Literal(text) => text.to_string(),
            Piece::Param(name) => values
                .get(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| format!("{{{name}}}")),
        })
        .collect()
}

fn full_match(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("preset patterns are checked by the tests")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn placeholders(template: &str) -> BTreeSet<&str> {
        pieces(template)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Param(name) => Some(name),
                Piece::Literal(_) => None,
            })
            .collect()
    }

    #[test]
    fn every_preset_is_well_formed() {
        // reviewed() parses presets.json, every method and protocol included, or panics.
        let presets = reviewed();
        let ids: BTreeSet<&str> = presets.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), presets.len(), "preset ids are unique");
        for p in &presets {
            let declared: BTreeSet<&str> = p.params.iter().map(|x| x.name.as_str()).collect();
            let mut used = BTreeSet::new();
            for template in [&p.issuer, &p.userinfo_endpoint].into_iter().flatten() {
                assert!(template.starts_with("https://"), "{}: {template}", p.id);
                used.extend(placeholders(template));
            }
            assert_eq!(
                used, declared,
                "{}: placeholders and parameters agree",
                p.id
            );
            for param in &p.params {
                assert!(
                    full_match(&param.pattern).is_match(&param.example),
                    "{}: the example of {} matches its pattern",
                    p.id,
                    param.name
                );
            }
            if let Some(t) = &p.tenant_issuer {
                assert!(
                    declared.contains(t.param.as_str()),
                    "{}: tenant param",
                    p.id
                );
            }
            let examples = p.params.iter().map(|x| (x.name.clone(), x.example.clone()));
            let filled = fill(&p.id, &examples.collect()).expect("the examples fill");
            if let Some(issuer) = filled.issuer {
                let back = recognise(&issuer).expect("a filled issuer is recognised");
                assert_eq!(
                    back.issuer(),
                    issuer,
                    "{}: read back to the same issuer",
                    p.id
                );
                assert!(!back.slash_differs);
            }
        }
    }

    #[test]
    fn the_presets_served_cannot_change_once_read() {
        let first = all().as_ptr();
        let mut other = reviewed();
        other.truncate(1);
        assert_eq!(
            serve(other).map_err(|p| p.len()),
            Err(1),
            "refused, handed back"
        );
        assert_eq!(all().as_ptr(), first);
        assert_eq!(all(), reviewed().as_slice(), "still the reviewed file's");
    }

    #[test]
    fn okta_org_and_custom_server_issuers_fill_differently() {
        let org = fill("okta-org", &values(&[("domain", "acme.okta.com")])).unwrap();
        assert_eq!(org.issuer.as_deref(), Some("https://acme.okta.com"));
        let custom = fill(
            "okta-custom",
            &values(&[("domain", "acme.okta.com"), ("server", "default")]),
        )
        .unwrap();
        assert_eq!(
            custom.issuer.as_deref(),
            Some("https://acme.okta.com/oauth2/default")
        );
        assert_eq!(
            recognise("https://acme.okta.com").unwrap().preset.id,
            "okta-org"
        );
        assert_eq!(
            recognise("https://acme.okta.com/oauth2/default")
                .unwrap()
                .preset
                .id,
            "okta-custom"
        );
    }

    #[test]
    fn a_value_that_is_not_in_its_form_is_refused_before_it_reaches_the_issuer() {
        for bad in [
            "acme.okta.com/evil",
            "evil.example",
            "acme.okta.com?x=1",
            "",
        ] {
            let err = fill("okta-org", &values(&[("domain", bad)])).unwrap_err();
            assert!(
                matches!(
                    err,
                    PresetError::InvalidParam { .. } | PresetError::MissingParam { .. }
                ),
                "{bad:?}: {err:?}"
            );
        }
        assert!(matches!(
            fill("okta-org", &values(&[("tenant", "x")])),
            Err(PresetError::UnknownParam { .. })
        ));
        assert!(matches!(
            fill("nope", &BTreeMap::new()),
            Err(PresetError::Unknown { .. })
        ));
    }

    #[test]
    fn keycloak_cognito_and_google_fill_their_quirks() {
        let kc = fill(
            "keycloak",
            &values(&[("host", "sso.acme.com"), ("realm", "customers")]),
        )
        .unwrap();
        assert_eq!(
            kc.issuer.as_deref(),
            Some("https://sso.acme.com/realms/customers")
        );
        let cognito = fill(
            "cognito",
            &values(&[
                ("region", "eu-west-1"),
                ("user_pool_id", "eu-west-1_AbC"),
                ("domain", "acme.auth.eu-west-1.amazoncognito.com"),
            ]),
        )
        .unwrap();
        assert_eq!(
            cognito.userinfo_endpoint.as_deref(),
            Some("https://acme.auth.eu-west-1.amazoncognito.com/oauth2/userInfo")
        );
        let google = fill("google", &BTreeMap::new()).unwrap();
        assert_eq!(google.test_redirect, TestRedirect::Loopback);
        let slash = recognise("https://accounts.google.com/").unwrap();
        assert!(slash.slash_differs, "Google's issuer has no trailing slash");
        assert!(recognise("https://idp.example").is_none());
    }

    #[test]
    fn only_a_multi_tenant_entra_value_gives_the_tenant_issuer() {
        let common = recognise("https://login.microsoftonline.com/common/v2.0").unwrap();
        let (issuer, tenant) = common.tenant_issuer().unwrap();
        assert_eq!(issuer, "https://login.microsoftonline.com/{tenantid}/v2.0");
        assert_eq!(tenant.claim, "tid");
        let single = recognise("https://login.microsoftonline.com/contoso.com/v2.0").unwrap();
        assert_eq!(single.tenant_issuer(), None);
    }

    #[test]
    fn fill_keeps_what_the_preset_does_not_know() {
        let mut f = IdpFields::blank(Protocol::Oidc);
        f.name = "Acme".into();
        f.userinfo_endpoint = Some("https://kept.example/userinfo".into());
        fill("google", &BTreeMap::new()).unwrap().apply(&mut f);
        assert_eq!(f.name, "Acme");
        assert_eq!(f.issuer.as_deref(), Some("https://accounts.google.com"));
        assert_eq!(
            f.userinfo_endpoint.as_deref(),
            Some("https://kept.example/userinfo")
        );
        assert_eq!(f.test_redirect, TestRedirect::Loopback);
    }
}
