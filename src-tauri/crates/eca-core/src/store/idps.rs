//! The `idp` table: one row per identity provider.
//!
//! Invariants:
//! - Rows are written only from validated [`IdpConfig`]s; `name_key` and `issuer_key` are
//!   derived here from the name and issuer, so uniqueness is enforced by SQLite too.
//! - Functions take a `&Connection` (a `Transaction` derefs to one): the caller decides the
//!   transaction boundaries.

use super::StoreError;
use eca_model::credential_expiry::{self, CredentialExpiry};
use eca_model::idp::{
    AuthParam, ClaimMapping, ClientAuthMethod, FieldError, IdpConfig, IdpFields, IdpId, Protocol,
};
use eca_model::secret_binding::{self, SecretBinding};
use eca_model::signing_alg::SigningAlg;
use eca_model::validation::{issuer_key, name_key};
use eca_oidc::login::report::TestOutcome;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use time::Date;

const COLUMNS: &str = "id, name, protocol, issuer, authorization_endpoint, token_endpoint, \
     userinfo_endpoint, jwks_uri, client_id, client_auth_method, scopes, extra_params, \
     redirect_uris, customer_id_claim, enabled, has_secret, notes, created_at, updated_at, \
     test_redirect, claim_mapping, channel_binding, loopback_port, id_token_signing_algs, \
     secret_origin, secret_client_id, credential_expires_on";

/// The SQL that lists the table for the list screen (also run raw by the benchmark).
/// The latest test run per IdP comes from SQLite's documented bare-column-with-max() rule.
pub const LIST_SUMMARIES_SQL: &str = "WITH latest AS (SELECT idp_id, outcome, max(finished_at) AS \
     finished_at FROM test_run GROUP BY idp_id) SELECT i.id, i.name, i.protocol, i.issuer, \
     i.authorization_endpoint, i.enabled, i.has_secret, i.updated_at, l.outcome, l.finished_at, \
     i.token_endpoint, i.client_id, i.client_auth_method, i.secret_origin, i.secret_client_id, \
     i.credential_expires_on FROM idp i LEFT JOIN latest l ON l.idp_id = i.id ORDER BY i.name_key";

/// The SQL that inserts one row (also run raw by the benchmark).
pub const INSERT_SQL: &str = "INSERT INTO idp (id, name, name_key, protocol, issuer, issuer_key, \
     authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, client_id, \
     client_auth_method, scopes, extra_params, redirect_uris, customer_id_claim, enabled, \
     has_secret, notes, created_at, updated_at, test_redirect, claim_mapping, channel_binding, \
     loopback_port, id_token_signing_algs, secret_origin, secret_client_id, credential_expires_on) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
     ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)";

const UPDATE_SQL: &str = "UPDATE idp SET name = ?2, name_key = ?3, protocol = ?4, issuer = ?5, \
     issuer_key = ?6, authorization_endpoint = ?7, token_endpoint = ?8, userinfo_endpoint = ?9, \
     jwks_uri = ?10, client_id = ?11, client_auth_method = ?12, scopes = ?13, extra_params = ?14, \
     redirect_uris = ?15, customer_id_claim = ?16, enabled = ?17, has_secret = ?18, notes = ?19, \
     created_at = ?20, updated_at = ?21, test_redirect = ?22, claim_mapping = ?23, \
     channel_binding = ?24, loopback_port = ?25, id_token_signing_algs = ?26, \
     secret_origin = ?27, secret_client_id = ?28, credential_expires_on = ?29 WHERE id = ?1";

/// A light row for the list screen: what the table shows, nothing more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IdpSummary {
    pub id: IdpId,
    pub name: String,
    pub protocol: Protocol,
    /// The host of the issuer (OIDC) or of the authorization endpoint (OAuth 2.0).
    pub host: String,
    pub enabled: bool,
    pub has_secret: bool,
    /// The stored secret needs re-entry: the token endpoint's origin or the client id changed
    /// since it was entered (see [`eca_model::secret_binding`]).
    pub secret_set_aside: bool,
    pub updated_at: String,
    /// The latest "Test Configuration" run, if any.
    pub last_test: Option<LastTest>,
    /// When the client credential expires, `YYYY-MM-DD`, if recorded.
    pub credential_expires_on: Option<String>,
    /// How near that is, on the day the list was read.
    pub credential_expiry: CredentialExpiry,
    /// What the credential is: a client secret, a signing key, or none.
    pub client_auth_method: ClientAuthMethod,
    /// What to do about that expiry, once the reminder is due
    /// ([`CredentialExpiry::reminder`]).
    pub credential_reminder: Option<String>,
}

/// The outcome and time of an IdP's latest test login, for the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LastTest {
    pub outcome: TestOutcome,
    pub finished_at: String,
}

/// Inserts a new IdP.
pub fn insert(conn: &Connection, idp: &IdpConfig) -> Result<(), StoreError> {
    write(conn, INSERT_SQL, idp)
}

/// Replaces every column of an existing IdP. Returns false when no row has that id.
pub fn update(conn: &Connection, idp: &IdpConfig) -> Result<bool, StoreError> {
    write(conn, UPDATE_SQL, idp).map(|()| conn.changes() == 1)
}

fn write(conn: &Connection, sql: &str, idp: &IdpConfig) -> Result<(), StoreError> {
    let f = &idp.fields;
    let extra =
        serde_json::to_string(&f.extra_params).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let redirects =
        serde_json::to_string(&f.redirect_uris).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let mapping =
        serde_json::to_string(&f.claim_mapping).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let algs = serde_json::to_string(&f.id_token_signing_algs)
        .map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.prepare_cached(sql)?.execute(params![
        idp.id.to_string(),
        f.name,
        name_key(&f.name),
        f.protocol.as_str(),
        f.issuer,
        f.issuer.as_deref().map(issuer_key),
        f.authorization_endpoint,
        f.token_endpoint,
        f.userinfo_endpoint,
        f.jwks_uri,
        f.client_id,
        f.client_auth_method.as_str(),
        f.scopes.join(" "),
        extra,
        redirects,
        f.customer_id_claim,
        f.enabled,
        idp.has_secret,
        f.notes,
        idp.created_at,
        idp.updated_at,
        f.test_redirect.as_str(),
        mapping,
        f.channel_binding,
        f.loopback_port,
        algs,
        idp.secret_entered_for.as_ref().map(|b| &b.token_origin),
        idp.secret_entered_for.as_ref().map(|b| &b.client_id),
        f.credential_expires_on,
    ])?;
    Ok(())
}

/// One IdP by id.
pub fn get(conn: &Connection, id: IdpId) -> Result<Option<IdpConfig>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM idp WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], |r| Ok(read_config(r)))
        .optional()?;
    row.transpose()
}

/// Every IdP in full, ordered by name (export).
pub fn list_full(conn: &Connection) -> Result<Vec<IdpConfig>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM idp ORDER BY name_key");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], |r| Ok(read_config(r)))?;
    rows.map(|r| r?).collect()
}

/// The list screen's rows, ordered by name, with each credential's expiry as of `today`.
pub fn list_summaries(conn: &Connection, today: Date) -> Result<Vec<IdpSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(LIST_SUMMARIES_SQL)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    // Borrowed reads: only the strings the summary keeps are allocated (the list is hot).
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> Result<&str, StoreError> {
            r.get_ref(i)?
                .as_str()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let text_or_null = |i: usize| -> Result<Option<&str>, StoreError> {
            r.get_ref(i)?
                .as_str_or_null()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let issuer = text_or_null(3)?;
        let expires_on = text_or_null(15)?;
        let method: ClientAuthMethod = text(12)?.parse().map_err(StoreError::Corrupt)?;
        let expiry = credential_expiry::expiry(expires_on, today);
        out.push(IdpSummary {
            id: parse_id(text(0)?)?,
            name: text(1)?.to_string(),
            protocol: text(2)?.parse().map_err(StoreError::Corrupt)?,
            host: url_host(issuer.unwrap_or(text(4)?)).to_string(),
            enabled: r.get(5)?,
            has_secret: r.get(6)?,
            secret_set_aside: set_aside(r, 6, 10)?.is_some(),
            updated_at: text(7)?.to_string(),
            last_test: match text_or_null(8)? {
                Some(outcome) => Some(LastTest {
                    outcome: serde_json::from_value(serde_json::Value::String(outcome.into()))
                        .map_err(|e| StoreError::Corrupt(format!("test outcome: {e}")))?,
                    finished_at: text(9)?.to_string(),
                }),
                None => None,
            },
            credential_expires_on: expires_on.map(str::to_string),
            credential_expiry: expiry,
            client_auth_method: method,
            credential_reminder: expiry.reminder(expires_on.unwrap_or_default(), method),
        });
    }
    Ok(out)
}

/// The id of the IdP whose name has this [`name_key`], if any.
pub fn id_by_name_key(conn: &Connection, key: &str) -> Result<Option<IdpId>, StoreError> {
    id_where(conn, "SELECT id FROM idp WHERE name_key = ?1", key)
}

/// The id of the IdP whose issuer has this [`issuer_key`], if any.
pub fn id_by_issuer_key(conn: &Connection, key: &str) -> Result<Option<IdpId>, StoreError> {
    id_where(conn, "SELECT id FROM idp WHERE issuer_key = ?1", key)
}

fn id_where(conn: &Connection, sql: &str, key: &str) -> Result<Option<IdpId>, StoreError> {
    let id: Option<String> = conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get(0))
        .optional()?;
    id.map(|s| parse_id(&s)).transpose()
}

/// Sets `enabled`; returns false when no row has that id.
pub fn set_enabled(
    conn: &Connection,
    id: IdpId,
    enabled: bool,
    at: &str,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("UPDATE idp SET enabled = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.to_string(), enabled, at])?;
    Ok(n == 1)
}

/// Deletes one IdP; returns false when no row has that id.
pub fn delete(conn: &Connection, id: IdpId) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM idp WHERE id = ?1")?
        .execute([id.to_string()])?;
    Ok(n == 1)
}

fn read_config(r: &Row<'_>) -> Result<IdpConfig, StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { Ok(r.get::<_, String>(i)?) };
    let opt =
        |i: usize| -> Result<Option<String>, StoreError> { Ok(r.get::<_, Option<String>>(i)?) };
    let extra: Vec<AuthParam> = serde_json::from_str(&text(11)?)
        .map_err(|e| StoreError::Corrupt(format!("extra_params: {e}")))?;
    let redirect_uris: Vec<String> = serde_json::from_str(&text(12)?)
        .map_err(|e| StoreError::Corrupt(format!("redirect_uris: {e}")))?;
    let claim_mapping: Vec<ClaimMapping> = serde_json::from_str(&text(20)?)
        .map_err(|e| StoreError::Corrupt(format!("claim_mapping: {e}")))?;
    let id_token_signing_algs: Vec<SigningAlg> = serde_json::from_str(&text(23)?)
        .map_err(|e| StoreError::Corrupt(format!("id_token_signing_algs: {e}")))?;
    let has_secret: bool = r.get(15)?;
    let secret_entered_for = entered_for(has_secret, opt(24)?, opt(25)?, &text(5)?, &text(8)?);
    Ok(IdpConfig {
        id: parse_id(&text(0)?)?,
        fields: IdpFields {
            name: text(1)?,
            protocol: text(2)?.parse().map_err(StoreError::Corrupt)?,
            issuer: opt(3)?,
            authorization_endpoint: text(4)?,
            token_endpoint: text(5)?,
            userinfo_endpoint: opt(6)?,
            jwks_uri: opt(7)?,
            client_id: text(8)?,
            client_auth_method: text(9)?.parse().map_err(StoreError::Corrupt)?,
            scopes: text(10)?.split_whitespace().map(str::to_string).collect(),
            extra_params: extra,
            redirect_uris,
            customer_id_claim: text(13)?,
            enabled: r.get(14)?,
            notes: text(16)?,
            test_redirect: text(19)?.parse().map_err(StoreError::Corrupt)?,
            claim_mapping,
            channel_binding: r.get(21)?,
            loopback_port: r.get(22)?,
            id_token_signing_algs,
            credential_expires_on: opt(26)?,
        },
        has_secret,
        secret_entered_for,
        created_at: text(17)?,
        updated_at: text(18)?,
    })
}

/// The IdPs whose stored secret is set aside, each with the field error that says why (push
/// holds them back).
pub fn secrets_set_aside(conn: &Connection) -> Result<Vec<(IdpId, FieldError)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, has_secret, token_endpoint, client_id, client_auth_method, secret_origin, \
         secret_client_id FROM idp WHERE has_secret AND secret_origin IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if let Some(why) = set_aside(r, 1, 2)? {
            out.push((parse_id(&r.get::<_, String>(0)?)?, why));
        }
    }
    Ok(out)
}

/// Whether the secret of row `r` is set aside, from its columns `has_secret` (at `has`), then
/// `token_endpoint`, `client_id`, `client_auth_method`, `secret_origin`, `secret_client_id`
/// (from `at` on).
fn set_aside(r: &Row<'_>, has: usize, at: usize) -> Result<Option<FieldError>, StoreError> {
    let (endpoint, client_id) = (r.get::<_, String>(at)?, r.get::<_, String>(at + 1)?);
    let auth: ClientAuthMethod = r
        .get::<_, String>(at + 2)?
        .parse()
        .map_err(StoreError::Corrupt)?;
    let entered_for = entered_for(
        r.get(has)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        &endpoint,
        &client_id,
    );
    Ok(secret_binding::set_aside(
        entered_for.as_ref(),
        auth,
        &SecretBinding::new(&endpoint, &client_id),
    ))
}

/// Where a stored secret was entered. A secret stored before bindings were recorded (no
/// columns) is taken as entered for the token endpoint and client id the row has now.
fn entered_for(
    has_secret: bool,
    origin: Option<String>,
    client_id: Option<String>,
    token_endpoint: &str,
    row_client_id: &str,
) -> Option<SecretBinding> {
    if !has_secret {
        return None;
    }
    Some(match (origin, client_id) {
        (Some(token_origin), Some(client_id)) => SecretBinding {
            token_origin,
            client_id,
        },
        _ => SecretBinding::new(token_endpoint, row_client_id),
    })
}

fn parse_id(s: &str) -> Result<IdpId, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("id {s:?} is not a UUID")))
}

/// The host part of a validated http(s) URL, without parsing it in full (the list is hot).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store;
    use eca_model::idp::Field;

    fn config(name: &str) -> IdpConfig {
        IdpConfig {
            id: IdpId::new(),
            fields: IdpFields {
                name: name.into(),
                authorization_endpoint: "https://idp.example/authorize".into(),
                token_endpoint: "https://idp.example/token".into(),
                client_id: "client".into(),
                ..IdpFields::blank(Protocol::Oidc)
            },
            has_secret: false,
            secret_entered_for: None,
            created_at: "t1".into(),
            updated_at: "t1".into(),
        }
    }

    #[test]
    fn writes_to_an_unknown_id_say_no_row_and_change_nothing() {
        let conn = store::open_in_memory().unwrap();
        let kept = config("Kept");
        insert(&conn, &kept).unwrap();
        let stranger = config("Stranger");

        assert!(!update(&conn, &stranger).unwrap(), "update of no row");
        assert!(!set_enabled(&conn, stranger.id, false, "t2").unwrap());
        assert!(!delete(&conn, stranger.id).unwrap(), "delete of no row");
        assert_eq!(list_full(&conn).unwrap(), vec![kept.clone()]);

        let mut renamed = kept.clone();
        renamed.fields.name = "Renamed".into();
        assert!(update(&conn, &renamed).unwrap(), "update of the row");
        assert!(set_enabled(&conn, kept.id, false, "t2").unwrap());
        let stored = get(&conn, kept.id).unwrap().unwrap();
        assert_eq!(
            (
                stored.fields.name.as_str(),
                stored.fields.enabled,
                stored.updated_at.as_str()
            ),
            ("Renamed", false, "t2")
        );
        assert!(delete(&conn, kept.id).unwrap(), "delete of the row");
        assert_eq!(get(&conn, kept.id).unwrap(), None);
    }

    #[test]
    fn only_a_secret_entered_for_another_endpoint_or_client_is_set_aside() {
        let conn = store::open_in_memory().unwrap();
        let mut moved = config("Moved");
        moved.has_secret = true;
        moved.secret_entered_for = Some(SecretBinding::new("https://old.example/token", "client"));
        let mut bound = config("Bound");
        bound.has_secret = true;
        bound.secret_entered_for = Some(SecretBinding::of(&bound.fields));
        for idp in [&moved, &bound, &config("No secret")] {
            insert(&conn, idp).unwrap();
        }

        let aside = secrets_set_aside(&conn).unwrap();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(aside[0].0, moved.id);
        assert_eq!(aside[0].1.field, Field::ClientSecret);
        assert!(
            aside[0].1.message.contains("https://old.example"),
            "{aside:?}"
        );
    }

    #[test]
    fn hosts_are_cut_from_urls() {
        assert_eq!(
            url_host("https://acme.okta.com/oauth2/default"),
            "acme.okta.com"
        );
        assert_eq!(url_host("http://127.0.0.1:8080/x"), "127.0.0.1");
        assert_eq!(url_host("http://[::1]:9000/x"), "[::1]");
        assert_eq!(url_host("https://login.example?x=1"), "login.example");
    }
}
