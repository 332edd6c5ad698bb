//! Export and import of IdP configurations as a JSON document.
//!
//! Invariants:
//! - An export never contains a secret (it is built from `IdpConfig`, which has none) and says
//!   which IdPs had one, so the admin knows what to set again after an import.
//! - An import validates every entry, and the entries against each other and the store, before
//!   writing any; then it writes them all in one transaction. An entry that names a secret
//!   field is refused rather than silently dropped.

use crate::catalog::{Catalog, CatalogError};
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{Field, FieldError, IdpConfig, IdpFields, IdpId};
use eca_model::validation::{self, issuer_key, name_key};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const FORMAT: &str = "eca-admin/idps";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportDocument {
    pub format: String,
    pub version: u32,
    pub exported_at: String,
    pub idps: Vec<ExportedIdp>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportedIdp {
    pub id: IdpId,
    #[serde(flatten)]
    pub fields: IdpFields,
    /// Informational on export (the secret itself is never exported); ignored on import.
    #[serde(default)]
    pub had_secret: bool,
    /// Anything else in an imported entry; refused, so a pasted secret is never half-accepted.
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("The file is not an ECA Admin export: {0}")]
    NotAnExport(String),
    #[error("Nothing was imported; fix these entries first:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Builds the export document of every IdP.
pub fn export(catalog: &Catalog, clock: &dyn Clock) -> Result<ExportDocument, CatalogError> {
    let idps = catalog.list_full()?.into_iter().map(exported).collect();
    Ok(ExportDocument {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: rfc3339(clock.now()),
        idps,
    })
}

fn exported(idp: IdpConfig) -> ExportedIdp {
    ExportedIdp {
        id: idp.id,
        fields: idp.fields,
        had_secret: idp.has_secret,
        unknown: BTreeMap::new(),
    }
}

/// Parses, validates and writes an export document. Returns the IdPs written.
pub fn import(catalog: &mut Catalog, json: &str) -> Result<Vec<IdpConfig>, ImportError> {
    let doc: ExportDocument =
        serde_json::from_str(json).map_err(|e| ImportError::NotAnExport(e.to_string()))?;
    if doc.format != FORMAT {
        return Err(ImportError::NotAnExport(format!(
            "format is {:?}, expected {FORMAT:?}",
            doc.format
        )));
    }
    if doc.version != VERSION {
        return Err(ImportError::NotAnExport(format!(
            "version {} is not supported (this app reads version {VERSION})",
            doc.version
        )));
    }

    let mut problems = Vec::new();
    let mut ready = Vec::with_capacity(doc.idps.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut issuers: HashMap<String, usize> = HashMap::new();
    let mut ids: HashMap<IdpId, usize> = HashMap::new();
    for (i, entry) in doc.idps.into_iter().enumerate() {
        let label = format!("entry {} ({:?})", i + 1, entry.fields.name);
        if let Some(key) = entry.unknown.keys().next() {
            problems.push(format!("{label}: unknown field \"{key}\" (secrets are never imported; set them with `eca idp edit --client-secret-stdin`)"));
            continue;
        }
        if let Some(first) = ids.insert(entry.id, i) {
            problems.push(format!("{label}: same id as entry {}", first + 1));
        }
        let fields = match validation::validate(entry.fields) {
            Ok(f) => f,
            Err(errors) => {
                problems.extend(errors.iter().map(|e| format!("{label}: {e}")));
                continue;
            }
        };
        if let Some(first) = names.insert(name_key(&fields.name), i) {
            problems.push(format!("{label}: Name: same as entry {}", first + 1));
        }
        if let Some(issuer) = &fields.issuer {
            if let Some(first) = issuers.insert(issuer_key(issuer), i) {
                problems.push(format!("{label}: Issuer URL: same as entry {}", first + 1));
            }
        }
        let clashes: Vec<FieldError> = catalog
            .check(Some(entry.id), fields.clone())?
            .into_iter()
            .filter(|e| matches!(e.field, Field::Name | Field::Issuer))
            .collect();
        problems.extend(clashes.iter().map(|e| format!("{label}: {e}")));
        ready.push((entry.id, fields));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    Ok(catalog.write_all(ready)?)
}
