//! From flags to `IdpFields`: the flags given overwrite their field, the rest is left alone;
//! discovery fills the endpoints no flag named.
//!
//! Invariants:
//! - A flag the admin typed always wins over a discovered value.
//! - Nothing here validates: the core's [`eca_model::validation`] does, on save, for the CLI
//!   exactly as for the app.

use crate::cli::FieldArgs;
use eca_model::idp::{Field, IdpFields, Protocol};
use eca_oidc::discovery::DiscoveryInfo;

/// On edit, what replaces the lists instead of `--param`/`--redirect-uri`/`--claim-map`/
/// `--id-token-alg`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clears {
    pub params: bool,
    pub redirect_uris: bool,
    pub claim_mapping: bool,
    pub id_token_signing_algs: bool,
}

impl Clears {
    pub fn any(self) -> bool {
        let Clears {
            params,
            redirect_uris,
            claim_mapping,
            id_token_signing_algs,
        } = self;
        params || redirect_uris || claim_mapping || id_token_signing_algs
    }
}

impl FieldArgs {
    /// Overwrites the fields whose flag was given.
    pub fn apply(&self, f: &mut IdpFields, clears: Clears) {
        let set = |target: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                target.clone_from(v);
            }
        };
        let set_opt = |target: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *target = Some(v.clone());
            }
        };
        set(&mut f.name, &self.name);
        if let Some(p) = self.protocol {
            f.protocol = p;
        }
        set_opt(&mut f.issuer, &self.issuer);
        set(&mut f.authorization_endpoint, &self.authorization_endpoint);
        set(&mut f.token_endpoint, &self.token_endpoint);
        set_opt(&mut f.userinfo_endpoint, &self.userinfo_endpoint);
        set_opt(&mut f.jwks_uri, &self.jwks_uri);
        set(&mut f.client_id, &self.client_id);
        if let Some(m) = self.client_auth_method {
            f.client_auth_method = m;
        }
        if let Some(s) = &self.scopes {
            f.scopes = s.split_whitespace().map(str::to_string).collect();
        }
        if clears.params || !self.params.is_empty() {
            f.extra_params.clone_from(&self.params);
        }
        if clears.redirect_uris || !self.redirect_uris.is_empty() {
            f.redirect_uris.clone_from(&self.redirect_uris);
        }
        set(&mut f.customer_id_claim, &self.customer_id_claim);
        if clears.claim_mapping || !self.claim_mapping.is_empty() {
            f.claim_mapping.clone_from(&self.claim_mapping);
        }
        if let Some(on) = self.channel_binding {
            f.channel_binding = on;
        }
        if clears.id_token_signing_algs || !self.id_token_signing_algs.is_empty() {
            f.id_token_signing_algs
                .clone_from(&self.id_token_signing_algs);
        }
        set(&mut f.notes, &self.notes);
        if let Some(t) = self.test_redirect {
            f.test_redirect = t;
        }
        if let Some(port) = self.loopback_port {
            f.loopback_port = port.0;
        }
        if let Some(on) = &self.credential_expires_on {
            f.credential_expires_on.clone_from(&on.0);
        }
    }

    /// Whether any field flag was given (the secret flags count: they change the IdP too).
    pub fn changes_anything(&self) -> bool {
        let FieldArgs {
            name,
            protocol,
            issuer,
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint,
            jwks_uri,
            client_id,
            client_auth_method,
            scopes,
            params,
            redirect_uris,
            customer_id_claim,
            claim_mapping,
            channel_binding,
            id_token_signing_algs,
            notes,
            test_redirect,
            loopback_port,
            credential_expires_on,
            client_secret_stdin,
            no_discover: _,
            client_secret_value: _,
        } = self;
        [
            name,
            issuer,
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint,
            jwks_uri,
            client_id,
            scopes,
            customer_id_claim,
            notes,
        ]
        .iter()
        .any(|v| v.is_some())
            || protocol.is_some()
            || client_auth_method.is_some()
            || test_redirect.is_some()
            || channel_binding.is_some()
            || !claim_mapping.is_empty()
            || !id_token_signing_algs.is_empty()
            || loopback_port.is_some()
            || credential_expires_on.is_some()
            || !params.is_empty()
            || !redirect_uris.is_empty()
            || *client_secret_stdin
    }

    /// The endpoint fields discovery may fill: those no flag named.
    pub fn discoverable(&self) -> Vec<Field> {
        [
            (Field::AuthorizationEndpoint, &self.authorization_endpoint),
            (Field::TokenEndpoint, &self.token_endpoint),
            (Field::UserinfoEndpoint, &self.userinfo_endpoint),
            (Field::JwksUri, &self.jwks_uri),
        ]
        .into_iter()
        .filter(|(_, flag)| flag.is_none())
        .map(|(field, _)| field)
        .collect()
    }

    /// The issuer to run discovery on: an OpenID Connect IdP whose `--issuer` was given (or
    /// `issuer_given` otherwise, by a preset), with a required endpoint left to fill, unless
    /// `--no-discover`. (The userinfo endpoint is optional for OIDC: its absence alone does not
    /// send the CLI onto the network.)
    pub fn discovery_issuer<'f>(&self, f: &'f IdpFields, issuer_given: bool) -> Option<&'f str> {
        let required_missing = self
            .discoverable()
            .iter()
            .any(|field| *field != Field::UserinfoEndpoint);
        let wanted = (self.issuer.is_some() || issuer_given)
            && !self.no_discover
            && f.protocol == Protocol::Oidc
            && required_missing;
        wanted.then_some(f.issuer.as_deref()).flatten()
    }
}

/// Copies the discovered endpoints into the fields listed (see [`FieldArgs::discoverable`]).
/// A userinfo endpoint the document lacks is removed: an old one belonged to another issuer.
pub fn fill_from_discovery(f: &mut IdpFields, info: &DiscoveryInfo, fields: &[Field]) {
    for field in fields {
        match field {
            Field::AuthorizationEndpoint => f
                .authorization_endpoint
                .clone_from(&info.authorization_endpoint),
            Field::TokenEndpoint => f.token_endpoint.clone_from(&info.token_endpoint),
            Field::UserinfoEndpoint => f.userinfo_endpoint.clone_from(&info.userinfo_endpoint),
            Field::JwksUri => f.jwks_uri = Some(info.jwks_uri.clone()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn args(flags: &[&str]) -> FieldArgs {
        let argv = ["eca", "idp", "add"].iter().chain(flags);
        match Cli::parse_from(argv).command {
            crate::cli::Command::Idp(crate::cli::IdpCommand::Add(a)) => a.fields,
            other => panic!("parsed as {other:?}"),
        }
    }

    fn info() -> DiscoveryInfo {
        DiscoveryInfo {
            issuer: "https://op.example".into(),
            authorization_endpoint: "https://op.example/auth".into(),
            token_endpoint: "https://op.example/token".into(),
            userinfo_endpoint: None,
            jwks_uri: "https://op.example/jwks".into(),
            code_challenge_methods_supported: vec![],
            token_endpoint_auth_methods_supported: vec![],
            scopes_supported: vec![],
            id_token_signing_alg_values_supported: vec![],
            token_endpoint_auth_signing_alg_values_supported: vec![],
            authorization_response_iss_parameter_supported: false,
            pushed_authorization_request_endpoint: None,
            require_pushed_authorization_requests: false,
        }
    }

    #[test]
    fn only_the_flags_given_change_their_field() {
        let mut f = IdpFields::blank(Protocol::Oidc);
        f.notes = "kept".into();
        f.extra_params = vec![eca_model::idp::AuthParam {
            key: "prompt".into(),
            value: "login".into(),
        }];
        args(&["--client-id", "abc", "--scopes", "openid  email"]).apply(&mut f, Clears::default());
        assert_eq!(f.client_id, "abc");
        assert_eq!(f.scopes, ["openid", "email"]);
        assert_eq!(f.notes, "kept", "a field without a flag keeps its value");
        assert_eq!(f.extra_params.len(), 1, "no --param keeps the parameters");

        let clears = Clears {
            params: true,
            ..Clears::default()
        };
        args(&[]).apply(&mut f, clears);
        assert!(f.extra_params.is_empty(), "--clear-params empties the list");
    }

    #[test]
    fn an_explicit_endpoint_wins_over_discovery() {
        let a = args(&[
            "--issuer",
            "https://op.example",
            "--token-endpoint",
            "https://x/t",
        ]);
        let mut f = IdpFields::blank(Protocol::Oidc);
        a.apply(&mut f, Clears::default());
        assert_eq!(a.discovery_issuer(&f, false), Some("https://op.example"));
        fill_from_discovery(&mut f, &info(), &a.discoverable());
        assert_eq!(f.token_endpoint, "https://x/t");
        assert_eq!(f.authorization_endpoint, "https://op.example/auth");
        assert_eq!(f.jwks_uri.as_deref(), Some("https://op.example/jwks"));
    }

    #[test]
    fn discovery_runs_only_when_it_has_something_to_do() {
        let all = [
            "--issuer",
            "https://op.example",
            "--authorization-endpoint",
            "https://op.example/a",
            "--token-endpoint",
            "https://op.example/t",
            "--jwks-uri",
            "https://op.example/k",
        ];
        let cases: [(&[&str], bool); 5] = [
            (&["--issuer", "https://op.example"], true),
            (&all[..6], true),
            (&["--issuer", "https://op.example", "--no-discover"], false),
            (
                &["--issuer", "https://op.example", "--protocol", "oauth2"],
                false,
            ),
            (&all, false),
        ];
        for (flags, expected) in cases {
            let a = args(flags);
            let mut f = IdpFields::blank(Protocol::Oidc);
            a.apply(&mut f, Clears::default());
            assert_eq!(
                a.discovery_issuer(&f, false).is_some(),
                expected,
                "{flags:?}"
            );
        }
        assert!(!args(&[]).changes_anything());
        assert!(args(&["--claim-map", "email=e"]).changes_anything());
        assert!(args(&["--channel-binding", "false"]).changes_anything());
        assert!(args(&["--notes", ""]).changes_anything());
    }
}
