//! Behavioural tests of the reference backend over real HTTP on loopback: versions and
//! preconditions, idempotent retries, faults, secrets, workspaces, restarts.

mod common;

use common::*;
use eca_backend::faults::FaultSettings;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

fn version(r: &Captured) -> String {
    r.json()["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no version in {}", r.text()))
        .to_string()
}

#[tokio::test]
async fn create_replace_delete_follow_versions_and_etags() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();

    let created = send(h.create(id, "k1", &sample_idp("Acme"))).await;
    assert_eq!(created.status, 201, "create: {}", created.text());
    let v1 = version(&created);
    assert_eq!(
        created.header("etag"),
        Some(format!("\"{v1}\"").as_str()),
        "ETag = version"
    );
    assert_eq!(
        created.header("location"),
        Some(Harness::idp_path(ALPHA, id).as_str())
    );
    assert_eq!(created.json()["id"], id.to_string());

    let fetched = send(h.get(id)).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.header("etag"), created.header("etag"));
    assert_eq!(
        fetched.json(),
        created.json(),
        "GET shows what PUT answered"
    );

    let mut edited = sample_idp("Acme");
    edited["enabled"] = json!(false);
    let replaced = send(h.replace(id, &v1, "k2", &edited)).await;
    assert_eq!(replaced.status, 200, "replace: {}", replaced.text());
    let v2 = version(&replaced);
    assert_ne!(v1, v2, "a change must give a new version");
    assert_eq!(replaced.json()["enabled"], false);
    assert_eq!(replaced.json()["created_at"], created.json()["created_at"]);

    let unchanged = send(h.replace(id, &v2, "k3", &edited)).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(
        version(&unchanged),
        v2,
        "a PUT that changes nothing keeps the version"
    );

    let listed = send(h.list()).await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["version"], v2.as_str());

    let deleted = send(h.delete(id, &v2, "k4")).await;
    assert_eq!(deleted.status, 204, "delete: {}", deleted.text());
    assert!(deleted.body.is_empty());
    assert_eq!(
        deleted.header("content-type"),
        None,
        "a 204 has no body, so no type"
    );
    assert_eq!(send(h.get(id)).await.status, 404, "the IdP is gone");
    let again = send(h.delete(id, &v2, "k5")).await;
    assert_eq!(
        again.status,
        404,
        "deleting a gone IdP is 404: {}",
        again.text()
    );
    assert_eq!(again.problem_type(), "urn:eca:problem:not-found");

    let recreated = send(h.create(id, "k6", &sample_idp("Acme"))).await;
    assert_eq!(recreated.status, 201);
    assert!(
        ![v1, v2].contains(&version(&recreated)),
        "a re-created IdP must not reuse an old version, or a stale If-Match would pass"
    );
}

#[tokio::test]
async fn a_stale_write_gets_412_with_the_current_idp() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let v1 = version(&send(h.create(id, "k1", &sample_idp("Acme"))).await);
    let mut theirs = sample_idp("Acme");
    theirs["notes"] = json!("changed by another admin");
    let v2 = version(&send(h.replace(id, &v1, "k2", &theirs)).await);

    let mut mine = sample_idp("Acme");
    mine["notes"] = json!("my edit");
    let conflict = send(h.replace(id, &v1, "k3", &mine)).await;
    assert_eq!(conflict.status, 412, "{}", conflict.text());
    let body = conflict.json();
    assert_eq!(body["type"], "urn:eca:problem:precondition-failed");
    assert_eq!(
        body["current"]["notes"], "changed by another admin",
        "current = theirs"
    );
    assert_eq!(body["current"]["version"], v2.as_str());
    assert_eq!(conflict.header("etag"), Some(format!("\"{v2}\"").as_str()));
    assert_eq!(
        send(h.get(id)).await.json()["notes"],
        "changed by another admin"
    );

    let exists = send(h.create(id, "k4", &mine)).await;
    assert_eq!(exists.status, 412, "If-None-Match: * on an existing IdP");
    assert_eq!(exists.json()["current"]["version"], v2.as_str());

    let stale_delete = send(h.delete(id, &v1, "k5")).await;
    assert_eq!(stale_delete.status, 412);
    assert_eq!(
        send(h.get(id)).await.status,
        200,
        "a stale delete deletes nothing"
    );

    let gone = Uuid::new_v4();
    let replace_missing = send(h.replace(gone, "r1", "k6", &mine)).await;
    assert_eq!(replace_missing.status, 412);
    assert!(
        replace_missing.json()["current"].is_null(),
        "current is null when it is gone"
    );

    let forced = send(
        h.call(Method::PUT, &Harness::idp_path(ALPHA, id))
            .header("If-Match", "*")
            .header("Idempotency-Key", "k7")
            .json(&mine),
    )
    .await;
    assert_eq!(
        forced.status,
        200,
        "If-Match: * overwrites any version: {}",
        forced.text()
    );
    assert_eq!(forced.json()["notes"], "my edit");
}

/// RFC 9110 §13.1.1 and §13.2.2: any syntactically valid precondition is evaluated, so a
/// well-formed request that cannot hold gets 412 with the IdP as it is, never 400.
#[tokio::test]
async fn every_well_formed_precondition_is_evaluated_and_may_fail_with_412() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let path = Harness::idp_path(ALPHA, id);
    let v1 = version(&send(h.create(id, "k1", &sample_idp("Acme"))).await);
    let write = |key: &str, if_match: &str, if_none_match: Option<&str>| {
        let rb = h
            .call(Method::PUT, &path)
            .header("Idempotency-Key", key)
            .header("If-Match", if_match)
            .json(&sample_idp("Acme renamed"));
        match if_none_match {
            Some(v) => rb.header("If-None-Match", v),
            None => rb,
        }
    };

    for (key, if_match) in [
        ("k2", "\"\""),
        ("k3", "W/\"\""),
        ("k4", &format!("W/\"{v1}\"")),
    ] {
        let r = send(write(key, if_match, None)).await;
        assert_eq!(
            r.status,
            412,
            "If-Match: {if_match} is an entity tag that never matches: {}",
            r.text()
        );
        assert_eq!(r.json()["current"]["version"], v1.as_str());
    }
    let empty_elements = send(write("k5", &format!(", \"r0\", ,\"{v1}\","), None)).await;
    assert_eq!(
        empty_elements.status,
        200,
        "empty list elements are ignored: {}",
        empty_elements.text()
    );
    let v2 = version(&empty_elements);

    for (key, if_match) in [("k6", format!("\"{v2}\"")), ("k7", "*".to_string())] {
        let both = send(write(key, &if_match, Some("*"))).await;
        assert_eq!(
            both.status,
            412,
            "If-Match: {if_match} with If-None-Match: * cannot both hold: {}",
            both.text()
        );
        assert_eq!(both.json()["current"]["version"], v2.as_str());
    }
    let gone = send(
        h.call(Method::PUT, &Harness::idp_path(ALPHA, Uuid::new_v4()))
            .header("Idempotency-Key", "k8")
            .header("If-Match", "*")
            .header("If-None-Match", "*")
            .json(&sample_idp("Other")),
    )
    .await;
    assert_eq!(gone.status, 412, "{}", gone.text());
    assert!(gone.json()["current"].is_null());

    let bare = send(
        h.call(Method::DELETE, &path)
            .header("Idempotency-Key", "k9")
            .header("If-Match", v2.as_str()),
    )
    .await;
    assert_eq!(
        bare.status,
        400,
        "an unquoted version is not an entity tag: {}",
        bare.text()
    );
    assert_eq!(bare.problem_type(), "urn:eca:problem:invalid-precondition");
    assert_eq!(
        send(h.get(id)).await.json()["version"],
        v2.as_str(),
        "nothing but k5 was written"
    );
}

#[tokio::test]
async fn writes_need_a_precondition_and_an_idempotency_key() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let path = Harness::idp_path(ALPHA, id);

    let no_precondition = send(
        h.call(Method::PUT, &path)
            .header("Idempotency-Key", "k1")
            .json(&sample_idp("Acme")),
    )
    .await;
    assert_eq!(no_precondition.status, 428, "{}", no_precondition.text());
    assert_eq!(
        no_precondition.problem_type(),
        "urn:eca:problem:precondition-required"
    );

    let no_key = send(
        h.call(Method::PUT, &path)
            .header("If-None-Match", "*")
            .json(&sample_idp("Acme")),
    )
    .await;
    assert_eq!(no_key.status, 400);
    assert_eq!(
        no_key.problem_type(),
        "urn:eca:problem:missing-idempotency-key"
    );

    let bad_key = send(
        h.call(Method::PUT, &path)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "has spaces in it")
            .json(&sample_idp("Acme")),
    )
    .await;
    assert_eq!(
        bad_key.problem_type(),
        "urn:eca:problem:invalid-idempotency-key"
    );

    let delete = send(
        h.call(Method::DELETE, &path)
            .header("Idempotency-Key", "k3"),
    )
    .await;
    assert_eq!(delete.status, 428);
    assert_eq!(
        send(h.list()).await.json()["items"],
        json!([]),
        "nothing was written"
    );
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_and_applies_nothing() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let first = send(h.create(id, "same-key", &sample_idp("Acme"))).await;
    assert_eq!(first.status, 201);
    assert_eq!(
        first.header("idempotent-replayed"),
        None,
        "the original is not a replay"
    );

    // The same body with members reordered and reformatted is the same request.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string_pretty(&sample_idp("Acme")).unwrap()).unwrap();
    let body_text = {
        let mut pairs: Vec<(String, Value)> =
            reordered.as_object().unwrap().clone().into_iter().collect();
        pairs.reverse();
        let members: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}: {}", json!(k), v))
            .collect();
        format!("{{\n  {}\n}}", members.join(",\n  "))
    };
    let retry = send(
        h.call(Method::PUT, &Harness::idp_path(ALPHA, id))
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "same-key")
            .header("Content-Type", "application/json")
            .body(body_text),
    )
    .await;
    assert_eq!(
        retry.status,
        201,
        "the replay keeps the original status: {}",
        retry.text()
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        retry.body, first.body,
        "the replay is the original body, byte for byte"
    );
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_eq!(retry.header("location"), first.header("location"));

    let listed = send(h.list()).await.json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed["items"][0]["version"],
        version(&first),
        "applied exactly once"
    );
}

#[tokio::test]
async fn reusing_a_key_for_a_different_request_is_422_and_changes_nothing() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let v1 = version(&send(h.create(id, "k1", &sample_idp("Acme"))).await);

    let mut other = sample_idp("Acme");
    other["notes"] = json!("a different change");
    let reused = send(h.replace(id, &v1, "k1", &other)).await;
    assert_eq!(reused.status, 422, "{}", reused.text());
    assert_eq!(
        reused.problem_type(),
        "urn:eca:problem:idempotency-key-reused"
    );
    assert_eq!(
        send(h.get(id)).await.json()["version"],
        v1.as_str(),
        "nothing changed"
    );

    // Reusing a write key on another IdP or with DELETE is a different request too.
    let elsewhere = send(h.create(Uuid::new_v4(), "k1", &sample_idp("Acme"))).await;
    assert_eq!(elsewhere.status, 422);
    let as_delete = send(h.delete(id, &v1, "k1")).await;
    assert_eq!(as_delete.status, 422);
    assert_eq!(
        send(h.get(id)).await.status,
        200,
        "the IdP must still be there"
    );

    // The other workspace has its own keys.
    let beta = send(
        h.http
            .put(h.url(&Harness::idp_path(BETA, id)))
            .bearer_auth(BETA_KEY)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "k1")
            .json(&sample_idp("Acme")),
    )
    .await;
    assert_eq!(
        beta.status,
        201,
        "keys are scoped to the workspace: {}",
        beta.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_while_in_flight_is_409() {
    let h = start(FaultSettings {
        latency_ms: 1200,
        ..FaultSettings::default()
    })
    .await;
    let id = Uuid::new_v4();
    let original = tokio::spawn(send(h.create(id, "slow", &sample_idp("Acme"))));
    // The original has claimed its key once the latency holds it.
    h.backend.faults().held(1).await;
    let concurrent = send(h.create(id, "slow", &sample_idp("Acme"))).await;
    assert_eq!(concurrent.status, 409, "{}", concurrent.text());
    assert_eq!(
        concurrent.problem_type(),
        "urn:eca:problem:idempotency-in-flight"
    );

    let other_key = send(h.create(Uuid::new_v4(), "other", &sample_idp("Other"))).await;
    assert_eq!(other_key.status, 201, "another key is not blocked");

    let original = original.await.unwrap();
    assert_eq!(
        original.status,
        201,
        "the original completes: {}",
        original.text()
    );
    let retry = send(h.create(id, "slow", &sample_idp("Acme"))).await;
    assert_eq!(
        retry.status, 201,
        "after completion, a retry gets the recorded response"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn a_dropped_connection_after_commit_applies_once_and_the_retry_gets_the_outcome() {
    let h = start(FaultSettings {
        drop_after_commit_rate: 1.0,
        ..FaultSettings::default()
    })
    .await;
    let id = Uuid::new_v4();
    let body = with_secret(sample_idp("Acme"), "dropped-secret-1");

    let lost = h.create(id, "lost", &body).send().await;
    let error = lost.expect_err("the connection must be dropped with no response");
    assert!(
        !error.is_timeout(),
        "the connection must close at once, not time out: {error}"
    );

    h.set_faults(FaultSettings::default());
    let stored = send(h.get(id)).await;
    assert_eq!(
        stored.status, 200,
        "the write was committed before the drop"
    );
    let v1 = version(&stored);

    let retry = send(h.create(id, "lost", &body)).await;
    assert_eq!(
        retry.status,
        201,
        "the retry gets the recorded 201, not a 412: {}",
        retry.text()
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(version(&retry), v1);
    assert_eq!(
        retry.json(),
        stored.json(),
        "the recorded response is the stored IdP"
    );

    let listed = send(h.list()).await.json();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "applied exactly once"
    );

    // The same holds for a delete.
    h.set_faults(FaultSettings {
        drop_after_commit_rate: 1.0,
        ..FaultSettings::default()
    });
    assert!(h.delete(id, &v1, "lost-delete").send().await.is_err());
    h.set_faults(FaultSettings::default());
    let retry = send(h.delete(id, &v1, "lost-delete")).await;
    assert_eq!(
        retry.status, 204,
        "the retried delete gets the recorded 204, not 404"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn injected_429_503_and_500_carry_what_a_client_needs() {
    let h = start(always(429)).await;
    let id = Uuid::new_v4();
    let limited = send(h.create(id, "k1", &sample_idp("Acme"))).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("3"));
    assert_eq!(limited.problem_type(), "urn:eca:problem:rate-limited");

    h.set_faults(always(503));
    let unavailable = send(h.list()).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.header("retry-after"), Some("3"));
    assert_eq!(
        unavailable.header("content-type"),
        Some("application/problem+json")
    );

    h.set_faults(always(500));
    assert_eq!(send(h.get(id)).await.status, 500);
    let health = send(h.http.get(h.url("/v1/health"))).await;
    assert_eq!(health.status, 200, "health is never injected");

    h.set_faults(FaultSettings::default());
    assert_eq!(
        send(h.get(id)).await.status,
        404,
        "an injected error applied nothing"
    );
    let created = send(h.create(id, "k1", &sample_idp("Acme"))).await;
    assert_eq!(
        created.status,
        201,
        "a key refused with 429 records nothing, so it can be retried: {}",
        created.text()
    );
}

/// The statuses of 40 list requests against a backend with these faults.
async fn status_sequence(seed: u64) -> Vec<u16> {
    let h = start(FaultSettings {
        error_500_rate: 0.2,
        error_503_rate: 0.2,
        error_429_rate: 0.2,
        seed,
        ..FaultSettings::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(send(h.list()).await.status);
    }
    statuses
}

#[tokio::test]
async fn fault_rates_are_reproducible_from_the_seed() {
    let a = status_sequence(7).await;
    let b = status_sequence(7).await;
    let c = status_sequence(8).await;
    assert_eq!(a, b, "the same seed and requests must give the same faults");
    assert_ne!(a, c, "another seed should give other faults");
    for status in [200, 429, 500, 503] {
        assert!(
            a.contains(&status),
            "{status} should appear in 40 draws at these rates: {a:?}"
        );
    }
}

#[tokio::test]
async fn the_fault_admin_endpoint_changes_faults_only_when_enabled_and_asked_with_a_key() {
    let h = start_with(|c| c.fault_admin = true).await;
    let set = send(
        h.call(Method::POST, "/_faults")
            .json(&json!({"error_429_rate": 1.0, "retry_after_secs": 5})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(set.json()["error_429_rate"], 1.0);
    assert_eq!(
        set.json()["latency_ms"],
        0,
        "missing members take their defaults"
    );
    let limited = send(h.list()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("5"));
    let shown = send(h.call(Method::GET, "/_faults")).await.json();
    assert_eq!(shown["retry_after_secs"], 5);

    let bad = send(
        h.call(Method::POST, "/_faults")
            .json(&json!({"error_500_rate": 2})),
    )
    .await;
    assert_eq!(
        bad.status,
        400,
        "an impossible rate is refused: {}",
        bad.text()
    );
    let unknown = send(
        h.call(Method::POST, "/_faults")
            .json(&json!({"latency": 5})),
    )
    .await;
    assert_eq!(
        unknown.status,
        400,
        "an unknown switch is refused: {}",
        unknown.text()
    );
    send(h.call(Method::POST, "/_faults").json(&json!({}))).await;
    assert_eq!(
        send(h.list()).await.status,
        200,
        "{{}} turns every fault off"
    );

    // Without a key of this backend, or not as JSON, nothing changes.
    let keyless = send(
        h.http
            .post(h.url("/_faults"))
            .json(&json!({"latency_ms": 900})),
    )
    .await;
    assert_eq!(keyless.status, 401, "{}", keyless.text());
    let as_text = send(
        h.call(Method::POST, "/_faults")
            .header("content-type", "text/plain")
            .body(r#"{"latency_ms": 900}"#),
    )
    .await;
    assert_eq!(as_text.status, 400, "{}", as_text.text());
    assert!(
        as_text.text().contains("application/json"),
        "{}",
        as_text.text()
    );
    let read = send(h.http.get(h.url("/_faults"))).await;
    assert_eq!(read.status, 401, "reading them needs a key too");
    assert_eq!(
        send(h.call(Method::GET, "/_faults")).await.json()["latency_ms"],
        0
    );

    let plain = start(FaultSettings::default()).await;
    let absent = send(plain.http.post(plain.url("/_faults")).json(&json!({}))).await;
    assert_eq!(
        absent.status, 404,
        "without --fault-admin there is no /_faults"
    );
}

#[tokio::test]
async fn secrets_are_never_returned_nor_stored_in_plaintext() {
    const SECRET: &str = "Plaintext-Secret-Marker-4f1d9a";
    const CLIENT_ID: &str = "Client-Id-Marker-77c2e0";
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    let mut body = with_secret(sample_idp("Acme"), SECRET);
    body["client_id"] = json!(CLIENT_ID);

    let mut responses = vec![send(h.create(id, "k1", &body)).await];
    let v1 = version(&responses[0]);
    assert_eq!(responses[0].json()["secret_set"], true);
    let fingerprint = responses[0].json()["secret_fingerprint"].clone();
    assert!(
        fingerprint.as_str().is_some_and(|f| f.len() == 16),
        "{fingerprint}"
    );
    responses.push(send(h.create(id, "k1", &body)).await); // replay
    responses.push(send(h.create(id, "k2", &body)).await); // 412 with current
    responses.push(send(h.get(id)).await);
    responses.push(send(h.list()).await);
    let mut invalid = body.clone();
    invalid["issuer"] = json!("http://insecure.example");
    responses.push(send(h.replace(id, &v1, "k3", &invalid)).await); // 422
    for r in &responses {
        assert!(
            !r.text().contains(SECRET),
            "status {} leaked the secret: {}",
            r.status,
            r.text()
        );
        if r.status < 300 {
            assert!(
                r.text().contains(&v1),
                "the response should describe the IdP"
            );
        }
    }

    // Omitting the secret keeps it; null removes it; a new one changes the fingerprint.
    let mut without = body.clone();
    without.as_object_mut().unwrap().remove("client_secret");
    without["notes"] = json!("edited without touching the secret");
    let kept = send(h.replace(id, &v1, "k4", &without)).await;
    assert_eq!(
        kept.json()["secret_fingerprint"],
        fingerprint,
        "omitted = keep"
    );
    let changed = send(h.replace(
        id,
        &version(&kept),
        "k5",
        &with_secret(without.clone(), "another-secret"),
    ))
    .await;
    assert_ne!(
        changed.json()["secret_fingerprint"],
        fingerprint,
        "a new secret, a new fingerprint"
    );
    let mut removing = without.clone();
    removing["client_secret"] = Value::Null;
    let removed = send(h.replace(id, &version(&changed), "k6", &removing)).await;
    assert_eq!(removed.json()["secret_set"], false, "null = remove");
    assert!(removed.json()["secret_fingerprint"].is_null());
    // Put the first secret back so the database holds it (sealed) at the end.
    let restored = send(h.replace(id, &version(&removed), "k7", &body)).await;
    assert_eq!(
        restored.json()["secret_fingerprint"],
        fingerprint,
        "same secret, same fingerprint"
    );

    // Stop the backend so everything is on disk, then read every file of the data folder.
    let Harness { backend, dir, .. } = h;
    backend.stop().await;
    let contains =
        |needle: &str| !eca_testkit::leaks::files_containing(dir.path(), needle).is_empty();
    assert!(
        contains(CLIENT_ID),
        "the scan must see the stored IdP (its client_id), or it proves nothing"
    );
    assert!(
        !contains(SECRET),
        "the secret must not be in the data folder in plaintext"
    );
    assert!(!contains("another-secret"), "no past secret either");
}

#[tokio::test]
async fn validation_errors_name_every_field() {
    let h = start(FaultSettings::default()).await;
    let mut body = sample_idp("Acme");
    body["issuer"] = json!("http://idp.example");
    body["client_id"] = json!("");
    body["scopes"] = json!(["profile"]);
    body.as_object_mut().unwrap().remove("notes");
    body["colour"] = json!("blue");
    let r = send(h.create(Uuid::new_v4(), "k1", &body)).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.problem_type(), "urn:eca:problem:validation");
    let mut fields: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["colour", "notes"],
        "type and presence problems come first"
    );

    body.as_object_mut().unwrap().remove("colour");
    body["notes"] = json!("");
    let r = send(h.create(Uuid::new_v4(), "k2", &body)).await;
    let errors = r.json()["errors"].clone();
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["issuer", "client_id", "scopes"], "{errors:#}");
    assert!(errors[0]["message"].as_str().unwrap().contains("https"));

    let not_json = send(
        h.call(Method::PUT, &Harness::idp_path(ALPHA, Uuid::new_v4()))
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "k3")
            .header("Content-Type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.problem_type(), "urn:eca:problem:malformed-body");
    let array = send(h.create(Uuid::new_v4(), "k4", &json!([1, 2]))).await;
    assert_eq!(
        array.status, 400,
        "a body that is not an object is malformed"
    );
}

#[tokio::test]
async fn keys_open_only_their_workspace() {
    let h = start(FaultSettings::default()).await;
    let id = Uuid::new_v4();
    assert_eq!(
        send(h.create(id, "k1", &sample_idp("Acme"))).await.status,
        201
    );

    let beta_list = send(
        h.http
            .get(h.url(&Harness::idps_path(BETA)))
            .bearer_auth(BETA_KEY),
    )
    .await;
    assert_eq!(
        beta_list.json()["items"],
        json!([]),
        "beta must not see alpha's IdPs"
    );
    let cross = send(
        h.http
            .get(h.url(&Harness::idp_path(ALPHA, id)))
            .bearer_auth(BETA_KEY),
    )
    .await;
    assert_eq!(cross.status, 403);
    assert_eq!(cross.problem_type(), "urn:eca:problem:forbidden");
    let nowhere = send(
        h.http
            .get(h.url(&Harness::idps_path("ghost")))
            .bearer_auth(BETA_KEY),
    )
    .await;
    assert_eq!(
        nowhere.status, 403,
        "an unknown workspace looks the same as another's"
    );

    let missing = send(h.http.get(h.url(&Harness::idps_path(ALPHA)))).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong_scheme = send(
        h.http
            .get(h.url(&Harness::idps_path(ALPHA)))
            .header("Authorization", format!("Basic {ALPHA_KEY}")),
    )
    .await;
    assert_eq!(wrong_scheme.status, 401, "only Bearer is accepted");
    let unknown = send(
        h.http
            .get(h.url(&Harness::idps_path(ALPHA)))
            .bearer_auth("eca_unknown_0000000"),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert!(
        !unknown.text().contains("eca_unknown"),
        "the key must not be echoed"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let h = start(FaultSettings::default()).await;
    let r = send(h.http.get(h.url("/v2/nothing"))).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let r = send(h.call(Method::POST, &Harness::idps_path(ALPHA))).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.problem_type(), "urn:eca:problem:method-not-allowed");
}

#[tokio::test]
async fn a_key_whose_grant_was_removed_stops_working_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let http = client();
    let list = |url: String, key: &'static str| {
        let path = format!("{url}/v1/workspaces/{BETA}/idps");
        send(http.get(path).bearer_auth(key))
    };
    let first = start_in(dir.path(), |_| {}).await;
    assert_eq!(list(first.url(), BETA_KEY).await.status, 200);
    first.stop().await;

    // Started again without beta's --api-key: its key opens nothing any more.
    let second = start_in(dir.path(), |c| {
        c.api_keys.retain(|g| g.workspace.as_str() != BETA)
    })
    .await;
    assert_eq!(list(second.url(), BETA_KEY).await.status, 401);
    let alpha = format!("{}{}", second.url(), "/v1/workspaces/alpha/idps");
    assert_eq!(
        send(http.get(alpha).bearer_auth(ALPHA_KEY)).await.status,
        200,
        "alpha's still does"
    );
}

#[tokio::test]
async fn data_and_secrets_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let id = Uuid::new_v4();
    let body = with_secret(sample_idp("Acme"), "restart-secret");
    let first = start_in(dir.path(), |_| {}).await;
    let http = client();
    let url = format!("{}{}", first.url(), Harness::idp_path(ALPHA, id));
    let created = send(
        http.put(&url)
            .bearer_auth(ALPHA_KEY)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(created.status, 201);
    first.stop().await;

    let second = start_in(dir.path(), |_| {}).await;
    let url = format!("{}{}", second.url(), Harness::idp_path(ALPHA, id));
    let fetched = send(http.get(&url).bearer_auth(ALPHA_KEY)).await;
    assert_eq!(
        fetched.json(),
        created.json(),
        "the IdP survives the restart"
    );
    let replay = send(
        http.put(&url)
            .bearer_auth(ALPHA_KEY)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "k1")
            .json(&body),
    )
    .await;
    assert_eq!(
        replay.header("idempotent-replayed"),
        Some("true"),
        "keys survive too"
    );
    let same_secret = send(
        http.put(&url)
            .bearer_auth(ALPHA_KEY)
            .header("If-Match", "*")
            .header("Idempotency-Key", "k2")
            .json(&body),
    )
    .await;
    assert_eq!(
        same_secret.json()["version"],
        created.json()["version"],
        "the stored secret still opens with the key file: the same secret is no change"
    );
}

#[tokio::test]
async fn it_refuses_to_listen_beyond_loopback_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = eca_backend::BackendConfig::new(eca_backend::Storage::Dir(dir.path().into()));
    config.listen = "0.0.0.0:0".parse().unwrap();
    match eca_backend::start(config).await {
        Err(eca_backend::StartError::NotLoopback(_)) => {}
        Err(other) => panic!("expected NotLoopback, got {other}"),
        Ok(_) => panic!("a non-loopback address must be refused without allow_remote"),
    }
}

/// Reads from `socket` until the backend closes it (true) or `within` passes (false).
async fn closed_within(socket: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut sink = [0u8; 1024];
    let read = async {
        loop {
            match socket.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test]
async fn a_connection_that_sends_no_headers_in_time_is_closed() {
    let h = start_with(|c| c.header_read_timeout = std::time::Duration::from_millis(300)).await;
    let mut idle = tokio::net::TcpStream::connect(h.backend.addr())
        .await
        .unwrap();
    assert!(
        closed_within(&mut idle, std::time::Duration::from_secs(5)).await,
        "an idle connection is closed after the header timeout"
    );
    assert_eq!(send(h.list()).await.status, 200, "others are served");
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_at_once_until_one_ends() {
    let h = start_with(|c| c.max_connections = 2).await;
    let addr = h.backend.addr();
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut third, std::time::Duration::from_secs(5)).await,
        "a third connection is closed at once"
    );
    drop(held);
    // Once the held ones are gone, a new client is served again.
    let mut served = false;
    for _ in 0..50 {
        if client().get(h.url("/v1/health")).send().await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "a slot freed by a closed connection serves the next"
    );
}
