//! The impact warning of `eca idp disable` and `eca idp delete`: which chat flows and Chat Desk
//! extensions use the IdP, asked of the backend through the core ([`Outbox::impact`]), before
//! anything changes.
//!
//! Invariants:
//! - A disable needs `--yes` when the core says it asks first ([`IdpImpact::disable_asks_first`]:
//!   known usage, or usage that could not be checked because the backend could not be asked),
//!   the same rule as the app's toggle; a delete always needs it. What it goes ahead despite is
//!   said on stderr (unless the output is JSON).
//! - Nothing is written before the admin has confirmed.

use crate::error::CliError;
use crate::sync;
use eca_core::sync::impact::{IdpImpact, UsageCheck};
use eca_core::sync::Outbox;
use eca_model::idp::IdpId;
use std::path::PathBuf;

/// What disabling or deleting IdP `id` affects.
pub fn of(dir: Option<PathBuf>, id: IdpId) -> Result<IdpImpact, CliError> {
    let mut outbox: Outbox = sync::open(dir)?;
    let mut found = sync::block_on(outbox.impact(&[id]))?;
    Ok(found.remove(0))
}

/// Goes ahead (`Ok`) when the admin passed `--yes` or the action does not ask first, saying on
/// stderr what it goes ahead despite. Else refuses with `refusal`, the usage, and how to
/// confirm.
pub fn confirm(
    impact: &IdpImpact,
    refusal: &str,
    asks_first: bool,
    yes: bool,
    json: bool,
) -> Result<(), CliError> {
    if asks_first && !yes {
        return Err(CliError::Usage(format!(
            "{refusal}. {} Pass --yes to confirm.",
            impact.summary
        )));
    }
    let nothing_uses_it =
        matches!(&impact.check, UsageCheck::Checked { usages } if usages.is_empty());
    if !json && !nothing_uses_it {
        crate::output::eprint(&format!("warning: {}", impact.summary));
    }
    Ok(())
}
