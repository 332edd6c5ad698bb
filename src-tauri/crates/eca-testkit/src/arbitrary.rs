//! Hostile inputs for the property tests of the parsers of untrusted input (answers of an IdP
//! or a backend, callback and deep-link URLs, import files): JSON shaped like the real thing
//! with wrong types, odd Unicode and extra fields, and plain bytes.
//!
//! Invariant: the number of cases is proptest's default (256) unless `PROPTEST_CASES` says
//! otherwise, so `cargo test` runs a short smoke and `make fuzz` the long run, from the same
//! tests.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;

/// Text that breaks naive code: multi-byte characters that change length when case-mapped
/// (`İ`), control and bidi characters, HTML and JSON syntax, and a few plain words.
pub fn text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-z0-9:/._-]{0,12}",
        Just("İ".to_string()),
        Just("ß".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{0}".to_string()),
        Just("\r\n".to_string()),
        Just("<title>".to_string()),
        Just("</title>".to_string()),
        Just("https://".to_string()),
        Just("%".to_string()),
        "\\PC{0,4}",
    ];
    vec(pieces, 0..8).prop_map(|parts| parts.concat())
}

/// Any JSON value whose objects use `keys` (the fields a parser looks for) as well as others.
pub fn json(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(keys), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with some of `keys`, each holding any JSON value: the shape the parser expects,
/// with arbitrary contents.
pub fn object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    btree_map(key(keys), json(keys), 0..12).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Bytes as they may come off the network: arbitrary, JSON, or a JSON text cut short.
pub fn body(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        json(keys).prop_map(|v| v.to_string().into_bytes()),
        (json(keys), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let mut bytes = v.to_string().into_bytes();
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        }),
        text().prop_map(String::into_bytes),
    ]
}

fn key(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(keys).prop_map(str::to_string),
        1 => text(),
    ]
}
