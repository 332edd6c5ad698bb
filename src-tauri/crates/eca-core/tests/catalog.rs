//! Catalog integration tests over a real SQLite file in a temporary folder. Secrets go to an
//! in-process store here; the real OS keyring is exercised in `tests/keyring.rs`.

use eca_core::catalog::{Catalog, CatalogError, SaveIdpRequest, SecretChange, StartTestRequest};
use eca_core::secrets::{MemorySecrets, Secret, SecretKey, SecretStore};
use eca_core::store::audit::AuditAction;
use eca_core::store::{self, StoreError};
use eca_core::transfer::{self, ImportError};
use eca_model::clock::FixedClock;
use eca_model::credential_expiry::CredentialExpiry;
use eca_model::idp::{
    AuthParam, ClaimMapping, ClientAuthMethod, Field, IdpFields, IdpId, TestRedirect,
};
use eca_model::signing_alg::SigningAlg;
use std::sync::Arc;
use time::macros::datetime;

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    secrets: Arc<MemorySecrets>,
    catalog: Catalog,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let secrets = Arc::new(MemorySecrets::new());
    let clock = Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC)));
    let catalog = Catalog::open(&path, secrets.clone(), clock).unwrap();
    Fixture {
        _dir: dir,
        path,
        secrets,
        catalog,
    }
}

/// The fixture with an extra authorization parameter, a claim mapping, channel binding on, ID
/// token signing algorithms and a credential expiry date, so every field round-trips with a value
/// other than its default.
fn okta(name: &str, issuer: &str) -> IdpFields {
    IdpFields {
        extra_params: vec![AuthParam {
            key: "prompt".into(),
            value: "login".into(),
        }],
        claim_mapping: vec![
            ClaimMapping {
                claim: "email".into(),
                variable: "customer_email".into(),
            },
            ClaimMapping {
                claim: "phone_number".into(),
                variable: "customer_phone".into(),
            },
        ],
        channel_binding: true,
        id_token_signing_algs: vec![SigningAlg::RS256, SigningAlg::ES256],
        credential_expires_on: Some("2027-03-31".into()),
        ..eca_testkit::fixtures::okta_at(name, issuer)
    }
}

fn create(c: &mut Catalog, fields: IdpFields, secret: SecretChange) -> eca_model::idp::IdpConfig {
    let out = c
        .save(SaveIdpRequest {
            id: None,
            fields,
            secret,
        })
        .expect("save should succeed");
    assert_eq!(out.secret_error, None);
    out.idp
}

fn invalid_fields(e: CatalogError) -> Vec<Field> {
    match e {
        CatalogError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn save_and_read_back_every_field() {
    let mut fx = fixture();
    let fields = okta("Acme Okta", "https://acme.okta.com");
    let saved = create(
        &mut fx.catalog,
        fields.clone(),
        SecretChange::Replace(Secret::new("s3cr3t")),
    );
    let read = fx.catalog.get(saved.id).unwrap();
    assert_eq!(
        read.fields, fields,
        "every field must round-trip through SQLite"
    );
    assert!(read.has_secret);
    assert_eq!(read.created_at, "2026-11-24T12:00:00Z");
    assert_eq!(
        fx.secrets
            .get(SecretKey::IdpClientSecret(saved.id))
            .unwrap()
            .unwrap()
            .expose(),
        "s3cr3t"
    );

    // A second connection (as the CLI would open while the app runs) sees it too.
    let other = Catalog::open(
        &fx.path,
        fx.secrets.clone(),
        Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC))),
    )
    .unwrap();
    assert_eq!(other.list().unwrap().len(), 1);
    assert_eq!(
        other.find("acme okta").unwrap().id,
        saved.id,
        "names are found case-insensitively"
    );
    assert_eq!(other.find(&saved.id.to_string()).unwrap().id, saved.id);
}

#[test]
fn summaries_show_the_issuer_host() {
    let mut fx = fixture();
    create(
        &mut fx.catalog,
        okta("B", "https://b.example/tenant"),
        SecretChange::Keep,
    );
    create(
        &mut fx.catalog,
        okta("a", "http://127.0.0.1:9999"),
        SecretChange::Keep,
    );
    let list = fx.catalog.list().unwrap();
    let rows: Vec<(&str, &str)> = list
        .iter()
        .map(|s| (s.name.as_str(), s.host.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![("a", "127.0.0.1"), ("B", "b.example")],
        "sorted by name, case-insensitively"
    );
}

#[test]
fn names_are_unique_after_normalisation() {
    let mut fx = fixture();
    create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Keep,
    );
    let err = fx
        .catalog
        .save(SaveIdpRequest {
            id: None,
            fields: okta("ＯＫＴＡ", "https://two.example"),
            secret: SecretChange::Keep,
        })
        .unwrap_err();
    assert_eq!(invalid_fields(err), vec![Field::Name]);
    assert_eq!(fx.catalog.list().unwrap().len(), 1, "nothing written");
}

#[test]
fn issuers_are_unique() {
    let mut fx = fixture();
    create(
        &mut fx.catalog,
        okta("One", "https://login.example"),
        SecretChange::Keep,
    );
    let err = fx
        .catalog
        .save(SaveIdpRequest {
            id: None,
            fields: okta("Two", "https://LOGIN.example/"),
            secret: SecretChange::Keep,
        })
        .unwrap_err();
    assert_eq!(invalid_fields(err), vec![Field::Issuer]);
}

#[test]
fn editing_keeps_id_and_creation_time_and_may_keep_its_own_name() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Replace(Secret::new("x1")),
    );
    let mut fields = saved.fields.clone();
    fields.notes = "rotated client".into();
    let out = fx
        .catalog
        .save(SaveIdpRequest {
            id: Some(saved.id),
            fields,
            secret: SecretChange::Keep,
        })
        .unwrap();
    assert_eq!(out.idp.id, saved.id);
    assert_eq!(out.idp.created_at, saved.created_at);
    assert!(out.idp.has_secret, "keeping the secret keeps has_secret");
    assert_eq!(
        fx.catalog.get(saved.id).unwrap().fields.notes,
        "rotated client"
    );
}

#[test]
fn editing_an_unknown_id_is_not_found() {
    let mut fx = fixture();
    let err = fx
        .catalog
        .save(SaveIdpRequest {
            id: Some(IdpId::new()),
            fields: okta("X", "https://x.example"),
            secret: SecretChange::Keep,
        })
        .unwrap_err();
    assert!(matches!(err, CatalogError::NotFound(_)), "{err:?}");
    assert!(fx.catalog.list().unwrap().is_empty());
}

#[test]
fn a_failure_half_way_through_a_save_leaves_nothing_behind() {
    let mut fx = fixture();
    // Sabotage the audit insert, which runs after the IdP row and the secret were written.
    fx.catalog
        .connection()
        .execute_batch("CREATE TEMP TRIGGER sabotage BEFORE INSERT ON idp_audit BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;")
        .unwrap();
    let err = fx
        .catalog
        .save(SaveIdpRequest {
            id: None,
            fields: okta("Okta", "https://one.example"),
            secret: SecretChange::Replace(Secret::new("must-not-survive")),
        })
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::Store(StoreError::Sqlite(_))),
        "{err:?}"
    );
    assert!(
        fx.catalog.list().unwrap().is_empty(),
        "the IdP row must be rolled back"
    );
    assert!(
        fx.secrets.is_empty(),
        "the secret of an unsaved IdP must be removed again"
    );
    let audit_rows: i64 = fx
        .catalog
        .connection()
        .query_row("SELECT count(*) FROM idp_audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audit_rows, 0);
}

#[test]
fn a_refused_secret_keeps_the_rest_of_the_edit() {
    let mut fx = fixture();
    fx.secrets.fail_from_now();
    let out = fx
        .catalog
        .save(SaveIdpRequest {
            id: None,
            fields: okta("Okta", "https://one.example"),
            secret: SecretChange::Replace(Secret::new("top-secret-value")),
        })
        .expect("the fields are saved even when the keyring is away");
    let msg = out.secret_error.expect("the refusal must be reported");
    assert!(msg.contains("client secret was not"), "{msg}");
    assert!(
        msg.contains("keyring"),
        "the message says where to look: {msg}"
    );
    assert!(!msg.contains("top-secret-value"));
    assert!(!out.idp.has_secret);
    assert_eq!(fx.catalog.get(out.idp.id).unwrap().fields.name, "Okta");
}

#[test]
fn public_clients_cannot_have_a_secret() {
    let mut fx = fixture();
    let fields = IdpFields {
        client_auth_method: ClientAuthMethod::None,
        credential_expires_on: None,
        ..okta("Okta", "https://one.example")
    };
    let err = fx
        .catalog
        .save(SaveIdpRequest {
            id: None,
            fields,
            secret: SecretChange::Replace(Secret::new("x")),
        })
        .unwrap_err();
    assert_eq!(invalid_fields(err), vec![Field::ClientSecret]);
}

#[test]
fn toggling_and_history() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Replace(Secret::new("abc")),
    );
    let summary = fx.catalog.set_enabled(saved.id, false).unwrap();
    assert!(!summary.enabled);
    assert!(!fx.catalog.get(saved.id).unwrap().fields.enabled);
    fx.catalog.set_enabled(saved.id, false).unwrap(); // no-op: no second audit row
    let history = fx.catalog.history(saved.id).unwrap();
    let actions: Vec<AuditAction> = history.iter().map(|h| h.action).collect();
    assert_eq!(actions, vec![AuditAction::Disable, AuditAction::Create]);
    let created = &history[1];
    let secret = created
        .changes
        .iter()
        .find(|c| c.field == Field::ClientSecret)
        .expect("secret change recorded");
    assert_eq!(secret.after.as_deref(), Some("changed"));
    let dump = serde_json::to_string(&history).unwrap();
    assert!(
        !dump.contains("abc\""),
        "the audit must not hold the secret value: {dump}"
    );
}

/// What the form's History section shows: one entry per edit, newest first, with each changed
/// field's before and after, and the secret only as "changed" or "removed".
#[test]
fn history_lists_each_edit_with_its_changed_fields_and_never_the_secret() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Keep,
    );
    let edited = IdpFields {
        notes: "pilot".into(),
        ..okta("Okta", "https://one.example")
    };
    let request = |fields: IdpFields, secret| SaveIdpRequest {
        id: Some(saved.id),
        fields,
        secret,
    };
    fx.catalog
        .save(request(
            edited.clone(),
            SecretChange::Replace(Secret::new("first-secret-value")),
        ))
        .unwrap();
    fx.catalog
        .save(request(edited, SecretChange::Clear))
        .unwrap();

    let history = fx.catalog.history(saved.id).unwrap();
    let actions: Vec<AuditAction> = history.iter().map(|h| h.action).collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::Update,
            AuditAction::Update,
            AuditAction::Create
        ],
        "newest first, one entry per save"
    );
    let fields = |i: usize| -> Vec<&str> {
        history[i]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect()
    };
    assert_eq!(
        fields(0),
        vec!["client_secret"],
        "only the secret was removed"
    );
    assert_eq!(history[0].changes[0].before, None);
    assert_eq!(history[0].changes[0].after.as_deref(), Some("removed"));
    assert_eq!(fields(1), vec!["notes", "client_secret"]);
    let notes = &history[1].changes[0];
    assert_eq!(
        (notes.before.as_deref(), notes.after.as_deref()),
        (Some(""), Some("pilot"))
    );
    let secret = &history[1].changes[1];
    assert_eq!(
        (secret.before.as_deref(), secret.after.as_deref()),
        (None, Some("changed"))
    );
    assert!(history.iter().all(|h| h.idp_id == saved.id));
    let dump = serde_json::to_string(&history).unwrap();
    assert!(
        !dump.contains("first-secret-value"),
        "the history must not hold the secret value: {dump}"
    );
}

#[test]
fn deleting_removes_the_secret_and_keeps_history() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Replace(Secret::new("abc")),
    );
    fx.catalog.delete(saved.id).unwrap();
    assert!(fx.catalog.list().unwrap().is_empty());
    assert!(fx.secrets.is_empty(), "the keyring entry goes with the IdP");
    assert_eq!(
        fx.catalog.history(saved.id).unwrap()[0].action,
        AuditAction::Delete
    );
    assert!(matches!(
        fx.catalog.delete(saved.id),
        Err(CatalogError::NotFound(_))
    ));
}

#[test]
fn delete_is_refused_while_the_keyring_cannot_remove_the_secret() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Replace(Secret::new("abc")),
    );
    fx.secrets.fail_from_now();
    let err = fx.catalog.delete(saved.id).unwrap_err();
    assert!(matches!(err, CatalogError::Secret(_)), "{err:?}");
    assert_eq!(
        fx.catalog.list().unwrap().len(),
        1,
        "no orphaned credential: the IdP stays"
    );
}

#[test]
fn sqlite_checks_back_up_the_rust_limits() {
    let fx = fixture();
    let err = fx
        .catalog
        .connection()
        .execute(
            "INSERT INTO idp (id, name, name_key, protocol, authorization_endpoint, token_endpoint, client_id, \
             client_auth_method, scopes, extra_params, redirect_uris, customer_id_claim, enabled, has_secret, \
             notes, created_at, updated_at) VALUES ('00000000-0000-0000-0000-000000000000', ?1, 'k', 'oidc', \
             'https://a', 'https://a', 'c', 'none', '', '[]', '[]', 'sub', 1, 0, '', 't', 't')",
            ["n".repeat(101)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("CHECK"), "{err}");
}

#[test]
fn export_never_contains_secrets_and_import_round_trips() {
    let mut fx = fixture();
    let fixed_port = IdpFields {
        test_redirect: TestRedirect::Loopback,
        loopback_port: Some(8765),
        ..okta("Okta", "https://one.example")
    };
    create(
        &mut fx.catalog,
        fixed_port,
        SecretChange::Replace(Secret::new("hunter2-secret")),
    );
    create(
        &mut fx.catalog,
        okta("Entra", "https://login.microsoftonline.example/t1/v2.0"),
        SecretChange::Keep,
    );
    let clock = FixedClock(datetime!(2026-11-24 12:00 UTC));
    let json =
        serde_json::to_string_pretty(&transfer::export(&fx.catalog, &clock).unwrap()).unwrap();
    assert!(!json.contains("hunter2"), "export leaked a secret");
    assert!(json.contains("\"had_secret\": true"));
    assert!(json.contains("\"loopback_port\": 8765"), "{json}");

    let mut other = fixture();
    let written = transfer::import(&mut other.catalog, &json).unwrap();
    assert_eq!(written.len(), 2);
    let mut a: Vec<_> = fx
        .catalog
        .list_full()
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.fields))
        .collect();
    let mut b: Vec<_> = other
        .catalog
        .list_full()
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.fields))
        .collect();
    a.sort_by_key(|x| x.0);
    b.sort_by_key(|x| x.0);
    assert_eq!(a, b);
    // Importing the same file again updates in place.
    transfer::import(&mut other.catalog, &json).unwrap();
    assert_eq!(other.catalog.list().unwrap().len(), 2);
}

#[test]
fn an_export_written_before_the_claim_mapping_still_imports() {
    let mut fx = fixture();
    let mut entry = serde_json::to_value(okta("Okta", "https://one.example")).unwrap();
    entry["id"] = serde_json::json!(IdpId::new());
    let members = entry.as_object_mut().unwrap();
    for newer in ["claim_mapping", "channel_binding", "test_redirect"] {
        members.remove(newer);
    }
    let doc = serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x", "idps": [entry]
    });
    let written = transfer::import(&mut fx.catalog, &doc.to_string())
        .expect("an older export must still import");
    assert!(
        written[0].fields.claim_mapping.is_empty(),
        "no mapping in the file: none"
    );
    assert!(
        !written[0].fields.channel_binding,
        "no channel binding in the file: off"
    );
}

#[test]
fn an_import_checks_the_claim_mapping_like_a_save() {
    let mut fx = fixture();
    let mut fields = okta("Okta", "https://one.example");
    fields.claim_mapping[1].variable = "customer_email".into();
    let mut entry = serde_json::to_value(fields).unwrap();
    entry["id"] = serde_json::json!(IdpId::new());
    let doc = serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x", "idps": [entry]
    });
    let err = transfer::import(&mut fx.catalog, &doc.to_string()).unwrap_err();
    let ImportError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("entry 1 (\"Okta\"): Claim mapping: the variable \"customer_email\""),
        "{problems:?}"
    );
}

/// Writes `saved` into a file of schema version `version` by the columns every version has,
/// opens it with this version, and expects the same IdP back: the newer columns' defaults are
/// the fields' defaults.
fn assert_reads_back_from_version(version: usize, saved: &eca_model::idp::IdpConfig, why: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(eca_core::data_dir::DB_FILE);
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    store::migrations().to_version(&mut conn, version).unwrap();
    let f = &saved.fields;
    conn.execute(
        "INSERT INTO idp (id, name, name_key, protocol, issuer, issuer_key, authorization_endpoint, \
         token_endpoint, userinfo_endpoint, jwks_uri, client_id, client_auth_method, scopes, \
         extra_params, redirect_uris, customer_id_claim, enabled, has_secret, notes, created_at, \
         updated_at) VALUES (?1, ?2, 'okta', 'oidc', ?3, ?3, ?4, ?5, ?6, ?7, ?8, \
         'client_secret_basic', ?9, ?10, ?11, ?12, 1, 0, ?13, ?14, ?14)",
        rusqlite::params![
            saved.id.to_string(),
            f.name,
            f.issuer,
            f.authorization_endpoint,
            f.token_endpoint,
            f.userinfo_endpoint,
            f.jwks_uri,
            f.client_id,
            f.scopes.join(" "),
            serde_json::to_string(&f.extra_params).unwrap(),
            serde_json::to_string(&f.redirect_uris).unwrap(),
            f.customer_id_claim,
            f.notes,
            saved.created_at,
        ],
    )
    .unwrap();
    drop(conn);
    let again = Catalog::with_connection(
        store::open(&path).unwrap(),
        Arc::new(MemorySecrets::new()),
        Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC))),
    );
    assert_eq!(again.get(saved.id).unwrap().fields, saved.fields, "{why}");
}

/// What this version saves for `fields`, in a catalog of its own.
fn saved_now(fields: IdpFields) -> eca_model::idp::IdpConfig {
    create(&mut fixture().catalog, fields, SecretChange::Keep)
}

#[test]
fn a_database_from_before_the_claim_mapping_reads_with_none() {
    let mut fields = okta("Okta", "https://one.example");
    fields.claim_mapping.clear();
    fields.channel_binding = false;
    fields.id_token_signing_algs.clear();
    fields.credential_expires_on = None;
    assert_reads_back_from_version(
        3,
        &saved_now(fields),
        "a row written before 0004 reads with no mapping and channel binding off",
    );
}

#[test]
fn an_export_from_before_the_test_settings_imports_with_their_defaults() {
    let mut fx = fixture();
    let mut entry = serde_json::to_value(okta("Old", "https://old.example")).unwrap();
    let members = entry.as_object_mut().unwrap();
    members.remove("test_redirect");
    members.remove("loopback_port");
    members.insert("id".into(), serde_json::json!(IdpId::new()));
    let doc = serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x", "idps": [entry]
    });
    let written = transfer::import(&mut fx.catalog, &doc.to_string()).unwrap();
    assert_eq!(
        (
            written[0].fields.test_redirect,
            written[0].fields.loopback_port
        ),
        (TestRedirect::DeepLink, None),
        "an older file has neither setting: the deep link, no fixed port"
    );
}

/// An export document of one entry.
fn export_of(entry: serde_json::Value) -> String {
    serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x", "idps": [entry]
    })
    .to_string()
}

#[test]
fn an_export_from_before_the_signing_algs_imports_with_the_default_set() {
    let mut fx = fixture();
    let mut entry = serde_json::to_value(okta("Old", "https://old.example")).unwrap();
    let members = entry.as_object_mut().unwrap();
    members.remove("id_token_signing_algs");
    members.insert("id".into(), serde_json::json!(IdpId::new()));
    let written = transfer::import(&mut fx.catalog, &export_of(entry))
        .expect("an older export must still import");
    assert!(
        written[0].fields.id_token_signing_algs.is_empty(),
        "no list in the file: the default set, which never includes HS*"
    );
}

#[test]
fn an_import_naming_alg_none_is_refused_with_why() {
    let mut fx = fixture();
    let mut entry = serde_json::to_value(okta("Okta", "https://one.example")).unwrap();
    entry["id"] = serde_json::json!(IdpId::new());
    entry["id_token_signing_algs"] = serde_json::json!(["RS256", "none"]);
    let err = transfer::import(&mut fx.catalog, &export_of(entry)).unwrap_err();
    assert!(
        err.to_string().contains("\"none\" is never accepted"),
        "{err}"
    );
    assert!(fx.catalog.list().unwrap().is_empty());
}

#[test]
fn a_database_from_before_the_signing_algs_reads_with_the_default_set() {
    let fields = IdpFields {
        claim_mapping: Vec::new(),
        channel_binding: false,
        id_token_signing_algs: Vec::new(),
        credential_expires_on: None,
        ..okta("Okta", "https://one.example")
    };
    assert_reads_back_from_version(
        5,
        &saved_now(fields),
        "a row written before the column reads with the default set",
    );
}

/// A second connection to a file holding one saved IdP, to write past the catalog's rules.
fn file_with_one_idp() -> (Fixture, rusqlite::Connection) {
    let mut fx = fixture();
    create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Keep,
    );
    let conn = store::open(&fx.path.join(eca_core::data_dir::DB_FILE)).unwrap();
    (fx, conn)
}

#[test]
fn the_store_keeps_the_signing_algs_a_json_list() {
    let (_fx, conn) = file_with_one_idp();
    for bad in ["{}", "RS256", "\"RS256\""] {
        let result = conn.execute("UPDATE idp SET id_token_signing_algs = ?1", [bad]);
        assert!(result.is_err(), "the CHECK must refuse {bad}");
    }
}

#[test]
fn a_database_from_before_the_credential_expiry_reads_with_none() {
    let fields = IdpFields {
        credential_expires_on: None,
        ..okta("Okta", "https://one.example")
    };
    let mut saved = saved_now(fields);
    // Columns before 0009 that the old-file insert leaves to their defaults.
    saved.fields.claim_mapping.clear();
    saved.fields.channel_binding = false;
    saved.fields.id_token_signing_algs.clear();
    assert_reads_back_from_version(8, &saved, "a row written before 0009 has no expiry date");
}

#[test]
fn the_store_keeps_the_expiry_an_iso_date() {
    let (_fx, conn) = file_with_one_idp();
    for bad in [
        "2027-3-31",
        "2027-02-30",
        "31/03/2027",
        "2027-03-31T00:00:00Z",
        "",
    ] {
        let result = conn.execute("UPDATE idp SET credential_expires_on = ?1", [bad]);
        assert!(result.is_err(), "the CHECK must refuse {bad:?}");
    }
    conn.execute("UPDATE idp SET credential_expires_on = '2028-02-29'", [])
        .expect("a real date is kept");
}

#[test]
fn the_list_says_how_near_each_credential_expiry_is_by_the_catalogs_clock() {
    let mut fx = fixture(); // today is 2026-11-24
    for (name, on) in [
        ("a due", Some("2026-12-24")),
        ("b fine", Some("2026-12-25")),
        ("c expired", Some("2026-11-23")),
        ("d none", None),
    ] {
        let fields = IdpFields {
            credential_expires_on: on.map(str::to_string),
            ..okta(name, &format!("https://{}.example", &name[..1]))
        };
        create(&mut fx.catalog, fields, SecretChange::Keep);
    }
    let rows: Vec<(String, Option<String>, CredentialExpiry)> = fx
        .catalog
        .list()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.credential_expires_on, s.credential_expiry))
        .collect();
    let on = |d: &str| Some(d.to_string());
    assert_eq!(
        rows,
        vec![
            (
                "a due".into(),
                on("2026-12-24"),
                CredentialExpiry::DueSoon { days_left: 30 }
            ),
            (
                "b fine".into(),
                on("2026-12-25"),
                CredentialExpiry::Fine { days_left: 31 }
            ),
            (
                "c expired".into(),
                on("2026-11-23"),
                CredentialExpiry::Expired { days_ago: 1 }
            ),
            ("d none".into(), None, CredentialExpiry::NoDate),
        ]
    );
    let reminders: Vec<bool> = fx
        .catalog
        .list()
        .unwrap()
        .iter()
        .map(|s| s.credential_reminder.is_some())
        .collect();
    assert_eq!(
        reminders,
        [true, false, true, false],
        "a reminder while due soon or expired"
    );
}

#[test]
fn an_import_checks_the_expiry_date_like_a_save() {
    let mut fx = fixture();
    let mut entry = serde_json::to_value(okta("Okta", "https://one.example")).unwrap();
    entry["id"] = serde_json::json!(IdpId::new());
    entry["credential_expires_on"] = serde_json::json!("next week");
    let err = transfer::import(&mut fx.catalog, &export_of(entry)).unwrap_err();
    let ImportError::Invalid(problems) = &err else {
        panic!("expected the entry refused, got {err:?}");
    };
    assert!(
        problems[0].contains("Secret expires on") && problems[0].contains("YYYY-MM-DD"),
        "{problems:?}"
    );
    assert!(fx.catalog.list().unwrap().is_empty());
}

#[test]
fn import_validates_every_entry_before_writing_any() {
    let mut fx = fixture();
    let good = serde_json::json!({"id": IdpId::new(), "name": "Good"});
    let mut good_entry = serde_json::to_value(okta("Good", "https://good.example")).unwrap();
    good_entry["id"] = good["id"].clone();
    let mut bad_entry = serde_json::to_value(okta("Bad", "http://bad.example")).unwrap();
    bad_entry["id"] = serde_json::json!(IdpId::new());
    let mut secret_entry = serde_json::to_value(okta("Sneaky", "https://sneaky.example")).unwrap();
    secret_entry["id"] = serde_json::json!(IdpId::new());
    secret_entry["client_secret"] = serde_json::json!("pasted-secret");
    let doc = serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x",
        "idps": [good_entry, bad_entry, secret_entry]
    });
    let err = transfer::import(&mut fx.catalog, &doc.to_string()).unwrap_err();
    let ImportError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("entry 2") && p.contains("https")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("entry 3") && p.contains("client_secret")),
        "{problems:?}"
    );
    assert!(!problems.iter().any(|p| p.contains("pasted-secret")));
    assert!(
        fx.catalog.list().unwrap().is_empty(),
        "nothing may be written when one entry is bad"
    );
}

#[test]
fn an_import_meets_the_one_uniqueness_rule_within_the_document_too() {
    let mut fx = fixture();
    let entry = |name: &str, issuer: &str| {
        let mut e = serde_json::to_value(okta(name, issuer)).unwrap();
        e["id"] = serde_json::json!(IdpId::new());
        e
    };
    let doc = serde_json::json!({
        "format": "eca-admin/idps", "version": 1, "exported_at": "x",
        "idps": [
            entry("Alpha", "https://alpha.example"),
            entry("ALPHA", "https://beta.example"),
            entry("Gamma", "https://alpha.example"),
        ]
    });
    let err = transfer::import(&mut fx.catalog, &doc.to_string()).unwrap_err();
    let ImportError::Invalid(problems) = err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(
        problems,
        vec![
            "entry 2 (\"ALPHA\"): Name: is already used by \"Alpha\"".to_string(),
            "entry 3 (\"Gamma\"): Issuer URL: is already used by \"Alpha\"".to_string(),
        ],
        "entries clash with each other exactly as with stored IdPs: one rule, one message"
    );
    assert!(
        fx.catalog.list().unwrap().is_empty(),
        "nothing may be written when one entry is refused"
    );
}

#[test]
fn import_refuses_other_files() {
    let mut fx = fixture();
    for doc in [
        "not json",
        r#"{"format":"other","version":1,"exported_at":"","idps":[]}"#,
    ] {
        assert!(
            matches!(
                transfer::import(&mut fx.catalog, doc),
                Err(ImportError::NotAnExport(_))
            ),
            "{doc}"
        );
    }
}

#[test]
fn reopening_an_existing_file_finds_everything() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Keep,
    );
    drop(fx.catalog);
    let conn = store::open(&fx.path.join(eca_core::data_dir::DB_FILE)).unwrap();
    let again = Catalog::with_connection(
        conn,
        fx.secrets.clone(),
        Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC))),
    );
    assert_eq!(again.get(saved.id).unwrap().fields.name, "Okta");
}

#[test]
fn a_test_run_joins_the_history_only_when_it_tested_the_saved_idp() {
    let mut fx = fixture();
    let saved = create(
        &mut fx.catalog,
        okta("Acme", "https://acme.okta.com"),
        SecretChange::Keep,
    );
    let report = |run: &str| eca_oidc::login::report::TestReport {
        run_id: format!("00000000-0000-0000-0000-00000000000{run}"),
        idp_id: saved.id,
        idp_name: "Acme".into(),
        started_at: "2026-11-24T12:00:00Z".into(),
        finished_at: format!("2026-11-24T12:00:0{run}Z"),
        outcome: eca_oidc::login::report::TestOutcome::Passed,
        redirect_uri: "loopback".into(),
        steps: Vec::new(),
        error: None,
        identity: None,
    };
    // A draft of an edit (another token endpoint) passing says nothing of what is stored.
    let mut draft = saved.fields.clone();
    draft.token_endpoint = "https://acme.okta.com/other/token".into();
    assert!(!fx.catalog.record_test_run(&report("1"), &draft).unwrap());
    // The same settings as typed again (spaces trimmed on save) are the saved IdP.
    let mut retyped = saved.fields.clone();
    retyped.name = format!(" {} ", retyped.name);
    assert!(fx.catalog.record_test_run(&report("2"), &retyped).unwrap());
    let runs = fx.catalog.test_history(saved.id).unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["00000000-0000-0000-0000-000000000002"]);
}

/// An IdP with a stored secret, and the same fields with the token endpoint on another host.
fn with_secret_and_moved(fx: &mut Fixture) -> (eca_model::idp::IdpConfig, IdpFields) {
    let idp = create(
        &mut fx.catalog,
        okta("Okta", "https://one.example"),
        SecretChange::Replace(Secret::new("hunter2-secret")),
    );
    let moved = IdpFields {
        token_endpoint: "https://evil.example/token".into(),
        ..idp.fields.clone()
    };
    (idp, moved)
}

/// What Test Configuration of IdP `id` would run with, for `fields` and `secret`: the secret
/// it would send.
fn test_target(
    fx: &Fixture,
    id: IdpId,
    fields: IdpFields,
    secret: SecretChange,
) -> Result<(eca_model::idp::IdpConfig, Option<Secret>), CatalogError> {
    let (idp, credential) = fx.catalog.test_target(StartTestRequest {
        id: Some(id),
        fields,
        secret,
    })?;
    Ok((idp, credential.and_then(|c| c.secret().cloned())))
}

fn names_both_origins(message: &str) {
    assert!(
        message.contains("https://one.example") && message.contains("https://evil.example"),
        "{message}"
    );
}

#[test]
fn a_test_of_a_draft_that_moves_the_token_endpoint_never_reads_the_stored_secret() {
    let mut fx = fixture();
    let (idp, moved) = with_secret_and_moved(&mut fx);
    let refused = test_target(&fx, idp.id, moved.clone(), SecretChange::Keep).unwrap_err();
    let CatalogError::Invalid(errors) = refused else {
        panic!("expected a field error, got {refused:?}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, Field::ClientSecret);
    names_both_origins(&errors[0].message);
    // The form says the same before the admin presses anything.
    let found = fx.catalog.check(Some(idp.id), moved.clone()).unwrap();
    assert_eq!(found, errors, "one rule, one message");
    // With a secret typed for the new place, the test runs with that one.
    let (_, secret) = test_target(
        &fx,
        idp.id,
        moved,
        SecretChange::Replace(Secret::new("typed-for-the-new-place")),
    )
    .unwrap();
    assert_eq!(secret.unwrap().expose(), "typed-for-the-new-place");
    // Where it was entered, the stored one is used.
    let (_, secret) = test_target(&fx, idp.id, idp.fields, SecretChange::Keep).unwrap();
    assert_eq!(secret.unwrap().expose(), "hunter2-secret");
}

#[test]
fn a_save_that_moves_the_token_endpoint_keeps_the_edit_and_sets_the_secret_aside() {
    let mut fx = fixture();
    let (idp, moved) = with_secret_and_moved(&mut fx);
    let out = fx
        .catalog
        .save(SaveIdpRequest {
            id: Some(idp.id),
            fields: moved.clone(),
            secret: SecretChange::Keep,
        })
        .unwrap();
    assert_eq!(out.idp.fields, moved, "the edit is saved");
    let message = out
        .secret_error
        .expect("the save says the secret needs re-entry");
    assert!(message.contains("needs re-entry"), "{message}");
    names_both_origins(&message);
    assert_eq!(fx.secrets.len(), 1, "the secret is set aside, not lost");
    let summary = &fx.catalog.list().unwrap()[0];
    assert!(
        summary.has_secret && summary.secret_set_aside,
        "{summary:?}"
    );
    let refused = test_target(&fx, idp.id, moved, SecretChange::Keep);
    assert!(
        matches!(&refused, Err(CatalogError::Invalid(e)) if e[0].field == Field::ClientSecret),
        "Test Configuration of the saved IdP refuses too: {refused:?}"
    );
}

#[test]
fn an_import_that_moves_the_token_endpoint_sets_the_secret_aside() {
    let mut fx = fixture();
    let (idp, moved) = with_secret_and_moved(&mut fx);
    let doc = serde_json::json!({
        "format": transfer::FORMAT,
        "version": transfer::VERSION,
        "exported_at": "2026-11-24T12:00:00Z",
        "idps": [serde_json::json!({ "id": idp.id, "had_secret": true }).as_object().unwrap().clone()
            .into_iter()
            .chain(serde_json::to_value(&moved).unwrap().as_object().unwrap().clone())
            .collect::<serde_json::Map<_, _>>()],
    });
    let written = transfer::import(&mut fx.catalog, &doc.to_string()).unwrap();
    let why = written[0]
        .secret_set_aside()
        .expect("set aside by the import");
    names_both_origins(&why.message);
    assert!(fx.catalog.get(idp.id).unwrap().secret_set_aside().is_some());
}

#[test]
fn a_secret_stored_before_bindings_were_recorded_is_bound_to_where_it_is_now() {
    let mut fx = fixture();
    let (idp, moved) = with_secret_and_moved(&mut fx);
    // What a row written before migration 0006 holds: a secret, no binding.
    fx.catalog
        .connection()
        .execute(
            "UPDATE idp SET secret_origin = NULL, secret_client_id = NULL",
            [],
        )
        .unwrap();
    let legacy = fx.catalog.get(idp.id).unwrap();
    assert_eq!(legacy.secret_entered_for, idp.secret_entered_for);
    assert_eq!(legacy.secret_set_aside(), None);
    assert!(!fx.catalog.list().unwrap()[0].secret_set_aside);
    let out = fx
        .catalog
        .save(SaveIdpRequest {
            id: Some(idp.id),
            fields: moved,
            secret: SecretChange::Keep,
        })
        .unwrap();
    assert!(
        out.secret_error.is_some(),
        "moved afterwards, it is set aside"
    );
}

/// An export entry for `okta(name, issuer)` under `id`.
fn entry(id: IdpId, name: &str, issuer: &str) -> serde_json::Value {
    let mut e = serde_json::to_value(okta(name, issuer)).unwrap();
    e["id"] = serde_json::json!(id);
    e
}

fn export_doc(version: u32, idps: Vec<serde_json::Value>) -> String {
    serde_json::json!({
        "format": transfer::FORMAT, "version": version, "exported_at": "x", "idps": idps
    })
    .to_string()
}

fn import_problems(fx: &mut Fixture, doc: &str) -> Vec<String> {
    match transfer::import(&mut fx.catalog, doc) {
        Err(ImportError::Invalid(problems)) => problems,
        other => panic!("expected the import to be refused entry by entry, got {other:?}"),
    }
}

#[test]
fn an_import_refuses_the_same_id_twice_in_one_file() {
    let mut fx = fixture();
    let id = IdpId::new();
    let doc = export_doc(
        transfer::VERSION,
        vec![
            entry(id, "Alpha", "https://alpha.example"),
            entry(id, "Beta", "https://beta.example"),
        ],
    );
    assert_eq!(
        import_problems(&mut fx, &doc),
        vec!["entry 2 (\"Beta\"): same id as entry 1".to_string()]
    );
    assert!(fx.catalog.list().unwrap().is_empty());
}

#[test]
fn an_import_refuses_a_name_or_issuer_a_stored_idp_has_under_another_id() {
    let mut fx = fixture();
    let stored = create(
        &mut fx.catalog,
        okta("Alpha", "https://alpha.example"),
        SecretChange::Keep,
    );
    let doc = export_doc(
        transfer::VERSION,
        vec![
            entry(IdpId::new(), "alpha", "https://other.example"),
            entry(IdpId::new(), "Other", "https://alpha.example"),
        ],
    );
    assert_eq!(
        import_problems(&mut fx, &doc),
        vec![
            "entry 1 (\"alpha\"): Name: is already used by \"Alpha\"".to_string(),
            "entry 2 (\"Other\"): Issuer URL: is already used by \"Alpha\"".to_string(),
        ]
    );
    let listed: Vec<IdpId> = fx.catalog.list().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![stored.id], "the stored IdP is untouched");
}

#[test]
fn an_import_of_another_file_version_is_refused_naming_both_versions() {
    let mut fx = fixture();
    let doc = export_doc(
        transfer::VERSION + 1,
        vec![entry(IdpId::new(), "Alpha", "https://alpha.example")],
    );
    let err = transfer::import(&mut fx.catalog, &doc).unwrap_err();
    let ImportError::NotAnExport(why) = &err else {
        panic!("expected NotAnExport, got {err:?}");
    };
    assert_eq!(
        why,
        &format!(
            "version {} is not supported (this app reads version {})",
            transfer::VERSION + 1,
            transfer::VERSION
        )
    );
    assert!(fx.catalog.list().unwrap().is_empty());
}

#[test]
fn an_import_whose_write_fails_half_way_writes_nothing() {
    let mut fx = fixture();
    // The store refuses the second row, after the first was written in the same transaction.
    fx.catalog
        .connection()
        .execute_batch(
            "CREATE TRIGGER second_fails BEFORE INSERT ON idp \
             WHEN (SELECT count(*) FROM idp) >= 1 \
             BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
        )
        .unwrap();
    let doc = export_doc(
        transfer::VERSION,
        vec![
            entry(IdpId::new(), "Alpha", "https://alpha.example"),
            entry(IdpId::new(), "Beta", "https://beta.example"),
        ],
    );
    let err = transfer::import(&mut fx.catalog, &doc).unwrap_err();
    assert!(
        matches!(err, ImportError::Catalog(CatalogError::Store(_))),
        "{err:?}"
    );
    assert!(
        fx.catalog.list().unwrap().is_empty(),
        "the first entry was rolled back with the second"
    );
    let audited: i64 = fx
        .catalog
        .connection()
        .query_row("SELECT count(*) FROM idp_audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 0, "and so was its audit row");
}
