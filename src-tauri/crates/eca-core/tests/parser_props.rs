//! Property tests of the core's parsers of untrusted input: an import file, a return deep link
//! of a test on the platform, and the backend's answers as the sync client reads them. Whatever
//! comes in, they answer or refuse, never panic, and what they say stays bounded by what they
//! were given. `cargo test` runs a short smoke; `make fuzz` many more cases (`PROPTEST_CASES`).

use eca_core::catalog::Catalog;
use eca_core::platform_test::return_link::{self, DEEP_LINK_RETURN};
use eca_core::secrets::MemorySecrets;
use eca_core::store::sync_base::BaseEntry;
use eca_core::sync::client::RemoteProblem;
use eca_core::transfer;
use eca_model::clock::FixedClock;
use eca_model::wire::{RemoteIdp, RemoteList};
use eca_oidc::http::{HttpMeta, HttpResponse};
use eca_testkit::arbitrary;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use std::sync::Arc;
use time::macros::datetime;

const IDP_FIELDS: &[&str] = &[
    "id",
    "name",
    "protocol",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "client_id",
    "client_auth_method",
    "scopes",
    "extra_params",
    "redirect_uris",
    "customer_id_claim",
    "enabled",
    "notes",
    "claim_mapping",
    "channel_binding",
    "loopback_port",
    "test_redirect",
    "had_secret",
    "version",
    "secret_set",
    "secret_fingerprint",
    "created_at",
    "updated_at",
];
const PROBLEM_FIELDS: &[&str] = &[
    "type", "title", "detail", "errors", "field", "message", "current",
];

/// An import file: the export's envelope around arbitrary entries, or anything at all.
fn import_file() -> impl Strategy<Value = String> {
    let entries = proptest::collection::vec(arbitrary::object(IDP_FIELDS), 0..4);
    prop_oneof![
        entries.prop_map(|idps| {
            json!({"format": transfer::FORMAT, "version": transfer::VERSION,
                   "exported_at": "2026-01-01T00:00:00Z", "idps": idps})
            .to_string()
        }),
        arbitrary::body(IDP_FIELDS).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Every case of a test imports into the same catalog: opening one per case would be slow.
#[test]
fn any_import_file_is_imported_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(datetime!(2026-11-24 12:00 UTC)));
    let catalog = Catalog::open(dir.path(), Arc::new(MemorySecrets::new()), clock).unwrap();
    let catalog = std::cell::RefCell::new(catalog);
    let mut runner = TestRunner::new(Config::default());
    runner
        .run(&import_file(), |file| {
            if let Err(error) = transfer::import(&mut catalog.borrow_mut(), &file) {
                let message = error.to_string();
                prop_assert!(message.len() <= 4 * file.len() + 4096, "{message}");
            }
            Ok(())
        })
        .unwrap();
}

fn response(status: u16, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        meta: HttpMeta {
            url: "http://127.0.0.1:8787/v1/workspaces/ws/idps".into(),
            status,
            content_type: Some("application/json".into()),
            headers: Default::default(),
        },
        body,
    }
}

proptest! {
    /// Any return link is a test id or refused.
    #[test]
    fn any_return_link_is_parsed_or_refused(
        url in prop_oneof![
            arbitrary::text().prop_map(|q| format!("{DEEP_LINK_RETURN}?{q}")),
            arbitrary::text().prop_map(|q| format!("{DEEP_LINK_RETURN}?request={q}")),
            ".{0,300}",
        ],
    ) {
        if let Ok(id) = return_link::parse(&url) {
            prop_assert_eq!(return_link::deep_link(id), url);
        }
    }

    /// A refusal's problem document becomes one sentence no longer than what it quotes.
    #[test]
    fn any_problem_answer_is_described_briefly(
        status in 400u16..600,
        body in prop_oneof![
            arbitrary::body(PROBLEM_FIELDS),
            arbitrary::object(PROBLEM_FIELDS).prop_map(|v| v.to_string().into_bytes()),
        ],
    ) {
        let described = RemoteProblem::parse(&response(status, body.clone())).describe(status);
        prop_assert!(described.len() <= 2 * body.len() + 64, "{described}");
    }

    /// Any IdP or list the backend sends reads as the contract says or is refused; what is read
    /// becomes a base entry without a panic.
    #[test]
    fn any_idp_answer_is_read_or_refused(
        idp in arbitrary::object(IDP_FIELDS),
        other in arbitrary::body(IDP_FIELDS),
    ) {
        let list = json!({ "items": [idp.clone()] }).to_string().into_bytes();
        for body in [idp.to_string().into_bytes(), other.clone()] {
            if let Ok(remote) = response(200, body).json::<RemoteIdp>() {
                let _ = BaseEntry::from_remote(&remote, "2026-01-01T00:00:00Z");
            }
        }
        for body in [list, other] {
            if let Ok(list) = response(200, body).json::<RemoteList>() {
                for remote in &list.items {
                    let _ = BaseEntry::from_remote(remote, "2026-01-01T00:00:00Z");
                }
            }
        }
    }
}
