//! The identity-provider (IdP) model shared by the store, the CLI and the app.
//!
//! Invariants:
//! - `IdpFields` is what an admin edits; it carries no secret. The client secret travels
//!   separately as a [`crate::secret::Secret`] and is only ever reflected back as `has_secret`.
//! - An `IdpConfig` read from the store has passed [`crate::validation`]; its `id` never changes.
//! - These types are exported to TypeScript (specta, through the app's tauri-specta bindings); the
//!   serialised names (snake_case) are part of that contract and of the JSON export format.

use crate::credential_expiry::{self, CredentialExpiry};
use crate::secret_binding::{self, SecretBinding};
use crate::signing_alg::SigningAlg;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The stable identity of an IdP. It keys the keyring entry and, later, the backend record.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(transparent)]
pub struct IdpId(pub Uuid);

impl IdpId {
    /// A fresh random id (UUID v4, from the OS RNG).
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for IdpId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IdpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for IdpId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// How the platform talks to the IdP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OpenID Connect: issuer, discovery, ID token.
    Oidc,
    /// Plain OAuth 2.0: endpoints entered by hand, identity from a profile endpoint.
    Oauth2,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Oidc => "oidc",
            Protocol::Oauth2 => "oauth2",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Oidc => "OpenID Connect",
            Protocol::Oauth2 => "OAuth 2.0",
        }
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "oidc" => Ok(Protocol::Oidc),
            "oauth2" => Ok(Protocol::Oauth2),
            other => Err(format!(
                "unknown protocol \"{other}\" (expected oidc or oauth2)"
            )),
        }
    }
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3, OIDC Core §9).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: no secret, PKCE only.
    None,
    /// A JWT signed with the client's own private key (RFC 7523 §2.2, OIDC Core §9): no
    /// secret; the IdP holds the public key.
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::None => "none",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
    /// Whether the client proves itself with a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
        )
    }
    /// Whether the client proves itself with its own signing key (private_key_jwt).
    pub fn uses_key(self) -> bool {
        self == ClientAuthMethod::PrivateKeyJwt
    }
    /// Whether the client proves itself at all (a secret or a key): what may expire.
    pub fn uses_credential(self) -> bool {
        self.uses_secret() || self.uses_key()
    }
    /// Why a client with this method keeps no client secret; `None` when it uses one.
    pub fn why_no_secret(self) -> Option<&'static str> {
        match self {
            ClientAuthMethod::None => {
                Some("a public client (authentication \"none\") has no secret")
            }
            ClientAuthMethod::PrivateKeyJwt => Some(
                "a client that authenticates with private_key_jwt signs with its own key and has \
                 no secret",
            ),
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => None,
        }
    }
}

impl FromStr for ClientAuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "none" => Ok(Self::None),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            other => Err(format!(
                "unknown client authentication method \"{other}\" \
                 (expected client_secret_basic, client_secret_post, none or private_key_jwt)"
            )),
        }
    }
}

/// How "Test Configuration" receives the login's redirect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TestRedirect {
    /// The app's private-use scheme, `com.ecaadmin.desktop:/oauth/callback` (RFC 8252 §7.1).
    #[default]
    DeepLink,
    /// `http://127.0.0.1:<port>/oauth/callback` (RFC 8252 §7.3), for IdPs that refuse
    /// private-use schemes.
    Loopback,
}

impl TestRedirect {
    pub fn as_str(self) -> &'static str {
        match self {
            TestRedirect::DeepLink => "deep_link",
            TestRedirect::Loopback => "loopback",
        }
    }
}

impl FromStr for TestRedirect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "deep_link" => Ok(Self::DeepLink),
            "loopback" => Ok(Self::Loopback),
            other => Err(format!(
                "unknown test redirect \"{other}\" (expected deep_link or loopback)"
            )),
        }
    }
}

/// One extra authorization request parameter, e.g. `prompt=login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuthParam {
    pub key: String,
    pub value: String,
}

/// One verified claim passed to the chat flow under a variable name, e.g. `email` →
/// `customer_email`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ClaimMapping {
    /// The claim's name as the IdP returns it (ID token or userinfo).
    pub claim: String,
    /// The flow variable that receives its value.
    pub variable: String,
}

/// Everything an admin edits about an IdP, secret excepted.
///
/// Optional URLs are `None` when unset; validation turns blank strings into `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IdpFields {
    pub name: String,
    pub protocol: Protocol,
    /// OpenID Connect only.
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    /// OpenID Connect only.
    pub jwks_uri: Option<String>,
    pub client_id: String,
    pub client_auth_method: ClientAuthMethod,
    pub scopes: Vec<String>,
    pub extra_params: Vec<AuthParam>,
    /// The platform's production redirect URI(s) registered at the IdP.
    pub redirect_uris: Vec<String>,
    /// The claim that identifies the customer: `sub`, `email`, `phone_number`…
    pub customer_id_claim: String,
    pub enabled: bool,
    pub notes: String,
    /// How a test login gets its redirect back (older exports lack it: deep link).
    #[serde(default)]
    pub test_redirect: TestRedirect,
    /// The verified claims the chat flow receives, and their variable names (older exports
    /// lack it: none).
    #[serde(default)]
    pub claim_mapping: Vec<ClaimMapping>,
    /// When on, the platform authenticates a customer only if the IdP returns a verified
    /// `phone_number` equal, in [`crate::phone::e164`] form, to the number the link was sent
    /// to (older exports lack it: off).
    #[serde(default)]
    pub channel_binding: bool,
    /// The fixed port of the loopback test redirect, for IdPs that match redirect URIs exactly,
    /// port included; none picks a free port per test (RFC 8252 §7.3). Valid only with the
    /// loopback test redirect, from 1024 to 65535. Older exports lack it.
    #[serde(default)]
    pub loopback_port: Option<u16>,
    /// The algorithms this IdP's ID tokens may be signed with (OpenID Connect only). Empty: the
    /// asymmetric ones its discovery document advertises (RS256 when it advertises none). An
    /// HMAC algorithm (HS*), keyed with the client secret, is accepted only when listed here.
    /// Older exports lack it: empty.
    #[serde(default)]
    pub id_token_signing_algs: Vec<SigningAlg>,
    /// When the client credential expires (the client secret — or the signing key, for
    /// private_key_jwt), `YYYY-MM-DD` in UTC; see [`crate::credential_expiry`]. Only for a
    /// client that has a credential. Older exports lack it: none.
    #[serde(default)]
    pub credential_expires_on: Option<String>,
}

impl IdpFields {
    /// A blank OpenID Connect draft with the defaults an admin starts from.
    pub fn blank(protocol: Protocol) -> Self {
        Self {
            name: String::new(),
            protocol,
            issuer: None,
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            userinfo_endpoint: None,
            jwks_uri: None,
            client_id: String::new(),
            client_auth_method: ClientAuthMethod::ClientSecretBasic,
            scopes: match protocol {
                Protocol::Oidc => vec!["openid".into(), "profile".into(), "email".into()],
                Protocol::Oauth2 => Vec::new(),
            },
            extra_params: Vec::new(),
            redirect_uris: Vec::new(),
            customer_id_claim: "sub".into(),
            enabled: true,
            notes: String::new(),
            test_redirect: TestRedirect::DeepLink,
            claim_mapping: Vec::new(),
            channel_binding: false,
            loopback_port: None,
            id_token_signing_algs: Vec::new(),
            credential_expires_on: None,
        }
    }

    /// How near the credential's expiry is on `today` (the one rule,
    /// [`credential_expiry::expiry`]).
    pub fn credential_expiry(&self, today: time::Date) -> CredentialExpiry {
        credential_expiry::expiry(self.credential_expires_on.as_deref(), today)
    }
}

/// A stored IdP as the UI, the CLI and the export see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IdpConfig {
    pub id: IdpId,
    #[serde(flatten)]
    pub fields: IdpFields,
    /// Whether the keyring holds a client secret for this IdP. The value never leaves Rust.
    pub has_secret: bool,
    /// Where the stored secret was entered (set exactly when `has_secret`); see
    /// [`IdpConfig::secret_set_aside`].
    pub secret_entered_for: Option<SecretBinding>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

impl IdpConfig {
    /// Why the stored secret must not be used with `fields` (the stored ones, or a draft's);
    /// `None` when there is no stored secret or it may be used.
    pub fn secret_set_aside_for(&self, fields: &IdpFields) -> Option<FieldError> {
        secret_binding::set_aside(
            self.secret_entered_for.as_ref().filter(|_| self.has_secret),
            fields.client_auth_method,
            &SecretBinding::of(fields),
        )
    }

    /// Why the stored secret must not be used with the stored fields (see
    /// [`crate::secret_binding`]).
    pub fn secret_set_aside(&self) -> Option<FieldError> {
        self.secret_set_aside_for(&self.fields)
    }
}

/// The name of a field of any form the app shows (the IdP form, the secret included, and the
/// sync settings), as validation errors, the audit, the sync plan and the UI refer to it. The
/// IdP fields serialise to their own names (`IdpFields`), so stored audit rows and the CLI's
/// JSON read the same; IdP validation and diffs name only those.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    specta::Type,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Protocol,
    Issuer,
    AuthorizationEndpoint,
    TokenEndpoint,
    UserinfoEndpoint,
    JwksUri,
    ClientId,
    ClientAuthMethod,
    ClientSecret,
    Scopes,
    ExtraParams,
    RedirectUris,
    CustomerIdClaim,
    Enabled,
    Notes,
    /// Sync settings: the backend's base URL.
    BackendUrl,
    /// Sync settings: the workspace id.
    WorkspaceId,
    /// Sync settings: the workspace's API key.
    ApiKey,
    /// Sync settings: an environment's name ("sandbox", "production").
    EnvironmentName,
    /// App settings: where the update manifest is published.
    UpdateManifestUrl,
    TestRedirect,
    ClaimMapping,
    ChannelBinding,
    LoopbackPort,
    IdTokenSigningAlgs,
    CredentialExpiresOn,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Protocol => "protocol",
            Field::Issuer => "issuer",
            Field::AuthorizationEndpoint => "authorization_endpoint",
            Field::TokenEndpoint => "token_endpoint",
            Field::UserinfoEndpoint => "userinfo_endpoint",
            Field::JwksUri => "jwks_uri",
            Field::ClientId => "client_id",
            Field::ClientAuthMethod => "client_auth_method",
            Field::ClientSecret => "client_secret",
            Field::Scopes => "scopes",
            Field::ExtraParams => "extra_params",
            Field::RedirectUris => "redirect_uris",
            Field::CustomerIdClaim => "customer_id_claim",
            Field::Enabled => "enabled",
            Field::Notes => "notes",
            Field::BackendUrl => "backend_url",
            Field::WorkspaceId => "workspace_id",
            Field::ApiKey => "api_key",
            Field::EnvironmentName => "environment_name",
            Field::UpdateManifestUrl => "update_manifest_url",
            Field::TestRedirect => "test_redirect",
            Field::ClaimMapping => "claim_mapping",
            Field::ChannelBinding => "channel_binding",
            Field::LoopbackPort => "loopback_port",
            Field::IdTokenSigningAlgs => "id_token_signing_algs",
            Field::CredentialExpiresOn => "credential_expires_on",
        }
    }

    /// The label the form shows, used in one-line CLI errors too.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Protocol => "Protocol",
            Field::Issuer => "Issuer URL",
            Field::AuthorizationEndpoint => "Authorization endpoint",
            Field::TokenEndpoint => "Token endpoint",
            Field::UserinfoEndpoint => "Userinfo endpoint",
            Field::JwksUri => "JWKS URI",
            Field::ClientId => "Client ID",
            Field::ClientAuthMethod => "Client authentication",
            Field::ClientSecret => "Client secret",
            Field::Scopes => "Scopes",
            Field::ExtraParams => "Extra parameters",
            Field::RedirectUris => "Redirect URIs",
            Field::CustomerIdClaim => "Customer identifier claim",
            Field::Enabled => "Enabled",
            Field::Notes => "Notes",
            Field::BackendUrl => "Backend URL",
            Field::WorkspaceId => "Workspace ID",
            Field::ApiKey => "API key",
            Field::EnvironmentName => "Environment name",
            Field::UpdateManifestUrl => "Update manifest URL",
            Field::TestRedirect => "Test redirect",
            Field::ClaimMapping => "Claim mapping",
            Field::ChannelBinding => "Channel binding",
            Field::LoopbackPort => "Loopback port",
            Field::IdTokenSigningAlgs => "ID token signing algorithms",
            Field::CredentialExpiresOn => "Secret expires on",
        }
    }

    /// Whether the field is a desktop-only setting of the test login, never synced to the
    /// backend (and so absent from [`crate::wire::WireFields`]).
    pub fn is_local_only(self) -> bool {
        matches!(self, Field::TestRedirect | Field::LoopbackPort)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem with one field, shown next to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.label(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_client_auth_method_reads_back_from_its_name() {
        assert_eq!(ClientAuthMethod::VARIANTS.len(), 4);
        for &m in ClientAuthMethod::VARIANTS {
            assert_eq!(m.as_str().parse::<ClientAuthMethod>(), Ok(m));
            assert_eq!(
                m.why_no_secret().is_none(),
                m.uses_secret(),
                "{m:?}: a method either uses a secret or says why it has none"
            );
        }
    }
}
