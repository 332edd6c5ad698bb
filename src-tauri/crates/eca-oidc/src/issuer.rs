//! Which issuer an IdP's discovery document and ID tokens must name.
//!
//! Invariants:
//! - The comparison is exact, as a string (a trailing slash matters), everywhere but for one
//!   declared exception: a multi-tenant issuer a preset describes as data
//!   ([`eca_model::preset::TenantIssuer`], e.g. Entra's `common`). For it, discovery names the
//!   issuer with the tenant's placeholder (`…/{tenantid}/v2.0`), and an ID token's `iss` must be
//!   that template with the placeholder replaced by the token's own tenant claim (`tid`), a
//!   value of the tenant parameter's form. Nothing broader: no other placeholder, no other
//!   claim, no prefix match.
//! - This module is the one place both the discovery check and the ID token check ask.

use eca_model::preset::{self, Recognised, TenantIssuer};
use serde_json::Value;

/// What an IdP configured with `configured` as its issuer must name.
pub enum IssuerRule<'a> {
    /// Exactly the configured issuer.
    Exact(&'a str),
    /// A multi-tenant issuer: discovery names `template`; a token's `iss` is `template` with
    /// the tenant's placeholder replaced by its tenant claim.
    Tenant {
        template: String,
        tenant: &'static TenantIssuer,
        recognised: Recognised,
    },
}

impl<'a> IssuerRule<'a> {
    pub fn of(configured: &'a str) -> Self {
        let Some(recognised) = preset::recognise(configured) else {
            return Self::Exact(configured);
        };
        match recognised.tenant_issuer() {
            Some((template, tenant)) if !recognised.slash_differs => Self::Tenant {
                template,
                tenant,
                recognised,
            },
            _ => Self::Exact(configured),
        }
    }

    /// The issuer the discovery document must name, exactly.
    pub fn discovery_issuer(&self) -> &str {
        match self {
            Self::Exact(issuer) => issuer,
            Self::Tenant { template, .. } => template,
        }
    }

    /// The issuer an ID token with these (not yet verified) claims must name, exactly; the
    /// signature check then compares its `iss` with it. Err: why no issuer can be expected.
    pub fn token_issuer(&self, claims: &Value) -> Result<String, String> {
        let (template, tenant, recognised) = match self {
            Self::Exact(issuer) => return Ok(issuer.to_string()),
            Self::Tenant {
                template,
                tenant,
                recognised,
            } => (template, tenant, recognised),
        };
        let value = claims
            .get(&tenant.claim)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!(
                    "The ID token has no \"{}\" claim to read its tenant from (the issuer {template} is multi-tenant).",
                    tenant.claim
                )
            })?;
        if !recognised.preset.accepts(&tenant.param, value)
            || tenant.values.iter().any(|v| v == value)
        {
            return Err(format!(
                "The ID token's \"{}\" claim is not a tenant id.",
                tenant.claim
            ));
        }
        Ok(template.replace(&tenant.placeholder, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COMMON: &str = "https://login.microsoftonline.com/common/v2.0";
    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn a_multi_tenant_issuer_expects_the_template_and_the_tokens_own_tenant() {
        let rule = IssuerRule::of(COMMON);
        assert_eq!(rule.discovery_issuer(), TEMPLATE);
        assert_eq!(
            rule.token_issuer(&json!({ "tid": TID })).unwrap(),
            format!("https://login.microsoftonline.com/{TID}/v2.0")
        );
        for bad in [
            json!({}),
            json!({ "tid": "a/b" }),
            json!({ "tid": "common" }),
            json!({ "tid": 7 }),
        ] {
            assert!(rule.token_issuer(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_other_issuer_is_exact() {
        for issuer in [
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
            "https://login.microsoftonline.com/common/v2.0/",
            "https://idp.example",
        ] {
            let rule = IssuerRule::of(issuer);
            assert_eq!(rule.discovery_issuer(), issuer);
            assert_eq!(rule.token_issuer(&json!({ "tid": TID })).unwrap(), issuer);
        }
    }
}
