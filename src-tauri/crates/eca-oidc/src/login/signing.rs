//! Which algorithms an IdP's ID token may be signed with, and whether the client secret takes
//! part in verifying it: decided here once, for the desktop test login and the platform's
//! customer sign-in alike.
//!
//! Invariants:
//! - The allowed set is the IdP's configured list when it has one; otherwise the asymmetric
//!   algorithms its discovery document advertises, or RS256 when it advertises none of those
//!   (OpenID Connect Discovery §3 makes RS256 the one every IdP supports). An HMAC algorithm
//!   (HS*) is allowed only when configured.
//! - The client secret is an HMAC key only when an HS* algorithm is allowed
//!   ([`SigningPolicy::hmac_key`]); otherwise it never reaches the verifier.
//! - `none` is never allowed (it is not a [`SigningAlg`]).

use eca_model::secret::Secret;
use eca_model::signing_alg::SigningAlg;

/// The algorithms one IdP's ID tokens may be signed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningPolicy {
    allowed: Vec<SigningAlg>,
    /// True when the IdP's settings list the algorithms; false for the advertised default.
    configured: bool,
}

impl SigningPolicy {
    /// The policy of an IdP configured with `configured` (empty: the default) whose discovery
    /// document advertises `advertised` (`id_token_signing_alg_values_supported`).
    pub fn new(configured: &[SigningAlg], advertised: &[String]) -> Self {
        if !configured.is_empty() {
            return Self {
                allowed: configured.to_vec(),
                configured: true,
            };
        }
        let mut allowed: Vec<SigningAlg> = advertised_algs(advertised)
            .into_iter()
            .filter(|a| !a.is_symmetric())
            .collect();
        if allowed.is_empty() {
            allowed.push(SigningAlg::RS256);
        }
        Self {
            allowed,
            configured: false,
        }
    }

    pub fn allowed(&self) -> &[SigningAlg] {
        &self.allowed
    }

    /// Whether a token whose header says `alg` may be verified at all.
    pub fn allows(&self, alg: &str) -> bool {
        self.allowed.iter().any(|a| a.as_str() == alg)
    }

    /// The client secret as the HMAC key of HS* tokens: `Some` only when an HS* algorithm is
    /// allowed, so an asymmetric-only IdP never hands its secret to the verifier.
    pub fn hmac_key<'a>(&self, secret: Option<&'a Secret>) -> Option<&'a Secret> {
        secret.filter(|_| self.allowed.iter().any(|a| a.is_symmetric()))
    }

    /// What to tell the admin when a token is signed with `alg`, outside the allowed set:
    /// the message and the fix.
    pub fn refusal(&self, alg: &str) -> (String, String) {
        let allowed = SigningAlg::join(&self.allowed);
        let source = if self.configured {
            format!("this IdP's settings allow only {allowed}")
        } else {
            format!(
                "by default only the asymmetric algorithms the IdP advertises are accepted \
                 ({allowed})"
            )
        };
        let message = format!("The ID token is signed with {alg}, but {source}.");
        let supported = alg.parse::<SigningAlg>().ok();
        let fix = match supported {
            Some(a) if a.is_symmetric() => format!(
                "If the IdP is meant to sign ID tokens with {a} (keyed with the client secret), \
                 add {a} under \"ID token signing algorithms\" in the IdP's settings; otherwise \
                 configure the IdP to sign with {allowed}."
            ),
            Some(a) => format!(
                "If the IdP is meant to sign ID tokens with {a}, add it under \"ID token \
                 signing algorithms\" in the IdP's settings; otherwise configure the IdP to \
                 sign with {allowed}."
            ),
            None => format!(
                "This app cannot verify {alg}: configure the IdP to sign ID tokens with \
                 {allowed}."
            ),
        };
        (message, fix)
    }
}

/// The advertised names this app can verify; others (`none`, ES512, unknown) are left out.
fn advertised_algs(advertised: &[String]) -> Vec<SigningAlg> {
    advertised.iter().filter_map(|a| a.parse().ok()).collect()
}

/// The configured algorithms the IdP does not advertise (readiness warns about them). Nothing
/// when it advertises no list: there is nothing to compare with.
pub fn unadvertised(configured: &[SigningAlg], advertised: &[String]) -> Vec<SigningAlg> {
    if advertised.is_empty() {
        return Vec::new();
    }
    let known = advertised_algs(advertised);
    configured
        .iter()
        .copied()
        .filter(|a| !known.contains(a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SigningAlg::{ES256, HS256, PS256, RS256};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_default_is_the_advertised_asymmetric_algs_or_rs256() {
        let advertised = names(&["HS256", "RS256", "ES256", "none", "ES512", "XX1"]);
        assert_eq!(
            SigningPolicy::new(&[], &advertised).allowed(),
            [RS256, ES256]
        );
        assert_eq!(SigningPolicy::new(&[], &[]).allowed(), [RS256]);
        assert_eq!(
            SigningPolicy::new(&[], &names(&["HS256"])).allowed(),
            [RS256],
            "an IdP advertising only HS* still gets no HS* by default"
        );
    }

    #[test]
    fn a_configured_list_is_exactly_the_allowed_set() {
        let advertised = names(&["RS256", "ES256"]);
        let policy = SigningPolicy::new(&[PS256, HS256], &advertised);
        assert_eq!(policy.allowed(), [PS256, HS256]);
        assert!(policy.allows("HS256") && policy.allows("PS256"));
        assert!(!policy.allows("RS256"), "advertised but not configured");
        assert!(!policy.allows("none") && !policy.allows("hs256"));
    }

    #[test]
    fn the_secret_is_a_key_only_when_an_hmac_alg_is_allowed() {
        let secret = Secret::new("s3cret");
        let default = SigningPolicy::new(&[], &names(&["RS256", "HS256"]));
        assert!(default.hmac_key(Some(&secret)).is_none());
        let asymmetric = SigningPolicy::new(&[ES256], &[]);
        assert!(asymmetric.hmac_key(Some(&secret)).is_none());
        let hmac = SigningPolicy::new(&[RS256, HS256], &[]);
        assert_eq!(
            hmac.hmac_key(Some(&secret)).map(Secret::expose),
            Some("s3cret")
        );
        assert!(hmac.hmac_key(None).is_none());
    }

    #[test]
    fn a_refusal_names_the_alg_the_allowed_set_and_the_setting() {
        let (message, fix) = SigningPolicy::new(&[], &[]).refusal("HS256");
        assert!(
            message.contains("HS256") && message.contains("RS256"),
            "{message}"
        );
        assert!(fix.contains("ID token signing algorithms"), "{fix}");
        assert!(fix.contains("client secret"), "{fix}");
        let (message, _) = SigningPolicy::new(&[ES256], &[]).refusal("RS256");
        assert!(message.contains("settings allow only ES256"), "{message}");
        let (_, fix) = SigningPolicy::new(&[ES256], &[]).refusal("ES512");
        assert!(fix.contains("cannot verify ES512"), "{fix}");
    }

    #[test]
    fn only_an_hmac_alg_is_said_to_be_keyed_with_the_client_secret() {
        let (_, fix) = SigningPolicy::new(&[ES256], &[]).refusal("RS256");
        assert!(fix.contains("add it under"), "{fix}");
        assert!(
            !fix.contains("client secret"),
            "RS256 uses no secret: {fix}"
        );
    }

    #[test]
    fn unadvertised_lists_configured_algs_the_idp_does_not_name() {
        let advertised = names(&["RS256", "ES256"]);
        assert_eq!(unadvertised(&[RS256, HS256], &advertised), [HS256]);
        assert!(unadvertised(&[RS256], &advertised).is_empty());
        assert!(
            unadvertised(&[HS256], &[]).is_empty(),
            "nothing to compare with"
        );
    }
}
