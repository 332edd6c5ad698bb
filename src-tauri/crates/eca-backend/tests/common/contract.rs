//! The contract checker shared by the contract tests of `docs/sync-api.yaml` and
//! `docs/auth-api.yaml`: each response must have a status the spec declares for its
//! operation, the declared media type, the declared required headers (with values matching
//! their schemas), and a body valid against the declared schema (JSON Schema 2020-12, `$ref`s
//! resolved into the spec's components). [`Contract::unexercised`] lists what the spec
//! declares that a script never saw, so a spec cannot promise what the server never does.

use super::Captured;
use jsonschema::Validator;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub struct Contract {
    pub doc: Value,
    /// operationId -> statuses seen.
    seen: BTreeMap<String, BTreeSet<String>>,
}

impl Contract {
    /// `docs/<file>`, e.g. `sync-api.yaml`.
    pub fn load(file: &str) -> Self {
        let path = format!("{}/../../../docs/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the contract {path}: {e}"));
        let doc: Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"));
        Self {
            doc,
            seen: BTreeMap::new(),
        }
    }

    /// Every (operationId, operation) of the spec.
    pub fn operations(&self) -> Vec<(String, &Value)> {
        let mut ops = Vec::new();
        for (_, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "patch"] {
                if let Some(op) = item.get(method) {
                    let id = op["operationId"]
                        .as_str()
                        .expect("every operation has an id");
                    ops.push((id.to_string(), op));
                }
            }
        }
        ops
    }

    pub fn operation(&self, id: &str) -> &Value {
        self.operations()
            .into_iter()
            .find(|(op_id, _)| op_id == id)
            .unwrap_or_else(|| panic!("the spec has no operation {id}"))
            .1
    }

    /// Follows a local `$ref` (`#/components/...`) until a non-reference object.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only local $refs are used: {reference}"));
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {reference} does not resolve"));
        }
        value
    }

    /// A validator for a schema of the spec, its `$ref`s resolving into the spec's components.
    pub fn validator(&self, schema: &Value) -> Validator {
        let mut root = Map::new();
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("allOf".into(), json!([schema]));
        root.insert("components".into(), self.doc["components"].clone());
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("the spec's schema {schema} does not compile: {e}"))
    }

    /// Checks one response of `operation` against the spec, and records its status.
    pub fn check(&mut self, operation: &str, what: &str, response: &Captured) {
        let status = response.status.to_string();
        let op = self.operation(operation).clone();
        let declared = op["responses"].get(&status).unwrap_or_else(|| {
            panic!(
                "{operation} ({what}): status {status} is not declared in the spec; body: {}",
                response.text()
            )
        });
        let declared = self.resolve(declared).clone();

        if let Some(headers) = declared.get("headers").and_then(Value::as_object) {
            for (name, header) in headers {
                let header = self.resolve(header);
                let required = header["required"].as_bool().unwrap_or(false);
                match response.header(name) {
                    None if required => panic!(
                        "{operation} ({what}): {status} must carry the header {name}; got {:?}",
                        response.headers
                    ),
                    None => {}
                    Some(value) => {
                        let validator = self.validator(&header["schema"]);
                        let errors: Vec<String> = validator
                            .iter_errors(&json!(value))
                            .map(|e| e.to_string())
                            .collect();
                        assert!(
                            errors.is_empty(),
                            "{operation} ({what}): header {name}: {value:?} does not match its \
                             schema: {errors:?}"
                        );
                    }
                }
            }
        }

        match declared.get("content").and_then(Value::as_object) {
            None => assert!(
                response.body.is_empty(),
                "{operation} ({what}): {status} declares no body, got {:?}",
                response.text()
            ),
            Some(content) => {
                let media_type = response
                    .header("content-type")
                    .unwrap_or_default()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let media = content.get(&media_type).unwrap_or_else(|| {
                    panic!(
                        "{operation} ({what}): {status} is sent as {media_type:?}, but the \
                         spec declares {:?}",
                        content.keys().collect::<Vec<_>>()
                    )
                });
                // A page (text/html) is checked as the string it is.
                let body = if media_type.ends_with("json") {
                    response.json()
                } else {
                    Value::String(response.text())
                };
                let validator = self.validator(&media["schema"]);
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{operation} ({what}): the {status} body does not match the spec: \
                     {errors:#?}\nbody: {body:#}"
                );
            }
        }
        self.seen
            .entry(operation.to_string())
            .or_default()
            .insert(status);
    }

    /// Statuses the spec declares that the script never saw.
    pub fn unexercised(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for (id, op) in self.operations() {
            let seen = self.seen.get(&id).cloned().unwrap_or_default();
            for status in op["responses"].as_object().expect("responses").keys() {
                if !seen.contains(status) {
                    missing.push(format!("{id} {status}"));
                }
            }
        }
        missing
    }
}
