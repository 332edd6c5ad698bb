//! Export and import of IdP configurations as a JSON document.
//!
//! Invariants:
//! - An export never contains a secret (it is built from `IdpConfig`, which has none) and says
//!   which IdPs had one, so the admin knows what to set again after an import.
//! - An import writes every entry through the one write path ([`crate::catalog::write`]), in one
//!   transaction that commits only when no entry was refused: validation and uniqueness (against
//!   the store and the entries before it) are the same as for any save, and every refused entry
//!   is reported at once. An entry that names a secret field is refused rather than silently
//!   dropped.

use crate::catalog::{Catalog, CatalogError};
use eca_model::clock::{rfc3339, Clock};
use eca_model::idp::{IdpConfig, IdpFields, IdpId};
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

    // Refusals by entry index, so each entry's problems read together, in document order.
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut labels = Vec::with_capacity(doc.idps.len());
    let mut ready = Vec::with_capacity(doc.idps.len());
    let mut ids: HashMap<IdpId, usize> = HashMap::new();
    for (i, entry) in doc.idps.into_iter().enumerate() {
        let label = format!("entry {} ({:?})", i + 1, entry.fields.name);
        if let Some(key) = entry.unknown.keys().next() {
            problems.push((i, format!("{label}: unknown field \"{key}\" (secrets are never imported; set them with `eca idp edit --client-secret-stdin`)")));
            continue;
        }
        if let Some(first) = ids.insert(entry.id, i) {
            problems.push((i, format!("{label}: same id as entry {}", first + 1)));
            continue;
        }
        labels.push((i, label));
        ready.push((entry.id, entry.fields));
    }
    // Validation and uniqueness (against the store and the entries written before) are the
    // write path's, as for any save.
    let refused = catalog.write_all(ready, !problems.is_empty())?;
    let refused = match refused {
        Ok(written) => return Ok(written),
        Err(refused) => refused,
    };
    for (k, errors) in refused {
        let (i, label) = &labels[k];
        problems.extend(errors.iter().map(|e| (*i, format!("{label}: {e}"))));
    }
    problems.sort_by_key(|(i, _)| *i);
    Err(ImportError::Invalid(
        problems.into_iter().map(|(_, p)| p).collect(),
    ))
}
