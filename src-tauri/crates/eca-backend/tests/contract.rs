//! Contract tests: the server against `docs/sync-api.yaml`.
//!
//! A scripted set of requests covers every operation; each response is checked against the
//! spec by [`Contract::check`] (tests/common/contract.rs). At the end, every status the spec
//! declares for every operation must have been seen, so the spec cannot promise what the
//! server never does, nor the server do what the spec does not say.

mod common;

use common::contract::Contract;
use common::*;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

const SPEC: &str = "sync-api.yaml";

#[test]
fn the_spec_is_well_formed() {
    let contract = Contract::load(SPEC);
    assert_eq!(
        contract.doc["openapi"], "3.1.0",
        "the contract is OpenAPI 3.1"
    );
    let ops = contract.operations();
    let ids: BTreeSet<&String> = ops.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), ops.len(), "operationIds must be unique");
    assert_eq!(
        ids.into_iter().cloned().collect::<Vec<_>>(),
        [
            "deleteIdp",
            "getHealth",
            "getIdp",
            "getPlatformJwks",
            "listIdpUsages",
            "listIdps",
            "putIdp"
        ],
        "the contract's operations"
    );
    // Every schema compiles with its $refs resolved.
    for schema in contract.doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .values()
    {
        contract.validator(schema);
    }
    // Every write requires an idempotency key.
    for id in ["putIdp", "deleteIdp"] {
        let params = contract.operation(id)["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .map(|p| contract.resolve(p))
                .any(|p| p["name"] == "Idempotency-Key" && p["required"] == true),
            "{id} must require Idempotency-Key"
        );
    }
}

#[test]
fn the_spec_examples_are_valid_and_the_write_schema_rejects_what_the_server_rejects() {
    let contract = Contract::load(SPEC);
    let write_schema = json!({"$ref": "#/components/schemas/IdpWrite"});
    let validator = contract.validator(&write_schema);
    let example = &contract.doc["components"]["examples"]["OidcIdpWrite"]["value"];
    assert!(
        validator.is_valid(example),
        "the IdpWrite example must be valid: {:?}",
        validator
            .iter_errors(example)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    assert!(
        validator.is_valid(&sample_idp("Acme")),
        "the tests' sample must be valid"
    );
    let mut unknown = sample_idp("Acme");
    unknown["scope"] = json!("openid");
    assert!(
        !validator.is_valid(&unknown),
        "unknown members are refused by the schema too"
    );
    for (mapping, why) in [
        (
            json!([{"claim": "email", "variable": "customer-email"}]),
            "a variable outside the pattern",
        ),
        (
            json!([{"claim": "given name", "variable": "name"}]),
            "a claim with a space",
        ),
        (json!([{"claim": "email"}]), "an entry without its variable"),
        (
            json!((0..51)
                .map(|i| json!({"claim": "email", "variable": format!("v{i}")}))
                .collect::<Vec<_>>()),
            "51 entries",
        ),
    ] {
        let mut body = sample_idp("Acme");
        body["claim_mapping"] = mapping;
        assert!(!validator.is_valid(&body), "the schema refuses {why}");
    }
    for (adjust, why) in [
        (json!({"id_token_signing_algs": ["none"]}), "alg none"),
        (
            json!({"id_token_signing_algs": ["ES512"]}),
            "an alg the engine cannot verify",
        ),
        (
            json!({"client_auth_method": "none", "id_token_signing_algs": ["HS256"]}),
            "HS256 for a public client",
        ),
        (
            json!({"credential_expires_on": "31/03/2027"}),
            "an expiry that is not YYYY-MM-DD",
        ),
        (
            json!({"client_auth_method": "none", "credential_expires_on": "2027-03-31"}),
            "an expiry date for a public client",
        ),
        (
            json!({"client_auth_method": "private_key_jwt", "id_token_signing_algs": ["HS256"]}),
            "HS256 for a client that signs with its own key",
        ),
        (
            json!({"client_auth_method": "private_key_jwt", "client_secret": "s3cret"}),
            "a secret for a client that signs with its own key",
        ),
    ] {
        let mut body = sample_idp("Acme");
        for (member, value) in adjust.as_object().unwrap() {
            body[member] = value.clone();
        }
        assert!(!validator.is_valid(&body), "the schema refuses {why}");
    }
    let mut keyed = sample_idp("Acme");
    keyed["client_auth_method"] = json!("private_key_jwt");
    keyed["client_secret"] = json!(null);
    assert!(
        validator.is_valid(&keyed),
        "private_key_jwt with no secret is valid"
    );
    let mut listed = sample_idp("Acme");
    listed["id_token_signing_algs"] = json!(["RS256", "HS256"]);
    assert!(
        validator.is_valid(&listed),
        "a confidential client may list HS256"
    );
    let mut dated = sample_idp("Acme");
    dated["credential_expires_on"] = json!("2027-03-31");
    assert!(
        validator.is_valid(&dated),
        "a confidential client may record its credential's expiry"
    );

    let response_schema = contract.validator(&json!({"$ref": "#/components/schemas/Idp"}));
    let mut leaked = sample_idp("Acme");
    for (k, v) in [
        ("id", json!(Uuid::new_v4().to_string())),
        ("version", json!("r1")),
        ("secret_set", json!(true)),
        ("secret_fingerprint", json!("0123456789abcdef")),
        ("created_at", json!("2026-01-01T00:00:00.000Z")),
        ("updated_at", json!("2026-01-01T00:00:00.000Z")),
    ] {
        leaked[k] = v;
    }
    assert!(response_schema.is_valid(&leaked), "a complete Idp is valid");
    leaked["client_secret"] = json!("s3cret");
    assert!(
        !response_schema.is_valid(&leaked),
        "the Idp schema must forbid client_secret in responses"
    );
}

#[test]
fn the_platform_jwks_schema_takes_public_keys_only() {
    let contract = Contract::load(SPEC);
    let validator = contract.validator(&json!({"$ref": "#/components/schemas/PlatformJwks"}));
    let key = eca_oidc::login::client_key::ClientKey::generate().unwrap();
    let shown = json!({
        "jwks": key.public().jwks(),
        "certificate_pem": key.certificate_pem(),
        "created_at": "2026-01-01T00:00:00Z",
    });
    assert!(
        validator.is_valid(&shown),
        "the platform's public keys are valid"
    );
    for (index, member) in [(0, "d"), (0, "p"), (1, "d")] {
        let mut leaked = shown.clone();
        leaked["jwks"]["keys"][index][member] = json!("AAAA");
        assert!(
            !validator.is_valid(&leaked),
            "the schema must forbid the private member {member} of key {index}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_and_status_matches_the_spec() {
    let mut c = Contract::load(SPEC);
    let id = Uuid::new_v4();
    let missing = Uuid::new_v4();
    let h = start_with(|config| config.usages = seeded_usages(id)).await;
    let idp = with_secret(sample_idp("Contract IdP"), "contract-secret-value");

    // getHealth
    let r = send(h.http.get(h.url("/v1/health"))).await;
    c.check("getHealth", "no auth", &r);

    // listIdps
    c.check("listIdps", "empty", &send(h.list()).await);
    let r = send(h.http.get(h.url(&Harness::idps_path(ALPHA)))).await;
    c.check("listIdps", "no key", &r);
    let r = send(
        h.http
            .get(h.url(&Harness::idps_path(ALPHA)))
            .bearer_auth("not-a-known-key-000"),
    )
    .await;
    c.check("listIdps", "unknown key", &r);
    let r = send(
        h.http
            .get(h.url(&Harness::idps_path(ALPHA)))
            .bearer_auth(BETA_KEY),
    )
    .await;
    c.check("listIdps", "another workspace's key", &r);

    // putIdp: success paths
    let created = send(h.create(id, "c-1", &idp)).await;
    c.check("putIdp", "create", &created);
    assert_eq!(created.status, 201, "{}", created.text());

    // listIdpUsages: the usages of an IdP the workspace holds, flow nodes first.
    let usages_path =
        |id: &dyn std::fmt::Display| format!("{}/usages", Harness::idp_path(ALPHA, id));
    let usages = |id: Uuid| h.call(Method::GET, &usages_path(&id));
    let r = send(usages(id)).await;
    c.check("listIdpUsages", "two usages", &r);
    let body = r.json();
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Order status", "CRM"],
        "nodes first, then extensions"
    );
    let v1 = created.json()["version"].as_str().unwrap().to_string();
    let replayed = send(h.create(id, "c-1", &idp)).await;
    c.check("putIdp", "replayed create", &replayed);
    let mut renamed = idp.clone();
    renamed["name"] = json!("Contract IdP renamed");
    let replaced = send(h.replace(id, &v1, "c-2", &renamed)).await;
    c.check("putIdp", "replace", &replaced);
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let v2 = replaced.json()["version"].as_str().unwrap().to_string();

    // putIdp: refusals
    let put = |key: Option<&str>| {
        let rb = h
            .call(Method::PUT, &Harness::idp_path(ALPHA, id))
            .json(&renamed);
        match key {
            Some(k) => rb.header("Idempotency-Key", k),
            None => rb,
        }
    };
    c.check(
        "putIdp",
        "no idempotency key",
        &send(put(None).header("If-Match", format!("\"{v2}\""))).await,
    );
    let r = send(
        h.call(Method::PUT, &Harness::idp_path(ALPHA, "not-a-uuid"))
            .header("Idempotency-Key", "c-3")
            .header("If-None-Match", "*")
            .json(&idp),
    )
    .await;
    c.check("putIdp", "bad id", &r);
    let r = send(h.http.put(h.url(&Harness::idp_path(ALPHA, id))).json(&idp)).await;
    c.check("putIdp", "no key", &r);
    let r = send(
        h.http
            .put(h.url(&Harness::idp_path(ALPHA, id)))
            .bearer_auth(BETA_KEY)
            .header("Idempotency-Key", "c-4")
            .header("If-None-Match", "*")
            .json(&idp),
    )
    .await;
    c.check("putIdp", "another workspace's key", &r);
    let r = send(h.create(id, "c-5", &idp)).await;
    c.check("putIdp", "create over an existing IdP", &r);
    let r = send(h.replace(missing, "r1", "c-6", &idp)).await;
    c.check("putIdp", "replace a missing IdP", &r);
    let big = json!({"name": "x".repeat(300 * 1024)});
    c.check(
        "putIdp",
        "too large",
        &send(h.create(missing, "c-7", &big)).await,
    );
    let mut invalid = sample_idp("Bad");
    invalid["issuer"] = json!("http://not-loopback.example");
    c.check(
        "putIdp",
        "invalid",
        &send(h.create(missing, "c-8", &invalid)).await,
    );
    c.check(
        "putIdp",
        "key reused",
        &send(h.create(id, "c-1", &renamed)).await,
    );
    c.check("putIdp", "no precondition", &send(put(Some("c-9"))).await);

    // putIdp: 409 while the same key is in flight (latency holds the first request).
    h.set_faults(eca_backend::faults::FaultSettings {
        latency_ms: 1200,
        ..Default::default()
    });
    let first = tokio::spawn(send(h.replace(id, &v2, "c-10", &idp)));
    h.backend.faults().held(1).await;
    c.check(
        "putIdp",
        "in flight",
        &send(h.replace(id, &v2, "c-10", &idp)).await,
    );
    let first = first.await.unwrap();
    c.check("putIdp", "the held request", &first);
    let v3 = first.json()["version"].as_str().unwrap().to_string();
    h.set_faults(Default::default());

    // getIdp
    c.check("getIdp", "found", &send(h.get(id)).await);
    c.check(
        "getIdp",
        "bad id",
        &send(h.call(Method::GET, &Harness::idp_path(ALPHA, "xyz"))).await,
    );
    c.check(
        "getIdp",
        "no key",
        &send(h.http.get(h.url(&Harness::idp_path(ALPHA, id)))).await,
    );
    let r = send(
        h.http
            .get(h.url(&Harness::idp_path(ALPHA, id)))
            .bearer_auth(BETA_KEY),
    )
    .await;
    c.check("getIdp", "another workspace's key", &r);
    c.check("getIdp", "missing", &send(h.get(missing)).await);
    c.check("listIdps", "one IdP", &send(h.list()).await);

    // getPlatformJwks
    let jwks = |target: &dyn std::fmt::Display| Harness::platform_jwks_path(ALPHA, target);
    let found = send(h.call(Method::GET, &jwks(&id))).await;
    c.check("getPlatformJwks", "found", &found);
    assert_eq!(found.status, 200, "{}", found.text());
    c.check(
        "getPlatformJwks",
        "bad id",
        &send(h.call(Method::GET, &jwks(&"xyz"))).await,
    );
    c.check(
        "getPlatformJwks",
        "no key",
        &send(h.http.get(h.url(&jwks(&id)))).await,
    );
    let r = send(h.http.get(h.url(&jwks(&id))).bearer_auth(BETA_KEY)).await;
    c.check("getPlatformJwks", "another workspace's key", &r);
    c.check(
        "getPlatformJwks",
        "missing",
        &send(h.call(Method::GET, &jwks(&missing))).await,
    );

    // deleteIdp
    let del = |target: Uuid, key: Option<&str>, if_match: Option<&str>| {
        let mut rb = h.call(Method::DELETE, &Harness::idp_path(ALPHA, target));
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        if let Some(m) = if_match {
            rb = rb.header("If-Match", m);
        }
        rb
    };
    let current = format!("\"{v3}\"");
    c.check(
        "deleteIdp",
        "no idempotency key",
        &send(del(id, None, Some(&current))).await,
    );
    let r = send(
        h.call(Method::DELETE, &Harness::idp_path(ALPHA, "nope"))
            .header("Idempotency-Key", "d-0")
            .header("If-Match", "*"),
    )
    .await;
    c.check("deleteIdp", "bad id", &r);
    let r = send(h.http.delete(h.url(&Harness::idp_path(ALPHA, id)))).await;
    c.check("deleteIdp", "no key", &r);
    let r = send(
        h.http
            .delete(h.url(&Harness::idp_path(ALPHA, id)))
            .bearer_auth(BETA_KEY)
            .header("Idempotency-Key", "d-1")
            .header("If-Match", "*"),
    )
    .await;
    c.check("deleteIdp", "another workspace's key", &r);
    c.check(
        "deleteIdp",
        "no precondition",
        &send(del(id, Some("d-2"), None)).await,
    );
    c.check(
        "deleteIdp",
        "stale version",
        &send(del(id, Some("d-3"), Some("\"r999\""))).await,
    );
    c.check(
        "deleteIdp",
        "missing",
        &send(del(missing, Some("d-4"), Some("*"))).await,
    );
    h.set_faults(eca_backend::faults::FaultSettings {
        latency_ms: 1200,
        ..Default::default()
    });
    let held = tokio::spawn(send(del(id, Some("d-5"), Some(&current))));
    h.backend.faults().held(1).await;
    c.check(
        "deleteIdp",
        "in flight",
        &send(del(id, Some("d-5"), Some(&current))).await,
    );
    let held = held.await.unwrap();
    c.check("deleteIdp", "the held delete", &held);
    assert_eq!(held.status, 204, "{}", held.text());
    h.set_faults(Default::default());
    c.check(
        "deleteIdp",
        "replayed delete",
        &send(del(id, Some("d-5"), Some(&current))).await,
    );
    c.check(
        "deleteIdp",
        "key reused",
        &send(del(id, Some("d-5"), Some("*"))).await,
    );

    // listIdpUsages, once the IdP is deleted, and for an IdP the workspace never held: 404.
    let r = send(usages(id)).await;
    c.check("listIdpUsages", "a deleted IdP", &r);
    assert_eq!(r.status, 404, "{}", r.text());
    let r = send(usages(missing)).await;
    c.check("listIdpUsages", "an IdP never pushed", &r);
    assert_eq!(r.status, 404, "{}", r.text());
    c.check(
        "listIdpUsages",
        "bad id",
        &send(h.call(Method::GET, &usages_path(&"not-a-uuid"))).await,
    );
    let r = send(h.http.get(h.url(&usages_path(&id)))).await;
    c.check("listIdpUsages", "no key", &r);
    let r = send(h.http.get(h.url(&usages_path(&id))).bearer_auth(BETA_KEY)).await;
    c.check("listIdpUsages", "another workspace's key", &r);

    // Injected 429, 503 and 500 on every workspace operation.
    for status in [429, 503, 500] {
        h.set_faults(always(status));
        let what = format!("injected {status}");
        c.check("listIdps", &what, &send(h.list()).await);
        c.check("getIdp", &what, &send(h.get(id)).await);
        let jwks_path = Harness::platform_jwks_path(ALPHA, id);
        c.check(
            "getPlatformJwks",
            &what,
            &send(h.call(Method::GET, &jwks_path)).await,
        );
        c.check("listIdpUsages", &what, &send(usages(id)).await);
        c.check("putIdp", &what, &send(h.create(id, "f-1", &idp)).await);
        c.check(
            "deleteIdp",
            &what,
            &send(del(id, Some("f-2"), Some("*"))).await,
        );
    }
    h.set_faults(Default::default());

    let missing_statuses = c.unexercised();
    assert!(
        missing_statuses.is_empty(),
        "the spec declares statuses the script never saw: {missing_statuses:?}"
    );
}

/// A flow node and a Chat Desk extension that use `idp` in workspace alpha.
fn seeded_usages(idp: Uuid) -> Vec<eca_backend::store::usages::UsageRow> {
    let text = json!({"usages": [
        {"workspace": ALPHA, "idp_id": idp, "kind": "chat_desk_extension", "id": "ext-1",
         "name": "CRM", "node": null},
        {"workspace": ALPHA, "idp_id": idp, "kind": "chat_flow_node", "id": "node-1",
         "name": "Order status", "node": "OAuth Request"},
    ]});
    eca_backend::seed::parse_usages(&text.to_string()).expect("a valid seed")
}
